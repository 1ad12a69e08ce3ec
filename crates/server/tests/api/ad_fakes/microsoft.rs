//! A fake Microsoft Advertising: the Microsoft identity platform's token endpoint (the
//! refresh-token grant with the `msads.manage` scope) and Campaign Management v13's REST
//! `OfflineConversions/Apply` and `OfflineConversionAdjustments/Apply`, checked as Microsoft
//! documents them: the four headers, `{"OfflineConversions": [...]}` /
//! `{"OfflineConversionAdjustments": [...]}` with only the documented fields, UTC times to the
//! second within the last 90 days, a goal that exists, a click id or hashed contact details,
//! an adjustment that names a conversion it received and comes after the one before.

use super::is_sha256_hex;
use crate::crm_fakes::{Answer, Fake, bearer, header, json_body, refresh_grant, sorted_keys};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};
use std::time::Duration;

pub const MS_CLIENT_ID: &str = "8c4f2e6a-1b3d-4c5e-9f70-a1b2c3d4e5f6";
pub const MS_CLIENT_SECRET: &str = "fake~client~secret";
pub const MS_REFRESH_TOKEN: &str = "M.C105_BAY.fake-refresh-token";
pub const MS_DEVELOPER_TOKEN: &str = "1FAKE2DEV3TOKEN4";
pub const MS_CUSTOMER_ID: &str = "151515151";
pub const MS_ACCOUNT_ID: &str = "252525252";
/// The offline conversion goal the account has.
pub const MS_GOAL: &str = "Offline phone call";
pub const MS_TOKEN_PATH: &str = "/common/oauth2/v2.0/token";
const SCOPE: &str = "https://ads.microsoft.com/msads.manage offline_access";
const APPLY: &str = "/CampaignManagement/v13/OfflineConversions/Apply";
const ADJUST: &str = "/CampaignManagement/v13/OfflineConversionAdjustments/Apply";

/// The hashes of the test person's details, normalised as Leadline sends them (trimmed
/// lowercase e-mail; E.164 with `+`), as PROTOCOLS-2 computes them.
const KNOWN_HASHES: [(&str, &str); 3] = [
    (
        "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
        "jane.doe@example.com",
    ),
    (
        "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8",
        "+16505551212",
    ),
    // The seeded caller's number, +12025550169.
    (
        "6e8f5d4c2229787cc8cbcd9d8545a389e0142b094bf36eff1e507549ae49557f",
        "+12025550169",
    ),
];

#[derive(Default)]
pub struct MsState {
    pub tokens_issued: Vec<String>,
    /// Tokens Microsoft no longer takes (expired).
    pub expired: Vec<String>,
    /// Every token it issues expires at once (a token Microsoft refuses even fresh).
    pub refuse_every_token: bool,
    /// How many requests were answered 401.
    pub unauthorized: u32,
    /// The offline conversions it took, as sent.
    pub conversions: Vec<Value>,
    /// The adjustments it took, as sent.
    pub adjustments: Vec<Value>,
    /// Conversions sent again with the same click id and time (ignored, as Microsoft does).
    pub duplicates: u32,
    /// The next this many Apply requests answer 503.
    pub unavailable: u32,
    pub problems: Vec<String>,
}

/// The fake Microsoft Advertising.
pub type FakeMicrosoft = Fake<MsState>;

impl FakeMicrosoft {
    pub async fn start() -> Self {
        Self::serve(MsState::default(), ms_handle).await
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state().problems.clone();
        assert!(problems.is_empty(), "Microsoft saw: {problems:#?}");
    }

    /// How many requests reached `path`.
    pub fn requests_to(&self, path: &str) -> usize {
        self.all_requests().iter().filter(|r| r.path == path).count()
    }
}

/// An `ApplicationFault` as the REST API answers it.
fn fault(status: u16, code: i64, error_code: &str, message: &str) -> Answer {
    let body = json!({
        "TrackingId": "5f1e3c2a-fake-tracking",
        "Type": "ApiFault",
        "Errors": [{"Code": code, "ErrorCode": error_code, "Message": message, "Detail": null}],
    });
    (status, body, Duration::ZERO)
}

