//! What every operator page tells the browser: a strict Content-Security-Policy (no inline
//! script or style, nothing from other origins), no framing by any site, no MIME sniffing, no
//! referrer to other sites; and the pages' one stylesheet and one script.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of every `/app/` response. `default-src 'none'` refuses everything not listed:
/// the one script is this server's file (no inline script, no `eval`), it may only open this
/// server's live feed, recordings play from this server, and forms post only to this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

const STYLESHEET: &str = include_str!("../../../../../assets/app/app.css");
const LIVE_SCRIPT: &str = include_str!("../../../../../assets/app/live.js");

/// `GET /app/assets/live.js`: keeps the live panel and the Activity list current.
pub async fn live_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LIVE_SCRIPT,
    )
}

/// `GET /app/assets/app.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// `routes` with the page headers on every response.
pub fn protect<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    // The heatmap page sets its own policy (this one and a frame source); no other does.
    routes
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
}
