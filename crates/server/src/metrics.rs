//! Prometheus metrics: request counts and latency histograms by route, and the database
//! pool's figures, read at scrape time. Each server owns its registry (no global state).

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use leadline_core::store::PoolStats;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    target: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ParamLabels {
    param: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s: telephony webhooks must sit in the first buckets.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics registry and the families it updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    registrations: Family<OutcomeLabels, Counter>,
    evictions: Counter,
    pool_overwrites: Counter,
    dropped_click_ids: Family<ParamLabels, Counter>,
    outbox_attempts: Family<AttemptLabels, Counter>,
    outbox_deliveries: Family<StatusLabels, Gauge>,
    outbox_lag: Histogram,
    call_me_refusals: Family<ReasonLabels, Counter>,
    report_days_rebuilt: Counter,
    retention_pruned: Family<KindLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

impl Metrics {
    /// A registry with every Leadline metric registered, prefixed `leadline_`.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("leadline");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        let pool_max = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Upper bound of the database pool",
            pool_max.clone(),
        );
        let registrations = Family::<OutcomeLabels, Counter>::default();
        let evictions = Counter::default();
        registry.register(
            "visit_registrations",
            "Visit registrations by outcome (allocated, returning, no_code, challenged, proven, or refused_<reason>)",
            registrations.clone(),
        );
        registry.register(
            "codes_evicted",
            "Live codes evicted to keep a site within its cap",
            evictions.clone(),
        );
        let pool_overwrites = Counter::default();
        registry.register(
            "pool_overwrites",
            "Pool numbers taken from a visit still holding them (a number pool site's pool was exhausted)",
            pool_overwrites.clone(),
        );
        let dropped_click_ids = Family::<ParamLabels, Counter>::default();
        registry.register(
            "click_ids_dropped",
            "Click ids dropped where captured (a page's query, a form's field) for not having a click id's shape, by parameter",
            dropped_click_ids.clone(),
        );
        let outbox_attempts = Family::<AttemptLabels, Counter>::default();
        let outbox_deliveries = Family::<StatusLabels, Gauge>::default();
        let outbox_lag = Histogram::new(exponential_buckets(0.05, 2.0, 16));
        registry.register(
            "outbox_attempts",
            "Delivery attempts by target and outcome (delivered, retry, dead)",
            outbox_attempts.clone(),
        );
        registry.register(
            "outbox_deliveries",
            "Deliveries by status (pending, in_flight, delivered, dead), read at scrape time",
            outbox_deliveries.clone(),
        );
        registry.register(
            "outbox_delivery_lag_seconds",
            "Time from an event to its successful delivery",
            outbox_lag.clone(),
        );
        let call_me_refusals = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "call_me_refusals",
            "Call-me requests refused by the toll-fraud rules, by reason (country, line_kind, visit_cap, day_cap)",
            call_me_refusals.clone(),
        );
        let report_days_rebuilt = Counter::default();
        registry.register(
            "report_days_rebuilt",
            "Days of a site whose report rollups were rebuilt from their records after a change",
            report_days_rebuilt.clone(),
        );
        let retention_pruned = Family::<KindLabels, Counter>::default();
        registry.register(
            "retention_pruned",
            "Records the retention sweep pruned, by kind (visits, calls, recordings, forms, events, leads, sessions)",
            retention_pruned.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_max,
            registrations,
            evictions,
            pool_overwrites,
            dropped_click_ids,
            outbox_attempts,
            outbox_deliveries,
            outbox_lag,
            call_me_refusals,
            report_days_rebuilt,
            retention_pruned,
        }
    }

    /// Counts `count` records of `kind` pruned by the retention sweep.
    pub fn retention_pruned(&self, kind: &'static str, count: u64) {
        self.retention_pruned.get_or_create(&KindLabels { kind }).inc_by(count);
    }

    /// Counts one stale day rebuilt.
    pub fn report_day_rebuilt(&self) {
        self.report_days_rebuilt.inc();
    }

    /// Counts one call-me request refused, by its reason.
    pub fn call_me_refused(&self, reason: &'static str) {
        self.call_me_refusals.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts one delivery attempt to `target` ("ga4", "webhook"…) by its outcome.
    pub fn outbox_attempt(&self, target: &'static str, outcome: &'static str) {
        self.outbox_attempts
            .get_or_create(&AttemptLabels { target, outcome })
            .inc();
    }

    /// Records how long an event took to be delivered.
    pub fn outbox_delivered_after(&self, seconds: f64) {
        self.outbox_lag.observe(seconds);
    }

    /// Sets the deliveries in each status, as the database counts them now.
    pub fn outbox_counts(&self, counts: &[(leadline_core::outbox::DeliveryStatus, u64)]) {
        for (status, count) in counts {
            self.outbox_deliveries
                .get_or_create(&StatusLabels {
                    status: status.as_str(),
                })
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
    }

    /// Records one answered request. Its labels borrow the method's and route's names (see
    /// [`method_name`], [`route_name`]), so a request allocates nothing here.
    pub fn observe(&self, method: &'static str, route: &'static str, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels { method, route, status })
            .inc();
    }

    /// Counts one visit registration by its outcome.
    pub fn visit_registration(&self, outcome: &'static str) {
        self.registrations.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts one code evicted to respect a site's cap.
    pub fn code_evicted(&self) {
        self.evictions.inc();
    }

    /// Counts one pool number overwritten (its holder was still active).
    pub fn pool_overwrite(&self) {
        self.pool_overwrites.inc();
    }

    /// Counts one click id dropped at capture, by its parameter (`gclid`).
    pub fn click_id_dropped(&self, param: &'static str) {
        self.dropped_click_ids.get_or_create(&ParamLabels { param }).inc();
    }

    /// The OpenMetrics text of every metric, with the pool figures as of now.
    pub fn render(&self, pool: PoolStats) -> String {
        let idle = i64::from(pool.idle);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(pool.size) - idle);
        self.pool_max.set(i64::from(pool.max));
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Times every request and counts it by method, route and status: applied as a route layer,
/// so the matched route is known ([`Track`]).
#[derive(Clone)]
pub struct TrackLayer(pub Arc<Metrics>);

impl<S> Layer<S> for TrackLayer {
    type Service = Track<S>;

    fn layer(&self, inner: S) -> Track<S> {
        Track {
            inner,
            metrics: self.0.clone(),
        }
    }
}

/// The service [`TrackLayer`] makes. Written out rather than `from_fn`, which clones the
/// route's boxed service and boxes a future for every request.
#[derive(Clone)]
pub struct Track<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Service<Request> for Track<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Tracked<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("", |path| route_name(path.as_str()));
        Tracked {
            method: method_name(request.method()),
            route,
            started: Instant::now(),
            metrics: self.metrics.clone(),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// A route's answer on its way out, observed when it is ready.
    pub struct Tracked<F> {
        #[pin]
        inner: F,
        method: &'static str,
        route: &'static str,
        started: Instant,
        metrics: Arc<Metrics>,
    }
}

impl<F, E> Future for Tracked<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &answer {
            let elapsed = this.started.elapsed().as_secs_f64();
            this.metrics
                .observe(this.method, this.route, response.status().as_u16(), elapsed);
        }
        Poll::Ready(answer)
    }
}

/// The method's name as a label: the standard ones by name, any other as `OTHER` (a client
/// inventing methods must not grow the metrics without bound).
pub fn method_name(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::PATCH,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "CONNECT", "PATCH", "TRACE",
    ];
    STANDARD.iter().position(|m| m == method).map_or("OTHER", |i| NAMES[i])
}

/// The route's template (`/v1/visits/{id}/events`) as a `'static` label, kept once per
/// template: the templates are the router's, a fixed set, never a request's own path.
pub fn route_name(route: &str) -> &'static str {
    static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(RwLock::default);
    if let Some(known) = ROUTES.read().unwrap_or_else(PoisonError::into_inner).get(route) {
        return known;
    }
    let mut routes = ROUTES.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = routes.get(route) {
        return known;
    }
    let kept: &'static str = Box::leak(route.into());
    routes.insert(kept);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_kept_once_and_an_invented_method_is_other() {
        let first = route_name(&String::from("/v1/visits/{id}/events"));
        let again = route_name(&String::from("/v1/visits/{id}/events"));
        assert!(std::ptr::eq(first, again), "one copy per template");
        assert_eq!(first, "/v1/visits/{id}/events");
        assert_eq!(method_name(&Method::PATCH), "PATCH");
        assert_eq!(method_name(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
