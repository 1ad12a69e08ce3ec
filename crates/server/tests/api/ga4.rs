//! The GA4 adapter against a local fake of the Measurement Protocol that checks every request
//! it gets against GA4's documented limits (query, body shape, names, parameter counts, value
//! lengths, the 72-hour backdating window) and records it. The adapter is called directly with
//! a hand-built claimed delivery, as the outbox worker calls it.

use crate::fakes::FakeApi;
use crate::outbox_events::{claimed, deliver, event, offline};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeDelta, Utc};
use leadline::outbox::Failure;
use leadline::outbox::ga4::Ga4;
use leadline_core::call::CallOutcome;
use leadline_core::event::samples as data;
use leadline_core::lead::{LeadMatch, LeadStatus};
use leadline_core::outbox::IntegrationConfig;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SECRET: &str = "mp-secret-do-not-log";
const MEASUREMENT_ID: &str = "G-ABC123";

/// One request the fake received, its body read as JSON.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: HashMap<String, String>,
    pub body: Value,
    pub received_at: Instant,
}

/// A fake GA4: `/mp/collect` answers `status` (204 by default, as GA4 does, even to bad
/// data); `/debug/mp/collect` answers `validation_messages`.
pub async fn fake_ga4(status: StatusCode, validation_messages: Value) -> FakeApi {
    let answer = json!({ "validationMessages": validation_messages });
    let router = Router::new()
        .route("/mp/collect", post(move || async move { status }))
        .route("/debug/mp/collect", post(move || async move { axum::Json(answer) }));
    FakeApi::start(router).await
}

const RESERVED_EVENTS: [&str; 12] = [
    "ad_click",
    "ad_exposure",
    "app_remove",
    "error",
    "first_open",
    "first_visit",
    "in_app_purchase",
    "notification_open",
    "os_update",
    "screen_view",
    "session_start",
    "user_engagement",
];
const RESERVED_PREFIXES: [&str; 4] = ["_", "firebase_", "ga_", "google_"];
const TOP_LEVEL: [&str; 7] = [
    "client_id",
    "user_id",
    "timestamp_micros",
    "user_properties",
    "consent",
    "events",
    "non_personalized_ads",
];

fn name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    name.chars().count() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn scalar_problem(path: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.chars().count() > 100 => Some(format!("{path}: value longer than 100 characters")),
        Value::String(_) | Value::Number(_) => None,
        other => Some(format!("{path}: {other} is not text or a number")),
    }
}

