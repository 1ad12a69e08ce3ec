//! HTTP: the application state, the router with its layers (applied once, here), and the
//! server loop with graceful shutdown.

pub mod api_key;
pub mod attachments;
pub mod demo;
pub mod error;
pub mod exports;
pub mod forms;
pub mod leads;
pub mod metrics;
pub mod operator;
pub mod ops;
pub mod rate_limit;
pub mod snippet;
pub mod sources;
pub mod visits;

use crate::config::Config;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware;
use leadline_core::secret::Secret;
use leadline_core::store::Store;
use metrics::Metrics;
use rate_limit::IpLimiter;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use visits::VisitLimiters;

/// The header carrying each request's id (taken from the client when given, else made).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// This server's metrics registry.
    pub metrics: Arc<Metrics>,
    /// The per-address rate limiter.
    pub limiter: Arc<IpLimiter>,
    /// The URL the outside world reaches this server by, without a trailing slash.
    pub base_url: Arc<str>,
    /// The install secret (visit tokens, cookie-less digests).
    pub secret: Secret,
    /// The visit API's own rate limits.
    pub visit_limits: Arc<VisitLimiters>,
    /// The header a trusted proxy names the client's address in, if any.
    pub client_ip_header: Option<HeaderName>,
    /// The site whose pages `/demo/` serves (set by `leadline demo`).
    pub demo: Option<Arc<demo::DemoSite>>,
    /// Where calls go, untracked, when the database cannot be reached.
    pub telephony_fallback: Option<leadline_core::E164>,
    /// The provider's REST API client.
    pub provider_api: Arc<crate::telephony::rest::ProviderApi>,
    /// The SMTP relay for mail to operators, when one is configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Where form attachments are stored, and their limits.
    pub attachments: Arc<crate::attachments::Attachments>,
    /// Limits and secrets of the inbound reply channels (SMS, e-mail, SMTP).
    pub inbound: Arc<crate::inbound::Settings>,
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for Arc<IpLimiter> {
    fn from_ref(state: &AppState) -> Self {
        state.limiter.clone()
    }
}

impl FromRef<AppState> for Option<HeaderName> {
    fn from_ref(state: &AppState) -> Self {
        state.client_ip_header.clone()
    }
}

impl AppState {
    /// State for a server with this configuration, store and install secret.
    pub fn new(store: Arc<dyn Store>, config: &Config, secret: Secret) -> anyhow::Result<Self> {
        Ok(Self {
            mailer: crate::mail::Mailer::from_config(config)?.map(Arc::new),
            attachments: Arc::new(
                crate::attachments::Attachments::from_config(config, secret.clone())?.with_store(store.clone()),
            ),
            inbound: Arc::new(crate::inbound::Settings::from_config(config)),
            store,
            metrics: Arc::new(Metrics::new()),
            limiter: rate_limit::limiter(config.rate_limit_per_second),
            base_url: config.base_url().into(),
            secret,
            visit_limits: Arc::new(VisitLimiters::from_config(config)),
            client_ip_header: config
                .client_ip_header
                .as_deref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            demo: None,
            provider_api: Arc::new(crate::telephony::rest::ProviderApi::new(
                config.telephony_api_base_url.clone(),
            )),
            telephony_fallback: config
                .telephony_fallback_number
                .as_deref()
                .and_then(|n| leadline_core::E164::parse(n).ok()),
        })
    }

    /// Starts the limiters' pruning; call once per server.
    pub fn spawn_pruning(&self) {
        let (limiter, visits) = (self.limiter.clone(), self.visit_limits.clone());
        rate_limit::spawn_pruning(move || {
            limiter.retain_recent();
            limiter.shrink_to_fit();
            visits.prune();
        });
    }
}

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

/// Every route, without the cross-cutting layers (tests may add routes before [`finish`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(ops::router())
        .merge(snippet::router())
        .merge(visits::router())
        .merge(demo::router())
        .merge(sources::router())
        .merge(operator::router())
        .merge(leads::router())
        .merge(attachments::router())
        .merge(exports::router())
        .merge(crate::telephony::router())
        .merge(crate::inbound::router())
}

/// Adds metrics, rate limiting, limits, request ids and tracing to `routes`.
pub fn finish(routes: Router<AppState>, state: AppState, limits: Limits) -> Router {
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
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
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit::resolve_client_ip))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout));
    // Form posts carry files, so they get the attachment limits instead of the global one. It
    // is axum's own body limit (2 MiB unless set) that the multipart reader obeys, so it is the
    // one raised to the attachment limits; the form reader answers each breach in words.
    let uploads = forms::router().layer(DefaultBodyLimit::max(forms::max_body_bytes(&state)));
    routes
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .merge(uploads)
        .route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .fallback(|| async { error::ApiError::NotFound })
        .with_state(state)
        .layer(layers)
}

/// The application: every route with every layer.
pub fn app(state: AppState, limits: Limits) -> Router {
    finish(routes(), state, limits)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish
/// for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            let _ = stop_rx.changed().await;
        },
    );
    let mut server = tokio::spawn(server.into_future());
    tokio::select! {
        finished = &mut server => return finished.map_err(std::io::Error::other)?,
        () = shutdown => {}
    }
    let _ = stop_tx.send(true);
    match tokio::time::timeout(grace, &mut server).await {
        Ok(finished) => finished.map_err(std::io::Error::other)?,
        Err(_) => {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "requests still in flight after the grace period; exiting"
            );
            server.abort();
            Ok(())
        }
    }
}
