use super::*;
use chrono::TimeZone;
use leadline_core::ad_upload::{Uploaded, Wanted};
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{ConversionName, ConversionRow};
use leadline_core::event::{FormCompleted, LeadSnapshot, VisitorIds};
use leadline_core::form::{MessageId, SubmissionVia};
use leadline_core::lead::{LeadMatch, LeadStatus};
use leadline_core::site::{Currency, Timezone};
use leadline_core::{BusinessId, LeadId, SiteId};
use reqwest::StatusCode;

const FBCLID: &str = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk";

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
}

fn usd(minor: i64) -> Option<ConversionValue> {
    Some(ConversionValue::new(minor, Currency::parse("USD").unwrap()).unwrap())
}

fn facts(record: ConversionRecord) -> AdFacts {
    AdFacts {
        row: ConversionRow {
            name: ConversionName::default_for(&record),
            record,
            site_id: SiteId(1),
            timezone: Timezone::parse("America/New_York").unwrap(),
            click_ids: ClickIds::default(),
            caller: None,
            call_started_at: None,
            conversion_time: at(10),
            value: None,
            marked: true,
        },
        lead_id: LeadId(7),
        lead_status: LeadStatus::New,
        call_seconds: None,
        first_time_caller: false,
        clicked_at: Some(at(8)),
        ads_consent: Default::default(),
        ads_policy: Default::default(),
        spam: false,
    }
}

fn form_event(message_id: MessageId, page_url: Option<&str>) -> Event {
    Event {
        id: "ev_1".into(),
        occurred_at: at(10),
        business_id: BusinessId(1),
        site_id: Some(SiteId(1)),
        record_ref: Some(1042),
        lead: Some(LeadSnapshot {
            id: LeadId(7),
            record_ref: 1042,
            status: "new".into(),
            name: None,
            // Meta's own examples: John_Smith@gmail.com and (650)555-1212 in the US.
            email: Some(" John_Smith@gmail.com".into()),
            phone: Some("+16505551212".into()),
            company: None,
            source: None,
            tags: Vec::new(),
        }),
        visitor: VisitorIds {
            click_ids: ClickIds {
                fbclid: Some(ClickId::parse(ClickKind::Fbclid, FBCLID).unwrap()),
                ..ClickIds::default()
            },
            visit_started_at: Some(at(9)),
            landing_url: Some(format!("https://acme.example/?fbclid={FBCLID}")),
            ..VisitorIds::default()
        },
        data: EventData::FormCompleted(FormCompleted {
            fields: Vec::new(),
            matched_by: LeadMatch::New,
            message_id,
            page_url: page_url.map(str::to_owned),
            via: SubmissionVia::Browser,
        }),
    }
}

fn uploaded(value: Option<ConversionValue>) -> Uploaded {
    Uploaded {
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value,
        retracted: false,
        updated_at: at(11),
    }
}

#[test]
fn a_form_is_a_lead_with_metas_hashes_the_click_and_the_forms_page() {
    let message_id = MessageId::generate();
    let record = ConversionRecord::Submission {
        message_id: message_id.clone(),
    };
    let facts = facts(record.clone());
    let event = form_event(message_id.clone(), Some("https://acme.example/contact"));
    let user = UserData::of(&facts, &event);
    let order_id = format!("form-{}", message_id.as_str());
    let wanted = Wanted {
        record,
        order_id: order_id.clone(),
        conversion_time: at(10),
        value: None,
    };
    let action = AdAction::Upload(wanted);
    let sent = conversion(&action, Utc::now()).unwrap();
    assert_eq!(
        server_event(&facts, &event, &user, &sent),
        json!({
            "event_name": "Lead",
            "event_time": at(10).timestamp(),
            "event_id": order_id,
            "action_source": "other",
            "event_source_url": "https://acme.example/contact",
            "user_data": {
                "em": ["62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"],
                "ph": ["e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"],
                "fbc": format!("fb.1.{}.{FBCLID}", at(9).timestamp_millis()),
                "external_id": [sha256_hex("7")],
            },
        })
    );
    let without_page = form_event(message_id, None);
    let landing = server_event(&facts, &without_page, &user, &sent);
    assert_eq!(
        landing["event_source_url"],
        format!("https://acme.example/?fbclid={FBCLID}")
    );
}

