//! Meta's Conversions API: `POST {endpoint}/{api_version}/{pixel_id}/events`, one server event
//! per request, as a form body of `data` (the JSON array of events), `access_token` and, when
//! set, `test_event_code` (Events Manager › Test Events instead of production). The token goes
//! in the body, never in a URL, so no log line or transport error carries it.
//!
//! Sources followed: developers.facebook.com/docs/marketing-api/conversions-api (`using-the-api`,
//! `parameters/server-event`, `parameters/customer-information-parameters`,
//! `parameters/fbp-and-fbc`), and the `ActionSource` definitions of Meta's business SDK
//! (facebook-python-business-sdk, `adobjects/serverside/action_source.py`).
//!
//! What goes, and why:
//! - **Event name.** A conversion without a value is a `Lead`; one with a value is a
//!   `Purchase` with `custom_data {value, currency}`.
//! - **Event id.** The record's order id (`call-1042`, `form-<message id>`): Meta drops a
//!   second server event with the same `event_name` and `event_id` (a retried delivery), and
//!   would drop a pixel event with both the same within 48 hours. The site's pixel cannot know
//!   Leadline's order id, so it should not send the same event for the same conversion.
//! - **Action source.** `phone_call` for calls. For forms, Meta requires a `website` event to
//!   carry the browser's `client_user_agent` (and `event_source_url`); Leadline keeps no user
//!   agents, and a made-up one would be false, so forms go as `other` ("happened in a way that
//!   is not listed": the conversion is the business marking the form afterwards), with the
//!   form's page (else the visit's landing page) as `event_source_url`.
//! - **Who.** `user_data`: `em` and `ph` normalised as Meta says and SHA-256 hashed, `fbc`
//!   built from the visit's `fbclid` as `fb.1.<click time ms>.<fbclid>` (not hashed), and the
//!   hashed lead id as `external_id`. Without an e-mail, a phone or a click, nothing is sent.
//! - **Changes.** Meta has no adjustments. A sale recorded after a `Lead` went is a new event,
//!   a `Purchase` under the same order id (a different event name, so not a duplicate) at the
//!   sale's time; a `Purchase` already sent cannot change its value (another one would add to
//!   the revenue, not replace it), and an event cannot be retracted: both are delivered with
//!   an answer saying so, and what Meta has is left remembered as it is.
//! - **Age.** Meta refuses a whole request when an event is older than 7 days: such a
//!   delivery is dead before anything is sent.

use super::{Plan, plan, remember};
use crate::outbox::{Adapter, Context, Failure, Sent, http_failure, transport_failure};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::ad_upload::{AdAction, AdFacts, major_units, meta_email, meta_phone, sha256_hex, too_old};
use leadline_core::conversion::{ConversionRecord, ConversionValue};
use leadline_core::event::{Event, EventData};
use leadline_core::outbox::{Integration, IntegrationConfig, MetaCapi};
use leadline_core::phone::E164;
use serde_json::{Map, Value, json};

/// Where the Graph API is.
pub const GRAPH: &str = "https://graph.facebook.com";
/// How old an event Meta takes (`physical_store` events excepted, which Leadline never sends).
pub const MAX_AGE_DAYS: i64 = 7;
/// Graph API error codes that say "not now": temporary failures (1, 2) and rate limits (4,
/// 17, 32, 613); the ads-management throttles are 80000 to 80014.
const NOT_NOW: [i64; 6] = [1, 2, 4, 17, 32, 613];

/// The Meta Conversions API adapter.
pub struct MetaCapiAdapter;

fn config_of(integration: &Integration) -> Result<&MetaCapi, Failure> {
    match &integration.config {
        IntegrationConfig::MetaCapi(config) => Ok(config),
        other => Err(Failure::Permanent(format!(
            "a {} integration was handed to the Meta Conversions API adapter",
            other.kind()
        ))),
    }
}

/// The Graph API base URL of `config`.
fn graph(config: &MetaCapi) -> &str {
    config.endpoint.as_deref().unwrap_or(GRAPH).trim_end_matches('/')
}

/// Whether Meta knows the pixel and takes the token: `GET /{version}/{pixel_id}?fields=id,name`,
/// which sends no event (a test event would show in Events Manager).
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    timeout: std::time::Duration,
    integration: &Integration,
) -> Result<Sent, Failure> {
    let config = config_of(integration)?;
    let url = format!("{}/{}/{}", graph(config), config.api_version, config.pixel_id);
    let request = http
        .get(&url)
        .timeout(timeout)
        .query(&[("fields", "id,name"), ("access_token", config.access_token.as_str())]);
    let (_, said, _) = answer_of(request).await?;
    Ok(Sent {
        response: Some(format!(
            "Meta read pixel {} (\"{}\") with the access token (GET /{}/{}?fields=id,name): events can be sent; \
             no event was sent",
            said["id"].as_str().unwrap_or(&config.pixel_id),
            said["name"].as_str().unwrap_or("no name"),
            config.api_version,
            config.pixel_id
        )),
    })
}

