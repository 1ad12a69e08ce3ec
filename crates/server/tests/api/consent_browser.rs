//! Consent in a real browser: headless Chromium loads a page of the site with the snippet.
//! Google Consent Mode's `analytics_storage: 'denied'` makes the visit cookie-less (no `_ga`
//! read, no `_ll_vid` or session storage kept, a visitor key of its own kind), and a visitor
//! who calls `leadline.consent(false)` is registered again the same way and forgotten on the
//! device. Consent Mode's `ad_storage` (and `ad_user_data`) is registered with the visit as
//! its advertising consent, and changes nothing else the visitor gets. Skipped, saying so,
//! only where Chromium or chromedriver is missing.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::webdriver::{Browser, page, tools, until};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::ad_upload::AdConsent;
use leadline_core::site::SiteSettings;
use leadline_core::store::VisitStore;
use leadline_core::visit::VisitRef;
use std::collections::HashMap;

/// A page with a `_ga` cookie, optionally Consent Mode commands (`mode`: `denied` refuses
/// analytics and ads; `ads_denied` grants ads by default, then an update refuses them;
/// `ads_granted` grants ads), then the snippet.
async fn consent_page(State(state): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let key = state.demo.as_ref().map(|d| d.key.to_string()).unwrap_or_default();
    let commands = match query.get("mode").map(String::as_str) {
        Some("denied") => "gtag('consent', 'default', {analytics_storage: 'denied', ad_storage: 'denied'});",
        Some("ads_denied") => {
            "gtag('consent', 'default', {ad_storage: 'granted', ad_user_data: 'granted'}); gtag('consent', 'update', {ad_user_data: 'denied'});"
        }
        Some("ads_granted") => "gtag('consent', 'default', {ad_storage: 'granted', ad_user_data: 'granted'});",
        _ => "",
    };
    let consent =
        format!("window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} {commands}");
    Html(format!(
        r#"<!doctype html><html><head><title>Consent</title>
<script>document.cookie = '_ga=GA1.1.111111111.222222222; path=/'; {consent}</script>
<script async src="{base}/t.js" data-site="{key}"></script></head>
<body><p>Phone: <strong data-leadline-number>(202) 555-0100</strong></p></body></html>"#,
        base = state.base_url
    ))
}

/// The visit the snippet holds once it has one other than `not`.
async fn registered(browser: &Browser, not: Option<&str>) -> String {
    until("the snippet to hold a visit", || async {
        let visit = browser
            .run("return window.leadline && leadline.state && leadline.state.visit")
            .await;
        visit.as_str().filter(|v| Some(*v) != not).map(str::to_owned)
    })
    .await
}

async fn device_keeps(browser: &Browser) -> (bool, bool) {
    let cookie = browser.run("return document.cookie").await;
    let stored = browser
        .run("return Object.keys(sessionStorage).some(k => k.indexOf('_ll_') == 0)")
        .await;
    (cookie.as_str().unwrap().contains("_ll_vid="), stored.as_bool().unwrap())
}

async fn visitor_key(app: &TestApp, seeded: &Seeded, visit: &str) -> (String, Option<String>) {
    let visit = app
        .store
        .visit(seeded.site.id, &VisitRef::parse(visit).unwrap())
        .await
        .unwrap();
    (visit.visitor_key.as_str().to_owned(), visit.ga_cookie)
}

async fn ads_consent(app: &TestApp, seeded: &Seeded, visit: &str) -> AdConsent {
    let visit = VisitRef::parse(visit).unwrap();
    app.store.visit(seeded.site.id, &visit).await.unwrap().ads_consent
}

