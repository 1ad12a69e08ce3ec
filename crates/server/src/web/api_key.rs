//! Authentication of a business's own systems: `Authorization: Bearer ll_…` with one of its
//! API keys (stored hashed; compared in constant time).

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use leadline_core::BusinessId;
use leadline_core::lead::Author;
use leadline_core::secret::{api_key_matches, api_key_prefix};
use leadline_core::store::StoreError;

/// The business whose API key the request carried.
#[derive(Debug, Clone, Copy)]
pub struct BusinessKey(pub BusinessId);

/// The business whose API key the request carried, and the key's public prefix: for
/// handlers that record who made a change.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub business: BusinessId,
    /// The key's public prefix (never the key).
    pub prefix: String,
}

impl ApiCaller {
    /// The author of the changes this caller makes (`api-key:<prefix>`).
    pub fn author(&self) -> Author {
        Author::api_key(&self.prefix)
    }
}

const EXPECTED: &str = "a valid API key is needed: Authorization: Bearer ll_…";

/// Checks the request's API key; answers its business and prefix.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<ApiCaller, ApiError> {
    let presented = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::Unauthorized(EXPECTED.into()))?;
    let prefix = api_key_prefix(presented).ok_or_else(|| ApiError::Unauthorized(EXPECTED.into()))?;
    match state.store.api_key_by_prefix(prefix).await {
        Ok(stored) if api_key_matches(presented, &stored.hash) => Ok(ApiCaller {
            business: stored.key.business_id,
            prefix: stored.key.prefix,
        }),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::Unauthorized(EXPECTED.into())),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for BusinessKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await.map(|caller| Self(caller.business))
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await
    }
}
