//! Form submissions from the browser (`POST /v1/forms`) and from a site's own form processor
//! (`POST /v1/submissions`): each lands on the right lead, and bad input stores nothing.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::click_id::ClickId;
use leadline_core::form::{MessageId, TempId};
use leadline_core::lead::{LeadFilter, LeadMatch};
use leadline_core::site::SiteSettings;
use leadline_core::store::LeadStore;
use serde_json::{Value, json};

/// A browser's form post, urlencoded, from the site's origin.
async fn browser_form(app: &TestApp, fields: &[(&str, &str)], origin: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/forms", app.base_url))
        .header("origin", origin)
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A form processor's JSON post with the business's key.
async fn forward(app: &TestApp, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/v1/submissions", app.base_url)).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

async fn message(response: reqwest::Response) -> MessageId {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    MessageId::parse(body["message_id"].as_str().unwrap()).unwrap()
}

async fn leads_of(app: &TestApp, seeded: &Seeded) -> usize {
    let filter = LeadFilter {
        limit: 200,
        ..LeadFilter::default()
    };
    app.store
        .list_leads(seeded.site.business_id, &filter)
        .await
        .unwrap()
        .leads
        .len()
}

async fn a_browser_form_with_its_visit_token_lands_on_the_lead_of_that_visit(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let visit = app
        .register_visit(&seeded, "http://localhost/contact?gclid=Cj0KCQ")
        .await;
    let (id, token) = (visit["visit"].as_str().unwrap(), visit["token"].as_str().unwrap());
    let site = seeded.site.key.as_str();
    let common = [
        ("leadline_site", site),
        ("leadline_visit", id),
        ("leadline_token", token),
        ("leadline_gclid", "Cj0KCQ"),
    ];
    let first = [
        &common[..],
        &[("email", "ann@example.com"), ("message", "A quote please")],
    ]
    .concat();
    let first = message(browser_form(&app, &first, "http://localhost").await).await;
    let second = [&common[..], &[("email", "ann.work@example.com")]].concat();
    let second = message(browser_form(&app, &second, "http://localhost").await).await;

    let business = seeded.site.business_id;
    let one = app.store.submission(business, &first).await.unwrap();
    let two = app.store.submission(business, &second).await.unwrap();
    assert_eq!(one.visit.as_ref().map(|v| v.as_str()), Some(id));
    assert_eq!(one.matched_by, LeadMatch::New);
    assert_eq!(two.matched_by, LeadMatch::VisitorKey);
    assert_eq!(one.lead_id, two.lead_id, "one visitor, one lead");
    assert_eq!(
        one.identity.click_ids.gclid.as_ref().map(ClickId::as_str),
        Some("Cj0KCQ")
    );
    assert_eq!(
        one.fields,
        vec![
            ("email".into(), "ann@example.com".into()),
            ("message".into(), "A quote please".into())
        ]
    );
    let lead = app.store.lead_by_id(business, one.lead_id).await.unwrap();
    assert_eq!(
        lead.contact.email.unwrap().as_str(),
        "ann@example.com",
        "the first e-mail is kept"
    );
    assert!(lead.visitor_key.is_some());
    app.finish().await;
}

async fn a_form_processor_matches_by_visitor_key_then_email_then_phone(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let site = seeded.site.key.as_str();
    let post = |fields: Value| forward(&app, Some(&key), json!({ "site": site, "fields": fields }));
    let ann = message(
        post(json!({"email": "ann@example.com", "phone": "(202) 555-0169", "leadline_visitor": "fp:ann"})).await,
    )
    .await;
    let bob = message(post(json!({"email": "bob@example.com", "phone": "+12025550170"})).await).await;
    let cases = [
        (
            json!({"leadline_visitor": "fp:ann", "email": "bob@example.com"}),
            &ann,
            LeadMatch::VisitorKey,
        ),
        (
            json!({"email": "BOB@example.com", "phone": "202-555-0169"}),
            &bob,
            LeadMatch::Email,
        ),
        (json!({"tel": "+1 202 555 0169"}), &ann, LeadMatch::Phone),
    ];
    let business = seeded.site.business_id;
    for (fields, expected, matched_by) in cases {
        let got = message(post(fields.clone()).await).await;
        let got = app.store.submission(business, &got).await.unwrap();
        let expected = app.store.submission(business, expected).await.unwrap();
        assert_eq!(got.lead_id, expected.lead_id, "{fields}");
        assert_eq!(got.matched_by, matched_by, "{fields}");
    }
    let carol = message(post(json!({"email": "carol@example.com"})).await).await;
    assert_eq!(
        app.store.submission(business, &carol).await.unwrap().matched_by,
        LeadMatch::New
    );
    assert_eq!(leads_of(&app, &seeded).await, 3);
    app.finish().await;
}

async fn a_form_sent_before_registration_answered_finds_its_visit_by_temporary_id(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let temp = TempId::generate();
    let body = json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/", "temp": temp.as_str() });
    let registered: Value = app
        .client
        .post(format!("{}/v1/visits", app.base_url))
        .header("origin", "http://localhost")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fields = [
        ("leadline_site", seeded.site.key.as_str()),
        ("leadline_temp", temp.as_str()),
        ("email", "dan@example.com"),
    ];
    let sent = message(browser_form(&app, &fields, "http://localhost").await).await;
    let stored = app.store.submission(seeded.site.business_id, &sent).await.unwrap();
    assert_eq!(stored.visit.as_ref().map(|v| v.as_str()), registered["visit"].as_str());
    app.finish().await;
}

async fn a_wrong_token_keeps_the_form_but_links_no_visit(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let visit = app.register_visit(&seeded, "http://localhost/").await;
    let other = app.register_visit(&seeded, "http://localhost/").await;
    let fields = [
        ("leadline_site", seeded.site.key.as_str()),
        ("leadline_visit", visit["visit"].as_str().unwrap()),
        ("leadline_token", other["token"].as_str().unwrap()),
        ("email", "eve@example.com"),
    ];
    let sent = message(browser_form(&app, &fields, "http://localhost").await).await;
    let stored = app.store.submission(seeded.site.business_id, &sent).await.unwrap();
    assert_eq!(stored.visit, None);
    assert_eq!(stored.identity.visitor_key, None);
    app.finish().await;
}

async fn a_plain_html_post_goes_back_to_the_site_and_nowhere_else(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |next: &'static str| {
        client
            .post(format!("{}/v1/forms", app.base_url))
            .header("origin", "http://localhost")
            .form(&[
                ("leadline_site", seeded.site.key.as_str()),
                ("leadline_next", next),
                ("email", "f@example.com"),
            ])
            .send()
    };
    let home = post("http://localhost/thanks").await.unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], "http://localhost/thanks");
    let away = post("https://evil.example/phish").await.unwrap();
    assert_eq!(away.status(), 200, "an open redirect would be a gift to phishers");
    assert!(away.text().await.unwrap().contains("Thank you"));
    app.finish().await;
}