/// A 200 answer refusing the one row.
fn refused(code: i64, error_code: &str, message: &str) -> Answer {
    let error = json!({"Code": code, "ErrorCode": error_code, "Message": message, "Index": 0,
        "FieldPath": null, "Details": null, "Type": "BatchError"});
    (200, json!({"PartialErrors": [error]}), Duration::ZERO)
}

fn ms_handle(s: &mut MsState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    match (method.clone(), uri.path()) {
        (Method::POST, MS_TOKEN_PATH) => ms_token(s, headers, body),
        (Method::POST, APPLY) | (Method::POST, ADJUST) => {
            if let Some(refusal) = ms_headers(s, headers) {
                return refusal;
            }
            if s.unavailable > 0 {
                s.unavailable -= 1;
                return (503, Value::Null, Duration::ZERO);
            }
            let payload = json_body(headers, body, &mut s.problems, uri.path());
            if uri.path() == APPLY {
                ms_apply(s, &payload)
            } else {
                ms_adjust(s, &payload)
            }
        }
        (other, path) => {
            s.problems.push(format!("{other} {path}: unexpected"));
            (404, Value::Null, Duration::ZERO)
        }
    }
}

fn ms_token(s: &mut MsState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let expected = [
        ("client_id", MS_CLIENT_ID),
        ("client_secret", MS_CLIENT_SECRET),
        ("refresh_token", MS_REFRESH_TOKEN),
        ("scope", SCOPE),
    ];
    let invalid = "AADSTS70000: The provided value for the 'refresh_token' is not valid.";
    if let Err(refused) = refresh_grant(headers, body, &expected, &mut s.problems, invalid) {
        return refused;
    }
    let token = format!("EwB4A-fake-access-{}", s.tokens_issued.len() + 1);
    s.tokens_issued.push(token.clone());
    if s.refuse_every_token {
        s.expired.push(token.clone());
    }
    let answer = json!({
        "token_type": "Bearer",
        "scope": "https://ads.microsoft.com/msads.manage",
        "expires_in": 3600,
        "ext_expires_in": 3600,
        "access_token": token,
        "refresh_token": format!("{MS_REFRESH_TOKEN}-{}", s.tokens_issued.len()),
    });
    (200, answer, Duration::ZERO)
}

/// The token and the three account headers; a refusal when one is wrong.
fn ms_headers(s: &mut MsState, headers: &HeaderMap) -> Option<Answer> {
    let valid = bearer(headers).filter(|t| s.tokens_issued.contains(t) && !s.expired.contains(t));
    if valid.is_none() {
        s.unauthorized += 1;
        return Some(fault(
            401,
            109,
            "AuthenticationTokenExpired",
            "Authentication token expired. Please renew it or obtain a new token.",
        ));
    }
    for (name, expected) in [
        ("developertoken", MS_DEVELOPER_TOKEN),
        ("customerid", MS_CUSTOMER_ID),
        ("customeraccountid", MS_ACCOUNT_ID),
    ] {
        let got = header(headers, name);
        if got != expected {
            s.problems.push(format!("header {name}: {got:?}"));
            return Some(fault(400, 105, "InvalidCredentials", "Authentication failed."));
        }
    }
    None
}

/// A documented UTC time to the second (`2020-05-15T17:02:35Z`); a problem otherwise.
fn utc_time(s: &mut MsState, row: &Value, field: &str) -> Option<DateTime<Utc>> {
    let text = row[field].as_str().unwrap_or_default();
    match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ") {
        Ok(at) => Some(at.and_utc()),
        Err(_) => {
            s.problems
                .push(format!("{field}: {:?} is not a UTC time to the second", row[field]));
            None
        }
    }
}

/// A time a client could send: not ahead of Microsoft's clock by more than a few seconds.
fn in_future(at: DateTime<Utc>) -> bool {
    at > Utc::now() + chrono::Duration::seconds(5)
}

