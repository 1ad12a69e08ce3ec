//! The returning-visitor lookup: a site's own server, holding the site's secret, asks what
//! Leadline knows of a visitor key (earlier calls, tags, status, sales) to adapt its pages.
//! Server to server: no CORS, and no contact details in the answer.

use super::wire::totals_json;
use crate::app::AppState;
use crate::web::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use leadline_core::secret::{api_key_hash, api_key_matches, random_token};
use leadline_core::site::SiteKey;
use leadline_core::store::StoreError;
use leadline_core::tenant::Site;
use leadline_core::visitor::VisitorKey;
use serde_json::json;

const EXPECTED: &str = "the site's secret is needed: Authorization: Bearer <site secret> (leadline site secret)";

/// A new site secret and the hash to store (the secret is shown once, never stored).
pub fn issue_secret() -> (String, String) {
    let secret = format!("lls_{}", random_token(40));
    let hash = api_key_hash(&secret);
    (secret, hash)
}

pub async fn lookup(
    State(state): State<AppState>,
    Path((site_key, visitor_key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site = authenticate(&state, &site_key, &headers).await?;
    let key = VisitorKey::from_stored(&visitor_key).map_err(|_| ApiError::NotFound)?;
    let lead = state.store.lead_by_visitor(site.id, key.as_str()).await?;
    let calls = state.store.lead_calls(site.business_id, lead.id).await?;
    let body = json!({
        "ref": lead.record_ref,
        "status": lead.status.as_str(),
        "tags": lead.tags,
        "totals": totals_json(&lead.totals),
        "calls": calls.iter().map(|c| json!({
            "ref": c.record_ref,
            "started_at": c.started_at.to_rfc3339(),
            "outcome": c.outcome.map(|o| o.as_str()),
            "duration_seconds": c.duration_seconds,
        })).collect::<Vec<_>>(),
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The site whose secret the request carries; anything else (no secret, a wrong one, an
/// unknown site, a site without a secret) is the same 401.
async fn authenticate(state: &AppState, site_key: &str, headers: &HeaderMap) -> Result<Site, ApiError> {
    let unauthorized = || ApiError::Unauthorized(EXPECTED.into());
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(unauthorized)?;
    let key = SiteKey::parse(site_key).map_err(|_| unauthorized())?;
    let site = match state.store.site_by_key(&key).await {
        Ok(site) => site,
        Err(StoreError::NotFound) => return Err(unauthorized()),
        Err(other) => return Err(other.into()),
    };
    let hash = match state.store.site_secret_hash(site.id).await {
        Ok(hash) => hash,
        Err(StoreError::NotFound) => return Err(unauthorized()),
        Err(other) => return Err(other.into()),
    };
    if api_key_matches(presented, &hash) {
        Ok(site)
    } else {
        Err(unauthorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_match_only_their_hash() {
        let (secret, hash) = issue_secret();
        assert!(secret.starts_with("lls_") && secret.len() == 44);
        assert!(api_key_matches(&secret, &hash));
        assert!(!api_key_matches(&issue_secret().0, &hash));
    }
}
