//! End to end: a call placed through the sandbox phone reaches a local GA4 endpoint as
//! `call_completed` on the visitor's client id and session, soon after hang-up. The time from
//! hang-up to arrival is printed (it is measured, never asserted).

use crate::helpers::{Engine, TestApp};
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::post;
use leadline::config::Config;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A GA4 collect endpoint that keeps every event it gets, with the time it got it.
#[derive(Clone, Default)]
struct Ga4 {
    events: Arc<Mutex<Vec<(Instant, Value)>>>,
}

async fn collect(State(ga4): State<Ga4>, Query(query): Query<HashMap<String, String>>, body: String) -> &'static str {
    assert_eq!(query.get("measurement_id").map(String::as_str), Some("G-DEMO123"));
    assert_eq!(query.get("api_secret").map(String::as_str), Some("demo-secret"));
    let body: Value = serde_json::from_str(&body).expect("GA4 gets JSON");
    let mut events = ga4.events.lock().unwrap();
    for event in body["events"].as_array().expect("an events list") {
        let mut event = event.clone();
        event["client_id"] = body["client_id"].clone();
        events.push((Instant::now(), event));
    }
    ""
}

async fn start_ga4() -> (Ga4, String) {
    let ga4 = Ga4::default();
    let app = Router::new()
        .route("/mp/collect", post(collect))
        .with_state(ga4.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (ga4, url)
}

async fn a_sandbox_call_reaches_ga4_as_call_completed_soon_after_hang_up(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let (ga4, endpoint) = start_ga4().await;
    let config = IntegrationConfig::Ga4 {
        measurement_id: "G-DEMO123".into(),
        api_secret: "demo-secret".into(),
        endpoint: Some(endpoint),
        debug: false,
    };
    let new = NewIntegration {
        business_id: seeded.site.business_id,
        site_id: Some(seeded.site.id),
        name: "GA4".into(),
        config,
    };
    app.store.add_integration(&new).await.unwrap();
    let settings = Settings::from_config(&Config::default());
    let worker = Worker::new(Arc::new(app.store.clone()), Arc::new(Metrics::new()), settings)
        .unwrap()
        .spawn();

    let visit = json!({
        "site": seeded.site.key.as_str(),
        "url": "http://localhost/?utm_source=google&utm_medium=cpc&utm_term=sofa",
        "ga": "GA1.1.1234567890.1764300000",
        "ga_streams": { "_ga_DEMO123": format!("GS2.1.s{}$o1$g1$t{}", chrono::Utc::now().timestamp() - 60, chrono::Utc::now().timestamp()) },
    });
    let registered: Value = app
        .client
        .post(format!("{}/v1/visits", app.base_url))
        .header("origin", "http://localhost")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
        .body(visit.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let call = json!({ "from": "+12025550169", "digits": registered["code"], "no_answer": false });
    let response = app
        .client
        .post(format!("{}/demo/phone", app.base_url))
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let hung_up = Instant::now();

    let deadline = hung_up + Duration::from_secs(30);
    let completed = loop {
        let found = ga4
            .events
            .lock()
            .unwrap()
            .iter()
            .find(|(_, e)| e["name"] == "call_completed")
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no call_completed reached GA4: {:?}",
            ga4.events.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (arrived, event) = completed;
    println!(
        "MEASURED: hang-up to GA4 call_completed: {} ms ({engine:?})",
        (arrived - hung_up).as_millis()
    );
    assert_eq!(
        event["client_id"], "1234567890.1764300000",
        "the visitor's own GA client id"
    );
    assert_eq!(event["params"]["record_ref"].to_string().trim_matches('"'), "1000");
    assert!(
        event["params"]["session_id"].is_string() || event["params"]["session_id"].is_number(),
        "{event}"
    );
    // The three events are delivered side by side, in no set order: wait for the other two.
    let names = |ga4: &Ga4| -> Vec<String> {
        ga4.events
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    while !["call_dialed", "call_connected"]
        .iter()
        .all(|n| names(&ga4).iter().any(|m| m == n))
    {
        assert!(Instant::now() < deadline, "{:?}", names(&ga4));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(a_sandbox_call_reaches_ga4_as_call_completed_soon_after_hang_up);
