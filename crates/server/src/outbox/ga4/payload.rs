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
use leadline_core::event::{Event, EventKind};
use leadline_core::site::Currency;
use leadline_core::visitor::{ga_client_id, ga_session};
use serde::Serialize;
use serde_json::{Map, Value, json};

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

/// What an event becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Built {
    /// A body to validate and send.
    Send(Payload),
    /// GA4 has no event for this one (a status such as `new`, a note); the delivery is done.
    Skip(String),
    /// The event cannot be sent as it is (a sale without a currency); the delivery is dead.
    Refuse(String),
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
pub fn lead_event_name(status: &str) -> Option<&'static str> {
    match status {
        "contacted" => Some("working_lead"),
        "qualified" => Some("qualify_lead"),
        "converted" => Some("close_convert_lead"),
        "lost" => Some("close_unconvert_lead"),
        _ => None,
    }
}

/// The ref a sale is recorded under: the call's when the sale names one, else the lead's.
pub fn sale_ref(event: &Event) -> Option<u64> {
    let call_ref = match &event.data["call_ref"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    call_ref
        .or(event.lead.as_ref().map(|l| l.record_ref))
        .or(event.record_ref)
}

/// A sale's amounts, read from `sale.recorded` data.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleAmounts {
    pub currency: Currency,
    pub revenue_minor: i64,
    pub cost_minor: i64,
    pub profit_minor: i64,
}

impl SaleAmounts {
    /// Reads `currency`, `revenue_minor`, `cost_minor` (default 0) and `profit_minor` (default
    /// revenue − cost); says what is missing.
    pub fn from_data(data: &Value) -> Result<Self, String> {
        let currency = data["currency"]
            .as_str()
            .ok_or("the sale has no currency")
            .and_then(|c| Currency::parse(c).map_err(|_| "the sale's currency is not an ISO 4217 code"))?;
        let revenue_minor = data["revenue_minor"].as_i64().ok_or("the sale has no revenue_minor")?;
        let cost_minor = data["cost_minor"].as_i64().unwrap_or(0);
        let profit_minor = data["profit_minor"]
            .as_i64()
            .unwrap_or(revenue_minor.saturating_sub(cost_minor));
        Ok(Self {
            currency,
            revenue_minor,
            cost_minor,
            profit_minor,
        })
    }

    fn units(&self, minor: i64) -> f64 {
        units(minor, self.currency.minor_digits())
    }
}

