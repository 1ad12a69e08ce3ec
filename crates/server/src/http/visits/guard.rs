//! What stands between the public and the visit API: the body limit, the site's origins
//! (and the CORS answer that follows from them), tokens and rate limits.

use crate::config::Config;
use crate::http::error::ApiError;
use crate::http::rate_limit::{KeyedLimiter, per_minute};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use leadline_core::channel::host_matches;
use leadline_core::tenant::Site;
use std::net::IpAddr;

/// Largest body the visit API reads.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The visit API's rate limits.
pub struct VisitLimiters {
    registrations_per_ip: KeyedLimiter<IpAddr>,
    registrations_per_site: KeyedLimiter<i64>,
    events_per_ip: KeyedLimiter<IpAddr>,
}

/// Which limit a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address,
    Site,
}

impl VisitLimiters {
    /// The limits a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            registrations_per_ip: per_minute(config.visit_registrations_per_ip_per_minute),
            registrations_per_site: per_minute(config.visit_registrations_per_site_per_minute),
            events_per_ip: per_minute(config.visit_events_per_ip_per_minute),
        }
    }

    /// Takes one registration from the address's quota.
    pub fn registration_from(&self, ip: IpAddr) -> Result<(), Limited> {
        self.registrations_per_ip.check_key(&ip).map_err(|_| Limited::Address)
    }

    /// Takes one registration from the site's quota.
    pub fn registration_for(&self, site: i64) -> Result<(), Limited> {
        self.registrations_per_site.check_key(&site).map_err(|_| Limited::Site)
    }

    /// Takes one event from the address's quota.
    pub fn event_from(&self, ip: IpAddr) -> Result<(), Limited> {
        self.events_per_ip.check_key(&ip).map_err(|_| Limited::Address)
    }

    /// Forgets quiet keys.
    pub fn prune(&self) {
        self.registrations_per_ip.retain_recent();
        self.registrations_per_site.retain_recent();
        self.events_per_ip.retain_recent();
    }
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))
}

/// Parses a JSON body, saying what is wrong with it.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON for this endpoint: {e}")))
}

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
    state: &crate::http::AppState,
    visit: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<VisitRequest<T>, ApiError> {
    let visit = leadline_core::visit::VisitRef::parse(visit).map_err(|_| ApiError::NotFound)?;
    let body: T = parse_json(&read_body(body).await?)?;
    let site = super::find_site(state, body.site()).await?;
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
