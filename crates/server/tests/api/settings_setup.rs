//! The Settings pages of sites, tracking numbers and destinations: an owner adds and edits
//! each from the browser, bad input comes back with the reason next to the field and changes
//! nothing, the installation check finds (or misses) the snippet tag on the site's page.

use crate::helpers::{AUTH_TOKEN, Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use axum::Router;
use axum::routing::get;
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::site::{ExtensionMode, SiteSettings};
use leadline_core::store::{DestinationStore, NumberStore, SiteStore};
use leadline_core::tenant::Role;

/// The site form's fields with every setting, as the page posts them.
pub(crate) fn site_fields<'a>(
    csrf: &'a str,
    name: &'a str,
    domains: &'a str,
    zone: &'a str,
    idle: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("domains", domains),
        ("timezone", zone),
        ("currency", "EUR"),
        ("mode", "click"),
        ("idle_minutes", idle),
        ("click_idle_minutes", "5"),
        ("max_live_codes", "500"),
        ("reuse_quarantine_minutes", "2"),
        ("cost_per_minute_minor", "50"),
        ("call_me_countries", "US, CA"),
        ("call_me_per_visit", "2"),
        ("call_me_per_day", "40"),
        ("check_digit", "on"),
        ("record_calls", "on"),
        ("ad_platforms", "signal"),
    ]
}

pub(crate) async fn owner(app: &TestApp, business: leadline_core::BusinessId) -> String {
    user(app, business, "olive@example.com", Role::Owner).await;
    log_in(app, "olive@example.com", PASSWORD).await.unwrap()
}

