//! Erasure of one person: nothing that names them is left in any text column of any table
//! (the identifiers an outside system erases by stay on its delivery only until it confirms),
//! the rows reports count stay, another person and another business are untouched, and the
//! erasure is recorded with who asked and which systems confirmed.

use crate::conformance;
use crate::leads::{Setup, call, contact, setup};
use chrono::Utc;
use leadline_core::call::CallReport;
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::erasure::{ErasureStore, Subject, outside_erasures};
use leadline_core::form::{FormIdentity, MessageId, NewAttachment, NewSubmission, StoredName, SubmissionVia};
use leadline_core::lead::{Author, LeadChange};
use leadline_core::net::Email;
use leadline_core::outbox::{DeliveryOutcome, DeliveryStatus, IntegrationConfig, NewIntegration};
use leadline_core::provider::WebLink;
use leadline_core::secret::Secret;
use leadline_core::store::{LeadStore, OutboxStore, StoreError, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{LeadId, SiteId};
use leadline_store::SqlStore;
use std::collections::BTreeMap;

/// Everything that names the person, each as it is stored somewhere before the erasure.
const PERSON: [&str; 11] = [
    "Annerasa",
    "ann.erase@example.com",
    "2025550142",
    "zebra-words",
    "GCLIDPERSON",
    "4242.1700000000",
    "passport-annerasa",
    "RE-PERSON",
    "annerasable",
    "PAGEQUERY",
    "prefers-mornings",
];

/// The other person of the same business, who must stay whole.
const BOB: [&str; 2] = ["Bobkeep", "2025550199"];

async fn person_visit(store: &SqlStore, site: SiteId) -> VisitRef {
    let new = NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored("ga:4242.1700000000").unwrap(),
        landing_url: "https://acme.example/offer?gclid=GCLIDPERSON&e=ann.erase%40example.com".into(),
        referrer: Some("https://www.google.com/search?q=annerasable".into()),
        title: Some("Offer for Annerasa".into()),
        attribution: Attribution {
            source: "google".into(),
            medium: "cpc".into(),
            campaign: Some("spring".into()),
            term: None,
            content: None,
        },
        click_ids: ClickIds {
            gclid: Some(ClickId::parse(ClickKind::Gclid, "GCLIDPERSON").unwrap()),
            ..ClickIds::default()
        },
        ga_cookie: Some("GA1.1.4242.1700000000".into()),
        ga_streams: BTreeMap::from([("_ga_ABC".into(), "GS2.1.s4242$o1".into())]),
        utma: None,
        device: Device::Mobile,
        temp_id: None,
        ads_consent: Default::default(),
    };
    store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// The person: a visit, a recorded call from it, a form with a file, a note; answers the lead.
async fn the_person(store: &SqlStore, s: &Setup) -> LeadId {
    let v = person_visit(store, s.site).await;
    let c = call(store, s, "CA-person", "+12025550142", Some(v.clone())).await;
    let recorded = CallReport {
        recording_url: Some(WebLink::parse("https://api.twilio.example/Recordings/RE-PERSON").unwrap()),
        ended: true,
        ..CallReport::default()
    };
    crate::fixtures::report(store, s.number, "CA-person", &recorded)
        .await
        .unwrap();
    let message_id = MessageId::generate();
    let secret = Secret::new("attachments-secret");
    let form = NewSubmission {
        business_id: s.business,
        site_id: s.site,
        message_id: message_id.clone(),
        via: SubmissionVia::Browser,
        identity: FormIdentity {
            visit: Some(v),
            ga_client_id: Some("4242.1700000000".into()),
            ..FormIdentity::default()
        },
        contact: contact(
            Some("Annerasa Smith"),
            Some("ann.erase@example.com"),
            Some("+12025550142"),
        ),
        fields: vec![("message".into(), "zebra-words in a message".into())],
        page_url: Some("https://acme.example/contact?PAGEQUERY=1".into()),
        attachments: vec![NewAttachment {
            original_name: "passport-annerasa.pdf".into(),
            stored_name: StoredName::derive(&secret, &message_id, s.site, "passport-annerasa.pdf"),
            content_type: "application/pdf".into(),
            size_bytes: 1234,
        }],
    };
    let submission = store.add_submission(&form).await.unwrap();
    assert_eq!(submission.lead_id.0, c.lead_id, "the form found the caller's lead");
    let author = Author::user(&Email::parse("owner@acme.example").unwrap());
    let note = LeadChange::Note("Annerasa prefers-mornings".into());
    store
        .change_lead(s.business, submission.lead_id, &author, &note)
        .await
        .unwrap();
    submission.lead_id
}

/// Where `value` is still stored: `table.column` of every text column of every table.
async fn found_in(store: &SqlStore, value: &str) -> Vec<String> {
    let columns = match leadline_core::store::HealthStore::engine(store) {
        "sqlite" => {
            store
                .stored_texts(
                    "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND upper(p.type) = 'TEXT'",
                )
                .await
        }
        _ => {
            store
                .stored_texts(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns
                     WHERE table_schema = current_schema() AND data_type = 'text'",
                )
                .await
        }
    }
    .unwrap();
    assert!(columns.len() > 50, "every text column is searched: {columns:?}");
    let mut found = Vec::new();
    for column in columns {
        let (table, name) = column.split_once('.').unwrap();
        let hits = store
            .stored_texts(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE {name} LIKE '%{value}%'"
            ))
            .await
            .unwrap();
        if hits[0] != "0" {
            found.push(column);
        }
    }
    found
}

