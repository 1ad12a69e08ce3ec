//! The client's address (the TCP peer, or what a trusted proxy says), the 429 answer, and the
//! middleware that holds every address to its quota ([`crate::limits`]).

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// The client's address: the TCP peer, or what a trusted proxy says in `client_ip_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Middleware that works out [`ClientIp`] once per request and holds that address to its
/// quota, answering 429 past it. One layer rather than two: each `from_fn` layer costs every
/// request a clone of the boxed service inside it and a boxed future.
pub async fn admit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(state.client_ip_header.as_ref(), &request, peer);
    if state.limiter.check_key(&ip).is_err() {
        return too_many(1);
    }
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

/// The TCP peer, or the address our trusted proxy names in `header` when there is one.
fn client_ip(header: Option<&HeaderName>, request: &Request, peer: SocketAddr) -> IpAddr {
    let from_proxy = header.and_then(|name| {
        let value = request.headers().get(name)?.to_str().ok()?;
        // X-Forwarded-For grows to the right: its last entry is the one our proxy added.
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    from_proxy.unwrap_or(peer.ip())
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
