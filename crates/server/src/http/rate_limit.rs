//! Rate limiting (GCRA, via governor): per client address in front of every route, and the
//! keyed limiters the visit API adds. The client address comes from [`ClientIp`].

use crate::http::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A rate limiter keyed by `K` (a client address, a site).
pub type KeyedLimiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// A rate limiter keyed by client IP address.
pub type IpLimiter = KeyedLimiter<IpAddr>;

/// `per_second` sustained requests per address, with bursts of twice that.
pub fn limiter(per_second: u32) -> Arc<IpLimiter> {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
    Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

/// `per_minute` sustained requests per key, with bursts of a tenth of that (at least 5).
pub fn per_minute<K: Hash + Eq + Clone>(per_minute: u32) -> KeyedLimiter<K> {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((per_minute / 10).clamp(5, per_minute.max(5))).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
}

/// Runs `prune` every minute, so limiters forget quiet keys and their memory stays bounded.
pub fn spawn_pruning(prune: impl Fn() + Send + 'static) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            prune();
        }
    });
}

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
