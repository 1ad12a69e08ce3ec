//! Erasing a lead's person from the lead page (owners only): the form asks for the lead's ref
//! typed out, as the erasure cannot be undone (what the page then shows: `erasure_view.rs`).

use super::pages::{lead_of, render_lead};
use super::session::Owner;
use crate::app::{AppError, AppState, erasure};
use crate::web::error::ApiError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The erasure form.
#[derive(Deserialize)]
pub struct EraseForm {
    csrf: String,
    /// The lead's ref, typed to confirm.
    #[serde(default)]
    confirm: String,
}

/// `POST /app/leads/{ref}/erase`.
pub async fn erase_person(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<EraseForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let lead = lead_of(&state, &owner, &record_ref).await?;
    if form.confirm.trim() != lead.record_ref.to_string() {
        let reason = format!(
            "type the lead's ref, {}, to confirm the erasure: nothing was erased",
            lead.record_ref
        );
        return render_lead(&state, &owner, &lead, Some(reason)).await;
    }
    let author = leadline_core::lead::Author::user(&owner.user.email);
    match erasure::erase_person(&state, owner.business, lead.record_ref, &author).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/leads/{}", lead.record_ref)).into_response()),
        Err(AppError::Conflict(reason) | AppError::Unavailable(reason) | AppError::Refused(reason)) => {
            render_lead(&state, &owner, &lead, Some(reason)).await
        }
        Err(other) => Err(other.into()),
    }
}
