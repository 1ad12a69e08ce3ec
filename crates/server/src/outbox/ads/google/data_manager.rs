//! The Data Manager API's `events:ingest`: one event per request, named by its
//! `transactionId` (the record's order id), so sending it again with a new value restates it.

use super::errors::answered;
use super::{DATA_MANAGER, Google, Match};
use crate::outbox::Failure;
use crate::outbox::crm::send_json;
use chrono::DateTime;
use chrono::{SecondsFormat, Utc};
use leadline_core::ad_consent::AdConsent;
use leadline_core::ad_upload::{AdFacts, Uploaded, Wanted, major_units};
use leadline_core::conversion::ConversionRecord;
use leadline_core::conversion::ConversionValue;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// The path of an ingest.
pub const INGEST_PATH: &str = "/v1/events:ingest";

/// What an ingest sends: a conversion, first or again with a new value (a restatement).
pub(crate) struct Ingest<'a> {
    pub order_id: &'a str,
    pub conversion_time: DateTime<Utc>,
    pub value: Option<ConversionValue>,
    pub restated: bool,
}

impl<'a> Ingest<'a> {
    /// The first upload of `wanted`.
    pub(crate) fn upload(wanted: &'a Wanted) -> Self {
        Self {
            order_id: &wanted.order_id,
            conversion_time: wanted.conversion_time,
            value: wanted.value,
            restated: false,
        }
    }

    /// `before` again, with `wanted`'s value: the same transaction id and time adjust it.
    pub(crate) fn restatement(wanted: &Wanted, before: &'a Uploaded) -> Self {
        Self {
            order_id: &before.order_id,
            conversion_time: before.conversion_time,
            value: wanted.value,
            restated: true,
        }
    }
}

/// The request body of `ingest` for the record of `facts`.
pub(crate) fn body(google: &Google<'_>, facts: &AdFacts, found: &Match, ingest: &Ingest<'_>) -> Value {
    let config = google.config;
    let account = |id: &str| json!({"accountType": "GOOGLE_ADS", "accountId": digits(id)});
    let mut destination = Map::new();
    destination.insert("operatingAccount".into(), account(&config.customer_id));
    if let Some(login) = &config.login_customer_id {
        destination.insert("loginAccount".into(), account(login));
    }
    destination.insert(
        "productDestinationId".into(),
        json!(digits(&config.conversion_action_id)),
    );

    let Ingest {
        order_id,
        conversion_time,
        value,
        restated,
    } = *ingest;
    let mut event = Map::new();
    event.insert("transactionId".into(), json!(order_id));
    event.insert("eventTimestamp".into(), json!(rfc3339(conversion_time)));
    if restated {
        event.insert(
            "lastUpdatedTimestamp".into(),
            json!(rfc3339(leadline_core::clock::now())),
        );
    }
    let source = match facts.row.record {
        ConversionRecord::Call { .. } => "PHONE",
        ConversionRecord::Submission { .. } => "WEB",
    };
    event.insert("eventSource".into(), json!(source));
    if let Some((name, id)) = &found.click {
        event.insert("adIdentifiers".into(), json!({ *name: id }));
    }
    let mut identifiers = Vec::new();
    if let Some(email) = &found.email {
        identifiers.push(json!({"emailAddress": email}));
    }
    if let Some(phone) = &found.phone {
        identifiers.push(json!({"phoneNumber": phone}));
    }
    let has_identifiers = !identifiers.is_empty();
    if has_identifiers {
        event.insert("userData".into(), json!({"userIdentifiers": identifiers}));
    }
    if let Some(value) = value {
        event.insert("conversionValue".into(), json!(major_units(&value)));
        event.insert("currency".into(), json!(value.currency.code()));
    }
    // The visitor's signal granted advertising (ad_storage, and ad_user_data not denied):
    // Google hears it. Unknown is left out; a refusal was never sent.
    if facts.ads_consent == AdConsent::Granted {
        event.insert("consent".into(), json!({"adUserData": "CONSENT_GRANTED"}));
    }
    let mut request = json!({"destinations": [destination], "events": [event]});
    if has_identifiers {
        request["encoding"] = json!("HEX");
    }
    request
}

/// Ingests the upload or restatement; answers what Google said (its request id).
pub(crate) async fn ingest(
    google: &Google<'_>,
    facts: &AdFacts,
    found: &Match,
    ingest: &Ingest<'_>,
) -> Result<String, Failure> {
    let ctx = google.ctx;
    let url = format!("{}{INGEST_PATH}", google.endpoint(DATA_MANAGER));
    let request = body(google, facts, found, ingest);
    let mut refreshed = false;
    loop {
        let token = google.token().await?;
        let (status, answer) =
            send_json(ctx.http, ctx.timeout, &token, Method::POST, url.clone(), Some(&request)).await?;
        if status == StatusCode::UNAUTHORIZED && !refreshed {
            google.grant.forget(ctx.cache);
            refreshed = true;
            continue;
        }
        if !status.is_success() {
            return Err(answered("Data Manager API", status, &answer));
        }
        let said: Value = serde_json::from_str(&answer).unwrap_or_default();
        let what = if ingest.restated { "restated" } else { "sent" };
        let order = ingest.order_id;
        return Ok(format!(
            "Data Manager API: {order} {what}, request {}",
            said["requestId"].as_str().unwrap_or("(no id given)")
        ));
    }
}

/// A time as RFC 3339 in UTC, to the second.
fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An account or conversion action id as Google wants it: digits only (`123-456-7890`).
pub(crate) fn digits(id: &str) -> String {
    id.chars().filter(char::is_ascii_digit).collect()
}