/// Fields, Origin, expected status, and words the error must contain.
type BadCase<'a> = (&'a [(&'a str, &'a str)], &'a str, u16, &'a str);

async fn bad_forms_are_refused_with_a_reason_and_store_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let site = seeded.site.key.as_str();
    let browser_cases: [BadCase; 5] = [
        (&[("email", "a@example.com")], "http://localhost", 400, "leadline_site"),
        (
            &[("leadline_site", "aaaaaaaaaaaaaaaaaaaaaaaa")],
            "http://localhost",
            404,
            "not found",
        ),
        (
            &[("leadline_site", site)],
            "https://evil.example",
            403,
            "not a domain of this site",
        ),
        (
            &[("leadline_site", site), ("leadline_visit", "../../x")],
            "http://localhost",
            400,
            "leadline_visit",
        ),
        (
            &[("leadline_site", site), ("leadline_colour", "red")],
            "http://localhost",
            400,
            "leadline_colour",
        ),
    ];
    for (fields, origin, status, says) in browser_cases {
        let response = browser_form(&app, fields, origin).await;
        assert_eq!(response.status(), status, "{fields:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{fields:?}: {body}");
    }
    let text = app
        .client
        .post(format!("{}/v1/forms", app.base_url))
        .header("origin", "http://localhost")
        .header("content-type", "text/plain")
        .body("email=a@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 400);

    let other = app.add_business("other", "Other").await;
    let other_key = crate::helpers::key_for(&app, other.id).await.key;
    let processor_cases = [
        (None, json!({"site": site, "fields": {}}), 401),
        (
            Some(other_key.as_str()),
            json!({"site": site, "fields": {"email": "a@example.com"}}),
            404,
        ),
        (
            Some(key.as_str()),
            json!({"site": site, "fields": {"email": "a@example.com"}, "colour": "red"}),
            400,
        ),
        (Some(key.as_str()), json!({"fields": {"email": "a@example.com"}}), 400),
        (
            Some(key.as_str()),
            json!({"site": site, "fields": {"x": {"nested": true}}}),
            400,
        ),
    ];
    for (key, body, status) in processor_cases {
        assert_eq!(forward(&app, key, body.clone()).await.status(), status, "{body}");
    }
    assert_eq!(
        leads_of(&app, &seeded).await,
        0,
        "nothing refused may leave a lead behind"
    );
    app.finish().await;
}

async fn a_later_call_from_the_number_on_a_form_joins_the_same_lead(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let body = json!({ "site": seeded.site.key.as_str(), "fields": {"name": "Ann Lee", "phone": "(202) 555-0169"} });
    let sent = message(forward(&app, Some(&key), body).await).await;
    let business = seeded.site.business_id;
    let form_lead = app.store.submission(business, &sent).await.unwrap().lead_id;
    let call = crate::leads::call(&app, &seeded, "CA-after-form", None, 60).await;
    assert_eq!(
        call.lead_id, form_lead.0,
        "the caller's number is the form's: one person, one lead"
    );
    let lead = app.store.lead_by_id(business, form_lead).await.unwrap();
    assert_eq!(lead.contact.name.as_deref(), Some("Ann Lee"));
    assert_eq!(app.store.lead_calls(business, form_lead).await.unwrap().len(), 1);
    assert_eq!(app.store.lead_submissions(business, form_lead).await.unwrap().len(), 1);
    app.finish().await;
}

crate::on_both_engines!(
    a_later_call_from_the_number_on_a_form_joins_the_same_lead,
    a_browser_form_with_its_visit_token_lands_on_the_lead_of_that_visit,
    a_form_processor_matches_by_visitor_key_then_email_then_phone,
    a_form_sent_before_registration_answered_finds_its_visit_by_temporary_id,
    a_wrong_token_keeps_the_form_but_links_no_visit,
    a_plain_html_post_goes_back_to_the_site_and_nowhere_else,
    bad_forms_are_refused_with_a_reason_and_store_nothing,
);
