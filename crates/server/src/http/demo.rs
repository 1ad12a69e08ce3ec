//! `/demo/`: a small sample business website with the snippet on every page, served by
//! `leadline demo` so that a newcomer sees an extension within a minute.

use crate::app::AppState;
use crate::app::DemoSite;
use crate::sandbox as sim;
use crate::web::error::ApiError;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use leadline_core::E164;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

const PAGES: [(&str, &str, &str); 5] = [
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
        "calls.html",
        "text/html; charset=utf-8",
        include_str!("../../../../assets/demo/calls.html"),
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
        .route("/demo/phone", post(phone))
        .route("/demo/calls/events", get(live_calls))
}

/// What the in-browser phone asks for.
#[derive(Debug, Deserialize)]
struct PhoneRequest {
    from: String,
    #[serde(default)]
    digits: String,
    #[serde(default)]
    no_answer: bool,
}

/// `POST /demo/phone`: places a sandbox call to the demo number, as the provider would, and
/// answers its transcript.
async fn phone(State(state): State<AppState>, Json(request): Json<PhoneRequest>) -> Response {
    let Some(demo) = &state.demo else {
        return ApiError::NotFound.into_response();
    };
    let from = match E164::parse(&request.from) {
        Ok(from) => from.to_string(),
        Err(e) => return ApiError::BadRequest(e.to_string()).into_response(),
    };
    let digits: String = request
        .digits
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .take(12)
        .collect();
    let settings = sim::Settings {
        server: state.base_url.to_string(),
        to: demo.number.to_string(),
        from,
        digits: Some(digits).filter(|d| !d.is_empty()),
        answer_after: 0,
        talk: 30,
        no_answer: request.no_answer,
        auth_token: demo.auth_token.expose().to_owned(),
        pace: sim::Pace::Reported,
    };
    match sim::place(&settings).await {
        Ok(transcript) => Json(transcript).into_response(),
        Err(e) => ApiError::Internal(e).into_response(),
    }
}

/// `GET /demo/calls/events`: the demo business's latest calls as Server-Sent Events, sent
/// again whenever they change.
async fn live_calls(State(state): State<AppState>) -> Response {
    let Some(demo) = state.demo.clone() else {
        return ApiError::NotFound.into_response();
    };
    let stream = futures::stream::unfold((state, demo, String::new()), |(state, demo, last)| async move {
        loop {
            let calls = latest_calls(&state, &demo).await;
            if calls != last {
                let event = Event::default().data(calls.clone());
                return Some((Ok::<_, std::convert::Infallible>(event), (state, demo, calls)));
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    });
    // Short keep-alives notice a closed page quickly (a shutdown waits for open streams); the
    // stream ends after five minutes and the browser's EventSource reconnects.
    let stream = futures::StreamExt::take_until(stream, tokio::time::sleep(Duration::from_secs(300)));
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(2)))
        .into_response()
}

/// The latest calls as the JSON the page shows (an empty list if they cannot be read).
async fn latest_calls(state: &AppState, demo: &DemoSite) -> String {
    let calls = match state.store.site_by_key(&demo.key).await {
        Ok(site) => state.store.recent_calls(site.business_id, 20).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let rows: Vec<serde_json::Value> = calls
        .iter()
        .map(|c| {
            let a = c.attribution.as_ref();
            json!({
                "record_ref": c.record_ref,
                "caller": c.caller,
                "source": a.map(|a| &a.source),
                "medium": a.map(|a| &a.medium),
                "term": a.and_then(|a| a.term.as_ref()),
                "source_label": c.origin.source_label,
                "matched_by": c.origin.matched_by.as_str(),
                "status": c.status,
                "outcome": c.outcome.map(|o| o.as_str()),
                "answered_by": c.answered_by,
                "duration_seconds": c.duration_seconds,
            })
        })
        .collect();
    serde_json::Value::from(rows).to_string()
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