#[test]
fn a_call_with_a_value_is_a_purchase_over_the_phone() {
    let record = ConversionRecord::Call { record_ref: 1042 };
    let facts = facts(record.clone());
    let mut event = form_event(MessageId::generate(), Some("https://acme.example/contact"));
    event.visitor = VisitorIds::default();
    let user = UserData::of(&facts, &event);
    assert_eq!(user.fbc, None, "no click, no fbc");
    let action = AdAction::Upload(Wanted {
        record,
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value: usd(25050),
    });
    let sent = conversion(&action, Utc::now()).unwrap();
    let body = server_event(&facts, &event, &user, &sent);
    assert_eq!(body["event_name"], "Purchase");
    assert_eq!(body["action_source"], "phone_call");
    assert_eq!(body["custom_data"], json!({"value": 250.5, "currency": "USD"}));
    assert!(body.get("event_source_url").is_none(), "a call has no page");
}

#[test]
fn a_sale_after_a_lead_is_a_purchase_now_and_nothing_else_can_change_on_meta() {
    let now = at(20);
    let record = ConversionRecord::Call { record_ref: 1042 };
    let wanted = |value| Wanted {
        record: record.clone(),
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value,
    };
    let after_lead = AdAction::Restate {
        wanted: wanted(usd(9900)),
        before: uploaded(None),
    };
    let sent = conversion(&after_lead, now).unwrap();
    assert_eq!(
        (sent.name, sent.time, sent.order_id, sent.value),
        ("Purchase", now, "call-1042", usd(9900))
    );
    let again = AdAction::Restate {
        wanted: wanted(usd(12000)),
        before: uploaded(usd(9900)),
    };
    assert_eq!(
        conversion(&again, now).unwrap_err(),
        "nothing to send: Meta's Conversions API cannot change an event it received; call-1042 stays a Purchase of 99 USD on Meta"
    );
    let retract = AdAction::Retract(uploaded(None));
    assert!(
        conversion(&retract, now)
            .unwrap_err()
            .contains("has no retraction; call-1042 stays counted")
    );
}

#[test]
fn graph_errors_are_final_except_outages_rate_limits_and_temporary_ones() {
    let error = |code: i64, extra: Value| {
        let mut e = json!({"error": {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "T1"}});
        if let Value::Object(more) = extra {
            e["error"].as_object_mut().unwrap().extend(more);
        }
        e.to_string()
    };
    let Failure::Permanent(why) = graph_failure(StatusCode::BAD_REQUEST, &error(190, json!({}))) else {
        panic!("a bad token is final")
    };
    assert_eq!(
        why,
        "Meta: HTTP 400 Bad Request: m [type OAuthException, code 190, fbtrace_id T1]"
    );
    for code in [4, 17, 32, 613, 80004] {
        assert!(
            matches!(
                graph_failure(StatusCode::BAD_REQUEST, &error(code, json!({}))),
                Failure::Retry(_)
            ),
            "{code}"
        );
    }
    let transient = error(100, json!({"is_transient": true}));
    assert!(matches!(
        graph_failure(StatusCode::BAD_REQUEST, &transient),
        Failure::Retry(_)
    ));
    assert!(matches!(
        graph_failure(StatusCode::INTERNAL_SERVER_ERROR, &error(100, json!({}))),
        Failure::Retry(_)
    ));
    assert!(matches!(
        graph_failure(StatusCode::BAD_GATEWAY, "<html>"),
        Failure::Retry(_)
    ));
}

#[test]
fn fbc_is_the_click_time_in_milliseconds_before_the_click_id() {
    assert_eq!(
        fbc("AbCdEf", Utc.timestamp_millis_opt(1_554_763_741_205).unwrap()),
        "fb.1.1554763741205.AbCdEf"
    );
}
