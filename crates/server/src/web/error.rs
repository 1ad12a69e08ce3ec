//! The one error type of the HTTP layer, mapped to a status and a JSON body once.
//! Causes of 5xx answers are logged, never shown to the client.

use crate::app::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadline_core::store::StoreError;

/// An error answered to an HTTP client as `{"error": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or breaks a rule; the message says what.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials: the message says what is expected.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this (foreign origin, bad token); the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// The body, or a file in it, is larger than its limit; the message names it and the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No such resource for this caller (missing or another tenant's: never told apart).
    #[error("not found")]
    NotFound,
    /// The request clashes with what exists (a name or code already taken); the message says what.
    #[error("{0}")]
    Conflict(String),
    /// A remote system this request needs is down; the message says what to do instead.
    #[error("{0}")]
    Unavailable(String),
    /// Too many requests from this client.
    #[error("too many requests: slow down")]
    TooManyRequests,
    /// The server or its database failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl ApiError {
    /// The refusal of a request body over `max` bytes.
    pub fn body_over(max: usize) -> Self {
        Self::PayloadTooLarge(format!("the request body is larger than {max} bytes"))
    }
}

impl From<StoreError> for ApiError {
    /// The application layer's one mapping of store errors, then its answer.
    fn from(err: StoreError) -> Self {
        AppError::from(err).into()
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Self::NotFound,
            AppError::Invalid(why) => Self::BadRequest(why),
            AppError::Conflict(why) => Self::Conflict(why),
            AppError::Refused(why) => Self::Forbidden(why),
            AppError::Unavailable(why) => Self::Unavailable(why),
            AppError::Internal(cause) => Self::Internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let message = match &self {
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_error_answers_its_status() {
        let status = |e: StoreError| ApiError::from(e).status_code();
        assert_eq!(status(StoreError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(StoreError::Conflict("taken".into())), StatusCode::CONFLICT);
        let invalid = leadline_core::Invalid::new("tag", "too long");
        assert_eq!(status(StoreError::Invalid(invalid)), StatusCode::BAD_REQUEST);
    }
}
