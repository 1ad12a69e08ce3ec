//! The client's address (the TCP peer, or what a trusted proxy says), the 429 answer, and the
//! middleware that holds every address to its quota ([`crate::limits`]).

use crate::app::AppState;
use crate::limits::IpLimiter;
use crate::web::error::ApiError;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::future::{Either, Ready, ready};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// The client's address: the TCP peer, or what a trusted proxy says in `client_ip_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Works out [`ClientIp`] once per request and holds that address to its quota, answering 429
/// past it: the layer applied to every route ([`Admit`]).
#[derive(Clone)]
pub struct AdmitLayer {
    limiter: Arc<IpLimiter>,
    header: Option<HeaderName>,
}

impl AdmitLayer {
    /// The layer for a server's state: its limiter and its trusted proxy's header.
    pub fn new(state: &AppState) -> Self {
        Self {
            limiter: state.limiter.clone(),
            header: state.client_ip_header.clone(),
        }
    }
}

impl<S> Layer<S> for AdmitLayer {
    type Service = Admit<S>;

    fn layer(&self, inner: S) -> Admit<S> {
        Admit {
            inner,
            limiter: self.limiter.clone(),
            header: self.header.clone(),
        }
    }
}

/// The service [`AdmitLayer`] makes. Written out rather than `from_fn`: it decides before the
/// request goes in, so it calls the service inside directly, where `from_fn` clones that boxed
/// service and boxes a future for every request.
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    limiter: Arc<IpLimiter>,
    header: Option<HeaderName>,
}

impl<S> Service<Request> for Admit<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
            // Every connection the server accepts names its peer; a request without one did
            // not come through it.
            let refused = ApiError::Internal(anyhow::anyhow!("the request names no client address")).into_response();
            return Either::Left(ready(Ok(refused)));
        };
        let ip = client_ip(self.header.as_ref(), &request, peer);
        if self.limiter.check_key(&ip).is_err() {
            return Either::Left(ready(Ok(too_many(1))));
        }
        request.extensions_mut().insert(ClientIp(ip));
        Either::Right(self.inner.call(request))
    }
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
