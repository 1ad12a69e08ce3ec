//! `GET /t.js`: the tracking snippet, cacheable (strong ETag, five minutes) and gzipped for
//! clients that accept it. It is served without its comments and indentation, which are for
//! the people who read the source, so every visitor downloads less.

use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::LazyLock;
use tower_http::compression::CompressionLayer;

/// The snippet's source, as shipped.
pub const SNIPPET: &str = include_str!("../../../../assets/t.js");

/// The snippet as served: [`SNIPPET`] without comment lines and indentation.
pub static SERVED: LazyLock<String> = LazyLock::new(|| lean(SNIPPET));

/// A strong ETag over what is served: it changes exactly when the snippet does.
static ETAG: LazyLock<HeaderValue> = LazyLock::new(|| {
    let digest = leadline_core::secret::api_key_hash(&SERVED);
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
        SERVED.as_str(),
    )
        .into_response()
}

/// `source` without the lines that hold only a comment (`// …`, or a `/* … */` block opening a
/// line) and without each line's indentation. The snippet keeps its comments on lines of
/// their own, so nothing inside a string or a regular expression is touched.
fn lean(source: &str) -> String {
    let mut in_block = false;
    let mut kept = Vec::new();
    for line in source.lines().map(str::trim) {
        if in_block || line.starts_with("/*") {
            in_block = !line.ends_with("*/");
            continue;
        }
        if !line.is_empty() && !line.starts_with("//") {
            kept.push(line);
        }
    }
    kept.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_lines_and_indentation_are_left_out_and_code_is_kept() {
        let source =
            "/* Title\n   more */\n(() => {\n  // why\n  const u = 'http://x'; // kept\n\n  return 1;\n})();\n";
        assert_eq!(
            lean(source),
            "(() => {\nconst u = 'http://x'; // kept\nreturn 1;\n})();\n"
        );
    }

    #[test]
    fn the_served_snippet_has_every_line_of_code_of_the_source() {
        let code = SNIPPET
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("/*"));
        assert_eq!(SERVED.lines().collect::<Vec<_>>(), code.collect::<Vec<_>>());
    }
}