/// The click id and hashed details of a row; a problem for malformed ones or hashes of
/// values not normalised as expected.
fn identifiers(s: &mut MsState, row: &Value) -> bool {
    let mut any = false;
    if let Some(id) = row.get("MicrosoftClickId") {
        let ok = id
            .as_str()
            .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !ok {
            s.problems.push(format!("MicrosoftClickId {id}"));
        }
        any = true;
    }
    for field in ["HashedEmailAddress", "HashedPhoneNumber"] {
        let Some(hash) = row.get(field) else { continue };
        let text = hash.as_str().unwrap_or_default();
        if !is_sha256_hex(text) {
            s.problems
                .push(format!("{field} is not a SHA-256 in lowercase hex: {hash}"));
        } else if !KNOWN_HASHES.iter().any(|(known, _)| *known == text) {
            s.problems
                .push(format!("{field} {text} is not the hash of a normalised test value"));
        }
        any = true;
    }
    any
}

/// The one row of `payload[list]` whose keys are among `allowed`.
fn one_row(s: &mut MsState, payload: &Value, list: &str, allowed: &[&str]) -> Result<Value, Answer> {
    let empty = || {
        fault(
            400,
            5600,
            "OfflineConversionsNullOrEmpty",
            "The list of offline conversions cannot be null or empty.",
        )
    };
    if sorted_keys(payload) != [list] {
        s.problems.push(format!("body keys {:?}", sorted_keys(payload)));
        return Err(empty());
    }
    let rows = payload[list].as_array().cloned().unwrap_or_default();
    if rows.len() != 1 {
        s.problems.push(format!("{list}: {} rows, one expected", rows.len()));
        return Err(empty());
    }
    let row = &payload[list][0];
    for key in sorted_keys(row) {
        if !allowed.contains(&key.as_str()) {
            s.problems.push(format!("{list}: undocumented field {key}"));
        }
    }
    Ok(row.clone())
}

/// A value and its currency, both or neither.
fn money(s: &mut MsState, row: &Value, value: &str, currency: &str) {
    let has_value = row.get(value).is_some();
    if has_value && !row[value].as_f64().is_some_and(|v| v >= 0.0) {
        s.problems.push(format!("{value}: {}", row[value]));
    }
    let code = row[currency].as_str().unwrap_or_default();
    let shaped = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
    if has_value != row.get(currency).is_some() || (has_value && !shaped) {
        s.problems
            .push(format!("{value} {} with {currency} {}", row[value], row[currency]));
    }
}

fn ms_apply(s: &mut MsState, payload: &Value) -> Answer {
    let allowed = [
        "ConversionName",
        "ConversionTime",
        "ConversionValue",
        "ConversionCurrencyCode",
        "MicrosoftClickId",
        "HashedEmailAddress",
        "HashedPhoneNumber",
        "ExternalAttributionCredit",
        "ExternalAttributionModel",
    ];
    let row = match one_row(s, payload, "OfflineConversions", &allowed) {
        Ok(row) => row,
        Err(fault) => return fault,
    };
    if row["ConversionName"] != MS_GOAL {
        s.problems.push(format!("ConversionName {}", row["ConversionName"]));
        return refused(
            5606,
            "OfflineConversionNameInvalid",
            "The conversion name do not match an existing offline conversion goal.",
        );
    }
    let Some(at) = utc_time(s, &row, "ConversionTime") else {
        return refused(
            5607,
            "OfflineConversionTimeInvalid",
            "The conversion time of offline conversion is invalid.",
        );
    };
    if Utc::now() - at > chrono::Duration::days(90) {
        s.problems.push(format!("ConversionTime {at} is more than 90 days ago"));
        return refused(
            5609,
            "OfflineConversionTimeOutOfWindow",
            "The conversion time is out of the conversion window.",
        );
    }
    if in_future(at) {
        return refused(
            5614,
            "FutureConversionTimeCannotBeSet",
            "A future conversion time cannot be set.",
        );
    }
    money(s, &row, "ConversionValue", "ConversionCurrencyCode");
    if !identifiers(s, &row) {
        s.problems
            .push("a conversion with no click id nor hashed details".into());
        return refused(
            5603,
            "OfflineConversionMicrosoftClickIdNullOrEmpty",
            "The Microsoft Click Id of offline conversion cannot be null or empty.",
        );
    }
    let same =
        |c: &Value| c["MicrosoftClickId"] == row["MicrosoftClickId"] && c["ConversionTime"] == row["ConversionTime"];
    if row.get("MicrosoftClickId").is_some() && s.conversions.iter().any(same) {
        s.duplicates += 1;
    } else {
        s.conversions.push(row);
    }
    (200, json!({"PartialErrors": []}), Duration::ZERO)
}

