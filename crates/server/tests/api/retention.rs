//! The retention sweep of a running server: an owner sets the periods on Settings › Data
//! retention (bad ones refused with the reason), and records past them go: a recording is
//! deleted at the provider (a fake that checks the request as Twilio's API would) and
//! forgotten on the call, a form's file is deleted from storage with the form, the metrics
//! count both; what is not past its time stays.

use crate::fakes::FakeApi;
use crate::helpers::{AUTH_TOKEN, Engine, TestApp};
use crate::operator::{PDF, csrf_of, form_with_file, page, post};
use crate::settings_setup::owner;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::delete;
use base64::Engine as _;
use leadline::config::Config;
use leadline_core::call::{CallKey, CallReport};
use leadline_core::provider::WebLink;
use leadline_core::site::SiteSettings;
use leadline_core::store::CallStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

pub(crate) type Deleted = Arc<Mutex<Vec<String>>>;

/// `DELETE /2010-04-01/Accounts/AC1/Recordings/{Sid}.json` with the number's Basic auth: 204;
/// anything else is refused as Twilio would.
pub(crate) async fn provider() -> (FakeApi, Deleted) {
    let deleted = Deleted::default();
    async fn remove(State(seen): State<Deleted>, Path(file): Path<String>, headers: HeaderMap) -> StatusCode {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("AC1:{AUTH_TOKEN}"))
        );
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return StatusCode::UNAUTHORIZED;
        }
        let Some(sid) = file.strip_suffix(".json") else {
            return StatusCode::NOT_FOUND;
        };
        seen.lock().unwrap().push(sid.to_owned());
        StatusCode::NO_CONTENT
    }
    let router = Router::new()
        .route("/2010-04-01/Accounts/AC1/Recordings/{file}", delete(remove))
        .with_state(deleted.clone());
    (FakeApi::start(router).await, deleted)
}

/// Waits until `/metrics` holds every one of `lines`: the sweep counts what it pruned once it
/// is done with the business, a moment after the rows are gone.
pub(crate) async fn counted(app: &TestApp, lines: &[&str]) {
    let all_there = async {
        loop {
            let metrics = app.get("/metrics").await.text().await.unwrap();
            if lines.iter().all(|line| metrics.contains(line)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), all_there)
        .await
        .unwrap_or_else(|_| panic!("the sweep counted {lines:?}"));
}

pub(crate) fn files_named(dir: &std::path::Path, name: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                files_named(&path, name)
            } else {
                usize::from(path.file_name().is_some_and(|n| n == name))
            }
        })
        .sum()
}

async fn the_sweep_deletes_recordings_at_the_provider_and_form_files_past_their_time(engine: Engine) {
    let (fake, deleted) = provider().await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&fake.url).unwrap(),
        retention_sweep_seconds: 1,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;

    let (status, html) = page(&app, &cookie, "/app/settings/retention").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"name="recordings_days" value="365""#),
        "the defaults: {html}"
    );
    let csrf = csrf_of(&html);
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("visits_days", "400"),
        ("calls_days", "1095"),
        ("recordings_days", "3"),
        ("forms_days", "30"),
        ("events_days", "30"),
        ("audit_days", "365"),
    ];
    let response = post(&app, &cookie, "/app/settings/retention", &fields).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="recordings_days-error">&#39;3&#39;: keep for 7 to 36500 days"#),
        "{html}"
    );
    fields[3].1 = "7";
    let response = post(&app, &cookie, "/app/settings/retention", &fields).await;
    assert_eq!(response.status(), 303);

    let visit = crate::leads::visit(&app, seeded.site.id, "fp:ann").await;
    let old = crate::leads::call(&app, &seeded, "CA-old", Some(visit.clone()), 60)
        .await
        .record_ref;
    let kept = crate::leads::call(&app, &seeded, "CA-kept", Some(visit), 60)
        .await
        .record_ref;
    let sid = |n: u64| format!("RE{n:032x}");
    for (record_ref, n) in [(old, 1), (kept, 2)] {
        let link = format!("{}/2010-04-01/Accounts/AC1/Recordings/{}", fake.url, sid(n));
        let report = CallReport {
            recording_url: Some(WebLink::parse(&link).unwrap()),
            ..CallReport::default()
        };
        let key = CallKey::Ref { business, record_ref };
        app.store.report_call(key, &report).await.unwrap();
    }
    assert_eq!(
        form_with_file(&app, &seeded, "quote.pdf", PDF.to_vec()).await.status(),
        201
    );
    let stored = app
        .store
        .stored_texts("SELECT stored_name FROM attachments")
        .await
        .unwrap();
    assert_eq!(files_named(app.own_dir(), &stored[0]), 1, "the file is stored");
    app.store
        .execute_script(&format!(
            "UPDATE calls SET started_at = started_at - {} WHERE record_ref = {old};
             UPDATE submissions SET created_at = created_at - {};",
            8 * DAY_MS,
            31 * DAY_MS
        ))
        .await
        .unwrap();

    let forgotten = async {
        loop {
            let call = app.store.call_by_ref(business, old).await.unwrap();
            let forms = app
                .store
                .stored_texts("SELECT CAST(COUNT(*) AS TEXT) FROM submissions")
                .await
                .unwrap();
            if call.recording_url.is_none() && forms[0] == "0" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), forgotten)
        .await
        .expect("the sweep pruned them");
    assert_eq!(*deleted.lock().unwrap(), [sid(1)], "deleted at the provider, once");
    assert!(
        app.store
            .call_by_ref(business, kept)
            .await
            .unwrap()
            .recording_url
            .is_some(),
        "a week-old one stays"
    );
    assert_eq!(
        files_named(app.own_dir(), &stored[0]),
        0,
        "the form's file is gone from storage"
    );
    counted(
        &app,
        &[
            r#"leadline_retention_pruned_total{kind="recordings"} 1"#,
            r#"leadline_retention_pruned_total{kind="forms"} 1"#,
        ],
    )
    .await;
    app.finish().await;
}

crate::on_both_engines!(the_sweep_deletes_recordings_at_the_provider_and_form_files_past_their_time);
