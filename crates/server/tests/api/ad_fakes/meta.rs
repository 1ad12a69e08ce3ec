//! A fake Meta Graph API: the Conversions API's `POST /{version}/{pixel}/events` and the pixel
//! read `GET /{version}/{pixel}?fields=id,name`, checked as Meta documents them: the access
//! token, `data` as a JSON array of server events with only documented keys, `event_time` in
//! Unix seconds and no older than 7 days (else the whole request is refused), an
//! `action_source` from Meta's list (with what `website` requires), `em`/`ph` hashed after
//! Meta's normalisation (its published vectors), `fbc` unhashed as `fb.1.<ms>.<fbclid>`,
//! `value` and `currency` for a `Purchase`.

use super::is_sha256_hex;
use crate::crm_fakes::{Answer, Fake, header};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub const META_PIXEL: &str = "1234567890123456";
pub const META_TOKEN: &str = "EAAGfakeSystemUserToken0123456789";
pub const META_VERSION: &str = "v21.0";
pub const META_TEST_CODE: &str = "TEST4242";

/// Meta's published vectors: `John_Smith@gmail.com` and `(650)555-1212` (US) after its
/// normalisation (`john_smith@gmail.com`, `16505551212`), SHA-256 in hex.
const EM_VECTOR: &str = "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f";
const PH_VECTOR: &str = "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176";

const ACTION_SOURCES: [&str; 9] = [
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
];
const EVENT_KEYS: [&str; 15] = [
    "event_name",
    "event_time",
    "event_id",
    "event_source_url",
    "action_source",
    "user_data",
    "custom_data",
    "opt_out",
    "data_processing_options",
    "data_processing_options_country",
    "data_processing_options_state",
    "referrer_url",
    "original_event_data",
    "app_data",
    "messaging_channel",
];
const USER_KEYS: [&str; 16] = [
    "em",
    "ph",
    "fn",
    "ln",
    "db",
    "ge",
    "ct",
    "st",
    "zp",
    "country",
    "external_id",
    "client_ip_address",
    "client_user_agent",
    "fbc",
    "fbp",
    "lead_id",
];

#[derive(Default)]
pub struct MetaState {
    /// The events it received, as sent.
    pub events: Vec<Value>,
    /// The `test_event_code` each request carried.
    pub test_codes: Vec<Option<String>>,
    /// Reads of the pixel (Try it).
    pub reads: u32,
    /// The next this many event requests answer 500.
    pub unavailable: u32,
    pub problems: Vec<String>,
}

/// The fake Meta.
pub type FakeMeta = Fake<MetaState>;

impl FakeMeta {
    pub async fn start() -> Self {
        Self::serve(MetaState::default(), meta_handle).await
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state().problems.clone();
        assert!(problems.is_empty(), "Meta saw: {problems:#?}");
    }
}

/// A Graph API error object.
fn graph_error(status: u16, code: i64, subcode: Option<i64>, message: &str, user_msg: Option<&str>) -> Answer {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code,
        "fbtrace_id": "AfakeTrace0"});
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    if let Some(user_msg) = user_msg {
        error["error_user_msg"] = json!(user_msg);
    }
    (status, json!({ "error": error }), Duration::ZERO)
}

fn bad_token() -> Answer {
    graph_error(
        400,
        190,
        None,
        "Invalid OAuth access token - Cannot parse access token",
        None,
    )
}

fn invalid(user_msg: &str) -> Answer {
    graph_error(400, 100, Some(2_804_003), "Invalid parameter", Some(user_msg))
}

fn meta_handle(s: &mut MetaState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    let query: BTreeMap<String, String> = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let events = format!("/{META_VERSION}/{META_PIXEL}/events");
    let pixel = format!("/{META_VERSION}/{META_PIXEL}");
    match (method.clone(), uri.path()) {
        (Method::POST, path) if path == events => meta_events(s, &query, headers, body),
        (Method::GET, path) if path == pixel => {
            if query.get("access_token").map(String::as_str) != Some(META_TOKEN) {
                return bad_token();
            }
            if query.get("fields").map(String::as_str) != Some("id,name") {
                s.problems.push(format!("pixel read: query {query:?}"));
            }
            s.reads += 1;
            (200, json!({"id": META_PIXEL, "name": "Acme's pixel"}), Duration::ZERO)
        }
        (other, path) => {
            s.problems.push(format!("{other} {path}: unexpected"));
            graph_error(
                400,
                100,
                Some(33),
                "Unsupported request - method type or object does not exist",
                None,
            )
        }
    }
}

