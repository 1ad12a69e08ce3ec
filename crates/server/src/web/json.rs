//! The one reader of JSON request bodies: at most a given number of bytes, parsed into the
//! endpoint's wire type, with a 413 or a 400 that says what was wrong.

use super::error::ApiError;
use axum::body::{Body, Bytes};
use serde::de::DeserializeOwned;

/// Reads at most `max` bytes of `body`.
pub async fn read_bytes(body: Body, max: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, max)
        .await
        .map_err(|_| ApiError::body_over(max))
}

/// Parses JSON bytes into `T`, saying what is wrong with them.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON for this endpoint: {e}")))
}

/// Reads a JSON body of at most `max` bytes into `T`.
pub async fn read<T: DeserializeOwned>(body: Body, max: usize) -> Result<T, ApiError> {
    parse(&read_bytes(body, max).await?)
}

/// As [`read`], but an empty (or blank) body is `T::default()`.
pub async fn read_or_default<T: DeserializeOwned + Default>(body: Body, max: usize) -> Result<T, ApiError> {
    let bytes = read_bytes(body, max).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse(&bytes)
}