async fn a_visitor_who_refuses_analytics_is_tracked_without_cookies_and_analytics_are_told_nothing(engine: Engine) {
    let Some(tools) = tools() else { return };
    let extra = Router::new().route("/test/consent.html", get(consent_page));
    let (app, seeded) = TestApp::spawn_site_with(engine, Config::default(), SiteSettings::default(), extra).await;
    let browser = Browser::start(&tools).await;

    browser.goto(&page(&app, "/test/consent.html?mode=denied")).await;
    let refused = registered(&browser, None).await;
    let (key, ga) = visitor_key(&app, &seeded, &refused).await;
    assert!(key.starts_with("nc:"), "a key of its own kind: {key}");
    assert_eq!(ga, None, "the _ga cookie is not read");
    assert_eq!(
        device_keeps(&browser).await,
        (false, false),
        "nothing kept on the device"
    );
    let shown = browser.text("[data-leadline-number]").await.unwrap();
    assert!(shown.contains("ext."), "the visitor still gets a code: {shown}");

    browser.goto(&page(&app, "/test/consent.html")).await;
    let allowed = registered(&browser, Some(&refused)).await;
    let (key, ga) = visitor_key(&app, &seeded, &allowed).await;
    assert_eq!(key, "ga:111111111.222222222");
    assert!(ga.is_some());
    assert_eq!(device_keeps(&browser).await, (true, true));

    browser.run("leadline.consent(false); return true").await;
    let withdrawn = registered(&browser, Some(&allowed)).await;
    assert!(visitor_key(&app, &seeded, &withdrawn).await.0.starts_with("nc:"));
    assert_eq!(device_keeps(&browser).await, (false, false), "forgotten on the device");
    browser.close().await;
    app.finish().await;
}

async fn consent_modes_ad_storage_is_registered_with_the_visit_and_changes_nothing_else(engine: Engine) {
    let Some(tools) = tools() else { return };
    let extra = Router::new().route("/test/consent.html", get(consent_page));
    let (app, seeded) = TestApp::spawn_site_with(engine, Config::default(), SiteSettings::default(), extra).await;
    let browser = Browser::start(&tools).await;

    // The last command wins: granted by default, then ad_user_data denied by an update.
    browser.goto(&page(&app, "/test/consent.html?mode=ads_denied")).await;
    let refused = registered(&browser, None).await;
    assert_eq!(ads_consent(&app, &seeded, &refused).await, AdConsent::Denied);
    let (key, ga) = visitor_key(&app, &seeded, &refused).await;
    assert_eq!(key, "ga:111111111.222222222", "analytics consent is unchanged");
    assert!(ga.is_some());
    assert_eq!(
        device_keeps(&browser).await,
        (true, true),
        "the device keeps what it kept"
    );
    let shown = browser.text("[data-leadline-number]").await.unwrap();
    assert!(shown.contains("ext."), "the visitor still gets a code: {shown}");

    // A page whose signal changed registers again; the next page with the same signal does not.
    browser.goto(&page(&app, "/test/consent.html?mode=ads_granted")).await;
    let granted = registered(&browser, Some(&refused)).await;
    assert_eq!(ads_consent(&app, &seeded, &granted).await, AdConsent::Granted);
    browser.goto(&page(&app, "/test/consent.html?mode=ads_granted")).await;
    assert_eq!(registered(&browser, None).await, granted, "the same visit goes on");

    // A visitor who changes their mind mid-visit, through the CMP and the snippet's own call.
    browser
        .run("gtag('consent', 'update', {ad_storage: 'denied'}); leadline.consent(); return true")
        .await;
    let withdrawn = registered(&browser, Some(&granted)).await;
    assert_eq!(ads_consent(&app, &seeded, &withdrawn).await, AdConsent::Denied);
    assert!(visitor_key(&app, &seeded, &withdrawn).await.0.starts_with("ga:"));

    // No signal at all: unknown; leadline.consent(true) grants.
    browser.goto(&page(&app, "/test/consent.html")).await;
    let unknown = registered(&browser, Some(&withdrawn)).await;
    assert_eq!(ads_consent(&app, &seeded, &unknown).await, AdConsent::Unknown);
    browser.run("leadline.consent(true); return true").await;
    let agreed = registered(&browser, Some(&unknown)).await;
    assert_eq!(ads_consent(&app, &seeded, &agreed).await, AdConsent::Granted);
    browser.close().await;
    app.finish().await;
}

crate::on_both_engines!(
    a_visitor_who_refuses_analytics_is_tracked_without_cookies_and_analytics_are_told_nothing,
    consent_modes_ad_storage_is_registered_with_the_visit_and_changes_nothing_else,
);
