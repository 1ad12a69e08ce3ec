use crate::helpers::{Engine, TestApp, postgres_admin_url};
use axum::Router;
use axum::routing::get;
use leadline::config::Config;
use std::time::Duration;

#[tokio::test]
async fn healthz_answers_ok_with_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID request id: {id}");
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    app.finish().await;
}

#[tokio::test]
async fn a_request_id_given_by_the_client_is_kept() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.base_url))
        .header("x-request-id", "trace-from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-from-the-proxy-42");
    app.finish().await;
}

#[tokio::test]
async fn readyz_says_ready_when_sqlite_answers() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ready", "database": "sqlite" }));
    app.finish().await;
}

#[tokio::test]
async fn readyz_says_ready_when_postgres_answers() {
    if postgres_admin_url().is_none() {
        return;
    }
    let app = TestApp::spawn_with(Engine::Postgres, Config::default(), Router::new()).await;
    let body: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ready", "database": "postgres" }));
    app.finish().await;
}

#[tokio::test]
async fn readyz_says_unavailable_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "liveness must not depend on the database"
    );
    app.finish().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_pool() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/readyz").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"leadline_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadline_http_request_duration_seconds_count{method="GET",route="/readyz"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadline_http_request_duration_seconds_bucket{le="0.0005",method="GET",route="/healthz"}"#)
    );
    assert!(text.contains(r#"leadline_db_pool_connections{state="idle"}"#), "{text}");
    assert!(text.contains("leadline_db_pool_max_connections 10"), "{text}");
    app.finish().await;
}

#[tokio::test]
async fn an_unknown_route_gets_a_json_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/wp-admin/install.php").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["error"],
        "not found"
    );
    app.finish().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let config = Config {
        max_body_bytes: 2048,
        ..Config::default()
    };
    let app = TestApp::spawn_with(Engine::Sqlite, config, Router::new()).await;
    let response = app
        .client
        .post(format!("{}/healthz", app.base_url))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    app.finish().await;
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let config = Config {
        rate_limit_per_second: 1,
        ..Config::default()
    };
    let app = TestApp::spawn_with(Engine::Sqlite, config, Router::new()).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app.get("/healthz").await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert_eq!(response.headers()["retry-after"], "1");
            assert!(
                response.json::<serde_json::Value>().await.unwrap()["error"]
                    .as_str()
                    .unwrap()
                    .contains("too many")
            );
        }
    }
    assert_eq!(&statuses[..2], &[200, 200], "the burst of two passes: {statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    app.finish().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            "done"
        }),
    );
    let mut app = TestApp::spawn_with(Engine::Sqlite, Config::default(), slow).await;
    let url = format!("{}/slow", app.base_url);
    let client = app.client.clone();
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.shut_down().await.unwrap();
    let response = in_flight.await.unwrap().expect("the request in flight was answered");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "done");
    let refused = reqwest::get(format!("{}/healthz", app.base_url)).await;
    assert!(refused.is_err(), "new connections must be refused after shutdown");
    app.finish().await;
}
