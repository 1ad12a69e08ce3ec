//! The test call of Settings → Numbers: an owner's form starts the sandbox phone against the
//! server in the background and is sent to Activity; the call is recorded as the provider
//! would have it recorded (answered by the first destination, then ended). A post without the
//! session's token, another business's number and a second call while one is under way
//! start nothing.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use crate::settings_setup::owner;
use crate::webdriver::until;
use leadline::config::Config;
use leadline_core::call::Call;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, NumberStore};
use leadline_core::tenant::Role;

/// The business's calls from `caller`, newest first.
async fn calls_from(app: &TestApp, business: leadline_core::BusinessId, caller: &str) -> Vec<Call> {
    let calls = app.store.recent_calls(business, 20).await.unwrap();
    calls.into_iter().filter(|c| c.caller == caller).collect()
}

async fn an_owner_places_a_test_call_that_is_recorded_answered_and_ended(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let number = app.store.list_numbers(business).await.unwrap()[0].id;
    let path = format!("/app/settings/numbers/{}", number.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    let action = format!(r#"action="{path}/test-call""#);
    assert!(html.contains(&action) && html.contains("Place a test call"), "{html}");
    assert!(
        html.contains(r#"value="+12025550123""#),
        "a fictional caller by default: {html}"
    );
    let csrf = csrf_of(&html);
    let test_call = format!("{path}/test-call");

    let forged = [("csrf", "not the token"), ("caller", "+12025550177"), ("answers", "on")];
    let forged = post(&app, &cookie, &test_call, &forged).await;
    assert_eq!(forged.status(), 403, "refused without the session's token");
    let bad = post(
        &app,
        &cookie,
        &test_call,
        &[("csrf", csrf.as_str()), ("caller", "call me"), ("keys", "12a")],
    )
    .await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains(r#"id="test-caller-error""#) && html.contains(r#"id="test-keys-error""#),
        "{html}"
    );

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rita@example.com", Role::Owner).await;
    let rita = log_in(&app, "rita@example.com", PASSWORD).await.unwrap();
    let (_, rival_page) = page(&app, &rita, "/app/settings/numbers").await;
    let rival_csrf = csrf_of(&rival_page);
    let theirs = post(
        &app,
        &rita,
        &test_call,
        &[("csrf", rival_csrf.as_str()), ("caller", "+12025550177")],
    )
    .await;
    assert_eq!(theirs.status(), 404, "another business's number is not found");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        calls_from(&app, business, "+12025550177").await.is_empty(),
        "no call was placed"
    );

    let placed = post(
        &app,
        &cookie,
        &test_call,
        &[("csrf", csrf.as_str()), ("caller", "+12025550177"), ("answers", "on")],
    )
    .await;
    assert_eq!(placed.status(), 303);
    assert_eq!(placed.headers()["location"], "/app/activity");
    let again = post(
        &app,
        &cookie,
        &test_call,
        &[("csrf", csrf.as_str()), ("caller", "+12025550178"), ("answers", "on")],
    )
    .await;
    assert_eq!(again.status(), 400, "one test call at a time");
    let html = again.text().await.unwrap();
    assert!(
        html.contains(r#"id="test-call-error">a test call is already in progress"#),
        "{html}"
    );

    let ended = until("the test call to be recorded and to end", || async {
        let calls = calls_from(&app, business, "+12025550177").await;
        calls.into_iter().find(|c| c.ended_at.is_some())
    })
    .await;
    assert_eq!(ended.number_id, number);
    assert_eq!(
        ended.answered_by_name.as_deref(),
        Some("Ann"),
        "the first destination answers"
    );
    assert_eq!(
        ended.duration_seconds,
        Some(3),
        "it talked for the test call's 3 seconds"
    );
    assert!(
        calls_from(&app, business, "+12025550178").await.is_empty(),
        "the refused second call was never placed"
    );
    until("the business to be free for another test call", || async {
        let answer = post(
            &app,
            &cookie,
            &test_call,
            &[("csrf", csrf.as_str()), ("caller", "+12025550179")],
        )
        .await;
        (answer.status() == 303).then_some(())
    })
    .await;
    app.finish().await;
}

crate::on_both_engines!(an_owner_places_a_test_call_that_is_recorded_answered_and_ended);
