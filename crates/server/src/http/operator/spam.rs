//! A person's word on a call from the lead page: spam (and, if they say so, block its number)
//! or not spam. The rules themselves are `app::spam` and `leadline_core::spam`.

use super::pages::after;
use super::session::Operator;
use crate::app::AppState;
use crate::app::spam;
use crate::web::error::ApiError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use leadline_core::LeadId;
use leadline_core::lead::Author;
use serde::Deserialize;

/// The lead page's spam form.
#[derive(Deserialize)]
pub struct SpamForm {
    csrf: String,
    /// `yes` or `no`.
    spam: String,
    /// `on` to block the caller's number too.
    #[serde(default)]
    block: Option<String>,
}

/// `POST /app/calls/{ref}/spam`: marks the business's call as spam (blocking its number when
/// asked) or not spam, then shows its lead again. Another business's call is not found.
pub async fn mark_call(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<u64>,
    headers: HeaderMap,
    Form(form): Form<SpamForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let is_spam = match form.spam.as_str() {
        "yes" => true,
        "no" => false,
        other => return Err(ApiError::BadRequest(format!("spam: '{other}' is not one of yes, no"))),
    };
    let store = state.store.as_ref();
    let call = store.call_by_ref(operator.business, record_ref).await?;
    let lead = store.lead_by_id(operator.business, LeadId(call.lead_id)).await?;
    let author = Author::user(&operator.user.email);
    let outcome = match (is_spam, form.block.as_deref() == Some("on")) {
        (true, true) => spam::block_caller(store, operator.business, record_ref, &author)
            .await
            .map(|()| Some(format!("Call {record_ref} is spam, and its number is blocked."))),
        _ => spam::mark_call(store, operator.business, record_ref, is_spam, &author)
            .await
            .map(|_| None),
    };
    after(&state, &operator, &lead, outcome).await
}
