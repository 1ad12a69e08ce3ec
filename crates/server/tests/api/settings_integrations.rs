//! Settings → Integrations: an owner turns an integration off and on and sends a dead delivery
//! again from the browser; nobody else can, and nothing changes without the form's token.

use crate::crm::submits;
use crate::helpers::{Engine, TestApp, delivering_by_hand};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline_core::outbox::{DeliveryOutcome, DeliveryStatus, Integration, IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use leadline_core::tenant::Role;

async fn webhook(app: &TestApp, business: leadline_core::BusinessId) -> Integration {
    let new = NewIntegration {
        business_id: business,
        site_id: None,
        name: "Ops hook".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.acme.example/leadline".into(),
            secret: "a webhook secret of enough length".into(),
        },
    };
    app.store.add_integration(&new).await.unwrap()
}

/// A delivery of the business that died, with its reason.
async fn dead_delivery(app: &TestApp) -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = app.store.claim_deliveries(now, 60_000, 10).await.unwrap();
    let first = claimed.first().expect("a delivery to claim");
    let dead = DeliveryOutcome::Dead {
        error: "the hook answered 410 Gone".into(),
    };
    assert!(
        app.store
            .finish_delivery(first.id, &first.lease_token, &dead)
            .await
            .unwrap()
    );
    first.id
}

async fn status_of(app: &TestApp, business: leadline_core::BusinessId, id: i64) -> DeliveryStatus {
    let all = app.store.list_deliveries(Some(business), None, 50).await.unwrap();
    all.iter().find(|d| d.id == id).unwrap().status
}

async fn an_owner_switches_integrations_and_sends_a_dead_delivery_again(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let hook = webhook(&app, business).await;
    submits(&app, &seeded, "Bea Ray", "bea@example.com").await;
    let dead = dead_delivery(&app).await;
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();

    let (status, html) = page(&app, &cookie, "/app/settings/integrations").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Ops hook") && html.contains("the hook answered 410 Gone"),
        "{html}"
    );
    assert!(html.contains(&format!("Send delivery {dead} again")));
    let csrf = csrf_of(&html);

    let path = format!("/app/settings/integrations/{}/enabled", hook.id.0);
    let without_token = post(&app, &cookie, &path, &[("enabled", "off")]).await;
    assert_eq!(without_token.status(), 403);
    assert!(
        app.store.integrations(business).await.unwrap()[0].enabled,
        "nothing changed"
    );
    let bad = post(&app, &cookie, &path, &[("csrf", &csrf), ("enabled", "maybe")]).await;
    assert_eq!(bad.status(), 400);
    let off = post(&app, &cookie, &path, &[("csrf", &csrf), ("enabled", "off")]).await;
    assert_eq!(off.status(), 303);
    assert!(!app.store.integrations(business).await.unwrap()[0].enabled);
    post(&app, &cookie, &path, &[("csrf", &csrf), ("enabled", "on")]).await;
    assert!(app.store.integrations(business).await.unwrap()[0].enabled);

    let retry = format!("/app/settings/deliveries/{dead}/retry");
    assert_eq!(post(&app, &cookie, &retry, &[]).await.status(), 403);
    assert_eq!(status_of(&app, business, dead).await, DeliveryStatus::Dead);
    assert_eq!(post(&app, &cookie, &retry, &[("csrf", &csrf)]).await.status(), 303);
    assert_eq!(status_of(&app, business, dead).await, DeliveryStatus::Pending);

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let rex = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    let (_, theirs) = page(&app, &rex, "/app/settings/integrations").await;
    assert!(!theirs.contains("Ops hook"), "{theirs}");
    let rex_csrf = csrf_of(&theirs);
    assert_eq!(
        post(&app, &rex, &path, &[("csrf", &rex_csrf), ("enabled", "off")])
            .await
            .status(),
        404
    );
    assert!(app.store.integrations(business).await.unwrap()[0].enabled);
    assert_eq!(post(&app, &rex, &retry, &[("csrf", &rex_csrf)]).await.status(), 404);

    user(&app, business, "otto@example.com", Role::Operator).await;
    let otto = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &otto, "/app/settings/integrations").await.0, 404);
    assert_eq!(
        post(&app, &otto, &path, &[("csrf", &csrf), ("enabled", "off")])
            .await
            .status(),
        404
    );
    app.finish().await;
}

crate::on_both_engines!(an_owner_switches_integrations_and_sends_a_dead_delivery_again);
