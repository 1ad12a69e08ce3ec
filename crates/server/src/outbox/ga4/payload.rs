//! The GA4 Measurement Protocol body for one Leadline event: which client and session it
//! belongs to, which GA4 events it becomes and their parameters. Pure: no I/O, the clock is
//! an argument. What it builds is checked against GA4's limits by [`super::limits`] before
//! anything is sent.
//!
//! - The client is the visitor's `_ga` cookie (`GA1.1.<random>.<first seen>` gives
//!   `<random>.<first seen>`). Without one (an offline print source, a cookie-less site, a
//!   caller with no visit) the client id is `<lead id>.<record ref>`: GA's shape of two
//!   dot-separated digit groups, stable for the lead's whole life, never mistaken for a real
//!   cookie (whose second group is a 10-digit first-seen time) and readable back to the lead.
//!   Such events also carry the source's UTM fields as `campaign_*` parameters.
//! - The session (`session_id`, `engagement_time_msec`) comes from the `_ga_<STREAM>` cookie of
//!   the integration's stream and is sent only while the event is within 24 hours of the
//!   session's start, the window in which GA4 still attributes events to a session.
//! - Every event is labelled with the record ref (`record_ref`) and carries the delivery's
//!   idempotency key (`leadline_event_id`) so that a duplicate can be spotted in GA4.

use chrono::{DateTime, TimeDelta, Utc};
use leadline_core::event::{Event, EventData, EventKind, Sale};
use leadline_core::lead::{LeadMatch, LeadStatus};
use leadline_core::visitor::{ga_client_id, ga_session, refused_analytics};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::fmt;

/// The most characters GA4 keeps of a parameter value; longer free text is cut to this.
pub const MAX_VALUE_CHARS: usize = 100;

/// The engagement time sent with a session: the least that makes GA4 count the event in the
/// session without inflating its engagement figures.
pub const ENGAGEMENT_TIME_MSEC: u64 = 1;

/// How long after a session's start GA4 still attributes events to it.
pub fn session_window() -> TimeDelta {
    TimeDelta::hours(24)
}

/// A Measurement Protocol request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub client_id: String,
    /// When the event happened (GA4 accepts up to 72 hours back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_micros: Option<i64>,
    pub events: Vec<Ga4Event>,
}

impl Payload {
    /// The events' names, comma-separated (for logs and the delivery's response).
    pub fn event_names(&self) -> String {
        self.events
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One GA4 event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ga4Event {
    pub name: String,
    pub params: Map<String, Value>,
}

/// What an event becomes for an analytics tool (GA4's body, or Matomo's hits).
#[derive(Debug, Clone, PartialEq)]
pub enum Built<T = Payload, S = Skip> {
    /// What to send.
    Send(T),
    /// Nothing is sent; the delivery is done, with the reason as its response.
    Skip(S),
    /// The event cannot be sent as it is; the delivery is dead.
    Refuse(Refusal),
}

/// Why GA4 is sent nothing for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// GA4 has no event for this kind (a note, a lead update).
    NoEvent(EventKind),
    /// GA4 has no lead event for the status the lead moved to (`new`, `in_call`).
    NoLeadEvent(LeadStatus),
    /// The visit had no `_ga` cookie and there is no lead to derive a client id from.
    NoClientId,
    /// The visitor refused analytics (the site's consent signal, Global Privacy Control).
    NoConsent,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoEvent(kind) => write!(f, "nothing to send: GA4 receives no event for this {}", kind.as_str()),
            Self::NoLeadEvent(status) => write!(
                f,
                "nothing to send: GA4 receives no event for this {} (status {})",
                EventKind::LeadStatusChanged.as_str(),
                status.as_str()
            ),
            Self::NoClientId => {
                f.write_str("nothing to send: no GA client id (the visit had no _ga cookie and there is no lead)")
            }
            Self::NoConsent => f.write_str("nothing to send: the visitor refused analytics"),
        }
    }
}

/// Why an event cannot be sent to an analytics tool as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A sale with no call ref, no lead and no record ref: no order id to send it under.
    SaleWithoutRef,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SaleWithoutRef => f.write_str("the sale names no record ref"),
        }
    }
}

/// Where the client id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSource {
    /// The visitor's `_ga` cookie.
    Cookie,
    /// Derived from the lead (no usable cookie).
    Lead,
}

/// The GA client id of the event's visitor: the `_ga` cookie's, else `<lead id>.<record ref>`.
pub fn client_id(event: &Event) -> Option<(String, ClientSource)> {
    if let Some(id) = event.visitor.ga_cookie.as_deref().and_then(ga_client_id) {
        return Some((id, ClientSource::Cookie));
    }
    event
        .lead
        .as_ref()
        .map(|lead| (format!("{}.{}", lead.id.0, lead.record_ref), ClientSource::Lead))
}

