//! The business's application in a real browser: headless Chromium, driven through WebDriver,
//! logs in through the login page of a server started as the demo is, and watches a call
//! arrive in Activity's live panel and list without reloading while the provider's signed
//! webhooks play it (ringing, answered, ended). An owner of a fresh business sets up a site,
//! a number and a destination from Settings and watches a test call from the number's page do
//! the same. An operator's browser cannot reach Settings.
//! Skipped, saying so, only where Chromium or chromedriver is missing (`.ci/run` installs both).

use crate::calls::CALLER;
use crate::helpers::{AUTH_TOKEN, Engine, TestApp};
use crate::on_both_engines;
use crate::operator::PASSWORD;
use crate::webdriver::{Browser, tools, until, until_within};
use futures::FutureExt;
use leadline::config::Config;
use leadline_core::BusinessId;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::NewPassword;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, UserStore};
use leadline_core::tenant::{NewUser, Role};
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Creates a user of `business` called `name` with `role` and the test password.
pub(crate) async fn person(app: &TestApp, business: BusinessId, email: &str, name: &str, role: Role) {
    let new = NewUser {
        business_id: business,
        email: Email::parse(email).unwrap(),
        name: Name::parse_as("name", name).unwrap(),
        role,
        password_hash: NewPassword::parse(PASSWORD).unwrap().hash(),
    };
    app.store.create_user(&new).await.unwrap();
}

/// Logs `email` in through the login page, as a person would, and waits to be let in.
pub(crate) async fn log_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&format!("{}/app/login", app.base_url)).await;
    browser.type_into("main input[name=email]", email).await;
    browser.type_into("main input[name=password]", PASSWORD).await;
    browser.click("main form button").await;
    until("the application to let the user in", || async {
        let url = browser.client.current_url().await.ok()?;
        (url.path() != "/app/login").then_some(())
    })
    .await;
}

/// The HTTP status the browser's current page was served with.
pub(crate) async fn status_of_page(browser: &Browser) -> u64 {
    let status = browser
        .run("return performance.getEntriesByType('navigation')[0].responseStatus")
        .await;
    status
        .as_u64()
        .unwrap_or_else(|| panic!("no navigation status: {status}"))
}

