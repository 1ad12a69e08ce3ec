//! Microsoft Advertising's refusals, as the delivery's reason. A request Microsoft refuses as
//! a whole answers an HTTP error with an `ApplicationFault` (`{"TrackingId", "Type",
//! "Errors"|"OperationErrors"|"BatchErrors": [{"Code", "ErrorCode", "Message", …}]}`, the
//! shape of Microsoft's REST SDK models); a row it refuses comes back in a 200 answer's
//! `PartialErrors` (`BatchError`s: `Code`, `ErrorCode`, `Message`, `Details`, `FieldPath`,
//! `Index`, `Type`). The codes are those of Microsoft's operation error code list
//! (learn.microsoft.com/advertising/guides/operation-error-codes).

use crate::outbox::{Failure, http_failure};
use reqwest::StatusCode;
use serde_json::Value;

/// Error codes that say "not yet" or "not now": the same request succeeds later.
const NOT_YET: [&str; 7] = [
    // Microsoft's own failure, or its rate limit.
    "InternalError",
    "CallRateExceeded",
    // "Failed to send offline conversions to internal server."
    "OfflineConversionsApplyFailed",
    // A goal made less than two hours ago.
    "OfflineConversionNotAcceptedForGoal",
    // A time a little ahead of Microsoft's clock (an adjustment one second after the last).
    "FutureConversionTimeCannotBeSet",
    "OfflineConversionFutureAdjustmentTimeCannotBeSet",
    // The offline conversion report's name for a goal made too recently.
    "OfflineConversionGoalTooRecent",
];

/// The error code Microsoft answers for an access token that expired.
const TOKEN_EXPIRED: &str = "AuthenticationTokenExpired";

/// One error object as `ErrorCode (Code): Message`, and its code.
fn line(error: &Value) -> (String, String) {
    let code = error["ErrorCode"].as_str().unwrap_or("UnknownError").to_owned();
    let number = match &error["Code"] {
        Value::Null => String::new(),
        n => format!(" ({n})"),
    };
    let mut text = format!("{code}{number}: {}", error["Message"].as_str().unwrap_or("no message"));
    if let Some(path) = error["FieldPath"].as_str().filter(|p| !p.is_empty()) {
        text.push_str(&format!(" [{path}]"));
    }
    (code, text)
}

/// The error objects of a fault or a 200 answer.
fn errors_of(said: &Value) -> Vec<&Value> {
    ["Errors", "OperationErrors", "BatchErrors", "PartialErrors"]
        .iter()
        .flat_map(|key| said[*key].as_array().into_iter().flatten())
        .collect()
}

/// Whether an answer says the access token expired (code 109).
pub(crate) fn token_expired(said: &Value) -> bool {
    errors_of(said)
        .iter()
        .any(|e| e["ErrorCode"] == TOKEN_EXPIRED || e["Code"] == 109)
}

/// The failure of an answer other than 2xx.
pub(crate) fn fault(status: StatusCode, body: &str) -> Failure {
    let said: Value = serde_json::from_str(body).unwrap_or_default();
    let found = errors_of(&said);
    if found.is_empty() {
        return match http_failure(status, body) {
            Failure::Retry(m) => Failure::Retry(format!("Microsoft Advertising: {m}")),
            Failure::Permanent(m) => Failure::Permanent(format!("Microsoft Advertising: {m}")),
            wait @ Failure::Wait { .. } => wait,
        };
    }
    let (codes, lines): (Vec<String>, Vec<String>) = found.into_iter().map(line).unzip();
    let mut message = format!("Microsoft Advertising: HTTP {status}: {}", lines.join("; "));
    if let Some(tracking) = said["TrackingId"].as_str() {
        message.push_str(&format!(" (tracking id {tracking})"));
    }
    let not_yet = codes.iter().any(|c| NOT_YET.contains(&c.as_str()));
    match http_failure(status, "") {
        Failure::Permanent(_) if !not_yet => Failure::Permanent(message),
        _ => Failure::Retry(message),
    }
}

/// The failure a 200 answer's `PartialErrors` reports for the request's one row, if any.
pub(crate) fn partial(said: &Value) -> Option<Failure> {
    let refused = said["PartialErrors"].as_array().filter(|e| !e.is_empty())?;
    let (codes, lines): (Vec<String>, Vec<String>) = refused.iter().map(line).unzip();
    let message = format!("Microsoft Advertising refused it: {}", lines.join("; "));
    Some(if codes.iter().any(|c| NOT_YET.contains(&c.as_str())) {
        Failure::Retry(message)
    } else {
        Failure::Permanent(message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(code: &str, number: i64) -> Value {
        json!({"PartialErrors": [{"Code": number, "ErrorCode": code, "Message": "m", "Index": 0,
            "FieldPath": null, "Details": null, "Type": "BatchError"}]})
    }

    #[test]
    fn a_goal_made_too_recently_is_retried_and_an_unknown_goal_is_refused_for_good() {
        assert!(matches!(
            partial(&batch("OfflineConversionNotAcceptedForGoal", 5615)),
            Some(Failure::Retry(_))
        ));
        assert!(matches!(
            partial(&batch("OfflineConversionGoalTooRecent", 0)),
            Some(Failure::Retry(_))
        ));
        let Some(Failure::Permanent(why)) = partial(&batch("OfflineConversionNameInvalid", 5606)) else {
            panic!("refused for good")
        };
        assert_eq!(
            why,
            "Microsoft Advertising refused it: OfflineConversionNameInvalid (5606): m"
        );
        assert!(partial(&json!({"PartialErrors": []})).is_none());
        assert!(partial(&json!({"PartialErrors": null})).is_none());
        assert!(partial(&json!({})).is_none());
    }

    #[test]
    fn faults_say_microsofts_codes_and_only_outages_and_rate_limits_are_retried() {
        let refused = json!({"TrackingId": "t-1", "Type": "ApiFault",
            "Errors": [{"Code": 105, "ErrorCode": "InvalidCredentials", "Message": "Authentication failed."}]});
        let Failure::Permanent(why) = fault(StatusCode::BAD_REQUEST, &refused.to_string()) else {
            panic!("refused for good")
        };
        assert_eq!(
            why,
            "Microsoft Advertising: HTTP 400 Bad Request: InvalidCredentials (105): Authentication failed. (tracking id t-1)"
        );
        let limited = json!({"Errors": [{"Code": 117, "ErrorCode": "CallRateExceeded", "Message": "slow down"}]});
        assert!(matches!(
            fault(StatusCode::BAD_REQUEST, &limited.to_string()),
            Failure::Retry(_)
        ));
        assert!(matches!(
            fault(StatusCode::SERVICE_UNAVAILABLE, "<html>"),
            Failure::Retry(_)
        ));
        assert!(matches!(fault(StatusCode::FORBIDDEN, ""), Failure::Permanent(_)));
    }

    #[test]
    fn an_expired_token_is_told_by_its_code() {
        let expired = json!({"Errors": [{"Code": 109, "ErrorCode": "AuthenticationTokenExpired", "Message": "x"}]});
        assert!(token_expired(&expired));
        assert!(!token_expired(&batch("OfflineConversionNameInvalid", 5606)));
    }
}
