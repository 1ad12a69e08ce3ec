//! A fake Google for conversions: the OAuth 2.0 token endpoint, the Data Manager API's
//! `events:ingest` and the Google Ads API's `uploadClickConversions`, `uploadCallConversions`
//! and `uploadConversionAdjustments`, each checked as Google documents it: a bearer token it
//! issued, the developer token on the Google Ads API, one destination naming the account and
//! conversion action, one event or row with exactly the documented keys, times in the
//! documented formats, hashes as 64 lowercase hex digits, `encoding: HEX` with user data.

use super::google::google_error;
use super::{Answer, Fake, bearer, header, json_body, refresh_grant, sorted_keys};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use std::time::Duration;

pub const ADS_CLIENT_ID: &str = "5678-ads.apps.googleusercontent.com";
pub const ADS_CLIENT_SECRET: &str = "GOCSPX-ads-secret";
pub const ADS_REFRESH_TOKEN: &str = "1//0ads-refresh-token";
pub const ADS_DEVELOPER_TOKEN: &str = "dev-token-0123456789ab";
pub const ADS_CUSTOMER: &str = "1234567890";
pub const ADS_ACTION: &str = "987654321";
pub const ADS_CALL_ACTION: &str = "987654322";
pub const ADS_VERSION: &str = "v26";

#[derive(Default)]
pub struct AdsState {
    pub tokens_issued: Vec<String>,
    /// Tokens Google no longer takes (expired).
    pub expired: Vec<String>,
    /// The Data Manager API events accepted, in order.
    pub ingested: Vec<Value>,
    /// The Google Ads API rows accepted, by method, in order.
    pub uploaded: Vec<(String, Value)>,
    /// The next this many conversion requests answer 503.
    pub unavailable: u32,
    /// The next this many Google Ads API uploads answer a row failure `TOO_RECENT_EVENT`.
    pub too_recent: u32,
    pub problems: Vec<String>,
}

/// The fake Google.
pub type FakeGoogleAds = Fake<AdsState>;

impl FakeGoogleAds {
    pub async fn start() -> Self {
        Self::serve(AdsState::default(), handle).await
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state().problems.clone();
        assert!(problems.is_empty(), "Google saw: {problems:#?}");
    }
}

fn handle(s: &mut AdsState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    let path = uri.path().to_owned();
    if (method, path.as_str()) == (&Method::POST, "/token") {
        return token(s, headers, body);
    }
    let payload = json_body(headers, body, &mut s.problems, &path);
    if bearer(headers).is_none_or(|t| !s.tokens_issued.contains(&t) || s.expired.contains(&t)) {
        return google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        );
    }
    if s.unavailable > 0 {
        s.unavailable -= 1;
        return google_error(503, "UNAVAILABLE", "The service is currently unavailable.");
    }
    let ads_prefix = format!("/{ADS_VERSION}/customers/{ADS_CUSTOMER}:");
    match (method.clone(), path.as_str()) {
        (Method::POST, "/v1/events:ingest") => ingest(s, &payload),
        (Method::POST, p) if p.starts_with(&ads_prefix) => {
            let method = p.trim_start_matches(&ads_prefix).to_owned();
            ads_api(s, headers, &method, &payload)
        }
        (other, p) => {
            s.problems.push(format!("{other} {p}: unexpected"));
            google_error(404, "NOT_FOUND", "not found")
        }
    }
}

fn token(s: &mut AdsState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let expected = [
        ("client_id", ADS_CLIENT_ID),
        ("client_secret", ADS_CLIENT_SECRET),
        ("refresh_token", ADS_REFRESH_TOKEN),
    ];
    if let Err(refused) = refresh_grant(headers, body, &expected, &mut s.problems, "Bad Request") {
        return refused;
    }
    let token = format!("ya29.ads-{}", s.tokens_issued.len() + 1);
    s.tokens_issued.push(token.clone());
    (
        200,
        json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        Duration::ZERO,
    )
}

fn is_hash(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
}

/// `yyyy-mm-dd hh:mm:ss+hh:mm`, offset mandatory.
fn is_ads_time(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| chrono::DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%:z").is_ok())
}

