//! The HubSpot adapter and pull against the local HubSpot fake (crm_fakes/hubspot.rs), with
//! the helpers of crm.rs.

use crate::crm::{TIMEOUT, add, assert_all_sent, change, deliver, kinds, spawn, submits};
use crate::crm_fakes::{FakeHubspot, HS_TOKEN};
use crate::helpers::{Engine, TestApp};
use crate::leads::activities;
use axum::http::Method;
use leadline::outbox::pull::pull_once;
use leadline::outbox::{Cache, Failure};
use leadline_core::event::EventKind;
use leadline_core::lead::{FieldsPatch, LeadChange, LeadStatus};
use leadline_core::net::Reach;
use leadline_core::outbox::{Integration, IntegrationConfig};
use leadline_core::store::{LeadStore, OutboxStore};
use leadline_core::{BusinessId, E164};
use serde_json::{Value, json};
use std::time::Duration;

async fn add_hubspot(app: &TestApp, business: BusinessId, fake: &FakeHubspot) -> Integration {
    let config = IntegrationConfig::Hubspot {
        endpoint: Some(fake.url.clone()),
        token: HS_TOKEN.into(),
    };
    add(app, business, "HubSpot portal", config).await
}

async fn a_form_becomes_a_hubspot_contact_with_notes_and_its_lead_status(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let hs = FakeHubspot::start().await;
    let integration = add_hubspot(&app, business, &hs).await;
    let cache = Cache::default();
    let submission = submits(&app, &seeded, "Ann Marie Lee", "ann@example.com").await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(kinds(&outcomes), [EventKind::FormCompleted]);
    assert_all_sent(&outcomes);
    let (id, contact) = {
        let state = hs.state();
        assert_eq!(state.contacts.len(), 1);
        let (id, contact) = state.contacts.iter().next().unwrap();
        (id.clone(), contact.clone())
    };
    assert_eq!(
        Value::Object(contact.properties.clone()),
        json!({"email": "ann@example.com", "firstname": "Ann Marie", "lastname": "Lee", "hs_lead_status": "NEW"})
    );
    assert_eq!(
        app.store.external_id(integration.id, submission.lead_id).await.unwrap(),
        Some(id.clone())
    );

    let lead = app.store.lead_by_id(business, submission.lead_id).await.unwrap();
    change(&app, &lead, LeadChange::Status(LeadStatus::Contacted)).await;
    change(&app, &lead, LeadChange::Note("Wants <two> sofas & a chair".into())).await;
    let phone = FieldsPatch {
        phone: Some(Some(E164::parse("+12025550169").unwrap())),
        ..FieldsPatch::default()
    };
    change(&app, &lead, LeadChange::Fields(phone)).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        kinds(&outcomes),
        [
            EventKind::LeadStatusChanged,
            EventKind::NoteAdded,
            EventKind::LeadUpdated
        ]
    );
    assert_all_sent(&outcomes);
    {
        let state = hs.state();
        let contact = &state.contacts[&id];
        assert_eq!(contact.properties["hs_lead_status"], "CONNECTED");
        assert_eq!(contact.properties["phone"], "+12025550169");
        let notes: Vec<(&str, &str)> = state
            .notes
            .iter()
            .map(|n| (n.contact.as_str(), n.body.as_str()))
            .collect();
        assert_eq!(
            notes,
            [
                (id.as_str(), "Form submitted"),
                (id.as_str(), "Note: Wants &lt;two&gt; sofas &amp; a chair")
            ]
        );
        let all = hs.all_requests();
        let patches: Vec<Value> = all
            .iter()
            .filter(|r| r.method == Method::PATCH)
            .map(|r| r.json())
            .collect();
        assert_eq!(
            patches,
            [
                json!({"properties": {"hs_lead_status": "CONNECTED"}}),
                json!({"properties": {"phone": "+12025550169"}})
            ]
        );
        assert!(all.iter().all(|r| r.bearer() == Some(HS_TOKEN)));
    }
    hs.assert_no_problems();
    app.finish().await;
}

