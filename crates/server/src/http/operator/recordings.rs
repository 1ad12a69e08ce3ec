//! `GET /app/calls/{ref}/recording`: a call's recording, served by Leadline to a logged-in
//! user of the call's business through a link the page signed for an hour. The browser never
//! sees the provider's URL nor the account's credentials, and a link copied out of the page
//! stops working.

use super::session::Operator;
use crate::app::AppState;
use crate::provider_api::MAX_RECORDING_BYTES;
use crate::web::error::ApiError;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use leadline_core::token::verify_recording_link;

/// The link's parameters.
#[derive(serde::Deserialize)]
pub struct Signed {
    until: i64,
    sig: String,
}

/// `GET /app/calls/{ref}/recording?until=…&sig=…`.
pub async fn play(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    Query(link): Query<Signed>,
) -> Result<Response, ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    let now = leadline_core::clock::now().timestamp();
    if !verify_recording_link(&state.secret, operator.business, record_ref, link.until, &link.sig, now) {
        return Err(ApiError::Forbidden(
            "this recording link has expired or is not this business's: reload the page".into(),
        ));
    }
    let call = state.store.call_by_ref(operator.business, record_ref).await?;
    let Some(recording) = &call.recording_url else {
        return Err(ApiError::NotFound);
    };
    let number = state.store.number(operator.business, call.number_id).await?;
    let upstream = state.provider_api.recording(&number, recording).await.map_err(|e| {
        tracing::warn!(error = %e, record_ref, "the recording could not be fetched");
        ApiError::Unavailable("the recording cannot be fetched from the provider right now".into())
    })?;
    let content_type = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| t.starts_with("audio/"))
        .unwrap_or("audio/mpeg")
        .to_owned();
    let mut sent: u64 = 0;
    let body = upstream.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        sent += chunk.len() as u64;
        if sent > MAX_RECORDING_BYTES {
            return Err(std::io::Error::other("the recording is larger than allowed"));
        }
        Ok(chunk)
    });
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
