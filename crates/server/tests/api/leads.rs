//! The leads REST API with a business's API key: list with filters and pages, and read with
//! the whole timeline; the helpers the other leads tests share. Changes are in
//! leads_changes.rs; tenancy, bad input and the returning-visitor lookup in leads_tenancy.rs.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::call::{Call, CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::form::{
    FormIdentity, MessageId, NewAttachment, NewSubmission, StoredName, Submission, SubmissionVia,
};
use leadline_core::lead::Contact;
use leadline_core::net::Email;
use leadline_core::provider::{CallSid, Caller, WebLink};
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, NumberStore, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, Selector, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{BusinessId, E164, SiteId};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub use crate::helpers::{Key, key_for};

/// The seeded site at 0.50 USD a call minute, and a key of its business.
pub async fn spawn(engine: Engine) -> (TestApp, Seeded, Key) {
    let settings = SiteSettings {
        cost_per_minute_minor: 50,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let key = key_for(&app, seeded.site.business_id).await;
    (app, seeded, key)
}

/// Sends `method path` with `key` (and a JSON body); answers the status and the JSON body.
pub async fn send(app: &TestApp, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, format!("{}{path}", app.base_url));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"));
    (status, body)
}

pub async fn get(app: &TestApp, path: &str, key: &Key) -> (u16, Value) {
    send(app, Method::GET, path, Some(&key.key), None).await
}

pub async fn post(app: &TestApp, path: &str, key: &Key, body: Value) -> (u16, Value) {
    send(app, Method::POST, path, Some(&key.key), Some(body)).await
}

pub async fn patch(app: &TestApp, path: &str, key: &Key, body: Value) -> (u16, Value) {
    send(app, Method::PATCH, path, Some(&key.key), Some(body)).await
}

/// A visit from google / cpc with a gclid, by `visitor`.
pub async fn visit(app: &TestApp, site: SiteId, visitor: &str) -> VisitRef {
    let gclid = ClickIds {
        gclid: Some(ClickId::parse(ClickKind::Gclid, "abc").unwrap()),
        ..ClickIds::default()
    };
    let new = NewVisit {
        landing_url: "https://acme.example/sofas?gclid=abc".into(),
        referrer: Some("https://www.google.com/".into()),
        ..ad_click(site, visitor, ("google", "cpc"), gclid)
    };
    app.store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// A visit (to register) from an ad of `source / medium`, campaign `spring`, keyword `sofa`,
/// carrying `click_ids`, by `visitor`, on a phone.
pub fn ad_click(site: SiteId, visitor: &str, (source, medium): (&str, &str), click_ids: ClickIds) -> NewVisit {
    NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(visitor).unwrap(),
        landing_url: "https://acme.example/sofas".into(),
        referrer: None,
        title: Some("Sofas".into()),
        attribution: Attribution {
            source: source.into(),
            medium: medium.into(),
            campaign: Some("spring".into()),
            term: Some("sofa".into()),
            content: None,
        },
        click_ids,
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Mobile,
        temp_id: None,
        ads_consent: Default::default(),
    }
}

/// A call to the seeded number, ended after `seconds`.
pub async fn call(app: &TestApp, seeded: &Seeded, sid: &str, visit: Option<VisitRef>, seconds: u32) -> Call {
    let number = app.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    let new = NewCall {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        number_id: number.id,
        provider_call_sid: CallSid::parse(sid).unwrap(),
        caller: Caller::parse("+12025550169"),
        keyed: String::new(),
        code: None,
        selector: Selector::Plain,
        extension: None,
        origin: CallOrigin {
            matched_by: if visit.is_some() {
                MatchedBy::Code
            } else {
                MatchedBy::None
            },
            visit,
            intent: None,
            source_label: None,
            confidence: None,
        },
        place: Default::default(),
    };
    app.store.open_call(&new).await.unwrap();
    let report = CallReport {
        outcome: Some(CallOutcome::Answered),
        answered_by: Some("+12025550111".into()),
        duration_seconds: Some(seconds),
        recording_url: Some(WebLink::parse(&format!("https://api.twilio.example/rec/{sid}.wav")).unwrap()),
        ended: true,
        tags: vec![],
    };
    let sid = CallSid::parse(sid).unwrap();
    let key = CallKey::Provider {
        number: number.id,
        sid: &sid,
    };
    app.store.report_call(key, &report).await.unwrap()
}

