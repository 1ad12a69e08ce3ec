//! Alerts as browser notifications (Web Push): a member subscribes a browser from their alerts
//! page, and a missed call reaches a local push service as RFC 8291 says (aes128gcm, which the
//! test decrypts with the browser's private key) signed with VAPID as RFC 8292 says (a JWT the
//! test verifies with the key the page gave the browser, for the push service's origin). A
//! browser its push service says is gone is forgotten; a bad subscription or a forged request
//! changes nothing.

use crate::alerts::{alerts_integration, choose, member, missed_calls};
use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, client, log_in, page};
use crate::prompts::call_from_google;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline::push::PushKey;
use leadline_core::outbox::DeliveryStatus;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use leadline_core::web_push::WebPushStore;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use web_push_native::jwt_simple::prelude::*;
use web_push_native::{Auth, p256};

/// A message as the push service received it: its headers and its encrypted body.
type Received = (HeaderMap, Vec<u8>);

/// A push service on this machine: keeps each message and answers with `status`.
#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

async fn receive(State(service): State<PushService>, headers: HeaderMap, body: Bytes) -> StatusCode {
    service.received.lock().unwrap().push((headers, body.to_vec()));
    StatusCode::from_u16(service.status.load(Ordering::SeqCst)).unwrap()
}

async fn start_push_service() -> (PushService, String) {
    let service = PushService::default();
    service.status.store(201, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/push/{id}", post(receive))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (service, origin)
}

/// A browser's push keys: its private key (to decrypt) and the subscription it would give.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        loop {
            let seed: [u8; 32] = rand::random();
            if let Ok(secret) = p256::SecretKey::from_slice(&seed) {
                return Self {
                    secret,
                    auth: rand::random(),
                };
            }
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {"p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()), "auth": URL_SAFE_NO_PAD.encode(self.auth)},
        })
    }

    fn read(&self, body: &[u8]) -> Value {
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &Auth::clone_from_slice(&self.auth))
            .expect("the browser can decrypt what it was sent");
        serde_json::from_slice(&plain).unwrap()
    }
}

fn attribute(html: &str, name: &str) -> String {
    let start = html.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
    html[start..].split('"').next().unwrap().to_owned()
}

async fn send_json(app: &TestApp, cookie: &str, csrf: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn worker(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let mut settings = Settings::from_config(&crate::helpers::local_config());
    settings.poll = Duration::from_millis(50);
    settings.backoff_base = Duration::from_millis(100);
    let key = PushKey::from_secret(&Secret::new(leadline_core::sealing::TEST_INSTALL_SECRET));
    Worker::new(Arc::new(app.store.clone()), Arc::new(Metrics::new()), settings)
        .unwrap()
        .with_push_key(Some(Arc::new(key)))
        .spawn()
}

/// Waits until `count` alerts deliveries of `call.completed` have finished.
async fn finished_calls(app: &TestApp, business: leadline_core::BusinessId, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = app
            .store
            .list_deliveries(Some(business), None, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.integration_kind == "alerts" && d.event_kind.as_str() == "call.completed")
            .filter(|d| matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Dead))
            .count();
        if done >= count {
            return;
        }
        assert!(Instant::now() < deadline, "the alerts did not get there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_missed_call_reaches_a_subscribed_browser_encrypted_and_signed_and_a_gone_one_is_forgotten(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    choose(&app, business, ann, &missed_calls(false, None)).await;
    let cookie = log_in(&app, "ann@acme.example", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings/alerts").await;
    assert_eq!(status, 200, "{html}");
    let (key, csrf) = (attribute(&html, "data-key"), attribute(&html, "data-csrf"));
    let (service, origin) = start_push_service().await;
    let browser = Browser::new();
    let endpoint = format!("{origin}/push/ann-laptop");

    let forged = send_json(
        &app,
        &cookie,
        "forged",
        "/app/push/subscriptions",
        &browser.subscription(&endpoint),
    )
    .await;
    assert_eq!(forged.status(), 403);
    let mut bad = browser.subscription(&endpoint);
    bad["keys"]["p256dh"] = json!("AAAA");
    let refused = send_json(&app, &cookie, &csrf, "/app/push/subscriptions", &bad).await;
    assert_eq!(refused.status(), 400);
    let said: Value = refused.json().await.unwrap();
    assert!(said["error"].as_str().unwrap().contains("p256dh"), "{said}");
    assert!(app.store.push_subscriptions(business, ann).await.unwrap().is_empty());

    let subscribed = send_json(
        &app,
        &cookie,
        &csrf,
        "/app/push/subscriptions",
        &browser.subscription(&endpoint),
    )
    .await;
    assert_eq!(subscribed.status(), 201);
    assert_eq!(app.store.push_subscriptions(business, ann).await.unwrap().len(), 1);
    alerts_integration(&app, business).await;
    let (_, html) = page(&app, &cookie, "/app/settings/alerts").await;
    assert!(html.contains("1 browser gets your alerts"), "{html}");

    let worker = worker(&app);
    call_from_google(&app, &seeded, true).await;
    finished_calls(&app, business, 1).await;
    let (headers, body) = service.received.lock().unwrap()[0].clone();
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers["ttl"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    let alert = browser.read(&body);
    assert!(
        alert["title"].as_str().unwrap().starts_with("Missed call 1000"),
        "{alert}"
    );
    assert!(alert["url"].as_str().unwrap().contains("/app/leads/"), "{alert}");
    assert!(
        alert["body"].as_str().unwrap().ends_with("/app/settings/alerts"),
        "{alert}"
    );

    let authorization = headers["authorization"].to_str().unwrap().to_owned();
    let rest = authorization.strip_prefix("vapid ").expect("VAPID (RFC 8292)");
    let part = |name: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {authorization}"))
            .to_owned()
    };
    assert_eq!(part("k"), key, "signed with the key the page gave the browser");
    let public = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(part("k")).unwrap()).unwrap();
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from([origin.clone()])),
        ..VerificationOptions::default()
    };
    let claims = public
        .verify_token::<NoCustomClaims>(&part("t"), Some(options))
        .unwrap();
    assert!(claims.subject.is_some(), "a contact for the push service");

    service.status.store(410, Ordering::SeqCst);
    call_from_google(&app, &seeded, true).await;
    finished_calls(&app, business, 2).await;
    assert_eq!(service.received.lock().unwrap().len(), 2);
    assert!(
        app.store.push_subscriptions(business, ann).await.unwrap().is_empty(),
        "a browser its push service says is gone is forgotten"
    );
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(a_missed_call_reaches_a_subscribed_browser_encrypted_and_signed_and_a_gone_one_is_forgotten,);
