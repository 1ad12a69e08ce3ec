//! The application's shell: the navigation each role sees, and the Settings section that only
//! owners may open.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, log_in, page, user};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::tenant::Role;

async fn owners_open_settings_and_operators_are_answered_404(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    user(&app, business, "olive@example.com", Role::Owner).await;
    user(&app, business, "otto@example.com", Role::Operator).await;
    let owner = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let operator = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();

    let (status, html) = page(&app, &owner, "/app/settings").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"<a href="/app/settings" aria-current="page">Settings</a>"#));
    assert!(html.contains(&seeded.site.name.to_string()), "the site: {html}");
    assert!(html.contains("olive@example.com · owner"), "the users: {html}");

    let (status, html) = page(&app, &operator, "/app/settings").await;
    assert_eq!(status, 404, "{html}");
    let (_, leads) = page(&app, &operator, "/app/leads").await;
    assert!(leads.contains(r#"href="/app/activity""#) && leads.contains(r#"href="/app/reports""#));
    assert!(
        !leads.contains(r#"href="/app/settings""#),
        "no link to a page it cannot open"
    );
    let (_, leads) = page(&app, &owner, "/app/leads").await;
    assert!(leads.contains(r#"href="/app/settings""#));
    app.finish().await;
}

async fn an_operator_opens_the_reports_inside_the_shell(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    user(&app, seeded.site.business_id, "otto@example.com", Role::Operator).await;
    let cookie = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/reports").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<a href="/app/reports" aria-current="page">Reports</a>"#),
        "{html}"
    );
    app.finish().await;
}

crate::on_both_engines!(
    owners_open_settings_and_operators_are_answered_404,
    an_operator_opens_the_reports_inside_the_shell,
);
