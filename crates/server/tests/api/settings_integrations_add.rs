//! Settings → Integrations, adding and trying: an owner adds an integration of each kind from
//! the browser, sends it a test and reads the answer, and removes it; bad input comes back
//! with the reason next to its field and adds nothing; nobody else can try or remove it.

use crate::crm_fakes::{FakeHubspot, FakeSalesforce, HS_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET};
use crate::egress::recorder;
use crate::ga4::fake_ga4;
use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use axum::http::{Method, StatusCode};
use leadline::outbox::webhook::{SIGNATURE_HEADER, verify};
use leadline_core::BusinessId;
use leadline_core::outbox::{Integration, IntegrationConfig};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use leadline_core::tenant::Role;
use serde_json::json;
use std::time::Duration;

const PATH: &str = "/app/settings/integrations";

/// An owner of `business`, logged in: the session cookie and the page's CSRF token.
async fn owner(app: &TestApp, business: BusinessId, email: &str) -> (String, String) {
    user(app, business, email, Role::Owner).await;
    let cookie = log_in(app, email, PASSWORD).await.unwrap();
    let (status, html) = page(app, &cookie, PATH).await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    (cookie, csrf)
}

async fn only(app: &TestApp, business: BusinessId) -> Integration {
    let all = app.store.integrations(business).await.unwrap();
    assert_eq!(all.len(), 1, "{:?}", all.iter().map(|i| &i.name).collect::<Vec<_>>());
    all.into_iter().next().unwrap()
}

async fn an_owner_adds_a_webhook_whose_generated_secret_signs_the_test_it_receives(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let receiver = recorder("127.0.0.1:0", StatusCode::NO_CONTENT, None).await;
    let url = format!("{}/leadline/secret-path", receiver.url);

    let site = seeded.site.id.0.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "webhook"),
        ("name", "Ops hook"),
        ("site", site.as_str()),
        ("url", url.as_str()),
        ("secret", ""),
    ];
    let response = post(&app, &cookie, PATH, &fields).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let hook = only(&app, business).await;
    let IntegrationConfig::Webhook { secret, url: stored } = &hook.config else {
        panic!("a webhook");
    };
    assert_eq!(stored, &url);
    assert_eq!(hook.site_id, Some(seeded.site.id));
    assert!(
        html.contains("Ops hook was added") && html.contains(&format!(r#"value="{secret}""#)),
        "the generated secret is shown once: {html}"
    );
    assert!(!html.contains("secret-path"), "the URL's path is not listed: {html}");
    let (_, again) = page(&app, &cookie, PATH).await;
    assert!(!again.contains(secret.as_str()), "never shown again");

    let test = format!("{PATH}/{}/test", hook.id.0);
    assert_eq!(post(&app, &cookie, &test, &[]).await.status(), 403);
    assert!(receiver.requests().is_empty(), "nothing sent without the token");
    let response = post(&app, &cookie, &test, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Ops hook took the test"), "{html}");
    let received = receiver.requests();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.path, "/leadline/secret-path");
    let now = chrono::Utc::now().timestamp();
    let signature = request.header(SIGNATURE_HEADER).expect("signed");
    assert!(verify(secret, signature, &request.body, now, Duration::from_secs(300)));
    let body = request.json();
    assert_eq!(body["kind"], "form.completed");
    assert!(body["id"].as_str().unwrap().starts_with("ev_test"), "{body}");
    assert_eq!(body["lead"]["tags"], json!(["leadline-test"]));
    assert!(
        app.store
            .list_deliveries(Some(business), None, 10)
            .await
            .unwrap()
            .is_empty(),
        "a test is not queued"
    );
    app.finish().await;
}

async fn a_test_shows_the_refusal_of_a_target_that_does_not_take_it(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let gone = recorder("127.0.0.1:0", StatusCode::GONE, None).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "webhook"),
        ("name", "Old hook"),
        ("url", gone.url.as_str()),
        ("secret", "whsec_enough_length_secret"),
    ];
    assert_eq!(post(&app, &cookie, PATH, &fields).await.status(), 200);
    let hook = only(&app, business).await;
    let html = post(&app, &cookie, &format!("{PATH}/{}/test", hook.id.0), &[("csrf", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Old hook did not take the test") && html.contains("HTTP 410"),
        "{html}"
    );
    app.finish().await;
}

async fn a_ga4_test_goes_to_the_validation_server_and_shows_its_messages(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let messages =
        json!([{"fieldPath": "events", "description": "Event name is reserved", "validationCode": "NAME_RESERVED"}]);
    let ga4 = fake_ga4(StatusCode::NO_CONTENT, messages).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "ga4"),
        ("name", "Analytics"),
        ("measurement_id", "g-abc1234"),
        ("api_secret", "ga4-api-secret-value"),
        ("endpoint", ga4.url.as_str()),
    ];
    let html = post(&app, &cookie, PATH, &fields).await.text().await.unwrap();
    assert!(!html.contains("ga4-api-secret-value"), "{html}");
    let analytics = only(&app, business).await;
    assert!(matches!(
        &analytics.config,
        IntegrationConfig::Ga4 { measurement_id, debug: false, .. } if measurement_id == "G-ABC1234"
    ));
    let html = post(
        &app,
        &cookie,
        &format!("{PATH}/{}/test", analytics.id.0),
        &[("csrf", &csrf)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("Event name is reserved"), "{html}");
    let paths: Vec<String> = ga4.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        vec!["/debug/mp/collect".to_owned()],
        "nothing is recorded by GA4"
    );
    app.finish().await;
}

