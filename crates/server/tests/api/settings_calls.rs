//! The Calls page of a site: an owner sets the greeting, the disclosure, the business hours
//! and the after-hours action from the browser; bad input comes back with each reason next to
//! its field and changes nothing; the site's own form keeps what this page set; another
//! business's owner cannot reach it.

use crate::helpers::{Engine, TestApp};
use crate::operator::{csrf_of, page, post};
use crate::settings_setup::{owner, site_fields};
use chrono::NaiveDate;
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::call_handling::{AfterHours, Prompt};
use leadline_core::site::SiteSettings;
use leadline_core::store::SiteStore;

fn calls_fields<'a>(csrf: &'a str, monday: &'a str, forward_to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("language", "en-GB"),
        ("voice", "Polly.Amy"),
        ("greeting", "Hello, you reached Ann's Sofas. Key your code now."),
        ("disclosure", "https://cdn.example/recorded.mp3"),
        ("disclose_to_operator", "on"),
        ("hours_on", "on"),
        ("monday", monday),
        ("tuesday", "09:00-17:00"),
        ("wednesday", "09:00-17:00"),
        ("thursday", "09:00-17:00"),
        ("friday", "09:00-12:00, 13:00-17:00"),
        ("saturday", "22:00-02:00"),
        ("sunday", ""),
        ("holidays", "2026-12-25\n2027-01-01"),
        ("after_hours", "forward"),
        ("forward_to", forward_to),
        ("after_hours_message", ""),
    ]
}

async fn an_owner_sets_how_calls_are_handled_and_bad_input_changes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let cookie = owner(&app, business).await;
    let path = format!("/app/settings/sites/{}/calls", site.0);
    let (status, html) = page(&app, &cookie, &format!("/app/settings/sites/{}", site.0)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(r#"href="{path}""#)),
        "the site links to its calls: {html}"
    );
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"id="monday" name="monday" value="09:00-17:00""#),
        "weekdays offered: {html}"
    );
    assert!(!html.contains("<script"), "no script on the page");
    let csrf = csrf_of(&html);

    let response = post(
        &app,
        &cookie,
        &path,
        &calls_fields(&csrf, "08:00-18:00", "+12025550177"),
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], format!("{path}?saved=1").as_str());
    let calls = app.store.site(business, site).await.unwrap().settings.calls;
    assert_eq!(calls.language.as_ref().map(|l| l.as_str()), Some("en-GB"));
    assert_eq!(
        calls.greeting,
        Prompt::parse("Hello, you reached Ann's Sofas. Key your code now.").unwrap()
    );
    assert!(matches!(calls.disclosure, Some(Prompt::Play(_))));
    assert!(calls.disclose_to_operator);
    let hours = calls.hours.clone().expect("hours on");
    assert_eq!(
        (hours.day_text(0), hours.day_text(4)),
        ("08:00-18:00".into(), "09:00-12:00, 13:00-17:00".into())
    );
    assert_eq!(
        (hours.day_text(5), hours.day_text(6)),
        ("22:00-02:00".into(), String::new())
    );
    assert!(hours.holidays.contains(&NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    assert_eq!(
        calls.after_hours,
        AfterHours::Forward {
            to: E164::parse("+12025550177").unwrap()
        }
    );
    let (_, html) = page(&app, &cookie, &format!("{path}?saved=1")).await;
    assert!(
        html.contains(r#"role="status""#) && html.contains("08:00-18:00"),
        "{html}"
    );

    let mut bad = calls_fields(&csrf, "9-5", "202 555");
    bad.retain(|(name, _)| !["language", "holidays"].contains(name));
    bad.extend([("language", "english"), ("holidays", "2026-13-01")]);
    let response = post(&app, &cookie, &path, &bad).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    for field in ["monday", "forward_to", "language", "holidays"] {
        assert!(html.contains(&format!(r#"id="{field}-error""#)), "{field}: {html}");
    }
    assert!(html.contains("&#39;9-5&#39; is not an opening span"), "{html}");
    assert!(html.contains(r#"value="9-5""#), "the form as typed: {html}");
    let unchanged = app.store.site(business, site).await.unwrap().settings.calls;
    assert_eq!(unchanged, calls, "nothing changed");

    let mut never_open = calls_fields(&csrf, "", "+12025550177");
    for day in ["tuesday", "wednesday", "thursday", "friday", "saturday"] {
        never_open.retain(|(name, _)| name != &day);
        never_open.push((day, ""));
    }
    let response = post(&app, &cookie, &path, &never_open).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("no day has opening hours"));

    let (_, html) = page(&app, &cookie, &format!("/app/settings/sites/{}", site.0)).await;
    let site_csrf = csrf_of(&html);
    let edited = site_fields(&site_csrf, "Sofas", "localhost", "Europe/London", "30");
    let response = post(&app, &cookie, &format!("/app/settings/sites/{}", site.0), &edited).await;
    assert_eq!(response.status(), 303);
    let after = app.store.site(business, site).await.unwrap();
    assert_eq!(after.timezone.name(), "Europe/London");
    assert_eq!(after.settings.calls, calls, "the site's form keeps its call handling");

    let other = app.add_business("other", "Other").await;
    let stranger = owner_of(&app, other.id).await;
    let (status, _) = page(&app, &stranger, &path).await;
    assert_eq!(status, 404);
    let response = post(
        &app,
        &stranger,
        &path,
        &calls_fields(&csrf, "08:00-18:00", "+12025550177"),
    )
    .await;
    assert_ne!(response.status(), 303, "another business's owner changes nothing");
    assert_eq!(app.store.site(business, site).await.unwrap().settings.calls, calls);
    app.finish().await;
}

async fn owner_of(app: &TestApp, business: leadline_core::BusinessId) -> String {
    use crate::operator::{PASSWORD, log_in, user};
    user(app, business, "oscar@example.com", leadline_core::tenant::Role::Owner).await;
    log_in(app, "oscar@example.com", PASSWORD).await.unwrap()
}

crate::on_both_engines!(an_owner_sets_how_calls_are_handled_and_bad_input_changes_nothing);