/// Everything GA4 documents about a request, checked independently of the adapter's own
/// validator.
fn check(query: &HashMap<String, String>, headers: &HeaderMap, raw: &[u8]) -> (Value, Vec<String>) {
    let mut problems = Vec::new();
    let measurement = query.get("measurement_id").map(String::as_str).unwrap_or("");
    let stream_ok = measurement
        .strip_prefix("G-")
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    if !stream_ok {
        problems.push(format!("measurement_id '{measurement}' is not G-…"));
    }
    if query.get("api_secret").is_none_or(|s| s.is_empty()) {
        problems.push("no api_secret".into());
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        problems.push("not application/json".into());
    }
    if raw.len() >= 130_000 {
        problems.push(format!("body of {} bytes", raw.len()));
    }
    let Ok(body) = serde_json::from_slice::<Value>(raw) else {
        problems.push("body is not JSON".into());
        return (Value::Null, problems);
    };
    let Some(top) = body.as_object() else {
        problems.push("body is not an object".into());
        return (body, problems);
    };
    for key in top.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            problems.push(format!("unknown top-level field {key}"));
        }
    }
    if body["client_id"].as_str().is_none_or(str::is_empty) {
        problems.push("client_id missing".into());
    }
    if let Some(ts) = top.get("timestamp_micros") {
        let at = ts.as_i64().and_then(DateTime::<Utc>::from_timestamp_micros);
        match at {
            Some(at) if Utc::now() - at > TimeDelta::hours(72) => problems.push("timestamp older than 72 h".into()),
            Some(at) if at > Utc::now() + TimeDelta::minutes(1) => problems.push("timestamp in the future".into()),
            Some(_) => {}
            None => problems.push("timestamp_micros is not an integer time".into()),
        }
    }
    let events = body["events"].as_array().cloned().unwrap_or_default();
    if events.is_empty() || events.len() > 25 {
        problems.push(format!("{} events", events.len()));
    }
    for (i, event) in events.iter().enumerate() {
        let name = event["name"].as_str().unwrap_or("");
        if !name_ok(name) || RESERVED_EVENTS.contains(&name) {
            problems.push(format!("events[{i}]: bad name '{name}'"));
        }
        let Some(fields) = event.as_object() else {
            problems.push(format!("events[{i}] is not an object"));
            continue;
        };
        if fields.keys().any(|k| k != "name" && k != "params") {
            problems.push(format!("events[{i}] has fields other than name and params"));
        }
        let params = event["params"].as_object().cloned().unwrap_or_default();
        if params.len() > 25 {
            problems.push(format!("events[{i}]: {} params", params.len()));
        }
        for (key, value) in &params {
            let path = format!("events[{i}].params.{key}");
            if !name_ok(key) {
                problems.push(format!("{path}: bad name"));
            }
            if key == "items" {
                for (j, item) in value.as_array().cloned().unwrap_or_default().iter().enumerate() {
                    let item = item.as_object().cloned().unwrap_or_default();
                    if !item.contains_key("item_id") && !item.contains_key("item_name") {
                        problems.push(format!("{path}[{j}]: no item_id or item_name"));
                    }
                    for (k, v) in &item {
                        problems.extend(scalar_problem(&format!("{path}[{j}].{k}"), v));
                    }
                }
            } else {
                problems.extend(scalar_problem(&path, value));
            }
        }
        if params.contains_key("value")
            && params
                .get("currency")
                .and_then(Value::as_str)
                .is_none_or(|c| c.len() != 3)
        {
            problems.push(format!("events[{i}]: value without currency"));
        }
        if params.contains_key("session_id") != params.contains_key("engagement_time_msec") {
            problems.push(format!("events[{i}]: session_id without engagement_time_msec"));
        }
    }
    (body, problems)
}

/// The requests received, after asserting that every one of them was valid.
pub fn valid(fake: &FakeApi) -> Vec<Received> {
    let checked = fake.requests().into_iter().map(|r| {
        let query = r.query_map();
        let (body, problems) = check(&query, &r.headers, &r.body);
        assert!(problems.is_empty(), "the fake GA4 found {problems:?} in {body}");
        Received {
            path: r.path,
            query,
            body,
            received_at: r.received_at,
        }
    });
    checked.collect()
}

/// Every GA4 event received so far (each with its request's `client_id`), and when it came,
/// after asserting that every request was valid.
pub fn events(fake: &FakeApi) -> Vec<(Instant, Value)> {
    let mut events = Vec::new();
    for r in valid(fake) {
        for event in r.body["events"].as_array().into_iter().flatten() {
            let mut event = event.clone();
            event["client_id"] = r.body["client_id"].clone();
            events.push((r.received_at, event));
        }
    }
    events
}