/// A form submission on `site` of `business` from a person with this name and e-mail.
pub async fn submit(
    app: &TestApp,
    business: BusinessId,
    site: SiteId,
    name: &str,
    email: &str,
    identity: FormIdentity,
) -> Submission {
    let new = NewSubmission {
        business_id: business,
        site_id: site,
        message_id: MessageId::generate(),
        via: SubmissionVia::Processor,
        identity,
        contact: Contact {
            name: Some(name.into()),
            email: Some(Email::parse(email).unwrap()),
            phone: None,
            company: None,
        },
        fields: vec![
            ("name".into(), name.into()),
            ("message".into(), "A quote for two sofas".into()),
        ],
        page_url: Some("https://acme.example/contact".into()),
        attachments: Vec::new(),
    };
    app.store.add_submission(&new).await.unwrap()
}

/// The lead's activities through the store, as (kind, author, detail).
pub async fn activities(app: &TestApp, business: BusinessId, record_ref: u64) -> Vec<(String, String, Value)> {
    let lead = app.store.lead(business, record_ref).await.unwrap();
    app.store
        .lead_activities(business, lead.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind.as_str().to_owned(), a.author.as_str().to_owned(), a.detail))
        .collect()
}

fn refs(page: &Value) -> Vec<u64> {
    page["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ref"].as_u64().unwrap())
        .collect()
}

