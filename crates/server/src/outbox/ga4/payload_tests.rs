use super::*;
use leadline_core::call::CallOutcome;
use leadline_core::channel::Attribution;
use leadline_core::event::VisitorIds;
use leadline_core::event::samples as data;
use leadline_core::{BusinessId, SiteId};
use std::collections::BTreeMap;

pub(crate) fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

/// A session that started at 2026-03-02T10:00:00Z (1772445600).
pub(crate) const SESSION: &str = "GS2.1.s1772445600$o3$g1$t1772445700$j0$l0$h0";

pub(crate) fn event(data: EventData) -> Event {
    Event {
        id: "ev_0123456789abcdefghijkl".into(),
        occurred_at: at("2026-03-02T10:30:00Z"),
        business_id: BusinessId(1),
        site_id: Some(SiteId(1)),
        record_ref: Some(1042),
        lead: Some(data::lead()),
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
    let e = event(data::completed(95, true, Some(CallOutcome::Answered)));
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
fn an_unanswered_call_says_answered_0_and_no_outcome_sends_none() {
    let e = event(data::completed(0, false, Some(CallOutcome::NoAnswer)));
    assert_eq!(payload(&e).events[0].params["answered"], 0);
    assert_eq!(payload(&e).events[0].params["outcome"], "no-answer");
    let e = event(data::completed(0, false, None));
    assert!(!payload(&e).events[0].params.contains_key("outcome"));
}

#[test]
fn call_events_have_their_names() {
    for (data, name) in [
        (data::initiated(), "call_initiated"),
        (data::dialed(), "call_dialed"),
        (data::connected(), "call_connected"),
        (data::completed(3, true, None), "call_completed"),
    ] {
        assert_eq!(payload(&event(data)).events[0].name, name);
    }
    assert_eq!(payload(&event(data::dialed())).events[0].params["matched_by"], "code");
}

#[test]
fn the_session_is_sent_only_within_24_hours_of_its_start() {
    let mut e = event(data::connected());
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
    let mut e = event(data::connected());
    assert_eq!(session_id(&e, "G-OTHER1"), None);
    assert_eq!(session_id(&e, "g-abc123").as_deref(), Some("1772445600"));
    // Stored under the bare stream id, in the old cookie format.
    e.visitor.ga_streams = BTreeMap::from([("ABC123".into(), "GS1.1.1772445600.3.1.1772445700.0.0.0".into())]);
    assert_eq!(session_id(&e, MID).as_deref(), Some("1772445600"));
    assert_eq!(stream_of("G-ABC123"), "ABC123");
}

#[test]
fn a_session_id_that_is_no_time_falls_back_on_the_visits_start() {
    let mut e = event(data::connected());
    e.visitor.ga_streams = BTreeMap::from([("_ga_ABC123".into(), "GS2.1.s12345$o1".into())]);
    assert_eq!(session_id(&e, MID).as_deref(), Some("12345"));
    e.occurred_at = at("2026-03-04T10:00:00Z");
    assert_eq!(session_id(&e, MID), None, "more than 24 h after the visit began");
    e.visitor.visit_started_at = None;
    assert_eq!(session_id(&e, MID), None, "no known start: left out");
}

#[test]
fn an_offline_source_uses_the_leads_client_id_and_its_utm_fields() {
    let e = offline(event(data::status(LeadStatus::New, LeadStatus::Qualified)));
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
fn a_visitor_who_refused_analytics_is_sent_nothing_whatever_the_event() {
    for data in [data::initiated(), data::completed(95, true, None)] {
        let mut e = event(data);
        e.visitor.visitor_key = Some("nc:9f86d081884c7d65".into());
        assert_eq!(build(&e, KEY, MID, now()), Built::Skip(Skip::NoConsent));
    }
    assert_eq!(
        Skip::NoConsent.to_string(),
        "nothing to send: the visitor refused analytics"
    );
}

#[test]
fn an_unreadable_cookie_falls_back_on_the_lead_and_no_lead_means_nothing_to_send() {
    let mut e = event(data::initiated());
    e.visitor.ga_cookie = Some("not-a-cookie".into());
    assert_eq!(payload(&e).client_id, "42.1040");
    assert!(!payload(&e).events[0].params.contains_key("session_id"));
    e.lead = None;
    assert_eq!(build(&e, KEY, MID, now()), Built::Skip(Skip::NoClientId));
    assert_eq!(
        Skip::NoClientId.to_string(),
        "nothing to send: no GA client id (the visit had no _ga cookie and there is no lead)"
    );
}

#[test]
fn every_status_maps_to_its_lead_event_or_to_nothing() {
    for (to, name) in [
        (LeadStatus::Contacted, Some("working_lead")),
        (LeadStatus::Qualified, Some("qualify_lead")),
        (LeadStatus::Converted, Some("close_convert_lead")),
        (LeadStatus::Lost, Some("close_unconvert_lead")),
        (LeadStatus::New, None),
        (LeadStatus::InCall, None),
    ] {
        let e = event(data::status(LeadStatus::InCall, to));
        match (build(&e, KEY, MID, now()), name) {
            (Built::Send(p), Some(name)) => {
                assert_eq!(p.events[0].name, name);
                assert_eq!(p.events[0].params["lead_status"], to.as_str());
                assert_eq!(p.events[0].params["previous_status"], "in_call");
            }
            (Built::Skip(reason), None) => assert_eq!(reason, Skip::NoLeadEvent(to)),
            (other, _) => panic!("{to:?}: {other:?}"),
        }
        assert_eq!(lead_event_name(to), name);
    }
    assert_eq!(
        Skip::NoLeadEvent(LeadStatus::InCall).to_string(),
        "nothing to send: GA4 receives no event for this lead.status_changed (status in_call)"
    );
}

#[test]
fn notes_and_updates_are_not_sent() {
    for data in [data::note("hi"), data::tagged()] {
        let kind = data.kind();
        assert_eq!(build(&event(data), KEY, MID, now()), Built::Skip(Skip::NoEvent(kind)));
    }
    assert_eq!(
        Skip::NoEvent(EventKind::NoteAdded).to_string(),
        "nothing to send: GA4 receives no event for this note.added"
    );
}

#[test]
fn a_form_from_a_new_lead_also_generates_a_lead() {
    let e = event(data::form(LeadMatch::New));
    let p = payload(&e);
    let names: Vec<&str> = p.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["form_completed", "generate_lead"]);
    assert_eq!(p.events[0].params["matched_by"], "new");
    assert_eq!(p.events[1].params["record_ref"], "1042");
    assert_eq!(p.events[1].params["lead_source"], "google / cpc");
    let known = event(data::form(LeadMatch::VisitorKey));
    assert_eq!(payload(&known).events.len(), 1);
    assert_eq!(payload(&known).events[0].params["matched_by"], "visitor_key");
}

#[test]
fn a_sale_is_a_purchase_on_the_calls_ref_with_amounts_in_currency_units() {
    let e = event(data::sale("USD", 120_050, 20_000, Some(1042)));
    let p = payload(&e);
    let params = &p.events[0].params;
    assert_eq!(p.events[0].name, "purchase");
    assert_eq!(params["transaction_id"], "1042-ev_0123456789abcdefghijkl");
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
fn each_sale_of_one_lead_is_its_own_transaction_and_a_retry_is_the_same_one() {
    let first = event(data::sale("USD", 1000, 0, None));
    let second = Event {
        id: "ev_zyxwvutsrqponmlkjihgfe".into(),
        ..event(data::sale("USD", 1000, 0, None))
    };
    let id = |e: &Event| payload(e).events[0].params["transaction_id"].clone();
    assert_ne!(id(&first), id(&second), "a repeat purchase is not a duplicate");
    assert_eq!(id(&first), id(&first.clone()), "a retry of one sale keeps its id");
}

#[test]
fn a_sale_without_a_call_is_on_the_leads_ref_and_zero_digit_currencies_are_whole() {
    let e = event(data::sale("jpy", 5000, 0, None));
    let params = payload(&e).events[0].params.clone();
    assert_eq!(params["transaction_id"], "1040-ev_0123456789abcdefghijkl");
    assert_eq!(params["value"], 5000.0);
    assert_eq!(params["currency"], "JPY");
    assert_eq!(params["cost"], 0.0);
    assert_eq!(params["profit"], 5000.0);
}

#[test]
fn a_sale_with_no_ref_at_all_is_refused() {
    let mut e = event(data::sale("USD", 5000, 0, None));
    e.lead = None;
    e.record_ref = None;
    assert_eq!(build(&e, KEY, MID, now()), Built::Refuse(Refusal::SaleWithoutRef));
    assert_eq!(Refusal::SaleWithoutRef.to_string(), "the sale names no record ref");
}

#[test]
fn long_free_text_is_cut_to_100_characters() {
    let mut e = offline(event(data::initiated()));
    if let Some(utm) = e.visitor.attribution.as_mut() {
        utm.campaign = Some("é".repeat(300));
    }
    let campaign = payload(&e).events[0].params["campaign_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(campaign.chars().count(), 100);
}

#[test]
fn an_event_stamped_after_now_is_sent_as_now() {
    let e = event(data::initiated());
    let p = match build(&e, KEY, MID, at("2026-03-02T10:29:00Z")) {
        Built::Send(p) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(p.timestamp_micros, Some(at("2026-03-02T10:29:00Z").timestamp_micros()));
}
