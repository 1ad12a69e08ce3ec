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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    /// An admission in front of a service that answers with the address it was given.
    fn admit(
        per_second: u32,
        header: Option<&'static str>,
    ) -> Admit<impl Service<Request, Response = Response, Error = std::convert::Infallible> + Clone> {
        let echo = tower::service_fn(|request: Request| async move {
            let ip = request
                .extensions()
                .get::<ClientIp>()
                .map(|ClientIp(ip)| ip.to_string());
            Ok::<_, std::convert::Infallible>(ip.unwrap_or_default().into_response())
        });
        Admit {
            inner: echo,
            limiter: crate::limits::limiter(per_second),
            header: header.map(HeaderName::from_static),
        }
    }

    fn request(peer: Option<&str>, forwarded: Option<&str>) -> Request {
        let mut request = Request::new(Body::empty());
        if let Some(peer) = peer {
            request
                .extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        if let Some(value) = forwarded {
            request
                .headers_mut()
                .insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        request
    }

    /// A request from `peer` through `service`.
    async fn from<S>(service: &S, peer: &str) -> Response
    where
        S: Service<Request, Response = Response> + Clone,
        S::Error: std::fmt::Debug,
    {
        service.clone().oneshot(request(Some(peer), None)).await.unwrap()
    }

    async fn text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_service_inside_is_told_the_peer_or_the_last_address_the_trusted_proxy_added() {
        let direct = admit(10, None)
            .oneshot(request(Some("192.0.2.7:5000"), Some("203.0.113.9")))
            .await
            .unwrap();
        assert_eq!(
            text(direct).await,
            "192.0.2.7",
            "without a trusted header the peer counts"
        );
        let proxied = admit(10, Some("x-forwarded-for"))
            .oneshot(request(Some("10.0.0.1:5000"), Some("198.51.100.1, 203.0.113.9")))
            .await
            .unwrap();
        assert_eq!(text(proxied).await, "203.0.113.9");
    }

    #[tokio::test]
    async fn an_address_past_its_quota_gets_429_with_retry_after_and_never_reaches_the_service() {
        let service = admit(1, None);
        for _ in 0..2 {
            let admitted = from(&service, "192.0.2.7:5000").await;
            assert_eq!(admitted.status(), StatusCode::OK);
        }
        let refused = from(&service, "192.0.2.7:5000").await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(
            !text(refused).await.contains("192.0.2.7"),
            "the service inside did not answer"
        );
        let other = from(&service, "192.0.2.8:5000").await;
        assert_eq!(other.status(), StatusCode::OK, "another address has its own quota");
    }

    #[tokio::test]
    async fn a_request_that_names_no_peer_is_refused_without_reaching_the_service() {
        let refused = admit(10, None).oneshot(request(None, None)).await.unwrap();
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
