//! The operator pages' front door: no login or logout forged by another site, a lock on an
//! account after repeated wrong passwords from any address, and headers that keep the pages
//! from being framed or running foreign script.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, client, csrf_of, log_in, operator, page, post, seeded_lead};
use leadline::config::Config;
use leadline_core::site::SiteSettings;

async fn app_with_operator(engine: Engine, config: Config) -> TestApp {
    app_with_operators(engine, config, &["ann@example.com"]).await
}

async fn app_with_operators(engine: Engine, config: Config, emails: &[&str]) -> TestApp {
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    for email in emails {
        operator(&app, seeded.site.business_id, email).await;
    }
    seeded_lead(&app, &seeded).await;
    app
}

/// Posts the login form as a browser on `origin` would, from client address `address`.
async fn login_from(app: &TestApp, origin: &str, address: &str, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}/app/login", app.base_url))
        .header("origin", origin)
        .header("x-real-ip", address)
        .form(&[("email", email), ("password", password), ("next", "/app/leads/1000")])
        .send()
        .await
        .unwrap()
}

async fn a_login_posted_from_another_site_starts_no_session(engine: Engine) {
    let app = app_with_operator(engine, Config::default()).await;

    let forged = login_from(
        &app,
        "https://evil.example",
        "198.51.100.1",
        "ann@example.com",
        PASSWORD,
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("set-cookie").is_none(), "no session cookie");
    assert!(forged.text().await.unwrap().contains("another site"));

    let cross_site = client()
        .post(format!("{}/app/login", app.base_url))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "ann@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "a fetch the browser marks cross-site");

    let ours = login_from(&app, &app.base_url, "198.51.100.1", "ann@example.com", PASSWORD).await;
    assert_eq!(ours.status(), 303, "the login page's own post works");
    app.finish().await;
}

async fn logging_out_needs_the_form_token_so_another_site_cannot_end_a_session(engine: Engine) {
    let app = app_with_operator(engine, Config::default()).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let csrf = csrf_of(&html);
    assert!(
        html.contains(r#"action="/app/logout"><input type="hidden" name="csrf""#),
        "the log-out form carries the token"
    );

    let without_token = post(&app, &cookie, "/app/logout", &[]).await;
    assert_eq!(without_token.status(), 403);
    let from_elsewhere = client()
        .post(format!("{}/app/logout", app.base_url))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(from_elsewhere.status(), 403);
    assert_eq!(
        page(&app, &cookie, "/app/leads/1000").await.0,
        200,
        "the session lives on"
    );

    let logged_out = post(&app, &cookie, "/app/logout", &[("csrf", &csrf)]).await;
    assert_eq!(logged_out.status(), 303);
    assert_eq!(
        page(&app, &cookie, "/app/leads/1000").await.0,
        303,
        "the session is over"
    );
    app.finish().await;
}

fn many_addresses() -> Config {
    Config {
        client_ip_header: Some("x-real-ip".into()),
        visit_registrations_per_ip_per_minute: 100_000,
        ..Config::default()
    }
}

async fn wrong_passwords_from_many_addresses_lock_the_account_for_a_while(engine: Engine) {
    let app = app_with_operators(engine, many_addresses(), &["ann@example.com", "bob@example.com"]).await;

    for attempt in 0..5 {
        let address = format!("198.51.100.{attempt}");
        let wrong = login_from(&app, &app.base_url, &address, "ann@example.com", "not the password").await;
        assert_eq!(wrong.status(), 401, "attempt {attempt} is only refused");
    }
    let locked = login_from(&app, &app.base_url, "203.0.113.9", "ANN@example.com", PASSWORD).await;
    assert_eq!(
        locked.status(),
        429,
        "even the right password waits, from a new address"
    );
    let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed log-ins for this e-mail")
    );

    let bob = login_from(&app, &app.base_url, "198.51.100.1", "bob@example.com", PASSWORD).await;
    assert_eq!(bob.status(), 303, "other accounts are not locked");
    app.finish().await;
}

async fn an_unknown_email_is_locked_like_a_known_one_so_the_lock_reveals_no_user(engine: Engine) {
    let app = app_with_operator(engine, many_addresses()).await;
    for attempt in 0..5 {
        let address = format!("198.51.100.{attempt}");
        let refused = login_from(&app, &app.base_url, &address, "nobody@example.com", PASSWORD).await;
        assert_eq!(refused.status(), 401);
    }
    let locked = login_from(&app, &app.base_url, "203.0.113.9", "nobody@example.com", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    app.finish().await;
}

async fn operator_pages_forbid_framing_inline_style_and_any_script_but_their_own(engine: Engine) {
    let app = app_with_operator(engine, Config::default()).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    for path in ["/app/login", "/app/leads/1000", "/app/assets/app.css"] {
        let response = client()
            .get(format!("{}{path}", app.base_url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            csp.contains("script-src 'self';") && csp.contains("media-src 'self';"),
            "{csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("https:"),
            "{csp}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert!(!html.contains("<style") && !html.contains("<script") && !html.contains("style="));
    assert!(html.contains(r#"<link rel="stylesheet" href="/app/assets/app.css">"#));
    let (_, activity) = page(&app, &cookie, "/app/activity").await;
    let scripts: Vec<&str> = activity.match_indices("<script").map(|(i, _)| &activity[i..]).collect();
    assert_eq!(scripts.len(), 1, "one script on Activity");
    assert!(
        scripts[0].starts_with(r#"<script src="/app/assets/live.js" defer></script>"#),
        "and it is our file"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_login_posted_from_another_site_starts_no_session,
    logging_out_needs_the_form_token_so_another_site_cannot_end_a_session,
    wrong_passwords_from_many_addresses_lock_the_account_for_a_while,
    an_unknown_email_is_locked_like_a_known_one_so_the_lock_reveals_no_user,
    operator_pages_forbid_framing_inline_style_and_any_script_but_their_own,
);
