//! The reports API (a business's API key): `GET /v1/reports/{dimension}`, the same report the
//! Reports page shows, as JSON. See docs/reports.md.

mod wire;

use crate::app::AppState;
use crate::app::reports::{self, ReportQuery, query::RawReportQuery};
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};

pub use wire::{MetricsBody, ReportBody};

/// Every route of this module with its path (a test checks each is in the OpenAPI document).
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![("/v1/reports/{dimension}", get(report))]
}

/// The reports API routes.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
}

/// `GET /v1/reports/{dimension}?site=&from=&to=&compare=&model=&variable=&sort=&dir=`.
async fn report(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(dimension): Path<String>,
    Query(raw): Query<RawReportQuery>,
) -> Result<Response, ApiError> {
    let query = ReportQuery::parse(&raw, Some(&dimension))?;
    let report = reports::report(state.store.as_ref(), business, &query).await?;
    Ok(Json(ReportBody::of(&report)).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: serde_json::Value = serde_json::from_str(crate::http::leads::OPENAPI).unwrap();
        for (path, _) in super::routes() {
            assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
        }
    }
}