/// Closes the browser and the app, then fails as the test's `outcome` did, if it did.
pub(crate) async fn finish(browser: Browser, app: TestApp, outcome: std::thread::Result<()>) {
    browser.close().await;
    app.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// What the live panel and the list show of call `record_ref`: the panel item's text and
/// classes, and the list row's cells by column name; `null` for either until it is there.
const SHOWN_CALL: &str = r#"
    const ref = String(arguments[0]);
    const item = Array.from(document.querySelectorAll('#live-calls li'))
        .find(li => li.querySelector('a') && li.querySelector('a').textContent === 'Call ' + ref);
    const columns = Array.from(document.querySelectorAll('#activity thead th'), th => th.textContent);
    const row = Array.from(document.querySelectorAll('#activity-rows tr'))
        .find(tr => tr.cells[0] && tr.cells[0].textContent.trim() === ref);
    const cells = row ? Object.fromEntries(Array.from(row.cells, (td, i) => [columns[i], td.textContent.trim()])) : null;
    return {
        panel: item ? { text: item.textContent, classes: item.className } : null,
        row: cells,
        rows: document.querySelectorAll('#activity-rows tr').length,
        still: window.notReloaded === true,
    };
"#;

async fn shown_call(browser: &Browser, record_ref: u64) -> Value {
    browser
        .client
        .execute(SHOWN_CALL, vec![json!(record_ref)])
        .await
        .expect("the page answers what it shows")
}

/// Waits until call `record_ref` shows as `accepted` says, and answers what it shows: a few
/// seconds after the webhook, as the page is pushed each change.
async fn until_shown(browser: &Browser, what: &str, record_ref: u64, accepted: impl Fn(&Value) -> bool) -> Value {
    until_within(what, Duration::from_secs(10), || async {
        let shown = shown_call(browser, record_ref).await;
        assert_eq!(shown["still"], json!(true), "the page was never reloaded");
        accepted(&shown).then_some(shown)
    })
    .await
}

async fn an_owner_sees_a_call_live_in_call_then_answered_then_ended_without_reloading(engine: Engine) {
    let Some(tools) = tools() else { return };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    person(
        &app,
        seeded.site.business_id,
        "olive@example.com",
        "Olive Owner",
        Role::Owner,
    )
    .await;
    let browser = Browser::start(&tools).await;
    let webhooks = &app;
    let outcome = AssertUnwindSafe(async {
        log_in(&browser, webhooks, "olive@example.com").await;
        browser.goto(&format!("{}/app/activity", webhooks.base_url)).await;
        until("the live feed to connect", || async {
            let state = browser.text("#live-state").await?;
            state.starts_with("Live").then_some(())
        })
        .await;
        browser.run("window.notReloaded = true; return null").await;

        let code = webhooks
            .visit_with_code(&seeded, "http://localhost/sofas?utm_source=google&utm_medium=cpc")
            .await;
        let answer = webhooks.call_until_dial("CA-browser-1", CALLER, &code).await;
        let call = webhooks.call_by_sid("CA-browser-1").await.unwrap();
        let ringing = until_shown(
            &browser,
            "the call IN CALL in the panel and the list",
            call.record_ref,
            |s| s["panel"]["text"].as_str().is_some_and(|t| t.contains("IN CALL")) && s["row"]["Outcome"] == "IN CALL",
        )
        .await;
        let panel = ringing["panel"]["text"].as_str().unwrap();
        assert!(
            panel.contains("google / cpc"),
            "the panel says where it came from: {panel}"
        );
        assert_eq!(ringing["row"]["Source"], "google / cpc", "{ringing}");
        assert_eq!(ringing["rows"], 1, "one row for the call: {ringing}");

        let whisper = answer
            .find("Number")
            .and_then(|n| n.attr("url"))
            .expect("the destination hears a whisper before the caller is put through")
            .to_owned();
        webhooks
            .provider(&whisper, &[("CallSid", "CA-browser-child"), ("To", "+12025550111")])
            .await;
        let answered = until_shown(&browser, "the call answered by Ann", call.record_ref, |s| {
            s["panel"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("answered by Ann"))
                && s["row"]["Operator"] == "Ann"
        })
        .await;
        let panel = answered["panel"]["text"].as_str().unwrap();
        assert!(!panel.contains("IN CALL"), "{panel}");

        let dial = answer.find("Dial").unwrap().attr("action").unwrap().to_owned();
        let to = seeded.number.as_str();
        let dialed = [
            ("CallSid", "CA-browser-1"),
            ("To", to),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "42"),
        ];
        webhooks.provider(&dial, &dialed).await;
        let status = format!("{}/twilio/status?number=%2B12025550100", webhooks.base_url);
        let ended = [("CallSid", "CA-browser-1"), ("To", to), ("CallStatus", "completed")];
        webhooks.provider(&status, &ended).await;
        let over = until_shown(&browser, "the call ended after 0:42", call.record_ref, |s| {
            s["panel"]["classes"]
                .as_str()
                .is_some_and(|c| c.split(' ').any(|c| c == "ended"))
                && s["row"]["Talk time"] == "0:42"
        })
        .await;
        assert_eq!(over["row"]["Operator"], "Ann", "{over}");
        assert_eq!(over["row"]["Outcome"], "answered", "{over}");
        assert_eq!(over["rows"], 1, "still one row for the call: {over}");
    })
    .catch_unwind()
    .await;
    finish(browser, app, outcome).await;
}

/// Waits until the browser's page is at a path `accepted` takes, and answers it.
async fn until_at(browser: &Browser, what: &str, accepted: impl Fn(&str) -> bool) -> String {
    until(what, || async {
        let url = browser.client.current_url().await.ok()?;
        accepted(url.path()).then(|| url.path().to_owned())
    })
    .await
}