async fn hook_and_crm(store: &SqlStore, s: &Setup) -> Vec<leadline_core::outbox::Integration> {
    let configs = [
        IntegrationConfig::Webhook {
            url: "https://hooks.example/in".into(),
            secret: "whsec_x".into(),
        },
        IntegrationConfig::Hubspot {
            endpoint: None,
            token: "pat-x".into(),
        },
        IntegrationConfig::Ga4Deletion {
            property_id: "123456".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            refresh_token: "r".into(),
            token_url: None,
            endpoint: None,
        },
    ];
    let mut made = Vec::new();
    for (i, config) in configs.into_iter().enumerate() {
        let new = NewIntegration {
            business_id: s.business,
            site_id: None,
            name: format!("integration {i}"),
            config,
        };
        made.push(store.add_integration(&new).await.unwrap());
    }
    made
}

async fn an_erased_person_leaves_no_trace_in_any_text_column_once_the_outside_systems_confirm(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let integrations = hook_and_crm(&store, &s).await;
    let lead = the_person(&store, &s).await;
    store.set_external_id(integrations[1].id, lead, "hs-901").await.unwrap();
    let bob = call(&store, &s, "CA-bob", "+12025550199", None).await;
    store
        .change_lead(
            s.business,
            LeadId(bob.lead_id),
            &Author::system(),
            &LeadChange::Note("Bobkeep called".into()),
        )
        .await
        .unwrap();
    for value in PERSON {
        assert!(
            !found_in(&store, value).await.is_empty(),
            "{value} is stored before the erasure"
        );
    }

    let ids = store.person_ids(s.business, lead).await.unwrap();
    assert_eq!(ids.ga_client_ids, vec!["4242.1700000000".to_owned()]);
    let outside = outside_erasures(&integrations, &ids);
    let leftovers = store.person_leftovers(s.business, lead).await.unwrap();
    assert_eq!(leftovers.recordings.len(), 1);
    assert_eq!(leftovers.files.len(), 1);
    let by = Author::user(&Email::parse("owner@acme.example").unwrap());
    let erasure = store.erase_person(s.business, lead, &by, &outside).await.unwrap();
    assert_eq!(erasure.erased_by, by);
    assert_eq!(erasure.systems.len(), 3, "the webhook, HubSpot and GA4 are asked");
    assert!(erasure.systems.iter().all(|n| n.status == DeliveryStatus::Pending));

    for value in PERSON {
        let left = found_in(&store, value).await;
        let allowed: &[&str] = if value == "4242.1700000000" {
            &["deliveries.subjects"]
        } else {
            &[]
        };
        assert_eq!(
            left, allowed,
            "{value} is left only where an outside system erases by it"
        );
    }
    for value in BOB {
        assert!(
            !found_in(&store, value).await.is_empty(),
            "{value}, another person, stays"
        );
    }

    // The systems answer: what they erased by is forgotten with their confirmation.
    let claimed: Vec<_> = store
        .claim_deliveries(Utc::now().timestamp_millis(), 60_000, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| matches!(d.event.data, leadline_core::event::EventData::LeadErased(_)))
        .collect();
    assert_eq!(
        claimed.len(),
        3,
        "one delivery per system asked (Bob's own events are the rest)"
    );
    let ga = claimed
        .iter()
        .find(|d| d.integration.id == integrations[2].id)
        .expect("the GA4 deletion is claimed");
    match &ga.event.data {
        leadline_core::event::EventData::LeadErased(erased) => {
            assert_eq!(erased.subjects, vec![Subject::GaClientId("4242.1700000000".into())]);
            assert_eq!(erased.record_ref, erasure.record_ref);
        }
        other => panic!("an erasure's delivery carries lead.erased, not {other:?}"),
    }
    let hubspot = claimed.iter().find(|d| d.integration.id == integrations[1].id).unwrap();
    assert!(
        matches!(&hubspot.event.data, leadline_core::event::EventData::LeadErased(e)
            if e.subjects == vec![Subject::RecordId("hs-901".into())])
    );
    for delivery in &claimed {
        let done = DeliveryOutcome::Delivered {
            response: Some("erased".into()),
        };
        assert!(
            store
                .finish_delivery(delivery.id, &delivery.lease_token, &done)
                .await
                .unwrap()
        );
    }
    assert!(found_in(&store, "4242.1700000000").await.is_empty());
    assert!(found_in(&store, "hs-901").await.is_empty());
    let recorded = store.erasure_of(s.business, erasure.record_ref).await.unwrap().unwrap();
    assert!(
        recorded
            .systems
            .iter()
            .all(|n| n.status == DeliveryStatus::Delivered && n.confirmed_at.is_some())
    );

    // The rows reports count stay, emptied.
    let kept = store.lead_calls(s.business, lead).await.unwrap();
    assert_eq!((kept.len(), kept[0].caller.as_str()), (1, ""));
    assert!(kept[0].attribution.is_some(), "the call keeps its source");
    assert_eq!(store.lead_submissions(s.business, lead).await.unwrap().len(), 1);
    let emptied = store.lead_by_id(s.business, lead).await.unwrap();
    assert_eq!(
        (emptied.contact.name, emptied.contact.email, emptied.visitor_key),
        (None, None, None)
    );
}

