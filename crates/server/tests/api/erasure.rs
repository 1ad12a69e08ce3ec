//! Erasure of one person on a running server: through the API, the person's recording is
//! deleted at the provider (a fake that checks Twilio's request) and their file from storage,
//! the lead is emptied, and HubSpot, Salesforce and Google (fakes that check each request as
//! the real APIs document it) are asked to erase them and confirm; a later form starts a new
//! lead. On the lead page, only an owner who types the ref erases.

use crate::crm::{TIMEOUT, add, attempt};
use crate::crm_fakes::{
    FakeGoogle, FakeHubspot, FakeSalesforce, GA_CLIENT_ID, GA_CLIENT_SECRET, GA_PROPERTY, GA_REFRESH_TOKEN, HS_TOKEN,
    SF_CLIENT_ID, SF_CLIENT_SECRET, SF_VERSION,
};
use crate::helpers::{Engine, TestApp, key_for};
use crate::leads::{get, send};
use crate::operator::{PASSWORD, PDF, csrf_of, form_with_file, log_in, page, post, user};
use crate::retention::{files_named, provider};
use crate::settings_setup::owner;
use axum::http::Method;
use chrono::Utc;
use leadline::config::Config;
use leadline::outbox::{Cache, Failure, Sent};
use leadline_core::call::{CallKey, CallReport};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::event::EventKind;
use leadline_core::form::MessageId;
use leadline_core::lead::{Author, FieldsPatch, LeadChange};
use leadline_core::outbox::IntegrationConfig;
use leadline_core::provider::WebLink;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, OutboxStore, VisitStore};
use leadline_core::tenant::Role;
use leadline_core::visit::{CodePlan, NewVisit, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{E164, SiteId};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A visit whose browser has the GA client id `5151.1700000000`.
async fn ga_visit(app: &TestApp, site: SiteId) -> VisitRef {
    let new = NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored("ga:5151.1700000000").unwrap(),
        landing_url: "https://acme.example/sofas?gclid=abc".into(),
        referrer: None,
        title: Some("Sofas".into()),
        attribution: Attribution {
            source: "google".into(),
            medium: "cpc".into(),
            campaign: None,
            term: None,
            content: None,
        },
        click_ids: ClickIds::default(),
        ga_cookie: Some("GA1.1.5151.1700000000".into()),
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Desktop,
        temp_id: None,
        ads_consent: Default::default(),
    };
    app.store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// Hands every due delivery to its adapter, as the worker does; answers (integration kind,
/// event kind, result) of each.
async fn deliver_all(app: &TestApp, cache: &Cache) -> Vec<(&'static str, EventKind, Result<Sent, Failure>)> {
    let claimed = app
        .store
        .claim_deliveries(Utc::now().timestamp_millis(), 60_000, 100)
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for delivery in claimed {
        let result = attempt(app, cache, &delivery, TIMEOUT).await;
        outcomes.push((delivery.integration.config.kind(), delivery.event.kind(), result));
    }
    outcomes
}

async fn an_erasure_through_the_api_removes_the_person_everywhere_and_each_outside_system_confirms(engine: Engine) {
    let (provider_fake, deleted_recordings) = provider().await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&provider_fake.url).unwrap(),
        ..crate::helpers::delivering_by_hand()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let key = key_for(&app, business).await;
    let (hs, sf, google) = (
        FakeHubspot::start().await,
        FakeSalesforce::start().await,
        FakeGoogle::start().await,
    );
    let hubspot = IntegrationConfig::Hubspot {
        endpoint: Some(hs.url.clone()),
        token: HS_TOKEN.into(),
    };
    add(&app, business, "HubSpot portal", hubspot).await;
    let salesforce = IntegrationConfig::Salesforce {
        login_url: format!("{}/", sf.url),
        client_id: SF_CLIENT_ID.into(),
        client_secret: SF_CLIENT_SECRET.into(),
        api_version: SF_VERSION.into(),
        campaigns: BTreeMap::new(),
    };
    add(&app, business, "Sales org", salesforce).await;
    let ga = IntegrationConfig::Ga4Deletion {
        property_id: GA_PROPERTY.into(),
        client_id: GA_CLIENT_ID.into(),
        client_secret: GA_CLIENT_SECRET.into(),
        refresh_token: GA_REFRESH_TOKEN.into(),
        token_url: Some(format!("{}/token", google.url)),
        endpoint: Some(google.url.clone()),
    };
    add(&app, business, "GA4 deletion", ga).await;

    // The person: a form with a file, then a recorded call from a visit with a GA cookie.
    let sent = form_with_file(&app, &seeded, "passport.pdf", PDF.to_vec()).await;
    assert_eq!(sent.status(), 201);
    let message: Value = sent.json().await.unwrap();
    let message = MessageId::parse(message["message_id"].as_str().unwrap()).unwrap();
    let lead_id = app.store.submission(business, &message).await.unwrap().lead_id;
    let phone = FieldsPatch {
        phone: Some(Some(E164::parse("+12025550169").unwrap())),
        ..FieldsPatch::default()
    };
    let change = LeadChange::Fields(phone);
    app.store
        .change_lead(business, lead_id, &Author::system(), &change)
        .await
        .unwrap();
    let visit = ga_visit(&app, seeded.site.id).await;
    let call = crate::leads::call(&app, &seeded, "CA-person", Some(visit), 60).await;
    assert_eq!(call.lead_id, lead_id.0, "the call found the form's lead by its phone");
    let sid = format!("RE{:032x}", 7);
    let recording = format!("{}/2010-04-01/Accounts/AC1/Recordings/{sid}", provider_fake.url);
    let report = CallReport {
        recording_url: Some(WebLink::parse(&recording).unwrap()),
        ..CallReport::default()
    };
    let record_ref = call.record_ref;
    app.store
        .report_call(CallKey::Ref { business, record_ref }, &report)
        .await
        .unwrap();
    let stored = app
        .store
        .stored_texts("SELECT stored_name FROM attachments")
        .await
        .unwrap();
    let cache = Cache::default();
    let synced = deliver_all(&app, &cache).await;
    assert!(synced.iter().all(|(_, _, r)| r.is_ok()), "{synced:#?}");
    let contact = hs
        .state()
        .contacts
        .keys()
        .next()
        .cloned()
        .expect("HubSpot has the contact");
    let sf_lead = sf.only_lead().0;

    let lead = app.store.lead_by_id(business, lead_id).await.unwrap();
    let path = format!("/v1/leads/{}/erasure", lead.record_ref);
    let other = app.add_business("other", "Other Co").await;
    let stranger = key_for(&app, other.id).await;
    let (status, _) = send(&app, Method::POST, &path, Some(&stranger.key), None).await;
    assert_eq!(status, 404, "another business's key cannot erase it");
    let (status, erasure) = send(&app, Method::POST, &path, Some(&key.key), None).await;
    assert_eq!(status, 201);
    assert_eq!(erasure["lead_ref"], lead.record_ref);
    assert_eq!(erasure["erased_by"], format!("api-key:{}", key.prefix));
    let kinds: Vec<&str> = erasure["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["hubspot", "salesforce", "ga4_deletion"]);
    assert_eq!(
        *deleted_recordings.lock().unwrap(),
        [sid],
        "the recording is deleted at the provider"
    );
    assert_eq!(
        files_named(app.own_dir(), &stored[0]),
        0,
        "the file is deleted from storage"
    );

    google.state().unavailable = 1;
    let first = deliver_all(&app, &cache).await;
    assert!(
        first.iter().all(|(_, kind, _)| *kind == EventKind::LeadErased),
        "{first:#?}"
    );
    let retried = first.iter().find(|(k, _, _)| *k == "ga4_deletion").unwrap();
    assert!(
        matches!(&retried.2, Err(Failure::Retry(m)) if m.contains("503")),
        "{retried:?}"
    );
    let again = deliver_all(&app, &cache).await;
    assert_eq!(again.len(), 1, "only Google's is due again");
    assert!(again[0].2.is_ok(), "{again:?}");
    assert_eq!(hs.state().gdpr_deleted, [contact]);
    assert!(hs.state().contacts.is_empty());
    assert_eq!(sf.state().deleted, [sf_lead]);
    assert_eq!(google.state().deleted, ["5151.1700000000"]);
    for fake_problems in [hs.state().problems.clone(), sf.state().problems.clone()] {
        assert!(fake_problems.is_empty(), "{fake_problems:#?}");
    }
    google.assert_no_problems();

    let (_, read) = get(&app, &path, &key).await;
    let statuses: Vec<&str> = read["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["delivered"; 3], "{read}");
    let (_, emptied) = get(&app, &format!("/v1/leads/{}", lead.record_ref), &key).await;
    assert_eq!(
        (&emptied["name"], &emptied["email"], &emptied["phone"]),
        (&json!(null), &json!(null), &json!(null))
    );
    let (status, twice) = send(&app, Method::POST, &path, Some(&key.key), None).await;
    assert_eq!(status, 409, "{twice}");
    let (_, audit) = get(&app, "/v1/audit?action=lead.erased", &key).await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], format!("api-key:{}", key.prefix));
    assert_eq!(entries[0]["subject"], format!("lead {}", lead.record_ref));
    assert_eq!(
        entries[0]["detail"], "3 outside system(s) asked",
        "the log says nothing of the person"
    );

    assert_eq!(
        form_with_file(&app, &seeded, "again.pdf", PDF.to_vec()).await.status(),
        201
    );
    let listed = app
        .store
        .stored_texts("SELECT CAST(COUNT(DISTINCT lead_id) AS TEXT) FROM submissions")
        .await
        .unwrap();
    assert_eq!(listed, ["2"], "the same person's next form starts a new lead");
    app.finish().await;
}

