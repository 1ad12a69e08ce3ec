//! Per-client-address rate limiting (GCRA, via governor) in front of every route.

use crate::http::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A rate limiter keyed by client IP address.
pub type IpLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// `per_second` sustained requests per address, with bursts of twice that.
pub fn limiter(per_second: u32) -> Arc<IpLimiter> {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
    Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

/// Forgets addresses that have been quiet, so the limiter's memory stays bounded.
pub fn spawn_pruning(limiter: Arc<IpLimiter>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// Middleware answering 429 (with `Retry-After`) once an address exceeds its quota.
pub async fn enforce(
    State(limiter): State<Arc<IpLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match limiter.check_key(&peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(_) => {
            let mut response = ApiError::TooManyRequests.into_response();
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            response
        }
    }
}
