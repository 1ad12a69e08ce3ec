//! End to end: a call placed through the sandbox phone reaches a local GA4 endpoint as
//! `call_completed` on the visitor's client id and session, soon after hang-up. The time from
//! hang-up to arrival is printed (it is measured, never asserted).

use crate::fakes::FakeApi;
use crate::ga4::{events, fake_ga4, valid, wait_for_event};
use crate::helpers::{Engine, TestApp};
use axum::http::StatusCode;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn a_sandbox_call_reaches_ga4_as_call_completed_soon_after_hang_up(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let ga4 = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let config = IntegrationConfig::Ga4 {
        measurement_id: "G-DEMO123".into(),
        api_secret: "demo-secret".into(),
        endpoint: Some(ga4.url.clone()),
        debug: false,
    };
    let new = NewIntegration {
        business_id: seeded.site.business_id,
        site_id: Some(seeded.site.id),
        name: "GA4".into(),
        config,
    };
    app.store.add_integration(&new).await.unwrap();
    let settings = Settings::from_config(&crate::helpers::local_config());
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
    app.demo_call("+12025550169", &registered["code"], false).await;
    let hung_up = Instant::now();

    let deadline = hung_up + Duration::from_secs(30);
    let (arrived, event) = wait_for_event(&ga4, "call_completed", deadline).await;
    for request in valid(&ga4) {
        assert_eq!(request.query["measurement_id"], "G-DEMO123");
        assert_eq!(request.query["api_secret"], "demo-secret");
    }
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
    let names = |ga4: &FakeApi| -> Vec<String> {
        let events = events(ga4).into_iter();
        events
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
