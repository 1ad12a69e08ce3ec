//! API keys in Settings (shown once, revoked from the page), and every form of people and
//! access refusing a post without the session's token or from another site, changing nothing.

use crate::helpers::{Engine, TestApp, key_for};
use crate::operator::{PASSWORD, client, csrf_of, log_in, page, post, user};
use crate::people::user_id;
use leadline::config::Config;
use leadline_core::access::AccessStore;
use leadline_core::site::SiteSettings;
use leadline_core::store::{ApiKeyStore, UserStore};
use leadline_core::tenant::Role;

async fn leads_status(app: &TestApp, key: &str) -> u16 {
    let answer = client()
        .get(format!("{}/v1/leads", app.base_url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

async fn an_owner_creates_a_key_seen_once_and_revokes_it(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    user(&app, acme, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings/api-keys").await;
    assert_eq!(status, 200);
    assert!(html.contains("No API key yet"), "{html}");
    let csrf = csrf_of(&html);

    let empty = post(
        &app,
        &cookie,
        "/app/settings/api-keys",
        &[("csrf", &csrf), ("name", "  ")],
    )
    .await;
    assert_eq!(empty.status(), 400);
    assert!(empty.text().await.unwrap().contains(r#"id="name-error""#));
    assert!(
        app.store.list_api_keys(acme).await.unwrap().is_empty(),
        "nothing issued"
    );

    let answer = post(
        &app,
        &cookie,
        "/app/settings/api-keys",
        &[("csrf", &csrf), ("name", "CRM sync")],
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let html = answer.text().await.unwrap();
    let start = html.find("value=\"ll_").expect("the key, once") + "value=\"".len();
    let key: String = html[start..].split('"').next().unwrap().to_owned();
    assert_eq!(leads_status(&app, &key).await, 200, "the key works");
    let (_, list) = page(&app, &cookie, "/app/settings/api-keys").await;
    assert!(
        list.contains("CRM sync") && !list.contains(&key),
        "never shown again: {list}"
    );

    let id = app.store.list_api_keys(acme).await.unwrap()[0].id;
    let revoke = format!("/app/settings/api-keys/{id}/revoke");
    assert_eq!(post(&app, &cookie, &revoke, &[("csrf", &csrf)]).await.status(), 303);
    assert_eq!(leads_status(&app, &key).await, 401, "revoked");
    assert!(
        page(&app, &cookie, "/app/settings/api-keys")
            .await
            .1
            .contains("revoked")
    );

    user(&app, acme, "otto@example.com", Role::Operator).await;
    let operator = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    for path in ["/app/settings/api-keys", "/app/settings/users"] {
        assert_eq!(page(&app, &operator, path).await.0, 404, "{path}: owners only");
    }
    app.finish().await;
}

async fn every_form_of_people_and_access_refuses_a_missing_token_or_another_origin(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    user(&app, acme, "olive@example.com", Role::Owner).await;
    user(&app, acme, "otto@example.com", Role::Operator).await;
    let rival = app.add_business("rival", "Rival Co").await;
    let olive = user_id(&app, "olive@example.com").await;
    app.store.add_membership(olive, rival.id, Role::Owner).await.unwrap();
    let otto = user_id(&app, "otto@example.com").await;
    key_for(&app, acme).await;
    let key = app.store.list_api_keys(acme).await.unwrap()[0].id;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let csrf = csrf_of(&page(&app, &cookie, "/app/settings/users").await.1);
    let rival_id = rival.id.to_string();

    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/app/settings/users".into(),
            vec![("name", "Nina"), ("email", "nina@example.com"), ("role", "owner")],
        ),
        (format!("/app/settings/users/{otto}/role"), vec![("role", "owner")]),
        (format!("/app/settings/users/{otto}/remove"), vec![]),
        ("/app/settings/api-keys".into(), vec![("name", "Another")]),
        (format!("/app/settings/api-keys/{key}/revoke"), vec![]),
        ("/app/business".into(), vec![("business", rival_id.as_str())]),
    ];
    for (path, fields) in &forms {
        let mut forged = vec![("csrf", "forged")];
        forged.extend(fields.iter().copied());
        assert_eq!(
            post(&app, &cookie, path, &forged).await.status(),
            403,
            "{path} without the token"
        );
        let mut good = vec![("csrf", csrf.as_str())];
        good.extend(fields.iter().copied());
        let foreign = client()
            .post(format!("{}{path}", app.base_url))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403, "{path} from another site");
    }
    let members = app.store.list_users(acme).await.unwrap();
    let roles: Vec<_> = members.iter().map(|u| (u.id, u.role)).collect();
    assert_eq!(roles, [(olive, Role::Owner), (otto, Role::Operator)], "nothing changed");
    let keys = app.store.list_api_keys(acme).await.unwrap();
    assert!(keys.len() == 1 && keys[0].revoked_at.is_none());
    let (_, html) = page(&app, &cookie, "/app/leads").await;
    assert!(html.contains(&format!("<strong>{}</strong>", seeded_business_name(&app, acme).await)));
    app.finish().await;
}

async fn seeded_business_name(app: &TestApp, business: leadline_core::BusinessId) -> String {
    leadline_core::store::BusinessStore::business(&app.store, business)
        .await
        .unwrap()
        .name
        .to_string()
}

crate::on_both_engines!(
    an_owner_creates_a_key_seen_once_and_revokes_it,
    every_form_of_people_and_access_refuses_a_missing_token_or_another_origin,
);
