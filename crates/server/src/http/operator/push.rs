//! Notifications in a member's browser (Web Push): the page's script and the service worker,
//! and the two requests the script makes, subscribing the browser and taking it back. Both
//! are JSON from the alerts page, with its CSRF token in `X-CSRF-Token`; each change goes
//! through `app::web_push`.

use super::session::Operator;
use crate::app::{AppError, AppState, web_push};
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leadline_core::lead::Author;
use leadline_core::web_push::PushSubscription;
use serde::Deserialize;
use serde_json::json;

/// The largest body a subscription takes (an endpoint, two keys).
const MAX_BODY: usize = 4096;

const PAGE_SCRIPT: &str = include_str!("../../../../../assets/app/push.js");
const WORKER_SCRIPT: &str = include_str!("../../../../../assets/app/push-worker.js");

/// `PushSubscription.toJSON()` as the browser gives it.
#[derive(Deserialize)]
struct Subscribed {
    endpoint: String,
    keys: Keys,
}

#[derive(Deserialize)]
struct Keys {
    p256dh: String,
    auth: String,
}

#[derive(Deserialize)]
struct Unsubscribed {
    endpoint: String,
}

/// The CSRF token and origin of a script's request, as a form's are checked.
fn check(state: &AppState, operator: &Operator, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    operator.check_post(state, headers, token)
}

/// A refusal as the script reads it: `{"error": "…"}` with its status.
fn refusal(status: StatusCode, why: impl Into<String>) -> Response {
    (status, Json(json!({ "error": why.into() }))).into_response()
}

/// The JSON body, or why it is refused (its status and reason).
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, (StatusCode, String)> {
    if bytes.len() > MAX_BODY {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "a subscription is at most 4 KiB".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| (StatusCode::BAD_REQUEST, format!("not a subscription: {e}")))
}

/// `POST /app/push/subscriptions`: this browser gets the member's alerts.
pub async fn subscribe(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    check(&state, &operator, &headers)?;
    let given: Subscribed = match body(&bytes) {
        Ok(given) => given,
        Err((status, why)) => return Ok(refusal(status, why)),
    };
    let subscription = match PushSubscription::parse(&given.endpoint, &given.keys.p256dh, &given.keys.auth) {
        Ok(subscription) => subscription,
        Err(invalid) => return Ok(refusal(StatusCode::BAD_REQUEST, invalid.to_string())),
    };
    let author = Author::user(&operator.user.email);
    let store = state.store.as_ref();
    match web_push::subscribe(store, operator.business, operator.user.id, &subscription, &author).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(json!({ "subscribed": true }))).into_response()),
        Err(AppError::Refused(why) | AppError::Invalid(why)) => Ok(refusal(StatusCode::BAD_REQUEST, why)),
        Err(other) => Err(other.into()),
    }
}

/// `POST /app/push/unsubscribe`: this browser no longer gets the member's alerts.
pub async fn unsubscribe(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    check(&state, &operator, &headers)?;
    let given: Unsubscribed = match body(&bytes) {
        Ok(given) => given,
        Err((status, why)) => return Ok(refusal(status, why)),
    };
    let store = state.store.as_ref();
    let kept = web_push::unsubscribe(store, operator.business, operator.user.id, &given.endpoint).await?;
    Ok(Json(json!({ "unsubscribed": kept })).into_response())
}

/// `GET /app/assets/push.js`: the alerts page's notification buttons.
pub async fn page_script() -> impl IntoResponse {
    script(PAGE_SCRIPT)
}

/// `GET /app/push/worker.js`: the service worker that shows the notifications.
pub async fn worker_script() -> impl IntoResponse {
    script(WORKER_SCRIPT)
}

fn script(source: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        source,
    )
}
