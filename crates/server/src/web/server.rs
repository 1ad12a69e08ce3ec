//! The HTTP server every surface is served by: the layers applied once to every route
//! (request ids, tracing, the client's address and rate limit, body limits, timeouts,
//! metrics) and the server loop with graceful shutdown; each connection is served and held to
//! its time limits in [`super::connections`].

use super::connections::{Settings, serve_connection};
use crate::app::AppState;
use crate::config::Config;
use crate::metrics;
use crate::slots::Slots;
use axum::Router;
use axum::http::{HeaderName, Request, StatusCode};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The header carrying each request's id (taken from the client when given, else made).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest time to answer.
    pub request_timeout: Duration,
}

impl Limits {
    /// The limits a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_body_bytes: config.max_body_bytes,
            request_timeout: Duration::from_secs(config.request_timeout_seconds),
        }
    }
}

/// Adds metrics, rate limiting, limits, request ids and tracing to `routes` (whose bodies are
/// held to `limits.max_body_bytes`) and to `uploads` (which bring their own body limit).
pub fn finish(routes: Router<AppState>, uploads: Router<AppState>, state: AppState, limits: Limits) -> Router {
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, super::request_id::MakeRandomId))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(super::client::AdmitLayer::new(&state))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout));
    routes
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .merge(uploads)
        .route_layer(metrics::TrackLayer(state.metrics.clone()))
        .fallback(|| async { super::error::ApiError::NotFound })
        .with_state(state)
        .layer(layers)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish
/// for up to `grace`. Each connection is held to `connections` (header-read and idle timeouts,
/// a bound per client address): a client beyond its address's share is closed at once.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let slots = Slots::new(usize::MAX, connections.per_address);
    let graceful = GracefulShutdown::new();
    let kill = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was taken: wait a
                // little rather than spin.
                tracing::warn!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match slots.take(peer.ip()) {
            Ok(slot) => {
                let connection = serve_connection(
                    stream,
                    peer,
                    app.clone(),
                    connections,
                    slot,
                    graceful.watcher(),
                    kill.clone(),
                );
                tokio::spawn(connection);
            }
            Err(_) => {
                // Not logged at info: a client opening connections in a loop would flood the log.
                tracing::debug!(%peer, "too many HTTP connections from this address: closed at once");
                drop(stream);
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "requests still in flight after the grace period; exiting"
        );
        kill.cancel();
    }
    Ok(())
}
