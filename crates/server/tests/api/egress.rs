//! Outbox deliveries go only where they were sent: the real worker delivers to local fakes
//! that answer with a redirect (never followed: the second server gets nothing, no body, no
//! `Referer`, no secret), and to a host name or an address that is not public (refused when
//! the delivery is made, not only when the integration is added).

use crate::fakes::FakeApi;
use crate::helpers::{Engine, Seeded, TestApp};
use crate::leads::submit;
use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::form::FormIdentity;
use leadline_core::outbox::{Delivery, DeliveryStatus, IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use std::net::IpAddr;
use std::sync::Arc;

const GA4_SECRET: &str = "ga4-api-secret-never-leaves";
const WEBHOOK_SECRET: &str = "whsec_redirect_test_secret";

/// A server on `bind` that answers every request `status`, with `location` (and the
/// request's path and query appended) when given.
pub async fn recorder(bind: &str, status: StatusCode, location: Option<String>) -> FakeApi {
    let answer = move |uri: Uri| async move {
        let target = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
        match location {
            Some(to) => (status, [(header::LOCATION, format!("{to}{target}"))]).into_response(),
            None => status.into_response(),
        }
    };
    FakeApi::bind(bind, Router::new().fallback(answer)).await
}

/// A fake answering `status` with a redirect to a second recording server, and that server.
pub async fn redirecting(status: StatusCode) -> (FakeApi, FakeApi) {
    let second = recorder("127.0.0.1:0", StatusCode::OK, None).await;
    let first = recorder("127.0.0.1:0", status, Some(second.url.clone())).await;
    (first, second)
}

async fn add(app: &TestApp, seeded: &Seeded, config: IntegrationConfig) {
    let new = NewIntegration {
        business_id: seeded.site.business_id,
        site_id: None,
        name: "target".into(),
        config,
    };
    app.store.add_integration(&new).await.unwrap();
}

/// A form submission (a new lead), delivered once by the real outbox worker; its deliveries.
async fn deliver_a_lead(app: &TestApp, seeded: &Seeded) -> Vec<Delivery> {
    let business = seeded.site.business_id;
    submit(
        app,
        business,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity::default(),
    )
    .await;
    let settings = Settings::from_config(&crate::helpers::local_config());
    let worker = Worker::new(Arc::new(app.store.clone()), Arc::new(Metrics::new()), settings).unwrap();
    worker.run_once().await.unwrap();
    app.store.list_deliveries(Some(business), None, 100).await.unwrap()
}

fn webhook(url: String) -> IntegrationConfig {
    IntegrationConfig::Webhook {
        url,
        secret: WEBHOOK_SECRET.into(),
    }
}

fn errors(deliveries: &[Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| d.last_error.clone().unwrap_or_default())
        .collect()
}

async fn a_webhook_redirect_is_not_followed_and_the_body_goes_nowhere_else(engine: Engine) {
    for status in [StatusCode::FOUND, StatusCode::TEMPORARY_REDIRECT] {
        let (app, seeded) =
            TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
        let (seen, stolen) = redirecting(status).await;
        add(&app, &seeded, webhook(format!("{}/hooks/leadline", seen.url))).await;

        let deliveries = deliver_a_lead(&app, &seeded).await;
        assert!(!deliveries.is_empty());
        for error in errors(&deliveries) {
            assert!(
                error.starts_with("redirect to http://127.0.0.1:") && error.ends_with("/… not followed"),
                "{status}: {error}"
            );
        }
        assert!(
            deliveries.iter().all(|d| d.status == DeliveryStatus::Dead),
            "{deliveries:#?}"
        );
        assert!(stolen.requests().is_empty(), "{status}: the redirect was followed");
        let requests = seen.requests();
        assert_eq!(requests.len(), deliveries.len(), "one request per delivery");
        let referers = requests.iter().filter(|r| r.headers.contains_key(header::REFERER));
        assert_eq!(referers.count(), 0, "a Referer was sent");
        app.finish().await;
    }
}

async fn a_ga4_redirect_is_not_followed_and_its_secret_stays_home(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let (seen, stolen) = redirecting(StatusCode::MOVED_PERMANENTLY).await;
    let ga4 = IntegrationConfig::Ga4 {
        measurement_id: "G-REDIRECT1".into(),
        api_secret: GA4_SECRET.into(),
        endpoint: Some(seen.url.clone()),
        debug: false,
    };
    add(&app, &seeded, ga4).await;

    let deliveries = deliver_a_lead(&app, &seeded).await;
    assert!(!seen.requests().is_empty(), "GA4 was not asked: {deliveries:#?}");
    assert!(stolen.requests().is_empty(), "the redirect was followed");
    for error in errors(&deliveries) {
        assert!(error.contains("not followed") && !error.contains(GA4_SECRET), "{error}");
    }
    app.finish().await;
}

/// This machine's name, when it resolves to addresses none of which is public (as a host
/// name of a target may come to do after the integration was added).
async fn a_name_for_this_machine() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()?
        .trim()
        .to_owned();
    let found: Vec<IpAddr> = tokio::net::lookup_host((name.as_str(), 0))
        .await
        .ok()?
        .map(|a| a.ip())
        .collect();
    let inside = !found.is_empty() && found.iter().all(|ip| !leadline_core::net::is_public(*ip));
    inside.then_some(name)
}

/// Delivers a lead to a webhook on `host` (a server on every address of this machine); the
/// errors recorded, after checking that nothing was received and every delivery is dead.
async fn refused_errors(engine: Engine, host: &str) -> Vec<String> {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let seen = recorder("0.0.0.0:0", StatusCode::OK, None).await;
    add(
        &app,
        &seeded,
        webhook(format!("http://{host}:{}/hook", seen.addr.port())),
    )
    .await;
    let deliveries = deliver_a_lead(&app, &seeded).await;
    assert!(seen.requests().is_empty(), "{host} was reached");
    assert!(
        !deliveries.is_empty() && deliveries.iter().all(|d| d.status == DeliveryStatus::Dead),
        "{deliveries:#?}"
    );
    app.finish().await;
    errors(&deliveries)
}

async fn a_host_name_that_resolves_inside_the_network_is_refused_at_delivery(engine: Engine) {
    let Some(name) = a_name_for_this_machine().await else {
        leadline_testkit::skip("this machine's name does not resolve to a private or loopback address");
        return;
    };
    for error in refused_errors(engine, &name).await {
        assert!(
            error.contains(&format!("{name} resolves to")) && error.contains("not a public address"),
            "{error}"
        );
    }
}

/// An address of this machine's network interface that is not public, if it has one.
fn a_private_address_of_this_machine() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // Connecting a UDP socket sends nothing: it only picks the interface and its address.
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !leadline_core::net::is_public(ip)).then_some(ip)
}

async fn an_address_on_a_private_network_is_refused_at_delivery(engine: Engine) {
    let Some(ip) = a_private_address_of_this_machine() else {
        leadline_testkit::skip("this machine has no private, non-loopback address");
        return;
    };
    for error in refused_errors(engine, &ip.to_string()).await {
        assert!(error.contains(&format!("{ip} is not a public address")), "{error}");
    }
}

crate::on_both_engines!(
    a_webhook_redirect_is_not_followed_and_the_body_goes_nowhere_else,
    a_ga4_redirect_is_not_followed_and_its_secret_stays_home,
    a_host_name_that_resolves_inside_the_network_is_refused_at_delivery,
    an_address_on_a_private_network_is_refused_at_delivery,
);