/// The stream of a measurement id: `G-ABC123` → `ABC123`.
pub fn stream_of(measurement_id: &str) -> &str {
    let id = measurement_id.trim();
    match id.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("G-") => &id[2..],
        _ => id,
    }
}

/// The session id to send: from the stream's `_ga_<STREAM>` cookie (stored under the stream
/// id or the full cookie name), when the event is within 24 hours of the session's start. The
/// start is the session id itself (GA4 uses the session's start time in Unix seconds), else
/// the visit's start; with neither known the session is left out.
pub fn session_id(event: &Event, measurement_id: &str) -> Option<String> {
    let stream = stream_of(measurement_id);
    if stream.is_empty() {
        return None;
    }
    let cookie = event.visitor.ga_streams.iter().find_map(|(name, value)| {
        let name = name.strip_prefix("_ga_").unwrap_or(name);
        name.eq_ignore_ascii_case(stream).then_some(value)
    })?;
    let session = ga_session(cookie)?;
    let own_start = session
        .session_id
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        // A plausible start: after 2001 and not after the event (clock skew aside).
        .filter(|start| start.timestamp() >= 1_000_000_000 && *start <= event.occurred_at + TimeDelta::hours(1));
    let start = own_start.or(event.visitor.visit_started_at)?;
    let since = event.occurred_at.signed_duration_since(start);
    (since <= session_window()).then_some(session.session_id)
}

/// Free text cut to what GA4 keeps (never sent longer).
pub fn text(value: &str) -> String {
    value.trim().chars().take(MAX_VALUE_CHARS).collect()
}

/// An amount in minor units as currency units (`120050` USD → `1200.5`).
pub fn units(minor: i64, digits: u16) -> f64 {
    minor as f64 / 10f64.powi(i32::from(digits))
}

/// The GA4 lead event for a status a lead moved to, `None` for `new` and `in_call`.
pub fn lead_event_name(status: LeadStatus) -> Option<&'static str> {
    match status {
        LeadStatus::Contacted => Some("working_lead"),
        LeadStatus::Qualified => Some("qualify_lead"),
        LeadStatus::Converted => Some("close_convert_lead"),
        LeadStatus::Lost => Some("close_unconvert_lead"),
        LeadStatus::New | LeadStatus::InCall => None,
    }
}

/// The ref `sale` (of `event`) is recorded under: the call's when it names one, else the
/// lead's; refused when there is neither.
pub fn sale_ref(event: &Event, sale: &Sale) -> Result<u64, Refusal> {
    sale.call_ref
        .or(event.lead.as_ref().map(|l| l.record_ref))
        .or(event.record_ref)
        .ok_or(Refusal::SaleWithoutRef)
}

/// The sale's transaction id: its ref and its event's id (`1042-ev_…`), one per sale. A
/// repeat customer's second purchase on the same lead or call is its own transaction, where
/// the ref alone would be dropped by GA4 (and Matomo) as a duplicate; a retried delivery of
/// the same sale keeps its id, so it is still counted once.
pub fn transaction_id(event: &Event, sale: &Sale) -> Result<String, Refusal> {
    Ok(format!("{}-{}", sale_ref(event, sale)?, event.id))
}

/// Builds the body for `event`, delivered under `idempotency_key` to the stream of
/// `measurement_id`, as of `now`.
pub fn build(event: &Event, idempotency_key: &str, measurement_id: &str, now: DateTime<Utc>) -> Built {
    if event.visitor.visitor_key.as_deref().is_some_and(refused_analytics) {
        return Built::Skip(Skip::NoConsent);
    }
    let events = match ga4_events(event) {
        Ok(events) if events.is_empty() => return Built::Skip(no_event(&event.data)),
        Ok(events) => events,
        Err(refusal) => return Built::Refuse(refusal),
    };
    let Some((client_id, source)) = client_id(event) else {
        return Built::Skip(Skip::NoClientId);
    };

    let mut common = Map::new();
    if let Some(reference) = event.record_ref.or(event.lead.as_ref().map(|l| l.record_ref)) {
        common.insert("record_ref".into(), json!(reference.to_string()));
    }
    common.insert("leadline_event_id".into(), json!(text(idempotency_key)));
    match source {
        ClientSource::Cookie => {
            if let Some(session) = session_id(event, measurement_id) {
                common.insert("session_id".into(), json!(session));
                common.insert("engagement_time_msec".into(), json!(ENGAGEMENT_TIME_MSEC));
            }
        }
        ClientSource::Lead => {
            if let Some(utm) = &event.visitor.attribution {
                let fields = [
                    ("campaign_source", Some(&utm.source)),
                    ("campaign_medium", Some(&utm.medium)),
                    ("campaign_name", utm.campaign.as_ref()),
                    ("campaign_term", utm.term.as_ref()),
                    ("campaign_content", utm.content.as_ref()),
                ];
                for (name, value) in fields {
                    if let Some(value) = value.map(|v| text(v)).filter(|v| !v.is_empty()) {
                        common.insert(name.into(), json!(value));
                    }
                }
            }
        }
    }

    let events = events
        .into_iter()
        .map(|(name, own)| {
            let mut params = common.clone();
            params.extend(own);
            Ga4Event {
                name: name.into(),
                params,
            }
        })
        .collect();
    // A clock a little ahead of the database's never puts an event in the future.
    let at = event.occurred_at.min(now);
    Built::Send(Payload {
        client_id,
        timestamp_micros: Some(at.timestamp_micros()),
        events,
    })
}