async fn an_owner_sets_up_a_fresh_business_and_watches_its_test_call_live_without_reloading(engine: Engine) {
    let Some(tools) = tools() else { return };
    let app = TestApp::spawn_with(engine, Config::default(), axum::Router::new()).await;
    let business = app.add_business("fresh", "Fresh Sofas").await.id;
    person(&app, business, "olive@example.com", "Olive Owner", Role::Owner).await;
    let base = app.base_url.clone();
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        log_in(&browser, &app, "olive@example.com").await;

        browser.goto(&format!("{base}/app/settings/sites")).await;
        browser.type_into("main input[name=name]", "Fresh shop").await;
        browser.type_into("main textarea[name=domains]", "fresh.example").await;
        browser.click("main form[action='/app/settings/sites'] button").await;
        until_at(&browser, "the new site's page", |p| {
            p.starts_with("/app/settings/sites/")
        })
        .await;

        browser.goto(&format!("{base}/app/settings/numbers")).await;
        browser.type_into("main input[name=number]", "+12025550100").await;
        browser.type_into("main input[name=account_sid]", "AC1").await;
        browser.click("main input[name=site]").await;
        browser.type_into("main input[name=auth_token]", AUTH_TOKEN).await;
        browser.click("main form[action='/app/settings/numbers'] button").await;
        until("the number in the list", || async {
            let heading = browser.text("main h2 a").await?;
            (heading == "+12025550100").then_some(())
        })
        .await;

        browser.goto(&format!("{base}/app/settings/destinations")).await;
        browser.type_into("main input[name=name]", "Dana Desk").await;
        browser.type_into("main input[name=number]", "+12025550111").await;
        browser
            .click("main form[action='/app/settings/destinations'] button")
            .await;
        until("the destination in the list", || async {
            let name = browser.text("main table tbody td a").await?;
            (name == "Dana Desk").then_some(())
        })
        .await;

        browser.goto(&format!("{base}/app/settings/numbers")).await;
        browser.click("main h2 a").await;
        until_at(&browser, "the number's page", |p| {
            p.starts_with("/app/settings/numbers/")
        })
        .await;
        browser.click("main form[action$='/test-call'] button").await;
        until_at(&browser, "Activity, after the test call started", |p| {
            p == "/app/activity"
        })
        .await;
        browser.run("window.notReloaded = true; return null").await;
        let call = until("the test call to be recorded", || async {
            app.store.recent_calls(business, 1).await.ok()?.into_iter().next()
        })
        .await;

        let ringing = until_shown(&browser, "the test call IN CALL", call.record_ref, |s| {
            s["panel"]["text"].as_str().is_some_and(|t| t.contains("IN CALL")) && s["row"]["Outcome"] == "IN CALL"
        })
        .await;
        assert_eq!(ringing["rows"], 1, "one row for the call: {ringing}");
        let answered = until_shown(&browser, "the test call answered by Dana Desk", call.record_ref, |s| {
            s["panel"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("answered by Dana Desk"))
                && s["row"]["Operator"] == "Dana Desk"
        })
        .await;
        assert_eq!(answered["row"]["Talk time"], "", "still talking: {answered}");
        let over = until_shown(&browser, "the test call ended after 0:03", call.record_ref, |s| {
            s["row"]["Talk time"] == "0:03"
        })
        .await;
        assert_eq!(over["row"]["Outcome"], "answered", "{over}");
        assert!(
            over["panel"]["classes"]
                .as_str()
                .is_some_and(|c| c.split(' ').any(|c| c == "ended")),
            "{over}"
        );
        assert_eq!(over["rows"], 1, "still one row for the call: {over}");
    })
    .catch_unwind()
    .await;
    finish(browser, app, outcome).await;
}

async fn an_operators_browser_gets_404_at_settings_and_is_offered_no_link_to_it(engine: Engine) {
    let Some(tools) = tools() else { return };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    person(&app, business, "olive@example.com", "Olive Owner", Role::Owner).await;
    person(&app, business, "otto@example.com", "Otto Operator", Role::Operator).await;
    let base = app.base_url.clone();
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        let settings_link = "return document.querySelectorAll('header nav a[href=\"/app/settings\"]').length";
        log_in(&browser, &app, "olive@example.com").await;
        browser.goto(&format!("{base}/app/activity")).await;
        assert_eq!(browser.run(settings_link).await, json!(1), "an owner has the link");
        browser.goto(&format!("{base}/app/settings")).await;
        assert_eq!(status_of_page(&browser).await, 200);

        browser.client.delete_all_cookies().await.unwrap();
        log_in(&browser, &app, "otto@example.com").await;
        for path in ["/app/activity", "/app/leads", "/app/reports"] {
            browser.goto(&format!("{base}{path}")).await;
            assert_eq!(status_of_page(&browser).await, 200, "{path}");
            assert_eq!(browser.run(settings_link).await, json!(0), "no Settings link on {path}");
        }
        browser.goto(&format!("{base}/app/settings")).await;
        assert_eq!(status_of_page(&browser).await, 404);
    })
    .catch_unwind()
    .await;
    finish(browser, app, outcome).await;
}

on_both_engines!(
    an_owner_sees_a_call_live_in_call_then_answered_then_ended_without_reloading,
    an_operators_browser_gets_404_at_settings_and_is_offered_no_link_to_it,
    an_owner_sets_up_a_fresh_business_and_watches_its_test_call_live_without_reloading,
);
