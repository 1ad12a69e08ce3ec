//! The flood defence in a real browser (issue 14): headless Chromium loads a page with the
//! snippet while a flood of 3,000 registrations a minute from 3,000 addresses runs, and shows
//! a code of at most three digits (after the proof of work the site asks for under a flood);
//! the flood's registrations hold no codes. Skipped, saying so, only where Chromium or
//! chromedriver is missing.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::webdriver::{Browser, page, tools, until};
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::store::VisitStore;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A page with the business's number and the snippet; `window.shownAt` is when (ms after the
/// page began) the snippet first showed a code.
async fn flood_page(State(state): State<AppState>) -> Html<String> {
    let key = state.demo.as_ref().map(|d| d.key.to_string()).unwrap_or_default();
    Html(format!(
        r#"<!doctype html><html><head><title>Flood</title></head>
<body><p>Phone: <strong data-leadline-number>(202) 555-0100</strong></p>
<script>new MutationObserver(() => {{ window.shownAt = window.shownAt || performance.now(); }})
  .observe(document.querySelector('strong'), {{ childList: true, characterData: true, subtree: true }});</script>
<script async src="{base}/t.js" data-site="{key}"></script></body></html>"#,
        base = state.base_url
    ))
}

/// What the flood's registrations were answered: (status, code) in the order sent.
type Answers = Arc<Mutex<Vec<(u16, Option<String>)>>>;

/// Registers fake visits as a script would (no JavaScript run) at 50 a second (3,000 a minute),
/// each from an address of its own, until `stop`.
fn start_flood(app: &TestApp, seeded: &Seeded, stop: Arc<AtomicBool>, answers: Answers) -> tokio::task::JoinHandle<()> {
    let (client, url) = (app.client.clone(), format!("{}/v1/visits", app.base_url));
    let origin = page(app, "");
    let body = json!({ "site": seeded.site.key.as_str(), "url": format!("{origin}/landing") }).to_string();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut sent = 0u32;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let request = client
                .post(&url)
                .header("content-type", "text/plain;charset=UTF-8")
                .header("origin", &origin)
                .header(
                    "user-agent",
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
                )
                .header(
                    "x-forwarded-for",
                    format!("10.{}.{}.{}", sent >> 16 & 255, sent >> 8 & 255, sent & 255),
                )
                .body(body.clone());
            let answers = answers.clone();
            tokio::spawn(async move {
                if let Ok(response) = request.send().await {
                    let status = response.status().as_u16();
                    let state: Value = response.json().await.unwrap_or(Value::Null);
                    let code = state["code"].as_str().map(str::to_owned);
                    answers.lock().unwrap().push((status, code));
                }
            });
            sent += 1;
        }
    })
}

async fn a_real_browser_gets_a_short_code_while_a_flood_from_many_addresses_runs(engine: Engine) {
    let Some(tools) = tools() else { return };
    let config = Config {
        client_ip_header: Some("x-forwarded-for".into()),
        rate_limit_per_second: 100_000,
        ..Config::default()
    };
    let extra = Router::new().route("/test/flood.html", get(flood_page));
    let (app, seeded) = TestApp::spawn_site_with(engine, config, SiteSettings::default(), extra).await;
    let browser = Browser::start(&tools).await;
    let (stop, answers): (_, Answers) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let flood = start_flood(&app, &seeded, stop.clone(), answers.clone());
    until("the flood to put the site under a flood", || async {
        answers
            .lock()
            .unwrap()
            .iter()
            .any(|(status, _)| *status == 202)
            .then_some(())
    })
    .await;

    browser.goto(&page(&app, "/test/flood.html")).await;
    let shown = until("the page to show a code", || async {
        browser
            .text("[data-leadline-number]")
            .await
            .filter(|text| text.contains("ext."))
    })
    .await;
    let shown_at = browser.run("return window.shownAt").await;
    let code = shown.rsplit("ext. ").next().unwrap().trim().to_owned();
    stop.store(true, Ordering::Relaxed);
    flood.await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let answers = answers.lock().unwrap().clone();
    let coded: Vec<&String> = answers.iter().filter_map(|(_, code)| code.as_ref()).collect();
    let challenged = answers.iter().filter(|(status, _)| *status == 202).count();
    eprintln!(
        "flood: {} fake registrations, {challenged} challenged, {} coded {coded:?}; the browser showed '{shown}' {shown_at} ms after the page began",
        answers.len(),
        coded.len()
    );
    assert!(
        code.len() <= 3 && code.bytes().all(|b| b.is_ascii_digit()),
        "the browser shows a short code: {shown}"
    );
    // Measured in the page, from its start to the code shown: the issue's goal.
    assert!(
        shown_at.as_f64().is_some_and(|ms| ms <= 2_000.0),
        "the code came within two seconds: {shown_at} ms"
    );
    assert!(
        app.metrics_text().await.contains(r#"outcome="proven"} 1"#),
        "the browser proved itself"
    );
    // Only the quota's burst (10) and what it refilled before the flood was seen (10 a
    // second) got codes; every later fake none.
    assert!(coded.len() <= 20, "the flood holds {} codes", coded.len());
    assert!(!answers.iter().any(|(status, _)| *status == 429), "nothing is refused");
    let live = app.store.live_codes_of_site(seeded.site.id).await.unwrap();
    assert_eq!(live, coded.len() as u64 + 1, "the challenged fakes hold no codes");
    browser.close().await;
    app.finish().await;
}

crate::on_both_engines!(a_real_browser_gets_a_short_code_while_a_flood_from_many_addresses_runs);