async fn a_crm_test_signs_in_and_reads_without_creating_anything(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let salesforce = FakeSalesforce::start().await;
    let hubspot = FakeHubspot::start().await;
    let forms: [Vec<(&str, &str)>; 2] = [
        vec![
            ("kind", "salesforce"),
            ("name", "Sales org"),
            ("login_url", salesforce.url.as_str()),
            ("client_id", SF_CLIENT_ID),
            ("client_secret", SF_CLIENT_SECRET),
            ("api_version", "v60.0"),
        ],
        vec![
            ("kind", "hubspot"),
            ("name", "Marketing CRM"),
            ("token", HS_TOKEN),
            ("endpoint", hubspot.url.as_str()),
        ],
    ];
    for form in forms {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let response = post(&app, &cookie, PATH, &fields).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    for integration in app.store.integrations(business).await.unwrap() {
        let html = post(
            &app,
            &cookie,
            &format!("{PATH}/{}/test", integration.id.0),
            &[("csrf", &csrf)],
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(html.contains(&format!("{} took the test", integration.name)), "{html}");
    }
    salesforce.assert_no_problems();
    hubspot.assert_no_problems();
    assert!(
        salesforce.requests(Method::POST, "/sobjects/Lead").is_empty(),
        "no lead created"
    );
    assert!(
        hubspot.requests(Method::POST, "/crm/v3/objects/contacts").is_empty(),
        "no contact created"
    );
    assert_eq!(hubspot.requests(Method::GET, "/crm/v3/objects/contacts").len(), 1);
    app.finish().await;
}

/// A form's fields, the id of the reason expected next to a field, and words of the reason.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

async fn bad_integration_input_comes_back_with_the_reason_next_to_its_field_and_adds_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let rival = app.add_business("rival", "Rival").await;
    let rival_site = app.add_site(rival.id, "rival.example").await.id.0.to_string();
    let cases: [Case; 8] = [
        (
            &[
                ("kind", "webhook"),
                ("name", "Hook"),
                ("url", "http://hooks.example/in"),
            ],
            "webhook-url-error",
            "plain http",
        ),
        (
            &[
                ("kind", "webhook"),
                ("name", "Hook"),
                ("url", "https://hooks.example/in"),
                ("secret", "short"),
            ],
            "webhook-secret-error",
            "shorter than 16",
        ),
        (
            &[("kind", "webhook"), ("name", ""), ("url", "https://hooks.example/in")],
            "webhook-name-error",
            "integration name",
        ),
        (
            &[
                ("kind", "ga4"),
                ("name", "GA"),
                ("measurement_id", "UA-1234-1"),
                ("api_secret", "kept-out-of-the-page"),
            ],
            "ga4-measurement_id-error",
            "G-XXXXXXX",
        ),
        (
            &[
                ("kind", "matomo"),
                ("name", "M"),
                ("url", "https://a.example/"),
                ("site_id", "one"),
            ],
            "matomo-site_id-error",
            "not a whole number",
        ),
        (
            &[
                ("kind", "salesforce"),
                ("name", "S"),
                ("login_url", "https://login.salesforce.com"),
                ("client_id", "c"),
                ("client_secret", "s"),
                ("campaigns", "google=701"),
            ],
            "salesforce-campaigns-error",
            "not a Salesforce id",
        ),
        (
            &[("kind", "hubspot"), ("name", "H"), ("token", "")],
            "hubspot-token-error",
            "it is empty",
        ),
        (
            &[
                ("kind", "webhook"),
                ("name", "Hook"),
                ("url", "https://hooks.example/in"),
                ("site", &rival_site),
            ],
            "webhook-site-error",
            "a site of this business",
        ),
    ];
    for (form, error_id, reason) in cases {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        let response = post(&app, &cookie, PATH, &fields).await;
        assert_eq!(response.status(), 400, "{form:?}");
        let html = response.text().await.unwrap();
        let at = html
            .find(&format!(r#"id="{error_id}""#))
            .unwrap_or_else(|| panic!("{error_id}: {html}"));
        assert!(html[at..].contains(reason), "{error_id}: {reason}: {html}");
        assert!(html.contains("Nothing was added"), "{html}");
        assert!(!html.contains("kept-out-of-the-page"), "a secret is never written back");
    }
    let unknown = post(&app, &cookie, PATH, &[("csrf", &csrf), ("kind", "ftp"), ("name", "X")]).await;
    assert_eq!(unknown.status(), 400);
    let no_token = [
        ("kind", "webhook"),
        ("name", "Hook"),
        ("url", "https://hooks.example/in"),
    ];
    assert_eq!(post(&app, &cookie, PATH, &no_token).await.status(), 403);
    assert!(
        app.store.integrations(business).await.unwrap().is_empty(),
        "nothing was added"
    );
    app.finish().await;
}

async fn only_the_owners_of_its_business_try_or_remove_an_integration(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let receiver = recorder("127.0.0.1:0", StatusCode::OK, None).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "webhook"),
        ("name", "Ops hook"),
        ("url", receiver.url.as_str()),
    ];
    assert_eq!(post(&app, &cookie, PATH, &fields).await.status(), 200);
    let hook = only(&app, business).await;
    let (test, remove) = (
        format!("{PATH}/{}/test", hook.id.0),
        format!("{PATH}/{}/remove", hook.id.0),
    );

    let rival = app.add_business("rival", "Rival").await;
    let (rex, rex_csrf) = owner(&app, rival.id, "rex@rival.example").await;
    for path in [&test, &remove] {
        assert_eq!(
            post(&app, &rex, path, &[("csrf", &rex_csrf)]).await.status(),
            404,
            "{path}"
        );
    }
    user(&app, business, "otto@example.com", Role::Operator).await;
    let otto = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    for path in [&test, &remove] {
        assert_eq!(
            post(&app, &otto, path, &[("csrf", &csrf)]).await.status(),
            404,
            "{path}"
        );
    }
    assert!(receiver.requests().is_empty(), "nobody else sent a test");
    only(&app, business).await;

    assert_eq!(post(&app, &cookie, &remove, &[]).await.status(), 403);
    only(&app, business).await;
    assert_eq!(post(&app, &cookie, &remove, &[("csrf", &csrf)]).await.status(), 303);
    assert!(app.store.integrations(business).await.unwrap().is_empty());
    assert_eq!(post(&app, &cookie, &test, &[("csrf", &csrf)]).await.status(), 404);
    app.finish().await;
}

async fn an_owner_changes_an_integration_in_place_and_an_empty_secret_keeps_the_stored_one(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business, "olive@example.com").await;
    let (first, second) = (
        recorder("127.0.0.1:0", StatusCode::OK, None).await,
        recorder("127.0.0.1:0", StatusCode::OK, None).await,
    );
    let secret = "whsec_enough_length_secret";
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "webhook"),
        ("name", "Ops hook"),
        ("url", first.url.as_str()),
        ("secret", secret),
    ];
    assert_eq!(post(&app, &cookie, PATH, &fields).await.status(), 200);
    let hook = only(&app, business).await;
    let path = format!("{PATH}/{}", hook.id.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200, "{html}");
    let IntegrationConfig::Webhook { url: stored, .. } = &hook.config else {
        panic!("a webhook");
    };
    assert!(
        html.contains(&format!(r#"value="{stored}""#)),
        "the form holds the URL: {html}"
    );
    assert!(!html.contains(secret), "a secret is never shown");

    for (bad, error_id) in [
        (
            [
                ("kind", "webhook"),
                ("name", "Ops hook"),
                ("url", "http://hooks.example/in"),
            ],
            "webhook-url-error",
        ),
        (
            [("kind", "webhook"), ("name", ""), ("url", "https://hooks.example/in")],
            "webhook-name-error",
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(&bad);
        let response = post(&app, &cookie, &path, &form).await;
        assert_eq!(response.status(), 400);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!(r#"id="{error_id}""#)) && html.contains("Nothing was changed"),
            "{html}"
        );
    }
    let other_kind = [
        ("csrf", csrf.as_str()),
        ("kind", "hubspot"),
        ("name", "H"),
        ("token", "pat"),
    ];
    assert_eq!(post(&app, &cookie, &path, &other_kind).await.status(), 400);
    assert_eq!(only(&app, business).await.config, hook.config, "nothing changed");

    let site = seeded.site.id.0.to_string();
    let change = [
        ("csrf", csrf.as_str()),
        ("kind", "webhook"),
        ("name", "Moved hook"),
        ("site", site.as_str()),
        ("url", second.url.as_str()),
        ("secret", ""),
    ];
    assert_eq!(post(&app, &cookie, &path, &change).await.status(), 303);
    let moved = only(&app, business).await;
    assert_eq!(
        (moved.name.as_str(), moved.site_id),
        ("Moved hook", Some(seeded.site.id))
    );
    assert!(
        matches!(&moved.config, IntegrationConfig::Webhook { url, secret: kept } if url.starts_with(&second.url) && kept == secret),
        "the stored secret is kept"
    );
    post(&app, &cookie, &format!("{path}/test"), &[("csrf", &csrf)]).await;
    assert!(first.requests().is_empty());
    let received = second.requests();
    assert_eq!(received.len(), 1);
    let signature = received[0].header(SIGNATURE_HEADER).unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(verify(
        secret,
        signature,
        &received[0].body,
        now,
        Duration::from_secs(300)
    ));

    let rival = app.add_business("rival", "Rival").await;
    let (rex, rex_csrf) = owner(&app, rival.id, "rex@rival.example").await;
    assert_eq!(page(&app, &rex, &path).await.0, 404);
    let mut theirs = change.to_vec();
    theirs[0] = ("csrf", rex_csrf.as_str());
    assert_eq!(post(&app, &rex, &path, &theirs).await.status(), 404);
    app.finish().await;
}

crate::on_both_engines!(
    an_owner_changes_an_integration_in_place_and_an_empty_secret_keeps_the_stored_one,
    an_owner_adds_a_webhook_whose_generated_secret_signs_the_test_it_receives,
    a_test_shows_the_refusal_of_a_target_that_does_not_take_it,
    a_ga4_test_goes_to_the_validation_server_and_shows_its_messages,
    a_crm_test_signs_in_and_reads_without_creating_anything,
    bad_integration_input_comes_back_with_the_reason_next_to_its_field_and_adds_nothing,
    only_the_owners_of_its_business_try_or_remove_an_integration,
);
