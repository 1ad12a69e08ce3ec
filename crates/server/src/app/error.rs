//! The one error of the application layer: what a use case refused, and why, for every
//! surface to say in its own way (an HTTP status, a page with the reason, a reply by SMS).

use leadline_core::Invalid;
use leadline_core::store::StoreError;

/// Why a use case changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such record for this business (missing or another tenant's: never told apart).
    #[error("not found")]
    NotFound,
    /// The request breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The request clashes with what exists (a name or code already taken).
    #[error("{0}")]
    Conflict(String),
    /// The request is understood but not allowed (a cap reached, a rule of the site).
    #[error("{0}")]
    Refused(String),
    /// An outside system this request needs is down; the message says what to do instead.
    #[error("{0}")]
    Unavailable(String),
    /// The database (or another part of Leadline) failed: the surface logs it and says so.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(why) => Self::Conflict(why),
            StoreError::Invalid(invalid) => invalid.into(),
            backend @ StoreError::Backend(_) => Self::Internal(backend.into()),
        }
    }
}

/// A use case's answer.
pub type AppResult<T> = Result<T, AppError>;
