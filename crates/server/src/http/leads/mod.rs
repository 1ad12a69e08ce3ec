//! The leads REST API (a business's API key): list, read with the whole timeline, change
//! fields, status, tags, notes and sales, define custom fields; the returning-visitor
//! lookup (a site's secret); and the OpenAPI document of every public JSON API. See
//! docs/leads-api.md.

mod change;
mod erasure;
mod export;
mod fields;
mod list;
mod openapi;
mod read;
mod sale;
mod visitors;
mod wire;

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::Router;
use axum::routing::{MethodRouter, get, post};
use leadline_core::BusinessId;
use leadline_core::lead::Lead;

pub use erasure::erasure_json;
pub use export::person_zip_response;
pub use list::{MAX_LIMIT, cursor, parse_filter};
pub use openapi::DOCUMENT as OPENAPI;
pub use visitors::issue_secret;

/// Every route of this module with its path (the OpenAPI test checks each path is documented).
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/v1/leads", get(list::list)),
        ("/v1/leads/{ref}", get(read::read).patch(change::patch)),
        ("/v1/leads/{ref}/status", post(change::status)),
        ("/v1/leads/{ref}/tags", post(change::tags)),
        ("/v1/leads/{ref}/notes", post(change::note)),
        ("/v1/leads/{ref}/sales", post(sale::sale)),
        ("/v1/leads/{ref}/export", get(export::export)),
        ("/v1/leads/{ref}/erasure", get(erasure::read).post(erasure::erase)),
        ("/v1/erasures", get(erasure::list)),
        ("/v1/fields", get(fields::list).post(fields::define)),
        ("/v1/sites/{site_key}/visitors/{visitor_key}", get(visitors::lookup)),
        ("/api/openapi.json", get(openapi::document)),
    ]
}

/// The leads API routes.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
}

/// The business's lead with this record ref (or the lead of the call with it). Another
/// business's lead, a missing one and a malformed ref are the same 404.
async fn find_lead(state: &AppState, business: BusinessId, record_ref: &str) -> Result<Lead, ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    Ok(crate::app::leads::find_lead(state.store.as_ref(), business, record_ref).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: serde_json::Value = serde_json::from_str(openapi::DOCUMENT).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for (path, _) in routes() {
            assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
        }
    }
}