/// `fbc` as Meta builds it from a click id it did not see in a cookie:
/// `fb.<subdomain index>.<creation time, ms>.<fbclid>`, with the index 1 (the site's domain)
/// and the time the visitor arrived with the click.
pub(crate) fn fbc(fbclid: &str, clicked_at: DateTime<Utc>) -> String {
    format!("fb.1.{}.{fbclid}", clicked_at.timestamp_millis())
}

/// What Meta matches the person by.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UserData {
    pub em: Option<String>,
    pub ph: Option<String>,
    pub fbc: Option<String>,
    pub external_id: String,
}

impl UserData {
    /// From the delivery's event (the lead, the visit's click) and the record.
    pub(crate) fn of(facts: &AdFacts, event: &Event) -> Self {
        let lead = event.lead.as_ref();
        let em = lead
            .and_then(|l| l.email.as_deref())
            .filter(|e| e.contains('@'))
            .map(|e| sha256_hex(&meta_email(e)));
        let ph = lead
            .and_then(|l| l.phone.as_deref())
            .or(facts.row.caller.as_deref())
            .and_then(|p| E164::from_stored(p).ok())
            .map(|p| sha256_hex(&meta_phone(p.as_str())));
        let visitor = &event.visitor;
        let fbc = visitor
            .click_ids
            .fbclid
            .as_ref()
            .zip(visitor.visit_started_at.or(facts.clicked_at))
            .map(|(id, at)| fbc(id.as_str(), at));
        Self {
            em,
            ph,
            fbc,
            external_id: sha256_hex(&facts.lead_id.0.to_string()),
        }
    }

    /// Whether Meta can match anyone by it (the lead id is Leadline's own, known to nobody
    /// else).
    pub(crate) fn any(&self) -> bool {
        self.em.is_some() || self.ph.is_some() || self.fbc.is_some()
    }

    fn json(&self) -> Value {
        let mut data = Map::new();
        if let Some(em) = &self.em {
            data.insert("em".into(), json!([em]));
        }
        if let Some(ph) = &self.ph {
            data.insert("ph".into(), json!([ph]));
        }
        if let Some(fbc) = &self.fbc {
            data.insert("fbc".into(), json!(fbc));
        }
        data.insert("external_id".into(), json!([self.external_id]));
        Value::Object(data)
    }
}

/// One server event to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conversion<'a> {
    pub name: &'static str,
    pub time: DateTime<Utc>,
    pub order_id: &'a str,
    pub value: Option<ConversionValue>,
}

/// The event to send for `action`, or why nothing goes.
pub(crate) fn conversion(action: &AdAction, now: DateTime<Utc>) -> Result<Conversion<'_>, String> {
    let name = |value: &Option<ConversionValue>| if value.is_some() { "Purchase" } else { "Lead" };
    match action {
        AdAction::Upload(wanted) => Ok(Conversion {
            name: name(&wanted.value),
            time: wanted.conversion_time,
            order_id: &wanted.order_id,
            value: wanted.value,
        }),
        AdAction::Restate { wanted, before } => match (before.value, wanted.value) {
            (None, Some(value)) => Ok(Conversion {
                name: "Purchase",
                time: now,
                order_id: &before.order_id,
                value: Some(value),
            }),
            (Some(sent), _) => Err(format!(
                "nothing to send: Meta's Conversions API cannot change an event it received; {} stays a Purchase of {} {} on Meta",
                before.order_id,
                major_units(&sent),
                sent.currency.code()
            )),
            (None, None) => Err(format!("nothing to send: {} was sent already", before.order_id)),
        },
        AdAction::Retract(before) => Err(format!(
            "nothing to send: Meta's Conversions API has no retraction; {} stays counted on Meta",
            before.order_id
        )),
        AdAction::Nothing(why) => Err(why.clone()),
    }
}

/// The server event of `conversion` for the record of `facts`.
pub(crate) fn server_event(facts: &AdFacts, event: &Event, user: &UserData, conversion: &Conversion<'_>) -> Value {
    let mut out = Map::new();
    out.insert("event_name".into(), json!(conversion.name));
    out.insert("event_time".into(), json!(conversion.time.timestamp()));
    out.insert("event_id".into(), json!(conversion.order_id));
    match facts.row.record {
        ConversionRecord::Call { .. } => {
            out.insert("action_source".into(), json!("phone_call"));
        }
        ConversionRecord::Submission { .. } => {
            out.insert("action_source".into(), json!("other"));
            let page = match &event.data {
                EventData::FormCompleted(form) => form.page_url.clone(),
                _ => None,
            };
            if let Some(url) = page.or_else(|| event.visitor.landing_url.clone()) {
                out.insert("event_source_url".into(), json!(url));
            }
        }
    }
    out.insert("user_data".into(), user.json());
    if let Some(value) = conversion.value {
        out.insert(
            "custom_data".into(),
            json!({"value": major_units(&value), "currency": value.currency.code()}),
        );
    }
    Value::Object(out)
}