fn ingest(s: &mut AdsState, payload: &Value) -> Answer {
    let mut wrong = Vec::new();
    let events = payload["events"].as_array().cloned().unwrap_or_default();
    let has_user_data = events.iter().any(|e| !e["userData"].is_null());
    let keys = sorted_keys(payload);
    let expected_keys: Vec<&str> = if has_user_data {
        vec!["destinations", "encoding", "events"]
    } else {
        vec!["destinations", "events"]
    };
    if keys != expected_keys || (has_user_data && payload["encoding"] != "HEX") {
        wrong.push(format!("request keys {keys:?} / encoding {}", payload["encoding"]));
    }
    let destination = &payload["destinations"][0];
    if payload["destinations"].as_array().map(Vec::len) != Some(1)
        || destination["operatingAccount"] != json!({"accountType": "GOOGLE_ADS", "accountId": ADS_CUSTOMER})
        || destination["productDestinationId"] != ADS_ACTION
    {
        wrong.push(format!("destinations {}", payload["destinations"]));
    }
    if events.len() != 1 {
        wrong.push(format!("{} events in one request", events.len()));
    }
    for event in &events {
        wrong.extend(event_problems(event));
    }
    if !wrong.is_empty() {
        s.problems.extend(wrong.iter().map(|w| format!("ingest: {w}")));
        let violations: Vec<Value> = wrong
            .iter()
            .map(|w| json!({"field": "events[0]", "description": w, "reason": "INVALID_ARGUMENT"}))
            .collect();
        let error = json!({"error": {"code": 400, "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations}]}});
        return (400, error, Duration::ZERO);
    }
    s.ingested.extend(events);
    let id = format!("req-{}", s.ingested.len());
    (200, json!({"requestId": id}), Duration::ZERO)
}

fn event_problems(event: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let allowed = [
        "adIdentifiers",
        "consent",
        "conversionValue",
        "currency",
        "eventSource",
        "eventTimestamp",
        "lastUpdatedTimestamp",
        "transactionId",
        "userData",
    ];
    let keys = sorted_keys(event);
    if keys.iter().any(|k| !allowed.contains(&k.as_str()))
        || !event["transactionId"].is_string()
        || !is_rfc3339(&event["eventTimestamp"])
    {
        wrong.push(format!("event {event}"));
    }
    if !event["lastUpdatedTimestamp"].is_null() && !is_rfc3339(&event["lastUpdatedTimestamp"]) {
        wrong.push("lastUpdatedTimestamp".into());
    }
    if !event["consent"].is_null() && event["consent"] != json!({"adUserData": "CONSENT_GRANTED"}) {
        wrong.push(format!("consent {}", event["consent"]));
    }
    if !["PHONE", "WEB"].contains(&event["eventSource"].as_str().unwrap_or_default()) {
        wrong.push(format!("eventSource {}", event["eventSource"]));
    }
    let ids = &event["adIdentifiers"];
    if !ids.is_null()
        && (sorted_keys(ids).len() != 1 || !["gclid", "gbraid", "wbraid"].contains(&sorted_keys(ids)[0].as_str()))
    {
        wrong.push(format!("adIdentifiers {ids}"));
    }
    for identifier in event["userData"]["userIdentifiers"].as_array().into_iter().flatten() {
        let keys = sorted_keys(identifier);
        let one = keys.len() == 1 && ["emailAddress", "phoneNumber"].contains(&keys[0].as_str());
        if !one || !is_hash(&identifier[keys[0].as_str()]) {
            wrong.push(format!("user identifier {identifier}"));
        }
    }
    if ids.is_null() && event["userData"].is_null() {
        wrong.push("neither an ad identifier nor user data".into());
    }
    let value = &event["conversionValue"];
    let currency = &event["currency"];
    if value.is_null() != currency.is_null() || (!value.is_null() && !value.is_f64() && !value.is_u64()) {
        wrong.push(format!("value {value} {currency}"));
    }
    wrong
}

fn ads_api(s: &mut AdsState, headers: &HeaderMap, method: &str, payload: &Value) -> Answer {
    let mut wrong = Vec::new();
    if header(headers, "developer-token") != ADS_DEVELOPER_TOKEN {
        return google_error(401, "UNAUTHENTICATED", "The developer token is not valid.");
    }
    let (list, row_keys): (&str, &[&str]) = match method {
        "uploadClickConversions" => (
            "conversions",
            &[
                "consent",
                "conversionAction",
                "conversionDateTime",
                "conversionValue",
                "currencyCode",
                "gbraid",
                "gclid",
                "orderId",
                "userIdentifiers",
                "wbraid",
            ],
        ),
        "uploadCallConversions" => (
            "conversions",
            &[
                "callStartDateTime",
                "callerId",
                "conversionAction",
                "conversionDateTime",
                "conversionValue",
                "currencyCode",
            ],
        ),
        "uploadConversionAdjustments" => (
            "conversionAdjustments",
            &[
                "adjustmentDateTime",
                "adjustmentType",
                "conversionAction",
                "orderId",
                "restatementValue",
            ],
        ),
        other => {
            s.problems.push(format!("unknown method {other}"));
            return google_error(404, "NOT_FOUND", "not found");
        }
    };
    if sorted_keys(payload) != [list, "partialFailure"] || payload["partialFailure"] != true {
        wrong.push(format!("{method}: request {payload}"));
    }
    let rows = payload[list].as_array().cloned().unwrap_or_default();
    if rows.len() != 1 {
        wrong.push(format!("{method}: {} rows", rows.len()));
    }
    for row in &rows {
        if sorted_keys(row).iter().any(|k| !row_keys.contains(&k.as_str())) {
            wrong.push(format!("{method}: row keys {row}"));
        }
        let action = row["conversionAction"].as_str().unwrap_or_default();
        if !action.starts_with(&format!("customers/{ADS_CUSTOMER}/conversionActions/")) {
            wrong.push(format!("{method}: conversionAction {action}"));
        }
        for time in ["conversionDateTime", "adjustmentDateTime", "callStartDateTime"] {
            if !row[time].is_null() && !is_ads_time(&row[time]) {
                wrong.push(format!("{method}: {time} {}", row[time]));
            }
        }
        if !row["consent"].is_null() && row["consent"] != json!({"adUserData": "GRANTED"}) {
            wrong.push(format!("{method}: consent {}", row["consent"]));
        }
        for id in row["userIdentifiers"].as_array().into_iter().flatten() {
            let hashed = id["hashedEmail"].as_str().or(id["hashedPhoneNumber"].as_str());
            if id["userIdentifierSource"] != "FIRST_PARTY" || !hashed.is_some_and(|h| is_hash(&json!(h))) {
                wrong.push(format!("{method}: user identifier {id}"));
            }
        }
        if method == "uploadConversionAdjustments" {
            let restated = row["adjustmentType"] == "RESTATEMENT";
            if restated == row["restatementValue"].is_null()
                || !["RESTATEMENT", "RETRACTION"].contains(&row["adjustmentType"].as_str().unwrap_or_default())
            {
                wrong.push(format!("{method}: adjustment {row}"));
            }
        }
    }
    if !wrong.is_empty() {
        s.problems.extend(wrong);
        return google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
    }
    if s.too_recent > 0 && method != "uploadConversionAdjustments" {
        s.too_recent -= 1;
        let failure = json!({"code": 3, "message": "The click is too recent.", "details": [{
            "@type": format!("type.googleapis.com/google.ads.googleads.{ADS_VERSION}.errors.GoogleAdsFailure"),
            "errors": [{"errorCode": {"conversionUploadError": "TOO_RECENT_EVENT"},
                "message": "The click associated with the given identifier or iOS URL parameter occurred less than 6 hours ago, please retry after 6 hours have passed.",
                "location": {"fieldPathElements": [{"fieldName": list, "index": 0}]}}]}]});
        return (
            200,
            json!({"partialFailureError": failure, "results": [{}]}),
            Duration::ZERO,
        );
    }
    s.uploaded.extend(rows.iter().map(|r| (method.to_owned(), r.clone())));
    (200, json!({"results": rows}), Duration::ZERO)
}