async fn leads_are_listed_newest_first_with_filters_and_pages(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let from_ads = visit(&app, site, "ga:111.222").await;
    let identity = FormIdentity {
        visit: Some(from_ads),
        ..FormIdentity::default()
    };
    submit(&app, business, site, "Ann Lee", "ann@example.com", identity).await;
    for (name, email) in [("Ben Ode", "ben@example.com"), ("Cy Park", "cy@example.org")] {
        submit(&app, business, site, name, email, FormIdentity::default()).await;
    }
    let (status, all) = get(&app, "/v1/leads", &key).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(refs(&all), [1002, 1001, 1000], "newest first");
    assert_eq!(all["next_cursor"], Value::Null);
    let ann = &all["leads"][2];
    assert_eq!(
        (ann["name"].as_str(), ann["email"].as_str(), ann["status"].as_str()),
        (Some("Ann Lee"), Some("ann@example.com"), Some("new"))
    );
    assert_eq!(ann["source"], "google / cpc");
    assert_eq!(ann["visitor_key"], "ga:111.222");
    assert_eq!((ann["tags"].clone(), ann["totals"].clone()), (json!([]), json!([])));

    post(&app, "/v1/leads/1001/status", &key, json!({"status": "qualified"})).await;
    post(&app, "/v1/leads/1002/tags", &key, json!({"add": ["vip"]})).await;
    for (query, expected) in [
        ("status=qualified", vec![1001]),
        ("status=new", vec![1002, 1000]),
        ("tag=vip", vec![1002]),
        ("source=google+%2F+cpc", vec![1000]),
        ("q=EXAMPLE.ORG", vec![1002]),
        ("q=ben", vec![1001]),
        ("q=1000", vec![1000]),
        ("from=2000-01-01&to=2999-12-31", vec![1002, 1001, 1000]),
        ("to=2000-01-01", vec![]),
        ("from=2999-01-01T00:00:00Z", vec![]),
        ("status=new&q=cy", vec![1002]),
    ] {
        let (status, page) = get(&app, &format!("/v1/leads?{query}"), &key).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(refs(&page), expected, "{query}");
    }

    let (_, first) = get(&app, "/v1/leads?limit=2", &key).await;
    assert_eq!(refs(&first), [1002, 1001]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = get(&app, &format!("/v1/leads?limit=2&cursor={cursor}"), &key).await;
    assert_eq!(refs(&second), [1000]);
    assert_eq!(second["next_cursor"], Value::Null);

    for (query, named) in [
        ("status=won", "status"),
        ("from=last+week", "from"),
        ("to=2026-02-30", "to"),
        ("limit=500", "limit"),
        ("cursor=xyz", "cursor"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = get(&app, &format!("/v1/leads?{query}"), &key).await;
        assert_eq!(status, 400, "{query}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(&format!("parameter {named}")), "{query}: {error}");
    }
    app.finish().await;
}

async fn a_lead_is_read_with_its_whole_timeline_in_order(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let from_ads = visit(&app, site, "ga:111.222").await;
    let made = call(&app, &seeded, "CA1", Some(from_ads.clone()), 95).await;
    assert_eq!(made.record_ref, 1000);
    let message = MessageId::generate();
    let stored = StoredName::derive(&Secret::new("any secret"), &message, site, "plan.pdf");
    let new = NewSubmission {
        business_id: business,
        site_id: site,
        message_id: message.clone(),
        via: SubmissionVia::Browser,
        identity: FormIdentity {
            visit: Some(from_ads.clone()),
            ..FormIdentity::default()
        },
        contact: Contact {
            name: Some("Ann Lee".into()),
            email: Some(Email::parse("ann@example.com").unwrap()),
            phone: Some(E164::parse("+12025550169").unwrap()),
            company: None,
        },
        fields: vec![
            ("message".into(), "Two sofas".into()),
            ("email".into(), "ann@example.com".into()),
        ],
        page_url: Some("https://acme.example/contact".into()),
        attachments: vec![NewAttachment {
            original_name: "plan.pdf".into(),
            stored_name: stored.clone(),
            content_type: "application/pdf".into(),
            size_bytes: 1234,
        }],
    };
    app.store.add_submission(&new).await.unwrap();
    post(&app, "/v1/leads/1000/notes", &key, json!({"text": "Wants a quote"})).await;

    let (status, lead) = get(&app, "/v1/leads/1000", &key).await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(lead["ref"], 1000);
    assert_eq!(lead["name"], "Ann Lee");
    assert_eq!(lead["deliveries"], json!([]), "no outbox yet");
    let timeline = lead["timeline"].as_array().unwrap();
    let types: Vec<&str> = timeline.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["visit", "call", "submission", "activity"], "{lead}");
    let times: Vec<&str> = timeline.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> = times
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "sorted by time: {times:?}");

    let visit_entry = &timeline[0];
    assert_eq!(visit_entry["visit"], from_ads.as_str());
    assert_eq!(visit_entry["site"], seeded.site.key.as_str());
    assert_eq!(
        (visit_entry["source"].as_str(), visit_entry["term"].as_str()),
        (Some("google"), Some("sofa"))
    );
    assert_eq!(visit_entry["click_ids"]["gclid"], "abc");
    assert_eq!(visit_entry["pages"][0]["url"], "https://acme.example/sofas?gclid=abc");

    let call_entry = &timeline[1];
    assert_eq!(call_entry["ref"], 1000);
    assert_eq!(call_entry["outcome"], "answered");
    assert_eq!(call_entry["duration_seconds"], 95);
    assert_eq!(call_entry["answered_by"], "+12025550111");
    assert_eq!(call_entry["recording_url"], "https://api.twilio.example/rec/CA1.wav");
    assert_eq!(call_entry["matched_by"], "code");
    assert_eq!(call_entry["source"], "google / cpc");

    let form = &timeline[2];
    assert_eq!(form["message_id"], message.as_str());
    assert_eq!(form["matched_by"], "visitor_key");
    assert_eq!(form["fields"][0], json!({"name": "message", "value": "Two sofas"}));
    let attachment = &form["attachments"][0];
    assert_eq!(attachment["name"], "plan.pdf");
    let link = attachment["url"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/v1/attachments/{}?expires=", app.base_url, stored.as_str()))
            && link.contains("&sig="),
        "{link}"
    );

    let note = &timeline[3];
    assert_eq!(
        (note["kind"].as_str(), note["detail"]["text"].as_str()),
        (Some("note"), Some("Wants a quote"))
    );
    assert_eq!(note["author"], format!("api-key:{}", key.prefix));

    let (status, _) = get(&app, "/v1/leads/9999", &key).await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, "/v1/leads/not-a-ref", &key).await;
    assert_eq!(status, 404);
    app.finish().await;
}

crate::on_both_engines!(
    leads_are_listed_newest_first_with_filters_and_pages,
    a_lead_is_read_with_its_whole_timeline_in_order,
);
