//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every public JSON API, hand-written
//! in assets/openapi.json.

use axum::http::header;
use axum::response::IntoResponse;

/// The document as served.
pub const DOCUMENT: &str = include_str!("../../../../../assets/openapi.json");

pub async fn document() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DOCUMENT,
    )
}