fn ms_adjust(s: &mut MsState, payload: &Value) -> Answer {
    let allowed = [
        "AdjustmentCurrencyCode",
        "AdjustmentTime",
        "AdjustmentType",
        "AdjustmentValue",
        "ConversionName",
        "ConversionTime",
        "HashedEmailAddress",
        "HashedPhoneNumber",
        "MicrosoftClickId",
    ];
    let row = match one_row(s, payload, "OfflineConversionAdjustments", &allowed) {
        Ok(row) => row,
        Err(fault) => return fault,
    };
    identifiers(s, &row);
    let original = s.conversions.iter().find(|c| {
        c["ConversionName"] == row["ConversionName"]
            && c["ConversionTime"] == row["ConversionTime"]
            && c.get("MicrosoftClickId") == row.get("MicrosoftClickId")
    });
    if original.is_none() {
        s.problems
            .push(format!("an adjustment of a conversion never applied: {row}"));
        return refused(
            5606,
            "OfflineConversionNameInvalid",
            "The conversion name do not match an existing offline conversion goal.",
        );
    }
    let (Some(conversion), Some(adjusted)) = (utc_time(s, &row, "ConversionTime"), utc_time(s, &row, "AdjustmentTime"))
    else {
        return refused(
            5621,
            "OfflineConversionAdjustmentTimeInvalid",
            "The offline conversion adjustment time is invalid.",
        );
    };
    if adjusted < conversion {
        s.problems
            .push(format!("AdjustmentTime {adjusted} before ConversionTime {conversion}"));
        return refused(
            5620,
            "OfflineConversionAdjustmentTimeEarlierThanConversionTime",
            "The offline conversion adjustment time is earlier than conversion time.",
        );
    }
    if in_future(adjusted) {
        return refused(
            5622,
            "OfflineConversionFutureAdjustmentTimeCannotBeSet",
            "The offline conversion adjustment time cannot be in the future.",
        );
    }
    let earlier = s.adjustments.iter().filter(|a| {
        a["ConversionTime"] == row["ConversionTime"] && a.get("MicrosoftClickId") == row.get("MicrosoftClickId")
    });
    if earlier
        .clone()
        .any(|a| a["AdjustmentTime"].as_str() >= row["AdjustmentTime"].as_str())
    {
        s.problems
            .push(format!("AdjustmentTime {adjusted} is not after the last adjustment's"));
    }
    match row["AdjustmentType"].as_str() {
        Some("Restate") => {
            if row.get("AdjustmentValue").is_none() {
                s.problems.push("a restatement without AdjustmentValue".into());
                return refused(
                    5625,
                    "OfflineConversionAdjustmentValueRequired",
                    "The offline conversion adjustment value is required.",
                );
            }
            money(s, &row, "AdjustmentValue", "AdjustmentCurrencyCode");
        }
        Some("Retract") => {
            if row.get("AdjustmentValue").is_some() || row.get("AdjustmentCurrencyCode").is_some() {
                s.problems.push("a retraction with a value".into());
                return refused(
                    5624,
                    "OfflineConversionAdjustmentValueNotExpected",
                    "The offline conversion adjustment value is not expected.",
                );
            }
        }
        _ => {
            s.problems.push(format!("AdjustmentType {}", row["AdjustmentType"]));
            return refused(
                5618,
                "OfflineConversionInvalidAdjustmentType",
                "The offline conversion adjustment type is invalid.",
            );
        }
    }
    s.adjustments.push(row);
    (200, json!({"PartialErrors": []}), Duration::ZERO)
}
