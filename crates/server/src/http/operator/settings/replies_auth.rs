//! `/app/settings/replies`: whether the business refuses e-mailed replies that fail
//! SPF/DKIM/DMARC. Owners only; the change goes through `app::sender_auth`.

use super::form::{Errors, OwnerForm, refused, saved};
use crate::app::AppState;
use crate::app::sender_auth::set_sender_auth_required;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

/// The page's path.
pub const PATH: &str = "/app/settings/replies";

#[derive(Template)]
#[template(path = "settings_replies_auth.html")]
struct RepliesAuthPage {
    header: Header,
    csrf: String,
    /// The choice shown: `refuse`, `accept`, or what was posted when it was neither.
    choice: String,
    errors: Errors,
    saved: bool,
}

async fn page(
    state: &AppState,
    owner: &Owner,
    choice: String,
    errors: Errors,
    saved: bool,
) -> Result<Response, ApiError> {
    Ok(render(&RepliesAuthPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        choice,
        errors,
        saved,
    }))
}

/// `GET /app/settings/replies` (`?saved=1` after a change).
pub async fn show(
    State(state): State<AppState>,
    owner: Owner,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let required = state.store.sender_auth_required(owner.0.business).await?;
    let saved = saved(&query);
    let choice = if required { "refuse" } else { "accept" };
    page(&state, &owner, choice.into(), Errors::default(), saved).await
}

/// `POST /app/settings/replies`: anything but `refuse` or `accept` changes nothing and says so.
pub async fn edit(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let choice = fields.get("unauthenticated").trim().to_owned();
    let mut errors = Errors::default();
    let required = match choice.as_str() {
        "refuse" => Some(true),
        "accept" => Some(false),
        _ => {
            errors.add(
                "unauthenticated",
                "choose whether to refuse or record replies that fail SPF/DKIM/DMARC",
            );
            None
        }
    };
    if let Some(required) = required {
        let author = leadline_core::lead::Author::user(&owner.0.user.email);
        match set_sender_auth_required(state.store.as_ref(), owner.0.business, required, &author).await {
            Ok(()) => return Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response()),
            Err(e) => errors.refusal("unauthenticated", e)?,
        }
    }
    Ok(refused(page(&state, &owner, choice, errors, false).await?))
}