async fn a_contact_hubspot_already_has_is_linked_and_a_retried_note_is_not_posted_twice(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let hs = FakeHubspot::start().await;
    let existing = hs.add_contact(json!({"email": "ann@example.com", "firstname": "Ann"}));
    let integration = add_hubspot(&app, business, &hs).await;
    let cache = Cache::default();
    hs.state().slow_notes = 1;
    let submission = submits(&app, &seeded, "Ann Lee", "ann@example.com").await;

    let first = deliver(&app, &cache, &integration, Duration::from_millis(800)).await;
    assert!(matches!(&first[0].1, Err(Failure::Retry(_))), "{first:?}");
    assert_eq!(
        app.store.external_id(integration.id, submission.lead_id).await.unwrap(),
        Some(existing.clone()),
        "the 409 named the contact"
    );
    let second = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_all_sent(&second);
    {
        let state = hs.state();
        assert_eq!(state.contacts.len(), 1, "no second contact");
        assert_eq!(state.notes.len(), 1, "the note the timed-out attempt made was found");
        assert_eq!(state.notes[0].contact, existing);
    }
    assert_eq!(hs.requests(Method::POST, "/crm/v3/objects/contacts").len(), 1);
    assert_eq!(hs.requests(Method::POST, "/crm/v3/objects/notes/search").len(), 1);

    // A token HubSpot does not know is refused for good.
    let wrong = IntegrationConfig::Hubspot {
        endpoint: Some(hs.url.clone()),
        token: "pat-na1-revoked".into(),
    };
    let wrong = add(&app, business, "Old portal", wrong).await;
    submits(&app, &seeded, "Ben Ode", "ben@example.com").await;
    let outcomes = deliver(&app, &cache, &wrong, TIMEOUT).await;
    assert!(
        matches!(&outcomes[0].1, Err(Failure::Permanent(m)) if m.contains("401") && m.contains("INVALID_AUTHENTICATION")),
        "{outcomes:?}"
    );
    hs.assert_no_problems();
    app.finish().await;
}

async fn a_contact_disqualified_in_hubspot_makes_the_lead_lost(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let hs = FakeHubspot::start().await;
    let integration = add_hubspot(&app, business, &hs).await;
    let cache = Cache::default();
    let http = leadline::egress::client(TIMEOUT, Reach::PublicAndLoopback);
    let submission = submits(&app, &seeded, "Ann Lee", "ann@example.com").await;
    assert_all_sent(&deliver(&app, &cache, &integration, TIMEOUT).await);
    let id = app
        .store
        .external_id(integration.id, submission.lead_id)
        .await
        .unwrap()
        .unwrap();
    hs.add_contact(json!({"email": "stranger@example.com", "hs_lead_status": "UNQUALIFIED"}));
    hs.salesperson_sets_status(&id, "UNQUALIFIED");

    assert_eq!(pull_once(&app.store, &http, &cache, TIMEOUT).await.unwrap(), 1);
    let lead = app.store.lead_by_id(business, submission.lead_id).await.unwrap();
    assert_eq!(lead.status, LeadStatus::Lost);
    let recorded = activities(&app, business, lead.record_ref).await;
    let (kind, author, _) = recorded.last().unwrap();
    assert_eq!((kind.as_str(), author.as_str()), ("status", "hubspot"));
    let searches = hs.requests(Method::POST, "/crm/v3/objects/contacts/search");
    let filter = &searches.last().unwrap().json()["filterGroups"][0]["filters"][0];
    assert_eq!(
        (filter["propertyName"].as_str(), filter["operator"].as_str()),
        (Some("lastmodifieddate"), Some("GT"))
    );
    let from: i64 = filter["value"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        from,
        (integration.created_at - chrono::Duration::seconds(60)).timestamp_millis()
    );
    assert!(app.store.pull_cursor(integration.id).await.unwrap().is_some());
    assert_eq!(pull_once(&app.store, &http, &cache, TIMEOUT).await.unwrap(), 0);
    hs.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    a_form_becomes_a_hubspot_contact_with_notes_and_its_lead_status,
    a_contact_hubspot_already_has_is_linked_and_a_retried_note_is_not_posted_twice,
    a_contact_disqualified_in_hubspot_makes_the_lead_lost,
);