/// Builds the body for `event`, delivered under `idempotency_key` to the stream of
/// `measurement_id`, as of `now`.
pub fn build(event: &Event, idempotency_key: &str, measurement_id: &str, now: DateTime<Utc>) -> Built {
    let events = match ga4_events(event) {
        Ok(events) if events.is_empty() => {
            return Built::Skip(format!(
                "nothing to send: GA4 receives no event for this {}",
                describe(event)
            ));
        }
        Ok(events) => events,
        Err(reason) => return Built::Refuse(reason),
    };
    let Some((client_id, source)) = client_id(event) else {
        return Built::Skip(
            "nothing to send: no GA client id (the visit had no _ga cookie and there is no lead)".into(),
        );
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

fn describe(event: &Event) -> String {
    match event.kind {
        EventKind::LeadStatusChanged => format!(
            "{} (status {})",
            event.kind.as_str(),
            event.data["to"].as_str().unwrap_or("unknown")
        ),
        kind => kind.as_str().to_owned(),
    }
}

type Params = Map<String, Value>;

/// Puts `value` as `name` when it is non-empty text, cut to what GA4 keeps.
fn put_text(params: &mut Params, name: &str, value: &Value) {
    if let Some(value) = value.as_str().map(text).filter(|v| !v.is_empty()) {
        params.insert(name.into(), json!(value));
    }
}

/// The GA4 events (name and own parameters) for an event; empty when there are none.
fn ga4_events(event: &Event) -> Result<Vec<(&'static str, Params)>, String> {
    let data = &event.data;
    let mut params = Params::new();
    Ok(match event.kind {
        EventKind::CallInitiated => vec![("call_initiated", params)],
        EventKind::CallDialed => {
            put_text(&mut params, "matched_by", &data["matched_by"]);
            vec![("call_dialed", params)]
        }
        EventKind::CallConnected => vec![("call_connected", params)],
        EventKind::CallCompleted => {
            let duration = data["duration_seconds"].as_u64().unwrap_or(0);
            let answered = data["answered"].as_bool().unwrap_or(duration > 0);
            params.insert("duration_seconds".into(), json!(duration));
            params.insert("answered".into(), json!(u8::from(answered)));
            put_text(&mut params, "outcome", &data["outcome"]);
            vec![("call_completed", params)]
        }
        EventKind::FormCompleted => {
            put_text(&mut params, "matched_by", &data["matched_by"]);
            let mut events = vec![("form_completed", params)];
            if data["matched_by"].as_str() == Some("new") {
                let mut lead = Params::new();
                if let Some(source) = event.lead.as_ref().and_then(|l| l.source.as_deref()) {
                    put_text(&mut lead, "lead_source", &json!(source));
                }
                events.push(("generate_lead", lead));
            }
            events
        }
        EventKind::LeadStatusChanged => match data["to"].as_str().and_then(lead_event_name) {
            Some(name) => {
                put_text(&mut params, "lead_status", &data["to"]);
                put_text(&mut params, "previous_status", &data["from"]);
                vec![(name, params)]
            }
            None => vec![],
        },
        EventKind::SaleRecorded => {
            let sale = SaleAmounts::from_data(data)?;
            let reference = sale_ref(event).ok_or("the sale names no record ref")?.to_string();
            let value = sale.units(sale.revenue_minor);
            params.insert("transaction_id".into(), json!(reference));
            params.insert("value".into(), json!(value));
            params.insert("currency".into(), json!(sale.currency.code()));
            params.insert("revenue".into(), json!(value));
            params.insert("cost".into(), json!(sale.units(sale.cost_minor)));
            params.insert("profit".into(), json!(sale.units(sale.profit_minor)));
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
        EventKind::NoteAdded | EventKind::LeadUpdated => vec![],
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use leadline_core::channel::Attribution;
    use leadline_core::event::{LeadSnapshot, VisitorIds};
    use leadline_core::{BusinessId, LeadId, SiteId};
    use std::collections::BTreeMap;

    pub(crate) fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    /// A session that started at 2026-03-02T10:00:00Z (1772445600).
    pub(crate) const SESSION: &str = "GS2.1.s1772445600$o3$g1$t1772445700$j0$l0$h0";

    pub(crate) fn event(kind: EventKind, data: Value) -> Event {
        Event {
            id: "ev_0123456789abcdefghijkl".into(),
            kind,
            occurred_at: at("2026-03-02T10:30:00Z"),
            business_id: BusinessId(1),
            site_id: Some(SiteId(1)),
            record_ref: Some(1042),
            lead: Some(LeadSnapshot {
                id: LeadId(42),
                record_ref: 1040,
                status: "new".into(),
                name: Some("Ada".into()),
                email: None,
                phone: Some("+12025550199".into()),
                company: None,
                source: Some("google / cpc".into()),
                tags: vec![],
            }),
            visitor: VisitorIds {
                visitor_key: Some("ga:1234567890.1700000000".into()),
                ga_cookie: Some("GA1.1.1234567890.1700000000".into()),
                ga_streams: BTreeMap::from([("_ga_ABC123".into(), SESSION.into())]),
                visit_started_at: Some(at("2026-03-02T10:00:00Z")),
                landing_url: Some("https://acme.example/?utm_source=google".into()),
                ..VisitorIds::default()
            },
            data,
        }
    }

    pub(crate) fn offline(mut event: Event) -> Event {
        event.visitor = VisitorIds {
            attribution: Some(Attribution {
                source: "newspaper".into(),
                medium: "print".into(),
                campaign: Some("spring".into()),
                term: None,
                content: Some("half page".into()),
            }),
            ..VisitorIds::default()
        };
        event
    }

    const KEY: &str = "ev_0123456789abcdefghijkl.7";
    const MID: &str = "G-ABC123";

    fn now() -> DateTime<Utc> {
        at("2026-03-02T11:00:00Z")
    }

    fn payload(event: &Event) -> Payload {
        match build(event, KEY, MID, now()) {
            Built::Send(payload) => payload,
            other => panic!("expected a payload, got {other:?}"),
        }
    }

    #[test]
    fn a_completed_call_carries_the_cookie_client_session_label_and_call_fields() {
        let e = event(
            EventKind::CallCompleted,
            json!({"duration_seconds": 95, "answered": true, "outcome": "answered"}),
        );
        let p = payload(&e);
        assert_eq!(p.client_id, "1234567890.1700000000");
        assert_eq!(p.timestamp_micros, Some(e.occurred_at.timestamp_micros()));
        assert_eq!(p.events.len(), 1);
        let ev = &p.events[0];
        assert_eq!(ev.name, "call_completed");
        assert_eq!(ev.params["record_ref"], "1042");
        assert_eq!(ev.params["leadline_event_id"], KEY);
        assert_eq!(ev.params["session_id"], "1772445600");
        assert_eq!(ev.params["engagement_time_msec"], 1);
        assert_eq!(ev.params["duration_seconds"], 95);
        assert_eq!(ev.params["answered"], 1);
        assert_eq!(ev.params["outcome"], "answered");
        assert!(
            !ev.params.contains_key("campaign_source"),
            "a cookie's session has its own campaign"
        );
    }

    #[test]
    fn an_unanswered_call_says_answered_0() {
        let e = event(
            EventKind::CallCompleted,
            json!({"duration_seconds": 0, "answered": false, "outcome": "no-answer"}),
        );
        assert_eq!(payload(&e).events[0].params["answered"], 0);
    }

    #[test]
    fn call_events_have_their_names() {
        for (kind, name) in [
            (EventKind::CallInitiated, "call_initiated"),
            (EventKind::CallDialed, "call_dialed"),
            (EventKind::CallConnected, "call_connected"),
            (EventKind::CallCompleted, "call_completed"),
        ] {
            assert_eq!(payload(&event(kind, json!({}))).events[0].name, name);
        }
    }

    #[test]
    fn the_session_is_sent_only_within_24_hours_of_its_start() {
        let mut e = event(EventKind::CallConnected, json!({}));
        e.occurred_at = at("2026-03-03T09:59:59Z");
        assert_eq!(session_id(&e, MID).as_deref(), Some("1772445600"));
        e.occurred_at = at("2026-03-03T10:00:01Z");
        assert_eq!(session_id(&e, MID), None);
        let p = match build(&e, KEY, MID, at("2026-03-03T11:00:00Z")) {
            Built::Send(p) => p,
            other => panic!("{other:?}"),
        };
        assert!(!p.events[0].params.contains_key("session_id"));
        assert!(!p.events[0].params.contains_key("engagement_time_msec"));
        assert_eq!(p.client_id, "1234567890.1700000000", "the client stays");
    }

    #[test]
    fn the_session_is_the_one_of_the_integrations_stream() {
        let mut e = event(EventKind::CallConnected, json!({}));
        assert_eq!(session_id(&e, "G-OTHER1"), None);
        assert_eq!(session_id(&e, "g-abc123").as_deref(), Some("1772445600"));
        // Stored under the bare stream id, in the old cookie format.
        e.visitor.ga_streams = BTreeMap::from([("ABC123".into(), "GS1.1.1772445600.3.1.1772445700.0.0.0".into())]);
        assert_eq!(session_id(&e, MID).as_deref(), Some("1772445600"));
        assert_eq!(stream_of("G-ABC123"), "ABC123");
    }

    #[test]
    fn a_session_id_that_is_no_time_falls_back_on_the_visits_start() {
        let mut e = event(EventKind::CallConnected, json!({}));
        e.visitor.ga_streams = BTreeMap::from([("_ga_ABC123".into(), "GS2.1.s12345$o1".into())]);
        assert_eq!(session_id(&e, MID).as_deref(), Some("12345"));
        e.occurred_at = at("2026-03-04T10:00:00Z");
        assert_eq!(session_id(&e, MID), None, "more than 24 h after the visit began");
        e.visitor.visit_started_at = None;
        assert_eq!(session_id(&e, MID), None, "no known start: left out");
    }

    #[test]
    fn an_offline_source_uses_the_leads_client_id_and_its_utm_fields() {
        let e = offline(event(
            EventKind::LeadStatusChanged,
            json!({"from": "new", "to": "qualified"}),
        ));
        let p = payload(&e);
        assert_eq!(p.client_id, "42.1040");
        assert_eq!(client_id(&e).unwrap().1, ClientSource::Lead);
        let params = &p.events[0].params;
        assert_eq!(p.events[0].name, "qualify_lead");
        assert_eq!(params["campaign_source"], "newspaper");
        assert_eq!(params["campaign_medium"], "print");
        assert_eq!(params["campaign_name"], "spring");
        assert_eq!(params["campaign_content"], "half page");
        assert!(!params.contains_key("campaign_term"));
        assert!(!params.contains_key("session_id"));
    }

    #[test]
    fn an_unreadable_cookie_falls_back_on_the_lead_and_no_lead_means_nothing_to_send() {
        let mut e = event(EventKind::CallInitiated, json!({}));
        e.visitor.ga_cookie = Some("not-a-cookie".into());
        assert_eq!(payload(&e).client_id, "42.1040");
        assert!(!payload(&e).events[0].params.contains_key("session_id"));
        e.lead = None;
        assert!(matches!(build(&e, KEY, MID, now()), Built::Skip(reason) if reason.contains("no GA client id")));
    }

    #[test]
    fn every_status_maps_to_its_lead_event_or_to_nothing() {
        for (to, name) in [
            ("contacted", Some("working_lead")),
            ("qualified", Some("qualify_lead")),
            ("converted", Some("close_convert_lead")),
            ("lost", Some("close_unconvert_lead")),
            ("new", None),
            ("in_call", None),
        ] {
            let e = event(EventKind::LeadStatusChanged, json!({"from": "in_call", "to": to}));
            match (build(&e, KEY, MID, now()), name) {
                (Built::Send(p), Some(name)) => {
                    assert_eq!(p.events[0].name, name);
                    assert_eq!(p.events[0].params["lead_status"], to);
                    assert_eq!(p.events[0].params["previous_status"], "in_call");
                }
                (Built::Skip(reason), None) => assert!(reason.starts_with("nothing to send"), "{reason}"),
                (other, _) => panic!("{to}: {other:?}"),
            }
        }
        for status in leadline_core::lead::LeadStatus::ALL {
            let expected = !matches!(status.as_str(), "new" | "in_call");
            assert_eq!(lead_event_name(status.as_str()).is_some(), expected, "{status:?}");
        }
    }

    #[test]
    fn notes_and_updates_are_not_sent() {
        for kind in [EventKind::NoteAdded, EventKind::LeadUpdated] {
            assert!(matches!(
                build(&event(kind, json!({"text": "hi"})), KEY, MID, now()),
                Built::Skip(_)
            ));
        }
    }

    #[test]
    fn a_form_from_a_new_lead_also_generates_a_lead() {
        let e = event(
            EventKind::FormCompleted,
            json!({"message_id": "m1", "matched_by": "new"}),
        );
        let p = payload(&e);
        let names: Vec<&str> = p.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["form_completed", "generate_lead"]);
        assert_eq!(p.events[1].params["record_ref"], "1042");
        assert_eq!(p.events[1].params["lead_source"], "google / cpc");
        let known = event(
            EventKind::FormCompleted,
            json!({"message_id": "m1", "matched_by": "email"}),
        );
        assert_eq!(payload(&known).events.len(), 1);
    }

    #[test]
    fn a_sale_is_a_purchase_on_the_calls_ref_with_amounts_in_currency_units() {
        let e = event(
            EventKind::SaleRecorded,
            json!({"currency": "USD", "revenue_minor": 120_050, "cost_minor": 20_000,
                   "profit_minor": 100_050, "call_ref": 1042}),
        );
        let p = payload(&e);
        let params = &p.events[0].params;
        assert_eq!(p.events[0].name, "purchase");
        assert_eq!(params["transaction_id"], "1042");
        assert_eq!(params["value"], 1200.5);
        assert_eq!(params["currency"], "USD");
        assert_eq!(params["revenue"], 1200.5);
        assert_eq!(params["cost"], 200.0);
        assert_eq!(params["profit"], 1000.5);
        assert_eq!(
            params["items"],
            json!([{"item_id": "1042", "item_name": "Lead 1042", "price": 1200.5, "quantity": 1,
                    "item_category": "google / cpc"}])
        );
    }

    #[test]
    fn a_sale_without_a_call_is_on_the_leads_ref_and_zero_digit_currencies_are_whole() {
        let mut e = event(
            EventKind::SaleRecorded,
            json!({"currency": "jpy", "revenue_minor": 5000}),
        );
        e.record_ref = Some(1040);
        let params = payload(&e).events[0].params.clone();
        assert_eq!(params["transaction_id"], "1040");
        assert_eq!(params["value"], 5000.0);
        assert_eq!(params["currency"], "JPY");
        assert_eq!(params["cost"], 0.0);
        assert_eq!(params["profit"], 5000.0);
    }

    #[test]
    fn a_sale_without_a_currency_is_refused() {
        let e = event(EventKind::SaleRecorded, json!({"revenue_minor": 5000}));
        assert!(matches!(build(&e, KEY, MID, now()), Built::Refuse(reason) if reason.contains("currency")));
        let e = event(
            EventKind::SaleRecorded,
            json!({"currency": "XYZ1", "revenue_minor": 5000}),
        );
        assert!(matches!(build(&e, KEY, MID, now()), Built::Refuse(_)));
    }

    #[test]
    fn long_free_text_is_cut_to_100_characters() {
        let long = "é".repeat(300);
        let e = event(
            EventKind::CallCompleted,
            json!({"duration_seconds": 3, "outcome": long}),
        );
        let outcome = payload(&e).events[0].params["outcome"].as_str().unwrap().to_owned();
        assert_eq!(outcome.chars().count(), 100);
    }

    #[test]
    fn an_event_stamped_after_now_is_sent_as_now() {
        let e = event(EventKind::CallInitiated, json!({}));
        let p = match build(&e, KEY, MID, at("2026-03-02T10:29:00Z")) {
            Built::Send(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(p.timestamp_micros, Some(at("2026-03-02T10:29:00Z").timestamp_micros()));
    }
}