async fn a_later_call_from_the_same_number_starts_a_new_lead_and_other_businesses_keep_theirs(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "other", "+12025550101").await;
    let lead = the_person(&store, &s).await;
    let theirs = call(&store, &other, "CA-theirs", "+12025550142", None).await;
    let by = Author::system();
    let erasure = store.erase_person(s.business, lead, &by, &[]).await.unwrap();
    assert!(erasure.systems.is_empty(), "no integration, nobody outside to ask");

    let again = call(&store, &s, "CA-again", "+12025550142", None).await;
    assert_ne!(again.lead_id, lead.0, "the erased lead is never found again");
    let their_call = store.lead_calls(other.business, LeadId(theirs.lead_id)).await.unwrap();
    assert_eq!(
        their_call[0].caller, "+12025550142",
        "another business's caller is not erased"
    );

    let twice = store.erase_person(s.business, lead, &by, &[]).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let stranger = store.erase_person(other.business, lead, &by, &[]).await;
    assert!(matches!(stranger, Err(StoreError::NotFound)), "{stranger:?}");
    let listed = store.erasures(s.business, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(store.erasures(other.business, 10).await.unwrap().is_empty());
    assert_eq!(
        store.erasure_of(other.business, erasure.record_ref).await.unwrap(),
        None
    );
}

async fn a_person_with_a_call_in_progress_is_not_erased_until_it_ends(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let live = call(&store, &s, "CA-live", "+12025550142", None).await;
    let lead = LeadId(live.lead_id);
    let refused = store.erase_person(s.business, lead, &Author::system(), &[]).await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("in progress")),
        "{refused:?}"
    );
    let still = store.lead_calls(s.business, lead).await.unwrap();
    assert_eq!(still[0].caller, "+12025550142", "a refused erasure changes nothing");
    let ended = CallReport {
        ended: true,
        ..CallReport::default()
    };
    crate::fixtures::report(&store, s.number, "CA-live", &ended)
        .await
        .unwrap();
    store
        .erase_person(s.business, lead, &Author::system(), &[])
        .await
        .unwrap();
}

conformance!(
    an_erased_person_leaves_no_trace_in_any_text_column_once_the_outside_systems_confirm,
    a_later_call_from_the_same_number_starts_a_new_lead_and_other_businesses_keep_theirs,
    a_person_with_a_call_in_progress_is_not_erased_until_it_ends,
);
