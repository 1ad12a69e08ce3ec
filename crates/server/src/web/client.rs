//! The client's address (the TCP peer, or what a trusted proxy says), the 429 answer, and the
//! middleware that holds every address to its quota ([`crate::limits`]).

use crate::limits::IpLimiter;
use crate::web::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The client's address: the TCP peer, or what a trusted proxy says in `client_ip_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Middleware that works out [`ClientIp`] once per request.
pub async fn resolve_client_ip(
    State(header): State<Option<HeaderName>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let from_proxy = header.as_ref().and_then(|name| {
        let value = request.headers().get(name)?.to_str().ok()?;
        // X-Forwarded-For grows to the right: its last entry is the one our proxy added.
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    request
        .extensions_mut()
        .insert(ClientIp(from_proxy.unwrap_or(peer.ip())));
    next.run(request).await
}

/// The answer to a request over its quota: 429 with `Retry-After`.
pub fn too_many(retry_after_seconds: u64) -> Response {
    let mut response = ApiError::TooManyRequests.into_response();
    let seconds = retry_after_seconds.max(1).to_string();
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert("retry-after", value);
    }
    response
}

/// Middleware answering 429 once an address exceeds its quota.
pub async fn enforce(State(limiter): State<Arc<IpLimiter>>, request: Request, next: Next) -> Response {
    let ip = request.extensions().get::<ClientIp>().map(|c| c.0);
    match ip.map(|ip| limiter.check_key(&ip)) {
        Some(Err(_)) => too_many(1),
        _ => next.run(request).await,
    }
}