/// The failure of a Graph API answer other than 2xx: its error object
/// (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`) in words; retried
/// for a 5xx, a rate limit or a temporary error, dead otherwise.
pub(crate) fn graph_failure(status: reqwest::StatusCode, body: &str) -> Failure {
    let said: Value = serde_json::from_str(body).unwrap_or_default();
    let error = &said["error"];
    if !error.is_object() {
        return match http_failure(status, body) {
            Failure::Retry(m) => Failure::Retry(format!("Meta: {m}")),
            Failure::Permanent(m) => Failure::Permanent(format!("Meta: {m}")),
            wait @ Failure::Wait { .. } => wait,
        };
    }
    let code = error["code"].as_i64();
    let mut message = format!(
        "Meta: HTTP {status}: {}",
        error["message"].as_str().unwrap_or("no message")
    );
    if let Some(user) = error["error_user_msg"].as_str() {
        message.push_str(&format!(" ({user})"));
    }
    let mut about = Vec::new();
    if let Some(kind) = error["type"].as_str() {
        about.push(format!("type {kind}"));
    }
    if let Some(code) = code {
        about.push(format!("code {code}"));
    }
    if let Some(sub) = error["error_subcode"].as_i64() {
        about.push(format!("subcode {sub}"));
    }
    if let Some(trace) = error["fbtrace_id"].as_str() {
        about.push(format!("fbtrace_id {trace}"));
    }
    if !about.is_empty() {
        message.push_str(&format!(" [{}]", about.join(", ")));
    }
    let not_now = code.is_some_and(|c| NOT_NOW.contains(&c) || (80000..=80014).contains(&c))
        || error["is_transient"].as_bool() == Some(true);
    match http_failure(status, "") {
        Failure::Permanent(_) if !not_now => Failure::Permanent(message),
        _ => Failure::Retry(message),
    }
}

/// Sends `request` and reads Meta's answer: its status, its JSON and its text, or the
/// failure of a Graph error. The URL (which may carry the token) is left out of any error.
async fn answer_of(request: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, Value, String), Failure> {
    let response = request.send().await.map_err(|e| transport_failure(&e.without_url()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| transport_failure(&e.without_url()))?;
    if !status.is_success() {
        return Err(graph_failure(status, &text));
    }
    let said: Value = serde_json::from_str(&text).unwrap_or_default();
    Ok((status, said, text))
}

/// Posts one event; answers Meta's trace id.
async fn post(ctx: &Context<'_>, config: &MetaCapi, event: &Value) -> Result<String, Failure> {
    let url = format!("{}/{}/{}/events", graph(config), config.api_version, config.pixel_id);
    let data = Value::Array(vec![event.clone()]).to_string();
    let mut form = vec![("data", data.as_str()), ("access_token", config.access_token.as_str())];
    if let Some(code) = &config.test_event_code {
        form.push(("test_event_code", code.as_str()));
    }
    let request = ctx.http.post(&url).timeout(ctx.timeout).form(&form);
    let (status, said, text) = answer_of(request).await?;
    if said["events_received"].as_u64() != Some(1) {
        return Err(Failure::Retry(format!(
            "Meta answered {status} without receiving the event: {}",
            text.chars().take(300).collect::<String>()
        )));
    }
    Ok(said["fbtrace_id"].as_str().unwrap_or("none given").to_owned())
}

#[async_trait]
impl Adapter for MetaCapiAdapter {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let config = config_of(&ctx.delivery.integration)?;
        let (facts, action) = match plan(ctx, &config.send).await? {
            Plan::Skip(why) => return Ok(Plan::skipped(why)),
            Plan::Act { facts, action } => (facts, action),
        };
        let now = leadline_core::clock::now();
        let conversion = match conversion(&action, now) {
            Ok(conversion) => conversion,
            Err(why) => return Ok(Plan::skipped(why)),
        };
        let event = &ctx.delivery.event;
        let user = UserData::of(&facts, event);
        if !user.any() {
            return Ok(Plan::skipped(
                "nothing to send: no e-mail, phone or Meta click id (fbclid) to match the conversion by".into(),
            ));
        }
        if too_old(conversion.time, now, MAX_AGE_DAYS) {
            return Err(Failure::Permanent(format!(
                "{} of {} happened at {}, more than {MAX_AGE_DAYS} days ago: Meta's Conversions API refuses a \
                 request with an event older than {MAX_AGE_DAYS} days, so nothing was sent",
                conversion.name,
                conversion.order_id,
                conversion.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        let body = server_event(&facts, event, &user, &conversion);
        let trace = post(ctx, config, &body).await?;
        let mut said = format!(
            "Meta: {} {} received (fbtrace_id {trace})",
            conversion.name, conversion.order_id
        );
        if let Some(code) = &config.test_event_code {
            said.push_str(&format!(", as a test event ({code})"));
        }
        remember(ctx, &action).await?;
        Ok(Sent { response: Some(said) })
    }
}

#[cfg(test)]
mod tests;