/// The first GA4 event named `name` and when it came, once it has (the worker sends in the
/// background); fails at `deadline`.
pub async fn wait_for_event(fake: &FakeApi, name: &str, deadline: Instant) -> (Instant, Value) {
    loop {
        let events = events(fake);
        if let Some(found) = events.iter().find(|(_, e)| e["name"] == name) {
            return found.clone();
        }
        assert!(Instant::now() < deadline, "no {name} reached GA4: {events:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn ga4(endpoint: &str, debug: bool) -> IntegrationConfig {
    IntegrationConfig::Ga4 {
        measurement_id: MEASUREMENT_ID.into(),
        api_secret: SECRET.into(),
        endpoint: Some(endpoint.into()),
        debug,
    }
}

#[tokio::test]
async fn a_completed_call_reaches_ga4_on_the_visitors_client_and_session() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let e = event(data::completed(95, true, Some(CallOutcome::Answered)));
    let delivery = claimed(ga4(&fake.url, false), e.clone());
    let sent = deliver(&Ga4, &delivery).await.unwrap();
    assert_eq!(sent.response.as_deref(), Some("sent call_completed (HTTP 204)"));

    let all = valid(&fake);
    assert_eq!(all.len(), 1);
    let r = &all[0];
    assert_eq!(r.path, "/mp/collect");
    assert_eq!(r.query["measurement_id"], MEASUREMENT_ID);
    assert_eq!(r.query["api_secret"], SECRET);
    assert_eq!(r.body["client_id"], "1234567890.1700000000");
    assert_eq!(r.body["timestamp_micros"], e.occurred_at.timestamp_micros());
    let params = &r.body["events"][0]["params"];
    assert_eq!(r.body["events"][0]["name"], "call_completed");
    assert_eq!(params["record_ref"], "1042");
    assert_eq!(params["leadline_event_id"], delivery.idempotency_key());
    assert_eq!(params["session_id"], (e.occurred_at.timestamp() - 300).to_string());
    assert_eq!(params["engagement_time_msec"], 1);
    assert_eq!(params["duration_seconds"], 95);
    assert_eq!(params["answered"], 1);
    assert_eq!(params["outcome"], "answered");
}

#[tokio::test]
async fn every_kind_ga4_receives_arrives_valid_and_labelled() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let cases = [
        (data::initiated(), vec!["call_initiated"]),
        (data::dialed(), vec!["call_dialed"]),
        (data::connected(), vec!["call_connected"]),
        (data::form(LeadMatch::New), vec!["form_completed", "generate_lead"]),
        (
            data::status(LeadStatus::New, LeadStatus::Contacted),
            vec!["working_lead"],
        ),
        (
            data::status(LeadStatus::Qualified, LeadStatus::Converted),
            vec!["close_convert_lead"],
        ),
        (
            data::status(LeadStatus::Contacted, LeadStatus::Lost),
            vec!["close_unconvert_lead"],
        ),
    ];
    for (data, _) in &cases {
        deliver(&Ga4, &claimed(ga4(&fake.url, false), event(data.clone())))
            .await
            .unwrap();
    }
    let all = valid(&fake);
    assert_eq!(all.len(), cases.len());
    for (r, (_, names)) in all.iter().zip(&cases) {
        let got: Vec<&str> = r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(&got, names);
        for e in r.body["events"].as_array().unwrap() {
            assert_eq!(e["params"]["record_ref"], "1042");
        }
    }
}

#[tokio::test]
async fn an_offline_lead_is_sent_on_the_leads_client_with_its_utm_fields() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let e = offline(event(data::status(LeadStatus::Contacted, LeadStatus::Qualified)));
    deliver(&Ga4, &claimed(ga4(&fake.url, false), e)).await.unwrap();
    let all = valid(&fake);
    let body = &all[0].body;
    assert_eq!(body["client_id"], "42.1040");
    let params = &body["events"][0]["params"];
    assert_eq!(body["events"][0]["name"], "qualify_lead");
    assert_eq!(params["campaign_source"], "gazette");
    assert_eq!(params["campaign_medium"], "print");
    assert_eq!(params["campaign_name"], "spring-flyer");
    assert_eq!(params["campaign_term"], "plumber");
    assert!(params.get("session_id").is_none());
}

#[tokio::test]
async fn a_sale_is_a_purchase_with_its_amounts() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let e = event(data::sale("USD", 120_050, 20_000, Some(1042)));
    deliver(&Ga4, &claimed(ga4(&fake.url, false), e)).await.unwrap();
    let all = valid(&fake);
    let event = &all[0].body["events"][0];
    assert_eq!(event["name"], "purchase");
    let p = &event["params"];
    assert_eq!(
        (
            &p["transaction_id"],
            &p["value"],
            &p["currency"],
            &p["revenue"],
            &p["cost"],
            &p["profit"]
        ),
        (
            &p["transaction_id"],
            &json!(1200.5),
            &json!("USD"),
            &json!(1200.5),
            &json!(200.0),
            &json!(1000.5)
        )
    );
    let transaction = p["transaction_id"].as_str().unwrap();
    assert!(
        transaction.starts_with("1042-ev_"),
        "the ref and the sale's event: {transaction}"
    );
    assert_eq!(p["items"][0]["item_id"], "1042");
    assert_eq!(p["items"][0]["quantity"], 1);
}

