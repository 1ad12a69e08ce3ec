//! The demo's phone in the browser and its live list of calls.

use crate::helpers::{Engine, TestApp};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use serde_json::{Value, json};

#[tokio::test]
async fn the_browser_phone_places_a_call_that_the_live_list_shows() {
    let (app, seeded) = TestApp::spawn_site(Engine::Sqlite, Config::default(), SiteSettings::default()).await;
    let page = app.get("/demo/calls.html").await.text().await.unwrap();
    assert!(page.contains("Call (202) 555-0100"), "{page}");
    assert!(
        page.contains("'/app/leads/' + encodeURIComponent(c.record_ref)"),
        "each call links to its lead's page"
    );
    let state = app
        .register_visit(
            &seeded,
            "http://localhost/?utm_source=google&utm_medium=cpc&utm_term=sofa",
        )
        .await;
    let transcript = app.demo_call("+12025550169", &state["code"], false).await;
    assert_eq!(transcript["whisper"], "Call 1000 from google cpc, keyword sofa.");

    let mut events = app
        .client
        .get(format!("{}/demo/calls/events", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), events.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let calls: Value = serde_json::from_str(data).unwrap();
    assert_eq!(calls[0]["record_ref"], 1000);
    assert_eq!(
        (calls[0]["source"].as_str(), calls[0]["outcome"].as_str()),
        (Some("google"), Some("answered"))
    );
    drop(events);
    let bad = app
        .client
        .post(format!("{}/demo/phone", app.base_url))
        .json(&json!({ "from": "nobody" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    app.finish().await;
}