async fn only_an_owner_who_types_the_ref_erases_a_person_from_the_lead_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let record_ref = crate::operator::seeded_lead(&app, &seeded).await;
    let lead_page = format!("/app/leads/{record_ref}");
    user(&app, business, "oscar@example.com", Role::Operator).await;
    let operator_cookie = log_in(&app, "oscar@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &operator_cookie, &lead_page).await;
    assert!(!html.contains("Erase this person"), "an operator is not offered it");
    let csrf = csrf_of(&html);
    let fields = [("csrf", csrf.as_str()), ("confirm", "")];
    let refused = post(&app, &operator_cookie, &format!("{lead_page}/erase"), &fields).await;
    assert_eq!(refused.status(), 404);

    let cookie = owner(&app, business).await;
    let (_, html) = page(&app, &cookie, &lead_page).await;
    assert!(html.contains("Erase this person"), "{html}");
    let csrf = csrf_of(&html);
    let wrong = [("csrf", csrf.as_str()), ("confirm", "1")];
    let response = post(&app, &cookie, &format!("{lead_page}/erase"), &wrong).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("type the lead&#39;s ref, {record_ref}, to confirm")),
        "{html}"
    );
    let caller = app.store.call_by_ref(business, record_ref).await.unwrap().caller;
    assert_eq!(caller, "+12025550169", "a refused erasure changes nothing");
    let confirm = record_ref.to_string();
    let forged = [("csrf", "forged"), ("confirm", confirm.as_str())];
    let response = post(&app, &cookie, &format!("{lead_page}/erase"), &forged).await;
    assert_eq!(response.status(), 403);

    let right = [("csrf", csrf.as_str()), ("confirm", confirm.as_str())];
    let response = post(&app, &cookie, &format!("{lead_page}/erase"), &right).await;
    assert_eq!(response.status(), 303);
    let (_, html) = page(&app, &cookie, &lead_page).await;
    assert!(html.contains("This person was erased on"), "{html}");
    assert!(html.contains("user:olive@example.com"), "the page says who erased them");
    assert!(!html.contains("Erase this person"));
    assert_eq!(app.store.call_by_ref(business, record_ref).await.unwrap().caller, "");
    app.finish().await;
}

crate::on_both_engines!(
    an_erasure_through_the_api_removes_the_person_everywhere_and_each_outside_system_confirms,
    only_an_owner_who_types_the_ref_erases_a_person_from_the_lead_page,
);
