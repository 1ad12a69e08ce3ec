//! What stands between the public and the visit API: the body limit, the site's origins
//! (and the CORS answer that follows from them), tokens and rate limits.

use crate::web::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use leadline_core::channel::host_matches;
use leadline_core::tenant::Site;

/// Largest body the visit API reads.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// Reads the body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    super::json::read_bytes(body, MAX_BODY_BYTES).await
}

pub use super::json::parse as parse_json;

/// The host of the page the request comes from: `Origin`, else `Referer`.
fn requesting_origin(headers: &HeaderMap) -> Option<(String, url::Url)> {
    let raw = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))?
        .to_str()
        .ok()?;
    let url = url::Url::parse(raw).ok()?;
    let origin = url.origin().ascii_serialization();
    Some((origin, url))
}

/// Checks that the request comes from one of the site's domains (or a subdomain of one);
/// returns the origin to answer CORS with.
pub fn allowed_origin(headers: &HeaderMap, site: &Site) -> Result<HeaderValue, ApiError> {
    let Some((origin, url)) = requesting_origin(headers) else {
        return Err(ApiError::Forbidden("the request names no Origin or Referer".into()));
    };
    let host = url.host_str().unwrap_or_default();
    if !site.domains.iter().any(|domain| host_matches(host, domain)) {
        return Err(ApiError::Forbidden(format!("{origin} is not a domain of this site")));
    }
    HeaderValue::from_str(&origin).map_err(|_| ApiError::Forbidden("the origin is not a valid header value".into()))
}

/// The CORS headers of an answer to an allowed origin.
pub fn cors_headers(origin: &HeaderValue) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()),
        (header::VARY, HeaderValue::from_static("Origin")),
    ]
}

/// A body that names its site and carries its visit's token.
pub trait VisitBody: serde::de::DeserializeOwned {
    /// The site key.
    fn site(&self) -> &str;
    /// The token issued with the visit.
    fn token(&self) -> &str;
}

/// A request about an existing visit, checked: body parsed, site found, origin allowed,
/// token verified.
pub struct VisitRequest<T> {
    pub visit: leadline_core::visit::VisitRef,
    pub site: Site,
    /// The origin to answer CORS with.
    pub origin: HeaderValue,
    pub body: T,
}

/// Reads and checks a request about the visit `visit` (a 404 for a malformed id).
pub async fn visit_request<T: VisitBody>(
    state: &crate::app::AppState,
    visit: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<VisitRequest<T>, ApiError> {
    let visit = leadline_core::visit::VisitRef::parse(visit).map_err(|_| ApiError::NotFound)?;
    let body: T = parse_json(&read_body(body).await?)?;
    let site = find_site(state, body.site()).await?;
    let origin = allowed_origin(headers, &site)?;
    if !leadline_core::token::verify_visit_token(&state.secret, &site.key, &visit, body.token()) {
        return Err(ApiError::Forbidden("the token does not belong to this visit".into()));
    }
    Ok(VisitRequest {
        visit,
        site,
        origin,
        body,
    })
}

/// The site with this key; a malformed or unknown key is 404, and so is a disabled site's
/// (its snippet registers no visits until an owner enables it again).
pub async fn find_site(state: &crate::app::AppState, key: &str) -> Result<Site, ApiError> {
    let key = leadline_core::site::SiteKey::parse(key).map_err(|_| ApiError::NotFound)?;
    let site = state.store.site_by_key(&key).await?;
    if site.disabled {
        return Err(ApiError::NotFound);
    }
    Ok(site)
}
