//! Advertising consent over the visit API and the site's *Ad platforms* setting: the `ads` of a
//! registration is kept on the visit and changes nothing else the visitor gets (their code,
//! their cookie, their analytics consent); anything but `granted` or `denied` is a 400 naming
//! the field; the owner chooses signal, granted only or never on the site's Settings page,
//! where a bad choice or a post without the CSRF token changes nothing.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{client, csrf_of, page, post};
use crate::settings_setup::{owner, site_fields};
use leadline::config::Config;
use leadline_core::ad_upload::{AdConsent, AdsPolicy};
use leadline_core::site::SiteSettings;
use leadline_core::store::{SiteStore, VisitStore};
use leadline_core::visit::{Visit, VisitRef};
use serde_json::{Value, json};

const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

/// Registers a visit as the snippet does, with `extra` keys in the body.
async fn register(app: &TestApp, seeded: &Seeded, extra: Value) -> reqwest::Response {
    let mut body = json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/sofas?gclid=abc123" });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app.client
        .post(format!("{}/v1/visits", app.base_url))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("origin", "http://localhost")
        .header("user-agent", BROWSER)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The visit a registration answered, as stored, and the answer.
async fn registered(app: &TestApp, seeded: &Seeded, extra: Value) -> (Visit, Value) {
    let response = register(app, seeded, extra.clone()).await;
    assert_eq!(response.status(), 201, "{extra}");
    let state: Value = response.json().await.unwrap();
    let id = VisitRef::parse(state["visit"].as_str().unwrap()).unwrap();
    (app.store.visit(seeded.site.id, &id).await.unwrap(), state)
}

async fn a_registration_keeps_the_ads_signal_and_changes_nothing_else(engine: Engine) {
    // More registrations than a burst from one address allows.
    let config = Config {
        visit_registrations_per_ip_per_minute: 1000,
        visit_registrations_per_site_per_minute: 1000,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    for (extra, expected) in [
        (json!({}), AdConsent::Unknown),
        (json!({ "ads": "granted" }), AdConsent::Granted),
        (json!({ "ads": "denied" }), AdConsent::Denied),
        (json!({ "ads": null }), AdConsent::Unknown),
    ] {
        let (visit, state) = registered(&app, &seeded, extra.clone()).await;
        assert_eq!(visit.ads_consent, expected, "{extra}");
        assert!(state["code"].is_string(), "the visitor still gets a code: {state}");
        assert_eq!(state["cookieless"], false, "{extra}");
        assert!(state["vid"].is_string(), "the first-party id is still kept: {state}");
        assert!(visit.visitor_key.as_str().starts_with("fp:"), "{extra}");
        assert!(visit.click_ids.gclid.is_some(), "the click id is kept for attribution");
    }
    // Analytics and ads are separate choices: each is kept as given.
    let (visit, state) = registered(&app, &seeded, json!({ "consent": "denied", "ads": "granted" })).await;
    assert!(visit.visitor_key.as_str().starts_with("nc:"), "analytics refused");
    assert_eq!(
        (visit.ads_consent, &state["cookieless"]),
        (AdConsent::Granted, &json!(true))
    );

    for bad in [json!("maybe"), json!("DENIED"), json!("")] {
        let response = register(&app, &seeded, json!({ "ads": bad })).await;
        assert_eq!(response.status(), 400, "{bad}");
        let error: Value = response.json().await.unwrap();
        let error = error["error"].as_str().unwrap();
        assert!(error.starts_with("ads is 'granted' or 'denied'"), "{error}");
        assert!(error.contains(&format!("not '{}'", bad.as_str().unwrap())), "{error}");
    }
    let response = register(&app, &seeded, json!({ "ads": false })).await;
    assert_eq!(response.status(), 400, "not a string");
    app.finish().await;
}

/// The site form as the page posts it, choosing `choice` (and with `csrf`, when given).
fn site_form<'a>(csrf: &'a str, choice: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut fields = site_fields(csrf, "Sofas", "acme.example\nlocalhost\n127.0.0.1", "UTC", "30");
    fields.retain(|(name, _)| *name != "ad_platforms");
    fields.push(("ad_platforms", choice));
    fields
}

fn checked(html: &str, choice: &str) -> bool {
    html.contains(&format!(r#"name="ad_platforms" value="{choice}" checked"#))
}

async fn the_owner_chooses_which_conversions_go_to_ad_platforms(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let cookie = owner(&app, business).await;
    let path = format!("/app/settings/sites/{}", site.0);
    let policy = || async { app.store.site(business, site).await.unwrap().settings.ad_platforms };

    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("<legend>Ad platforms"), "{html}");
    assert!(checked(&html, "signal"), "the default: {html}");
    let csrf = csrf_of(&html);

    for (choice, expected) in [("granted_only", AdsPolicy::GrantedOnly), ("never", AdsPolicy::Never)] {
        let response = post(&app, &cookie, &path, &site_form(&csrf, choice)).await;
        assert_eq!(response.status(), 303, "{choice}");
        assert_eq!(policy().await, expected);
        let (_, html) = page(&app, &cookie, &path).await;
        assert!(checked(&html, choice) && !checked(&html, "signal"), "{html}");
    }

    let response = post(&app, &cookie, &path, &site_form(&csrf, "sometimes")).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="ad_platforms-error">invalid ad platforms: &#39;sometimes&#39; is not one of"#),
        "{html}"
    );
    assert_eq!(policy().await, AdsPolicy::Never, "a bad choice changes nothing");

    let without_token: Vec<(&str, &str)> = site_form("", "signal")
        .into_iter()
        .filter(|(n, _)| *n != "csrf")
        .collect();
    let response = client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", &cookie)
        .header("origin", app.base_url.as_str())
        .form(&without_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        policy().await,
        AdsPolicy::Never,
        "a post without the token changes nothing"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_registration_keeps_the_ads_signal_and_changes_nothing_else,
    the_owner_chooses_which_conversions_go_to_ad_platforms,
);
