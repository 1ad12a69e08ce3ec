//! Operations endpoints: liveness, readiness and metrics.

use crate::app::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use std::time::Duration;

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and serving HTTP: a fixed answer, written once.
async fn healthz() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
}

/// The database answers a query within two seconds.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let engine = state.store.engine();
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "status": "ready", "database": engine }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": engine })),
            )
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": engine })),
            )
        }
    }
}

/// Prometheus scrape endpoint (OpenMetrics text).
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // The delivery counts are read at scrape time; a database that does not answer leaves
    // the last figures (and /readyz reports it).
    let counts = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.delivery_counts()).await;
    match counts {
        Ok(Ok(counts)) => state.metrics.outbox_counts(&counts),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot count deliveries"),
        Err(_) => tracing::warn!("metrics: counting deliveries timed out"),
    }
    let body = state.metrics.render(state.store.pool_stats());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