async fn an_owner_adds_and_edits_a_site_and_bad_input_changes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (status, html) = page(&app, &cookie, "/app/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<a href="/app/settings/sites">Sites</a>"#), "{html}");
    let (_, html) = page(&app, &cookie, "/app/settings/sites").await;
    let csrf = csrf_of(&html);

    let fields = site_fields(&csrf, "Shop", "shop.example\nwww.shop.example", "Europe/Berlin", "20");
    let response = post(&app, &cookie, "/app/settings/sites", &fields).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let sites = app.store.list_sites(business).await.unwrap();
    let shop = sites
        .iter()
        .find(|s| s.name.as_str() == "Shop")
        .expect("the site was added")
        .clone();
    assert_eq!(location, format!("/app/settings/sites/{}", shop.id.0));
    assert_eq!(shop.domains.len(), 2);
    assert_eq!((shop.timezone.name(), shop.currency.code()), ("Europe/Berlin", "EUR"));
    let s = &shop.settings;
    assert_eq!(
        (s.mode, s.idle_minutes, s.click_idle_minutes, s.max_live_codes),
        (ExtensionMode::Click, 20, 5, 500)
    );
    assert_eq!((s.reuse_quarantine_minutes, s.cost_per_minute_minor), (2, 50));
    assert_eq!(
        (s.call_me_per_visit, s.call_me_per_day, s.call_me_countries.len()),
        (2, 40, 2)
    );
    assert!(s.check_digit && s.record_calls && !s.cookieless && !s.star_click_codes);

    let (status, html) = page(&app, &cookie, &location).await;
    assert_eq!(status, 200);
    let tag = format!(r#"data-site=&#34;{}&#34;"#, shop.key);
    assert!(
        html.contains(&tag) && html.contains("readonly"),
        "the tag to copy: {html}"
    );
    assert!(!html.contains("<script"), "no script on the page");

    let edited = site_fields(&csrf, "Shop two", "shop.example", "America/Chicago", "45");
    let response = post(&app, &cookie, &location, &edited).await;
    assert_eq!(response.status(), 303);
    let after = app.store.site(business, shop.id).await.unwrap();
    assert_eq!(
        (after.name.as_str(), after.timezone.name(), after.settings.idle_minutes),
        ("Shop two", "America/Chicago", 45)
    );
    assert_eq!(after.domains.len(), 1);

    let mut bad = site_fields(&csrf, "Shop three", "shop.example", "Mars/Olympus", "soon");
    bad.push(("max_live_codes", "0"));
    bad.retain(|(n, v)| *n != "max_live_codes" || *v == "0");
    let response = post(&app, &cookie, &location, &bad).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="timezone-error">invalid time zone"#) || html.contains(r#"id="timezone-error">"#),
        "{html}"
    );
    assert!(html.contains("IANA time zone"), "{html}");
    assert!(
        html.contains(r#"id="idle_minutes-error">&#39;soon&#39; is not a whole number"#),
        "{html}"
    );
    assert!(html.contains(r#"id="max_live_codes-error""#), "{html}");
    assert!(html.contains(r#"value="Shop three""#), "the form as typed: {html}");
    assert_eq!(
        app.store.site(business, shop.id).await.unwrap(),
        after,
        "nothing changed"
    );

    let taken = site_fields(&csrf, "Shop three", "acme.example", "UTC", "30");
    let response = post(&app, &cookie, &location, &taken).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="domains-error">the domain acme.example is already taken"#),
        "{html}"
    );
    assert_eq!(
        app.store.site(business, shop.id).await.unwrap(),
        after,
        "nothing changed"
    );

    let response = post(
        &app,
        &cookie,
        &format!("{location}/disable"),
        &[("csrf", &csrf), ("disabled", "1")],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert!(app.store.site(business, shop.id).await.unwrap().disabled);
    let response = post(&app, &cookie, &format!("{location}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert!(
        app.store
            .list_sites(business)
            .await
            .unwrap()
            .iter()
            .all(|s| s.id != shop.id)
    );
    let (status, _) = page(&app, &cookie, &location).await;
    assert_eq!(status, 404, "a removed site's page is gone");

    let seeded_page = format!("/app/settings/sites/{}", seeded.site.id.0);
    let response = post(&app, &cookie, &format!("{seeded_page}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("serves only this site"), "{html}");
    assert!(app.store.site_by_key(&seeded.site.key).await.is_ok(), "nothing changed");
    app.finish().await;
}

async fn the_installation_check_says_whether_the_snippet_is_on_the_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let cookie = owner(&app, seeded.site.business_id).await;
    let key = seeded.site.key.to_string();
    let with_tag = format!(r#"<html><head><script async src="x/t.js" data-site="{key}"></script></head></html>"#);
    let pages = Router::new()
        .route("/with", get(move || async move { axum::response::Html(with_tag) }))
        .route(
            "/without",
            get(|| async { axum::response::Html("<html><head></head></html>") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, pages).await.unwrap() });

    let path = format!("/app/settings/sites/{}", seeded.site.id.0);
    let (_, html) = page(&app, &cookie, &path).await;
    let csrf = csrf_of(&html);
    let check = format!("{path}/check");
    let with = format!("http://127.0.0.1:{port}/with");
    let response = post(&app, &cookie, &check, &[("csrf", &csrf), ("url", &with)]).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("The snippet tag is on http://127.0.0.1:"), "{html}");
    let without = format!("http://127.0.0.1:{port}/without");
    let html = post(&app, &cookie, &check, &[("csrf", &csrf), ("url", &without)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("The snippet tag is not on"), "{html}");
    for (url, reason) in [
        ("https://elsewhere.example/", "not one of the site&#39;s domains"),
        ("ftp://127.0.0.1/", "only http:// and https://"),
    ] {
        let response = post(&app, &cookie, &check, &[("csrf", &csrf), ("url", url)]).await;
        assert_eq!(response.status(), 400, "{url}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"id="url-error""#) && html.contains(reason),
            "{url}: {html}"
        );
    }
    app.finish().await;
}

async fn the_installation_check_does_not_reach_this_machine_unless_the_install_allows_it(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site_strict(engine, Config::default(), SiteSettings::default()).await;
    let cookie = owner(&app, seeded.site.business_id).await;
    let key = seeded.site.key.to_string();
    let with_tag = format!(r#"<html><head><script data-site="{key}"></script></head></html>"#);
    let pages = Router::new().route("/with", get(move || async move { axum::response::Html(with_tag) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, pages).await.unwrap() });

    let path = format!("/app/settings/sites/{}", seeded.site.id.0);
    let (_, html) = page(&app, &cookie, &path).await;
    let csrf = csrf_of(&html);
    for url in [
        format!("http://127.0.0.1:{port}/with"),
        format!("http://localhost:{port}/with"),
    ] {
        let response = post(
            &app,
            &cookie,
            &format!("{path}/check"),
            &[("csrf", &csrf), ("url", &url)],
        )
        .await;
        assert_eq!(response.status(), 200, "{url}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("could not be checked") && html.contains("not a public address"),
            "{url}: {html}"
        );
        assert!(!html.contains("The snippet tag is on"), "{url}: {html}");
    }
    app.finish().await;
}

async fn an_owner_adds_and_edits_a_number_whose_token_is_never_shown(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (status, html) = page(&app, &cookie, "/app/settings/numbers").await;
    assert_eq!(status, 200);
    for hook in ["/twilio/voice", "/twilio/status", "/twilio/sms"] {
        assert!(
            html.contains(&format!(r#"value="{}{hook}""#, app.base_url)),
            "{hook}: {html}"
        );
    }
    assert!(!html.contains(AUTH_TOKEN), "the token is never shown");
    let csrf = csrf_of(&html);
    let site = seeded.site.id.0.to_string();
    let token = "abcdefabcdef0123456789";

    let bad = [
        ("csrf", csrf.as_str()),
        ("number", "+1 555"),
        ("account_sid", "AC 1"),
        ("auth_token", "short"),
        ("site", site.as_str()),
    ];
    let response = post(&app, &cookie, "/app/settings/numbers", &bad).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    for field in ["number", "account_sid", "auth_token"] {
        assert!(html.contains(&format!(r#"id="{field}-error""#)), "{field}: {html}");
    }
    assert!(!html.contains("short"), "the token typed is not shown back");
    assert_eq!(
        app.store.list_numbers(business).await.unwrap().len(),
        1,
        "nothing added"
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("number", "+12025550177"),
        ("account_sid", "AC77"),
        ("auth_token", token),
        ("site", site.as_str()),
    ];
    let response = post(&app, &cookie, "/app/settings/numbers", &good).await;
    assert_eq!(response.status(), 303);
    let added = app
        .store
        .number_by_e164(&E164::parse("+12025550177").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (added.auth_token.expose(), added.site_ids.clone()),
        (token, vec![seeded.site.id])
    );
    let path = format!("/app/settings/numbers/{}", added.id.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(!html.contains(token) && html.contains("AC77"), "{html}");

    let keep = [
        ("csrf", csrf.as_str()),
        ("account_sid", "AC78"),
        ("auth_token", ""),
        ("site", site.as_str()),
    ];
    assert_eq!(post(&app, &cookie, &path, &keep).await.status(), 303);
    let kept = app.store.number(business, added.id).await.unwrap();
    assert_eq!((kept.account_sid.as_str(), kept.auth_token.expose()), ("AC78", token));
    let replace = [
        ("csrf", csrf.as_str()),
        ("account_sid", "AC78"),
        ("auth_token", "fedcba9876543210fedc"),
        ("site", site.as_str()),
    ];
    assert_eq!(post(&app, &cookie, &path, &replace).await.status(), 303);
    assert_eq!(
        app.store.number(business, added.id).await.unwrap().auth_token.expose(),
        "fedcba9876543210fedc"
    );

    let no_site = [("csrf", csrf.as_str()), ("account_sid", "AC79"), ("auth_token", "")];
    let response = post(&app, &cookie, &path, &no_site).await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="sites-error">choose at least one site"#)
    );
    assert_eq!(
        app.store.number(business, added.id).await.unwrap().account_sid.as_str(),
        "AC78"
    );

    assert_eq!(
        post(&app, &cookie, &format!("{path}/remove"), &[("csrf", &csrf)])
            .await
            .status(),
        303
    );
    assert!(
        app.store.number_by_e164(&added.number).await.is_err(),
        "its webhooks answer as unknown"
    );
    let (status, _) = page(&app, &cookie, &path).await;
    assert_eq!(status, 404);
    app.finish().await;
}

async fn an_owner_adds_edits_disables_and_removes_a_destination(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (status, html) = page(&app, &cookie, "/app/settings/destinations").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", ""),
        ("number", "555"),
        ("department", ""),
        ("user", ""),
    ];
    let response = post(&app, &cookie, "/app/settings/destinations", &bad).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="name-error""#) && html.contains(r#"id="number-error""#),
        "{html}"
    );
    assert_eq!(
        app.store.list_destinations(business).await.unwrap().len(),
        2,
        "nothing added"
    );

    let taken = [
        ("csrf", csrf.as_str()),
        ("name", "Cy"),
        ("number", "+12025550111"),
        ("department", ""),
        ("user", ""),
    ];
    let response = post(&app, &cookie, "/app/settings/destinations", &taken).await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="number-error">the business already has a destination"#)
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("name", "Cy"),
        ("number", "+12025550113"),
        ("department", "Sales"),
        ("user", ""),
    ];
    assert_eq!(
        post(&app, &cookie, "/app/settings/destinations", &good).await.status(),
        303
    );
    let cy = app
        .store
        .list_destinations(business)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name.as_str() == "Cy")
        .unwrap();
    assert_eq!(cy.department.as_ref().map(|d| d.as_str()), Some("Sales"));
    let path = format!("/app/settings/destinations/{}", cy.id.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"value="+12025550113""#), "{html}");
    let edit = [
        ("csrf", csrf.as_str()),
        ("name", "Cy Young"),
        ("number", "+12025550114"),
        ("department", "Service"),
        ("user", ""),
    ];
    assert_eq!(post(&app, &cookie, &path, &edit).await.status(), 303);
    let edited = app
        .store
        .list_destinations(business)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == cy.id)
        .unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.number.as_str()),
        ("Cy Young", "+12025550114")
    );

    let disable = [("csrf", csrf.as_str()), ("disabled", "1")];
    assert_eq!(
        post(&app, &cookie, &format!("{path}/disable"), &disable).await.status(),
        303
    );
    let all = app.store.list_destinations(business).await.unwrap();
    assert!(
        !leadline_core::routing::ringable(&all).contains(&"+12025550114".to_owned()),
        "never rung"
    );
    assert_eq!(
        post(&app, &cookie, &format!("{path}/remove"), &[("csrf", &csrf)])
            .await
            .status(),
        303
    );
    assert!(
        app.store
            .list_destinations(business)
            .await
            .unwrap()
            .iter()
            .all(|d| d.id != cy.id)
    );
    app.finish().await;
}

async fn a_disabled_site_registers_no_visits_until_enabled_again(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let cookie = owner(&app, seeded.site.business_id).await;
    let path = format!("/app/settings/sites/{}", seeded.site.id.0);
    let (_, html) = page(&app, &cookie, &path).await;
    let csrf = csrf_of(&html);
    let visit = || {
        let body = serde_json::json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/" });
        app.client
            .post(format!("{}/v1/visits", app.base_url))
            .header("origin", "http://localhost")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
            .body(body.to_string())
            .send()
    };
    assert_eq!(visit().await.unwrap().status(), 201);
    let disable = [("csrf", csrf.as_str()), ("disabled", "1")];
    assert_eq!(
        post(&app, &cookie, &format!("{path}/disable"), &disable).await.status(),
        303
    );
    assert_eq!(
        visit().await.unwrap().status(),
        404,
        "a disabled site's snippet registers nothing"
    );
    let (_, html) = page(&app, &cookie, &path).await;
    assert!(
        html.contains("(disabled)") && html.contains("Enable: register visits again"),
        "{html}"
    );
    let enable = [("csrf", csrf.as_str()), ("disabled", "0")];
    assert_eq!(
        post(&app, &cookie, &format!("{path}/disable"), &enable).await.status(),
        303
    );
    assert_eq!(visit().await.unwrap().status(), 201);
    app.finish().await;
}

crate::on_both_engines!(
    a_disabled_site_registers_no_visits_until_enabled_again,
    an_owner_adds_and_edits_a_site_and_bad_input_changes_nothing,
    the_installation_check_says_whether_the_snippet_is_on_the_page,
    the_installation_check_does_not_reach_this_machine_unless_the_install_allows_it,
    an_owner_adds_and_edits_a_number_whose_token_is_never_shown,
    an_owner_adds_edits_disables_and_removes_a_destination,
);