#[tokio::test]
async fn long_free_text_arrives_cut_to_100_characters() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let mut e = event(data::form(LeadMatch::New));
    if let Some(lead) = e.lead.as_mut() {
        lead.source = Some("ü".repeat(400));
    }
    deliver(&Ga4, &claimed(ga4(&fake.url, false), e)).await.unwrap();
    let all = valid(&fake);
    let source = all[0].body["events"][1]["params"]["lead_source"].as_str().unwrap();
    assert_eq!(source.chars().count(), 100);
}

#[tokio::test]
async fn an_event_older_than_72_hours_is_dead_and_never_sent() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let mut e = event(data::completed(10, true, None));
    e.occurred_at = Utc::now() - TimeDelta::hours(73);
    let outcome = deliver(&Ga4, &claimed(ga4(&fake.url, false), e)).await;
    match outcome {
        Err(Failure::Permanent(message)) => {
            assert!(
                message.contains("older than GA4's 72-hour backdating window"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_status_without_a_ga4_event_is_done_without_a_request() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    for to in [LeadStatus::New, LeadStatus::InCall] {
        let e = event(data::status(LeadStatus::Contacted, to));
        let sent = deliver(&Ga4, &claimed(ga4(&fake.url, false), e)).await.unwrap();
        let expected = format!(
            "nothing to send: GA4 receives no event for this lead.status_changed (status {})",
            to.as_str()
        );
        assert_eq!(sent.response, Some(expected));
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn debug_mode_posts_to_the_validation_server_and_keeps_its_answer() {
    let fake = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let e = event(data::connected());
    let sent = deliver(&Ga4, &claimed(ga4(&fake.url, true), e)).await.unwrap();
    assert_eq!(
        sent.response.as_deref(),
        Some(r#"GA4 validation: no messages {"validationMessages":[]}"#)
    );
    let all = valid(&fake);
    assert_eq!(all[0].path, "/debug/mp/collect");
    assert_eq!(all[0].query["api_secret"], SECRET);
}

#[tokio::test]
async fn validation_messages_in_debug_mode_make_the_delivery_dead_with_them() {
    let messages = json!([
        {"fieldPath": "events[0].params.outcome", "description": "Value is too long.",
         "validationCode": "VALUE_INVALID"},
        {"fieldPath": "client_id", "description": "Client id is odd.", "validationCode": "VALUE_INVALID"}
    ]);
    let fake = fake_ga4(StatusCode::NO_CONTENT, messages).await;
    let e = event(data::connected());
    let outcome = deliver(&Ga4, &claimed(ga4(&fake.url, true), e)).await;
    assert_eq!(
        outcome,
        Err(Failure::Permanent(
            "GA4's validation server reported 2: events[0].params.outcome: Value is too long. (VALUE_INVALID); \
             client_id: Client id is odd. (VALUE_INVALID)"
                .into()
        ))
    );
    assert_eq!(valid(&fake).len(), 1);
}

#[tokio::test]
async fn server_errors_retry_refusals_are_final_and_the_secret_never_shows() {
    let fake = fake_ga4(StatusCode::SERVICE_UNAVAILABLE, json!([])).await;
    let e = event(data::initiated());
    match deliver(&Ga4, &claimed(ga4(&fake.url, false), e.clone())).await {
        Err(Failure::Retry(message)) => assert!(message.contains("503") && !message.contains(SECRET)),
        other => panic!("{other:?}"),
    }
    let fake = fake_ga4(StatusCode::FORBIDDEN, json!([])).await;
    assert!(matches!(
        deliver(&Ga4, &claimed(ga4(&fake.url, false), e.clone())).await,
        Err(Failure::Permanent(_))
    ));

    // Nothing listens here: a transport error, retried, recorded without the URL's secret.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    match deliver(&Ga4, &claimed(ga4(&url, false), e)).await {
        Err(Failure::Retry(message)) => assert!(!message.contains(SECRET), "{message}"),
        other => panic!("{other:?}"),
    }
}