fn meta_events(s: &mut MetaState, query: &BTreeMap<String, String>, headers: &HeaderMap, body: &Bytes) -> Answer {
    if header(headers, "content-type") != "application/x-www-form-urlencoded" {
        s.problems
            .push(format!("events: content-type {:?}", header(headers, "content-type")));
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    for key in form.keys() {
        if !["data", "access_token", "test_event_code"].contains(&key.as_str()) {
            s.problems.push(format!("events: form field {key}"));
        }
    }
    let token = form.get("access_token").or(query.get("access_token"));
    if token.map(String::as_str) != Some(META_TOKEN) {
        s.problems.push("events: not the system user's token".into());
        return bad_token();
    }
    if s.unavailable > 0 {
        s.unavailable -= 1;
        let error = json!({"error": {"message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException", "is_transient": true, "code": 2, "fbtrace_id": "AfakeTrace0"}});
        return (500, error, Duration::ZERO);
    }
    let data: Value = form
        .get("data")
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let Some(events) = data.as_array().filter(|e| (1..=1000).contains(&e.len())) else {
        s.problems.push(format!("events: data {:?}", form.get("data")));
        return invalid("The parameter data is required and holds 1 to 1000 events.");
    };
    for event in events {
        if let Err(refusal) = check_event(s, event) {
            return refusal;
        }
    }
    s.events.extend(events.iter().cloned());
    s.test_codes.push(form.get("test_event_code").cloned());
    let answer = json!({"events_received": events.len(), "messages": [], "fbtrace_id": "AfakeTrace1"});
    (200, answer, Duration::ZERO)
}

/// One server event as Meta checks it; a refusal of the whole request when it is invalid.
fn check_event(s: &mut MetaState, event: &Value) -> Result<(), Answer> {
    let Some(fields) = event.as_object() else {
        s.problems.push(format!("event {event}"));
        return Err(invalid("An event is an object."));
    };
    for key in fields.keys() {
        if !EVENT_KEYS.contains(&key.as_str()) {
            s.problems.push(format!("event: undocumented key {key}"));
        }
    }
    if event["event_name"].as_str().is_none_or(|n| n.is_empty()) {
        s.problems.push(format!("event_name {}", event["event_name"]));
        return Err(invalid("The parameter event_name is required."));
    }
    let Some(time) = event["event_time"].as_i64() else {
        s.problems.push(format!("event_time {}", event["event_time"]));
        return Err(invalid("The parameter event_time is required."));
    };
    let now = Utc::now().timestamp();
    if time > now + 60 {
        s.problems
            .push(format!("event_time {time} is in the future (milliseconds?)"));
        return Err(invalid("event_time is in the future."));
    }
    if now - time > 7 * 86_400 {
        s.problems.push(format!("event_time {time} is more than 7 days old"));
        return Err(graph_error(
            400,
            100,
            Some(2_804_004),
            "Invalid parameter",
            Some(
                "The timestamp for this event is too far in the past. Events must be sent within 7 days of when they occurred.",
            ),
        ));
    }
    if event["event_id"].as_str().is_none_or(|id| id.is_empty()) {
        s.problems.push(format!("event_id {}", event["event_id"]));
    }
    let source = event["action_source"].as_str().unwrap_or_default();
    if !ACTION_SOURCES.contains(&source) {
        s.problems.push(format!("action_source {}", event["action_source"]));
        return Err(invalid("The parameter action_source is required."));
    }
    let user = &event["user_data"];
    if source == "website" && (event.get("event_source_url").is_none() || user.get("client_user_agent").is_none()) {
        s.problems
            .push("a website event without event_source_url and client_user_agent".into());
    }
    if let Some(url) = event.get("event_source_url")
        && !url
            .as_str()
            .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        s.problems.push(format!("event_source_url {url}"));
    }
    check_user(s, user)?;
    if event["event_name"] == "Purchase" {
        let custom = &event["custom_data"];
        let currency = custom["currency"].as_str().unwrap_or_default();
        if !custom["value"].is_number() || currency.len() != 3 {
            s.problems.push(format!("a Purchase with custom_data {custom}"));
            return Err(invalid("Purchase events need value and currency in custom_data."));
        }
    }
    Ok(())
}

/// `user_data`: documented keys, hashes where Meta wants them, none where it does not.
fn check_user(s: &mut MetaState, user: &Value) -> Result<(), Answer> {
    let Some(fields) = user.as_object().filter(|u| !u.is_empty()) else {
        s.problems.push(format!("user_data {user}"));
        return Err(invalid("The parameter user_data is required."));
    };
    for (key, value) in fields {
        if !USER_KEYS.contains(&key.as_str()) {
            s.problems.push(format!("user_data: undocumented key {key}"));
            continue;
        }
        match key.as_str() {
            "em" | "ph" | "external_id" => {
                let hashes: Vec<&str> = match value {
                    Value::String(one) => vec![one.as_str()],
                    Value::Array(many) => many.iter().map(|v| v.as_str().unwrap_or_default()).collect(),
                    _ => vec![""],
                };
                for hash in hashes {
                    if !is_sha256_hex(hash) {
                        s.problems.push(format!("user_data.{key} is not hashed: {value}"));
                    }
                    let vector = match key.as_str() {
                        "em" => Some(EM_VECTOR),
                        "ph" => Some(PH_VECTOR),
                        _ => None,
                    };
                    if vector.is_some_and(|v| v != hash) {
                        s.problems.push(format!(
                            "user_data.{key} {hash} is not Meta's vector for the test person"
                        ));
                    }
                }
            }
            "fbc" => {
                let text = value.as_str().unwrap_or_default();
                let parts: Vec<&str> = text.splitn(4, '.').collect();
                let shaped = parts.len() == 4
                    && parts[0] == "fb"
                    && parts[1] == "1"
                    && parts[2].len() == 13
                    && parts[2].bytes().all(|b| b.is_ascii_digit())
                    && parts[2]
                        .parse::<i64>()
                        .is_ok_and(|ms| ms <= Utc::now().timestamp_millis())
                    && !parts[3].is_empty();
                if !shaped {
                    s.problems.push(format!("user_data.fbc {value}"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
