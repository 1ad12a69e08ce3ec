//! Mapping sqlx errors to the domain's `StoreError`, once.

use leadline_core::Invalid;
use leadline_core::store::StoreError;

/// Any database failure that is not a rule the caller broke.
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// A stored value that no longer parses as its domain type.
pub(crate) fn corrupt(err: Invalid) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// Turns a unique violation into `Conflict(message)`, a foreign-key violation into
/// `NotFound` (the parent row is missing) and anything else into `Backend`.
pub(crate) fn classify(err: sqlx::Error, conflict_message: impl FnOnce() -> String) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict(conflict_message()),
        Some(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => backend(err),
    }
}

/// `NotFound` for a missing row, `Backend` otherwise.
pub(crate) fn not_found_or_backend(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        other => backend(other),
    }
}
