//! The Google Ads API's conversion uploads: `uploadClickConversions` (a click id and/or
//! hashed contact details), `uploadCallConversions` (by caller number) and
//! `uploadConversionAdjustments` (restate or retract by order id). Every request carries the
//! developer token, and `login-customer-id` when a manager account signs in; each is one row
//! with `partialFailure: true`, so a refused row comes back in `partialFailureError`.

use super::data_manager::digits;
use super::errors::{answered, partial};
use super::{ADS_API, Google, Match};
use crate::outbox::Failure;
use crate::outbox::ads::adjustment_time;
use leadline_core::ad_consent::AdConsent;
use leadline_core::ad_upload::{AdAction, AdFacts, Uploaded, Wanted, major_units};
use leadline_core::site::Timezone;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

/// A time as the Google Ads API writes it, in the site's zone: `2026-11-02 10:00:00-05:00`.
pub(crate) fn ads_time(at: chrono::DateTime<chrono::Utc>, zone: &Timezone) -> String {
    at.with_timezone(&zone.tz()).format("%Y-%m-%d %H:%M:%S%:z").to_string()
}

/// Sends an upload, restatement or retraction on the `ads_api` route.
pub(crate) async fn send(
    google: &Google<'_>,
    facts: &AdFacts,
    found: &Match,
    action: &AdAction,
) -> Result<String, Failure> {
    let config = google.config;
    let action_name = conversion_action(google, &config.conversion_action_id);
    match action {
        AdAction::Upload(wanted) => {
            let mut row = Map::new();
            if let Some((name, id)) = &found.click {
                row.insert((*name).into(), json!(id));
            }
            row.insert("conversionAction".into(), json!(action_name));
            row.insert(
                "conversionDateTime".into(),
                json!(ads_time(wanted.conversion_time, &facts.row.timezone)),
            );
            row.insert("orderId".into(), json!(wanted.order_id));
            if let Some(value) = wanted.value {
                row.insert("conversionValue".into(), json!(major_units(&value)));
                row.insert("currencyCode".into(), json!(value.currency.code()));
            }
            let identifiers: Vec<Value> = [
                found
                    .email
                    .as_ref()
                    .map(|e| json!({"hashedEmail": e, "userIdentifierSource": "FIRST_PARTY"})),
                found
                    .phone
                    .as_ref()
                    .map(|p| json!({"hashedPhoneNumber": p, "userIdentifierSource": "FIRST_PARTY"})),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !identifiers.is_empty() {
                row.insert("userIdentifiers".into(), json!(identifiers));
            }
            if facts.ads_consent == AdConsent::Granted {
                row.insert("consent".into(), json!({"adUserData": "GRANTED"}));
            }
            let body = json!({"conversions": [row], "partialFailure": true});
            call(google, "uploadClickConversions", &body).await?;
            Ok(format!("Google Ads API: {} sent", wanted.order_id))
        }
        AdAction::Restate { wanted, before } => adjust(google, facts, before, Some(wanted)).await,
        AdAction::Retract(before) => adjust(google, facts, before, None).await,
        AdAction::Nothing(why) => Ok(why.clone()),
    }
}

/// Retracts a conversion sent through the Data Manager API, which cannot retract: through the
/// Google Ads API when the integration has a developer token.
pub(crate) async fn retract_for_data_manager(
    google: &Google<'_>,
    facts: &AdFacts,
    before: &Uploaded,
) -> Result<String, Failure> {
    if google.config.developer_token.is_none() {
        return Err(Failure::Permanent(format!(
            "the Data Manager API cannot retract a conversion: retract {} in Google Ads, or give the integration \
             a developer token so Leadline retracts through the Google Ads API",
            before.order_id
        )));
    }
    adjust(google, facts, before, None).await
}

/// Restates (with `wanted`'s value) or retracts (without) the conversion sent as `before`.
async fn adjust(
    google: &Google<'_>,
    facts: &AdFacts,
    before: &Uploaded,
    wanted: Option<&Wanted>,
) -> Result<String, Failure> {
    let mut row = Map::new();
    row.insert("orderId".into(), json!(before.order_id));
    row.insert(
        "conversionAction".into(),
        json!(conversion_action(google, &google.config.conversion_action_id)),
    );
    row.insert(
        "adjustmentDateTime".into(),
        json!(ads_time(adjustment_time(before), &facts.row.timezone)),
    );
    let what = match wanted.and_then(|w| w.value) {
        Some(value) => {
            row.insert("adjustmentType".into(), json!("RESTATEMENT"));
            row.insert(
                "restatementValue".into(),
                json!({"adjustedValue": major_units(&value), "currencyCode": value.currency.code()}),
            );
            "restated"
        }
        None if wanted.is_some() => {
            return Ok(format!(
                "nothing to send: {} lost its value, and Google restates only to a value",
                before.order_id
            ));
        }
        None => {
            row.insert("adjustmentType".into(), json!("RETRACTION"));
            "retracted"
        }
    };
    let body = json!({"conversionAdjustments": [row], "partialFailure": true});
    call(google, "uploadConversionAdjustments", &body).await?;
    Ok(format!("Google Ads API: {} {what}", before.order_id))
}

/// Uploads a call conversion: the caller's number and the call's start, for calls Google
/// forwarded from an ad.
pub(crate) async fn upload_call(google: &Google<'_>, facts: &AdFacts, wanted: &Wanted) -> Result<String, Failure> {
    let Some(action_id) = &google.config.call_conversion_action_id else {
        return Err(Failure::Permanent("no call conversion action is set".into()));
    };
    let zone = &facts.row.timezone;
    let mut row = Map::new();
    row.insert("callerId".into(), json!(facts.row.caller));
    row.insert(
        "callStartDateTime".into(),
        json!(ads_time(
            facts.row.call_started_at.unwrap_or(wanted.conversion_time),
            zone
        )),
    );
    row.insert("conversionAction".into(), json!(conversion_action(google, action_id)));
    row.insert(
        "conversionDateTime".into(),
        json!(ads_time(wanted.conversion_time, zone)),
    );
    if let Some(value) = wanted.value {
        row.insert("conversionValue".into(), json!(major_units(&value)));
        row.insert("currencyCode".into(), json!(value.currency.code()));
    }
    let body = json!({"conversions": [row], "partialFailure": true});
    call(google, "uploadCallConversions", &body).await?;
    Ok(format!("Google Ads API: {} sent as a call conversion", wanted.order_id))
}

/// `customers/{customer}/conversionActions/{id}`.
fn conversion_action(google: &Google<'_>, id: &str) -> String {
    format!(
        "customers/{}/conversionActions/{}",
        digits(&google.config.customer_id),
        digits(id)
    )
}

/// Posts `body` to the customer's `method`; a refused row is a failure.
async fn call(google: &Google<'_>, method: &str, body: &Value) -> Result<Value, Failure> {
    let config = google.config;
    let ctx = google.ctx;
    let Some(developer_token) = &config.developer_token else {
        return Err(Failure::Permanent(
            "the Google Ads API needs the account's developer token".into(),
        ));
    };
    let url = format!(
        "{}/{}/customers/{}:{method}",
        google.endpoint(ADS_API),
        config.api_version,
        digits(&config.customer_id)
    );
    let mut refreshed = false;
    loop {
        let token = google.token().await?;
        let mut request = ctx
            .http
            .post(&url)
            .timeout(ctx.timeout)
            .bearer_auth(&token)
            .header("developer-token", developer_token)
            .json(body);
        if let Some(login) = &config.login_customer_id {
            request = request.header("login-customer-id", digits(login));
        }
        let response = request.send().await.map_err(|e| crate::outbox::transport_failure(&e))?;
        let status = response.status();
        let answer = response
            .text()
            .await
            .map_err(|e| crate::outbox::transport_failure(&e))?;
        if status == StatusCode::UNAUTHORIZED && !refreshed {
            google.grant.forget(ctx.cache);
            refreshed = true;
            continue;
        }
        if !status.is_success() {
            return Err(answered("Google Ads API", status, &answer));
        }
        let said: Value = serde_json::from_str(&answer).unwrap_or_default();
        if let Some(failure) = partial("Google Ads API", &said) {
            return Err(failure);
        }
        return Ok(said);
    }
}
