//! `GET /t.js`: the tracking snippet, cacheable (strong ETag, five minutes) and gzipped for
//! clients that accept it.

use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::LazyLock;
use tower_http::compression::CompressionLayer;

/// The snippet's source, as shipped.
pub const SNIPPET: &str = include_str!("../../../../assets/t.js");

/// A strong ETag over the source: it changes exactly when the snippet does.
static ETAG: LazyLock<HeaderValue> = LazyLock::new(|| {
    let digest = leadline_core::secret::api_key_hash(SNIPPET);
    HeaderValue::from_str(&format!("\"{}\"", &digest[..20])).expect("hex digits make a header value")
});

/// The snippet route, compressed.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t.js", get(snippet))
        .layer(CompressionLayer::new().gzip(true))
}

async fn snippet(headers: HeaderMap) -> Response {
    let cache = [
        (header::ETAG, ETAG.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == ETAG.to_str().unwrap_or_default() || t.trim() == "*")
        });
    if matches {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/javascript; charset=utf-8"),
        )],
        SNIPPET,
    )
        .into_response()
}
