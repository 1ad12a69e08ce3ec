//! Google's error answers, as the delivery's reason. Both APIs answer errors as
//! `{"error": {"code", "message", "status", "details": [...]}}`: the Data Manager API's
//! details hold a `google.rpc.BadRequest` with `fieldViolations` (it fails the whole request
//! on the first bad field); the Google Ads API's hold a `GoogleAdsFailure` with `errors`,
//! each an `errorCode` object naming the enum and its value (`{"conversionUploadError":
//! "TOO_RECENT_EVENT"}`), also inside a 200 answer's `partialFailureError`.

use crate::outbox::{Failure, http_failure};
use reqwest::StatusCode;
use serde_json::Value;

/// Error codes that say "not yet": Google accepts the same upload some hours later.
const NOT_YET: [&str; 4] = [
    "TOO_RECENT_EVENT",
    "TOO_RECENT_CONVERSION_ACTION",
    "TOO_RECENT_CONVERSION",
    "TOO_RECENT_CALL",
];

/// The error codes and messages in a Google error object (`error`, or a
/// `partialFailureError`), as one line.
pub(crate) fn summary(error: &Value) -> (Vec<String>, String) {
    let mut codes = Vec::new();
    let mut parts = Vec::new();
    for detail in error["details"].as_array().into_iter().flatten() {
        for violation in detail["fieldViolations"].as_array().into_iter().flatten() {
            let reason = violation["reason"].as_str().unwrap_or_default();
            if !reason.is_empty() {
                codes.push(reason.to_owned());
            }
            parts.push(format!(
                "{}: {}{}",
                violation["field"].as_str().unwrap_or("?"),
                violation["description"].as_str().unwrap_or_default(),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                }
            ));
        }
        for failure in detail["errors"].as_array().into_iter().flatten() {
            let code = failure["errorCode"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN");
            codes.push(code.to_owned());
            parts.push(format!("{code}: {}", failure["message"].as_str().unwrap_or_default()));
        }
    }
    if parts.is_empty() {
        parts.push(error["message"].as_str().unwrap_or("no message").to_owned());
    }
    (codes, parts.join("; "))
}

/// The failure of an answer other than 2xx from `api`.
pub(crate) fn answered(api: &str, status: StatusCode, body: &str) -> Failure {
    let said: Value = serde_json::from_str(body).unwrap_or_default();
    if said["error"].is_null() {
        return prefixed(api, http_failure(status, body));
    }
    let (codes, message) = summary(&said["error"]);
    let message = format!("{api}: HTTP {status}: {message}");
    if codes.iter().any(|c| NOT_YET.contains(&c.as_str())) {
        return Failure::Retry(message);
    }
    match http_failure(status, "") {
        Failure::Permanent(_) => Failure::Permanent(message),
        _ => Failure::Retry(message),
    }
}

/// The failure a 200 answer's `partialFailureError` reports for the request's one row, if any.
pub(crate) fn partial(api: &str, answer: &Value) -> Option<Failure> {
    let error = &answer["partialFailureError"];
    if error.is_null() || error["code"].as_i64() == Some(0) {
        return None;
    }
    let (codes, message) = summary(error);
    let message = format!("{api}: {message}");
    Some(if codes.iter().any(|c| NOT_YET.contains(&c.as_str())) {
        Failure::Retry(message)
    } else {
        Failure::Permanent(message)
    })
}

/// `failure` with its message prefixed by `api`.
fn prefixed(api: &str, failure: Failure) -> Failure {
    match failure {
        Failure::Retry(m) => Failure::Retry(format!("{api}: {m}")),
        Failure::Permanent(m) => Failure::Permanent(format!("{api}: {m}")),
        wait @ Failure::Wait { .. } => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_too_recent_click_is_retried_and_an_expired_one_is_refused_for_good() {
        let recent = json!({"code": 3, "message": "x", "details": [{
            "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
            "errors": [{"errorCode": {"conversionUploadError": "TOO_RECENT_EVENT"}, "message": "wait"}]}]});
        assert!(matches!(
            partial("Google Ads API", &json!({"partialFailureError": recent})),
            Some(Failure::Retry(_))
        ));
        let expired = json!({"partialFailureError": {"code": 3, "message": "x", "details": [{
            "errors": [{"errorCode": {"conversionUploadError": "EXPIRED_EVENT"}, "message": "too old"}]}]}});
        let Some(Failure::Permanent(why)) = partial("Google Ads API", &expired) else {
            panic!("refused for good")
        };
        assert_eq!(why, "Google Ads API: EXPIRED_EVENT: too old");
        assert!(partial("Google Ads API", &json!({"results": [{}]})).is_none());
    }

    #[test]
    fn a_data_manager_refusal_names_the_field_and_its_reason() {
        let body = json!({"error": {"code": 400, "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "events[0].adIdentifiers.gclid", "description": "Invalid gclid.",
            "reason": "INVALID_GCLID"}]}]}});
        let Failure::Permanent(why) = answered("Data Manager API", StatusCode::BAD_REQUEST, &body.to_string()) else {
            panic!("refused for good")
        };
        assert!(
            why.contains("events[0].adIdentifiers.gclid: Invalid gclid. (INVALID_GCLID)"),
            "{why}"
        );
        let busy = answered("Data Manager API", StatusCode::SERVICE_UNAVAILABLE, "{}");
        assert!(matches!(busy, Failure::Retry(_)));
    }
}
