//! The data of every kind of event, as the store records it and reads it back for delivery:
//! the same JSON byte for byte, whatever the code that builds it, so that the rows already
//! stored keep reading and a webhook receiver sees no change.

use crate::conformance;
use crate::leads::{Setup, call, contact, form, setup, visit};
use leadline_core::LeadId;
use leadline_core::call::{CallOutcome, CallReport};
use leadline_core::event::EventKind;
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use leadline_core::form::{FormIdentity, MessageId};
use leadline_core::lead::{Author, FieldsPatch, LeadChange, LeadStatus, NewSale};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::store::{LeadStore, OutboxStore, VisitStore};
use leadline_core::visit::{CodePlan, Touch};
use leadline_store::SqlStore;
use serde_json::json;

async fn webhook(store: &SqlStore, s: &Setup) {
    let new = NewIntegration {
        business_id: s.business,
        site_id: None,
        name: "warehouse".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.example/in".into(),
            secret: "whsec_x".into(),
        },
    };
    store.add_integration(&new).await.unwrap();
}

fn report(outcome: Option<CallOutcome>, answered_by: Option<&str>, seconds: Option<u32>, ended: bool) -> CallReport {
    CallReport {
        outcome,
        answered_by: answered_by.map(str::to_owned),
        duration_seconds: seconds,
        recording_url: None,
        ended,
        tags: vec![],
    }
}

/// A click, two calls (one answered, one missed), a form and every kind of lead change.
async fn one_of_each(store: &SqlStore, s: &Setup) -> u64 {
    let v = visit(store, s.site, "fp:ann").await;
    let click = Touch::Click {
        element: "call-now".into(),
        url: "https://acme.example/contact".into(),
        spot: None,
    };
    store.touch_visit(s.site, &v, &click, CodePlan::None).await.unwrap();
    let answered = call(store, s, "CA1", "+12025550169", Some(v)).await;
    let connected = report(None, Some("+12025550111"), None, false);
    crate::fixtures::report(store, s.number, "CA1", &connected)
        .await
        .unwrap();
    let ended = report(Some(CallOutcome::Answered), Some("+12025550111"), Some(125), true);
    crate::fixtures::report(store, s.number, "CA1", &ended).await.unwrap();
    call(store, s, "CA2", "+12025550170", None).await;
    let missed = report(Some(CallOutcome::NoAnswer), None, None, true);
    crate::fixtures::report(store, s.number, "CA2", &missed).await.unwrap();

    let mut submission = form(
        s,
        contact(Some("Ann"), Some("ann@example.com"), None),
        FormIdentity::default(),
    );
    submission.message_id = MessageId::parse("m_0123456789abcdefghijkl").unwrap();
    store.add_submission(&submission).await.unwrap();

    let lead = LeadId(answered.lead_id);
    let author = Author::api_key("ab12cd34");
    let budget = FieldDef {
        name: FieldName::parse("budget").unwrap(),
        kind: FieldKind::Number,
        required: false,
    };
    store.define_field(s.business, &budget).await.unwrap();
    let fields = FieldsPatch {
        name: Some(Some("Bob Stone".into())),
        company: Some(Some("Stone & Co".into())),
        custom: json!({"budget": 1200}).as_object().unwrap().clone(),
        ..FieldsPatch::default()
    };
    let changes = [
        LeadChange::Status(LeadStatus::Qualified),
        LeadChange::Sale(NewSale {
            currency: "usd".into(),
            revenue_minor: 12_050,
            cost_minor: 2_000,
            profit_minor: 10_050,
            call_ref: Some(answered.record_ref),
            form: None,
            cost_basis: None,
        }),
        LeadChange::Sale(NewSale {
            currency: "JPY".into(),
            revenue_minor: 5_000,
            cost_minor: 350,
            profit_minor: 4_650,
            call_ref: None,
            form: None,
            cost_basis: Some("7 call minutes × 50".into()),
        }),
        LeadChange::Note("  Wants a quote ".into()),
        LeadChange::Fields(fields),
        LeadChange::Tags {
            add: vec!["vip".into()],
            remove: vec![],
        },
    ];
    for change in &changes {
        store.change_lead(s.business, lead, &author, change).await.unwrap();
    }
    answered.record_ref
}

async fn every_kind_of_event_keeps_its_exact_json(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    webhook(&store, &s).await;
    let call_ref = one_of_each(&store, &s).await;
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 100).await.unwrap();
    let mut seen: Vec<(&str, String)> = claimed
        .iter()
        .map(|d| (d.event.kind().as_str(), serde_json::to_string(&d.event.data).unwrap()))
        .collect();
    seen.sort();
    let by = r#""author":"api-key:ab12cd34""#;
    let expected = vec![
        (
            EventKind::CallInitiated,
            r#"{"element":"call-now","page_url":"https://acme.example/contact"}"#.to_owned(),
        ),
        (
            EventKind::CallDialed,
            r#"{"caller":"+12025550169","matched_by":"code","source_label":null}"#.to_owned(),
        ),
        (
            EventKind::CallDialed,
            r#"{"caller":"+12025550170","matched_by":"none","source_label":null}"#.to_owned(),
        ),
        (EventKind::CallConnected, r#"{"answered_by":"+12025550111"}"#.to_owned()),
        (
            EventKind::CallCompleted,
            r#"{"answered":true,"answered_by":"+12025550111","duration_seconds":125,"outcome":"answered","recording_path":null,"voicemail":false}"#.to_owned(),
        ),
        (
            EventKind::CallCompleted,
            r#"{"answered":false,"answered_by":null,"duration_seconds":0,"outcome":"no-answer","recording_path":null,"voicemail":false}"#.to_owned(),
        ),
        (
            EventKind::FormCompleted,
            r#"{"fields":[["message","Call me back"]],"matched_by":"new","message_id":"m_0123456789abcdefghijkl","page_url":"https://acme.example/contact","via":"browser"}"#.to_owned(),
        ),
        (EventKind::LeadStatusChanged, format!(r#"{{{by},"from":"new","to":"qualified"}}"#)),
        (
            EventKind::SaleRecorded,
            format!(
                r#"{{{by},"call_ref":{call_ref},"cost_basis":null,"cost_minor":2000,"currency":"USD","profit_minor":10050,"revenue_minor":12050}}"#
            ),
        ),
        (
            EventKind::SaleRecorded,
            format!(
                r#"{{{by},"call_ref":null,"cost_basis":"7 call minutes × 50","cost_minor":350,"currency":"JPY","profit_minor":4650,"revenue_minor":5000}}"#
            ),
        ),
        (EventKind::NoteAdded, format!(r#"{{{by},"text":"Wants a quote"}}"#)),
        (
            EventKind::LeadUpdated,
            format!(
                r#"{{{by},"changed":{{"company":{{"from":null,"to":"Stone & Co"}},"custom.budget":{{"from":null,"to":1200}},"name":{{"from":null,"to":"Bob Stone"}}}}}}"#
            ),
        ),
        (
            EventKind::LeadUpdated,
            format!(r#"{{"added":["vip"],{by},"removed":[]}}"#),
        ),
    ];
    let mut expected: Vec<(&str, String)> = expected.into_iter().map(|(k, json)| (k.as_str(), json)).collect();
    expected.sort();
    assert_eq!(seen, expected);
}

conformance!(every_kind_of_event_keeps_its_exact_json,);