/// Why an event that makes no GA4 event is skipped.
fn no_event(data: &EventData) -> Skip {
    match data {
        EventData::LeadStatusChanged(changed) => Skip::NoLeadEvent(changed.change.to),
        data => Skip::NoEvent(data.kind()),
    }
}

type Params = Map<String, Value>;

/// Puts `value` as `name` when it is non-empty text, cut to what GA4 keeps.
fn put_text(params: &mut Params, name: &str, value: &str) {
    let value = text(value);
    if !value.is_empty() {
        params.insert(name.into(), json!(value));
    }
}

/// The GA4 events (name and own parameters) for an event; empty when there are none.
fn ga4_events(event: &Event) -> Result<Vec<(&'static str, Params)>, Refusal> {
    let mut params = Params::new();
    Ok(match &event.data {
        EventData::CallInitiated(_) => vec![("call_initiated", params)],
        EventData::CallDialed(call) => {
            put_text(&mut params, "matched_by", call.matched_by.as_str());
            vec![("call_dialed", params)]
        }
        EventData::CallConnected(_) => vec![("call_connected", params)],
        EventData::CallCompleted(call) => {
            params.insert("duration_seconds".into(), json!(call.duration_seconds));
            params.insert("answered".into(), json!(u8::from(call.answered)));
            if let Some(outcome) = call.outcome {
                put_text(&mut params, "outcome", outcome.as_str());
            }
            vec![("call_completed", params)]
        }
        EventData::FormCompleted(form) => {
            put_text(&mut params, "matched_by", form.matched_by.as_str());
            let mut events = vec![("form_completed", params)];
            if form.matched_by == LeadMatch::New {
                let mut lead = Params::new();
                if let Some(source) = event.lead.as_ref().and_then(|l| l.source.as_deref()) {
                    put_text(&mut lead, "lead_source", source);
                }
                events.push(("generate_lead", lead));
            }
            events
        }
        EventData::LeadStatusChanged(changed) => match lead_event_name(changed.change.to) {
            Some(name) => {
                put_text(&mut params, "lead_status", changed.change.to.as_str());
                put_text(&mut params, "previous_status", changed.change.from.as_str());
                vec![(name, params)]
            }
            None => vec![],
        },
        EventData::SaleRecorded(recorded) => {
            let sale = &recorded.change;
            let reference = sale_ref(event, sale)?.to_string();
            let transaction = transaction_id(event, sale)?;
            let units = |minor| units(minor, sale.currency.minor_digits());
            let value = units(sale.revenue_minor);
            params.insert("transaction_id".into(), json!(transaction));
            params.insert("value".into(), json!(value));
            params.insert("currency".into(), json!(sale.currency.code()));
            params.insert("revenue".into(), json!(value));
            params.insert("cost".into(), json!(units(sale.cost_minor)));
            params.insert("profit".into(), json!(units(sale.profit_minor)));
            let mut item = json!({
                "item_id": reference,
                "item_name": format!("Lead {reference}"),
                "price": value,
                "quantity": 1,
            });
            if let Some(source) = event.lead.as_ref().and_then(|l| l.source.as_deref()).map(text) {
                item["item_category"] = json!(source);
            }
            params.insert("items".into(), json!([item]));
            vec![("purchase", params)]
        }
        EventData::NoteAdded(_)
        | EventData::LeadUpdated(_)
        | EventData::LeadErased(_)
        | EventData::ConversionMarked(_)
        | EventData::ConversionUnmarked(_)
        | EventData::CallSpamChanged(_) => vec![],
    })
}

#[cfg(test)]
#[path = "payload_tests.rs"]
pub(crate) mod tests;
