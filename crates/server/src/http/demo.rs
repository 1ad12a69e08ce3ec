//! `/demo/`: a small sample business website with the snippet on every page, served by
//! `leadline demo` so that a newcomer sees an extension within a minute.

use crate::http::AppState;
use crate::http::error::ApiError;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leadline_core::E164;
use leadline_core::site::SiteKey;

/// The demo site: whose snippet key and number the pages carry.
#[derive(Debug, Clone)]
pub struct DemoSite {
    pub key: SiteKey,
    pub number: E164,
}

const PAGES: [(&str, &str, &str); 4] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../../../assets/demo/index.html"),
    ),
    (
        "services.html",
        "text/html; charset=utf-8",
        include_str!("../../../../assets/demo/services.html"),
    ),
    (
        "contact.html",
        "text/html; charset=utf-8",
        include_str!("../../../../assets/demo/contact.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../../assets/demo/style.css"),
    ),
];

/// The demo pages; they answer 404 unless the server runs a demo site.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route(
            "/demo/",
            get(|state: State<AppState>| page(state, Path("index.html".to_owned()))),
        )
        .route("/demo/{page}", get(page))
}

async fn page(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let (Some(demo), Some((_, content_type, template))) = (&state.demo, PAGES.iter().find(|(n, _, _)| *n == name))
    else {
        return ApiError::NotFound.into_response();
    };
    // The values are validated types (URL, key, phone number): none holds HTML syntax.
    let body = template
        .replace("{{BASE_URL}}", &state.base_url)
        .replace("{{SITE_KEY}}", demo.key.as_str())
        .replace("{{NUMBER_NATIONAL}}", &demo.number.national())
        .replace("{{NUMBER_E164}}", demo.number.as_str());
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}
