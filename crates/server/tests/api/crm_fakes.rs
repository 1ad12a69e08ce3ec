//! Local fakes of Salesforce, HubSpot and Google's user deletion for the CRM and erasure tests, on the [`FakeApi`] harness. Each
//! checks every request as the real API would (credentials, content type, field names,
//! required fields, picklist values, association types); what does not pass is answered as
//! the real API answers it AND noted in `problems`, which every test asserts is empty.

mod google;
mod google_ads;
mod hubspot;
mod salesforce;

pub use google::{FakeGoogle, GA_CLIENT_ID, GA_CLIENT_SECRET, GA_PROPERTY, GA_REFRESH_TOKEN};
pub use google_ads::{
    ADS_ACTION, ADS_CALL_ACTION, ADS_CLIENT_ID, ADS_CLIENT_SECRET, ADS_CUSTOMER, ADS_DEVELOPER_TOKEN,
    ADS_REFRESH_TOKEN, FakeGoogleAds,
};
pub use hubspot::{FakeHubspot, HS_TOKEN};
pub use salesforce::{FakeSalesforce, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_VERSION};

use crate::fakes::{Delay, FakeApi, Request};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A CRM fake (or an ad platform's, in ad_fakes.rs): its API on the harness, and its state,
/// which tests read and set.
pub struct Fake<S> {
    pub url: String,
    api: FakeApi,
    state: Arc<Mutex<S>>,
}

impl<S: Send + 'static> Fake<S> {
    /// Serves `state`, answering every request with `handle`.
    pub(crate) async fn serve(state: S, handle: Handle<S>) -> Self {
        let state = Arc::new(Mutex::new(state));
        let api = FakeApi::start(stateful(state.clone(), handle)).await;
        Self {
            url: api.url.clone(),
            api,
            state,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap()
    }

    /// Every request so far.
    pub fn all_requests(&self) -> Vec<Request> {
        self.api.requests()
    }
}

/// What a fake answers: a status, a JSON body (`Null` for none) and how long to hold it back.
pub(crate) type Answer = (u16, Value, Duration);

pub(crate) fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    header(headers, "authorization")
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

/// The body as JSON when it is declared JSON; a problem otherwise.
pub(crate) fn json_body(headers: &HeaderMap, body: &Bytes, problems: &mut Vec<String>, what: &str) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if !header(headers, "content-type").starts_with("application/json") {
        problems.push(format!("{what}: content-type {:?}", header(headers, "content-type")));
    }
    serde_json::from_slice(body).unwrap_or_else(|e| {
        problems.push(format!("{what}: body is not JSON: {e}"));
        Value::Null
    })
}

/// Whether a token request is the refresh-token grant (RFC 6749 §6) with exactly `expected`
/// as its form: a form body, `grant_type=refresh_token` and each field. When it is not, the
/// problem is noted and the answer is the `invalid_grant` refusal with `description`.
pub(crate) fn refresh_grant(
    headers: &HeaderMap,
    body: &Bytes,
    expected: &[(&str, &str)],
    problems: &mut Vec<String>,
    description: &str,
) -> Result<(), Answer> {
    if header(headers, "content-type") != "application/x-www-form-urlencoded" {
        problems.push(format!("token: content-type {:?}", header(headers, "content-type")));
    }
    let form: std::collections::BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let expected: std::collections::BTreeMap<String, String> = [("grant_type", "refresh_token")]
        .iter()
        .chain(expected)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if form == expected {
        return Ok(());
    }
    problems.push(format!("token: form {form:?}"));
    let refusal = serde_json::json!({"error": "invalid_grant", "error_description": description});
    Err((400, refusal, Duration::ZERO))
}

/// An object's keys in order.
pub(crate) fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The answer as a response, held back by the harness for its delay.
fn respond((status, body, delay): Answer) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    let mut response = if body.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    };
    if !delay.is_zero() {
        response.extensions_mut().insert(Delay(delay));
    }
    response
}

/// How a fake answers a request, from its state.
pub(crate) type Handle<S> = fn(&mut S, &Method, &Uri, &HeaderMap, &Bytes) -> Answer;

/// A router that answers every request with `handle` on the fake's `state`.
fn stateful<S: Send + 'static>(state: Arc<Mutex<S>>, handle: Handle<S>) -> Router {
    Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let answer = handle(&mut state.lock().unwrap(), &method, &uri, &headers, &body);
        async move { respond(answer) }
    })
}
