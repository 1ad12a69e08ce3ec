//! The audit log of a running server: a change made on a page is recorded with the user and
//! the client's address (behind the trusted proxy's header), one through the API with its key,
//! a reply by SMS or e-mail with its sender and no address, a CRM pull as the integration;
//! owners read it on Settings › Audit log and through `GET /v1/audit`, a stranger business and
//! an operator never do, and the retention sweep prunes entries past their time.

use crate::crm_fakes::FakeSalesforce;
use crate::helpers::{Engine, Seeded, TestApp, key_for};
use crate::inbound::{ANN_EMAIL, ANN_PHONE, place_call, sms};
use crate::leads::{get, post as api_post};
use crate::operator::{PASSWORD, client, csrf_of, log_in, operator, page, user};
use crate::settings_setup::owner;
use chrono::{Duration, Utc};
use leadline::config::Config;
use leadline::outbox::Cache;
use leadline::outbox::pull::pull_once;
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditEntry, AuditQuery, AuditStore, AuditSubject, NewAuditEntry};
use leadline_core::lead::Author;
use leadline_core::net::Reach;
use leadline_core::site::SiteSettings;
use leadline_core::tenant::Role;
use serde_json::json;

/// The business's newest entries, read from the store.
async fn entries(app: &TestApp, business: BusinessId) -> Vec<AuditEntry> {
    app.store
        .audit_log(business, &AuditQuery::newest(50))
        .await
        .unwrap()
        .entries
}

/// An entry written straight to the store, `days_ago` days back.
async fn old_entry(app: &TestApp, business: BusinessId, days_ago: i64, subject: &str) {
    let entry = NewAuditEntry {
        at: Utc::now() - Duration::days(days_ago),
        actor: Author::from_stored("user:olive@example.com"),
        address: Some("192.0.2.1".parse().unwrap()),
        action: AuditAction::SiteUpdated,
        subject: AuditSubject::of("site", subject),
        detail: AuditDetail::new("Shop"),
    };
    app.store.append_audit(business, &entry).await.unwrap();
}

async fn spawn(engine: Engine, config: Config) -> (TestApp, Seeded) {
    TestApp::spawn_site(engine, config, SiteSettings::default()).await
}

async fn a_change_made_on_a_page_records_the_user_and_the_clients_address(engine: Engine) {
    let config = Config {
        client_ip_header: Some("x-real-ip".into()),
        ..Config::default()
    };
    let (app, seeded) = spawn(engine, config).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (_, html) = page(&app, &cookie, "/app/settings/api-keys").await;
    let response = client()
        .post(format!("{}/app/settings/api-keys", app.base_url))
        .header("cookie", &cookie)
        .header("origin", app.base_url.as_str())
        .header("x-real-ip", "198.51.100.23")
        .form(&[("csrf", csrf_of(&html).as_str()), ("name", "CRM sync")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let recorded = entries(&app, business).await;
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    let entry = &recorded[0];
    assert_eq!(entry.actor.as_str(), "user:olive@example.com");
    assert_eq!(entry.address, Some("198.51.100.23".parse().unwrap()));
    assert_eq!(entry.action, AuditAction::ApiKeyCreated);
    assert_eq!(entry.detail.as_str(), "CRM sync");
    assert!(!entry.detail.as_str().contains("ll_"), "never the key");

    let (status, html) = page(&app, &cookie, "/app/settings/audit").await;
    assert_eq!(status, 200);
    assert!(html.contains("user:olive@example.com"), "{html}");
    assert!(
        html.contains("198.51.100.23") && html.contains("<code>api_key.created</code>"),
        "{html}"
    );
    let (_, settings) = page(&app, &cookie, "/app/settings").await;
    assert!(
        settings.contains(r#"href="/app/settings/audit""#),
        "linked from Settings"
    );
    app.finish().await;
}

async fn a_change_through_the_api_records_the_api_key(engine: Engine) {
    let (app, seeded) = spawn(engine, Config::default()).await;
    let business = seeded.site.business_id;
    let key = key_for(&app, business).await;
    let record = crate::operator::seeded_lead(&app, &seeded).await;
    let path = format!("/v1/leads/{record}/status");
    let (status, lead) = api_post(&app, &path, &key, json!({"status": "qualified"})).await;
    assert_eq!(status, 200, "{lead}");

    let (status, log) = get(&app, "/v1/audit", &key).await;
    assert_eq!(status, 200, "{log}");
    let entry = &log["entries"][0];
    assert_eq!(entry["actor"], format!("api-key:{}", key.prefix));
    assert_eq!(entry["action"], "lead.status_changed");
    assert_eq!(entry["subject"], format!("lead {record}"));
    assert!(entry["detail"].as_str().unwrap().ends_with("→ qualified"), "{entry}");
    assert_eq!(entry["address"], "127.0.0.1");
    assert_eq!(log["next_before"], serde_json::Value::Null);

    let (status, filtered) = get(&app, "/v1/audit?action=site.updated", &key).await;
    assert_eq!((status, filtered["entries"].as_array().unwrap().len()), (200, 0));
    let (status, refused) = get(&app, "/v1/audit?limit=0", &key).await;
    assert_eq!(status, 400);
    assert!(refused["error"].as_str().unwrap().contains("limit"), "{refused}");
    app.finish().await;
}

async fn the_api_pages_through_the_log_newest_first(engine: Engine) {
    let (app, seeded) = spawn(engine, Config::default()).await;
    let business = seeded.site.business_id;
    let key = key_for(&app, business).await;
    for n in 0..3 {
        old_entry(&app, business, 3 - n, &n.to_string()).await;
    }
    let (_, first) = get(&app, "/v1/audit?limit=2", &key).await;
    let subjects = |page: &serde_json::Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(subjects(&first), ["site 2", "site 1"]);
    let next = first["next_before"].as_str().unwrap();
    let (_, second) = get(&app, &format!("/v1/audit?limit=2&before={next}"), &key).await;
    assert_eq!(subjects(&second), ["site 0"]);
    assert_eq!(second["next_before"], serde_json::Value::Null);
    app.finish().await;
}

async fn a_reply_by_sms_records_its_sender_and_no_address(engine: Engine) {
    let (app, seeded) = spawn(engine, crate::helpers::delivering_by_hand()).await;
    let business = seeded.site.business_id;
    let record = place_call(&app, &seeded, "+12025550169").await;
    let (status, _) = sms(
        &app,
        ANN_PHONE,
        &format!("{record} Wants blue velvet"),
        crate::helpers::AUTH_TOKEN,
    )
    .await;
    assert_eq!(status, 200);

    let recorded = entries(&app, business).await;
    let entry = recorded
        .iter()
        .find(|e| e.action == AuditAction::LeadNoteAdded)
        .unwrap_or_else(|| panic!("{recorded:#?}"));
    assert_eq!(entry.actor.as_str(), format!("sms:{ANN_PHONE}"));
    assert_eq!(entry.address, None, "a reply by SMS has no client address");
    assert_eq!(entry.subject.as_str(), format!("lead {record}"));
    assert!(
        !entry.detail.as_str().contains("velvet"),
        "a note's text stays on the lead"
    );
    app.finish().await;
}

async fn a_reply_by_email_records_its_sender_and_no_address(engine: Engine) {
    let (app, seeded, record) = crate::inbound_email::spawn(engine).await;
    let business = seeded.site.business_id;
    let form = reqwest::multipart::Form::new()
        .text("from", format!("Ann Operator <{ANN_EMAIL}>"))
        .text("to", "replies@leadline.test")
        .text("subject", format!("RE: [Leadline] Call {record}"))
        .text("text", "Call back on Wednesday")
        .text(
            "envelope",
            json!({"to": ["replies@leadline.test"], "from": ANN_EMAIL}).to_string(),
        );
    let (status, body) = crate::inbound_email::post_sendgrid(&app, crate::inbound_email::TOKEN, form).await;
    assert_eq!((status, &body["recorded"]), (200, &json!(true)), "{body}");

    let recorded = entries(&app, business).await;
    let entry = &recorded[0];
    assert_eq!(entry.actor.as_str(), format!("email:{ANN_EMAIL}"));
    assert_eq!(entry.action, AuditAction::LeadNoteAdded);
    assert_eq!(entry.subject.as_str(), format!("lead {record}"));
    assert_eq!(
        entry.address, None,
        "the mail provider's post is not the sender's address"
    );
    app.finish().await;
}

async fn a_status_pulled_from_the_crm_is_recorded_as_the_integrations_change(engine: Engine) {
    let (app, seeded) = crate::crm::spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = crate::crm::add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let http = leadline::egress::client(crate::crm::TIMEOUT, Reach::PublicAndLoopback);
    let call = crate::leads::call(&app, &seeded, "CA-audit-sf", None, 95).await;
    crate::crm::deliver(&app, &cache, &integration, crate::crm::TIMEOUT).await;
    let (id, _) = sf.only_lead();
    sf.salesperson_sets_status(&id, "Closed - Converted");
    assert_eq!(
        pull_once(&app.store, &http, &cache, crate::crm::TIMEOUT).await.unwrap(),
        1
    );

    let recorded = entries(&app, business).await;
    let entry = &recorded[0];
    assert_eq!(entry.actor.as_str(), "salesforce");
    assert_eq!(entry.action, AuditAction::LeadStatusChanged);
    assert_eq!(entry.subject.as_str(), format!("lead {}", call.record_ref));
    assert!(entry.detail.as_str().ends_with("→ converted"), "{entry:?}");
    assert_eq!(entry.address, None, "an integration's pull has no client address");
    app.finish().await;
}

async fn one_business_never_sees_anothers_entries_on_the_page_or_through_the_api(engine: Engine) {
    let (app, seeded) = spawn(engine, Config::default()).await;
    let business = seeded.site.business_id;
    old_entry(&app, business, 1, "secret-shop").await;
    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rita@example.com", Role::Owner).await;
    let rival_cookie = log_in(&app, "rita@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &rival_cookie, "/app/settings/audit").await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("secret-shop") && html.contains("No change recorded"),
        "{html}"
    );
    let rival_key = key_for(&app, rival.id).await;
    let (status, log) = get(&app, "/v1/audit", &rival_key).await;
    assert_eq!((status, log["entries"].as_array().unwrap().len()), (200, 0), "{log}");
    // Nor with a cursor past the other business's entries.
    let (_, log) = get(&app, "/v1/audit?before=1000000", &rival_key).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 0, "{log}");
    app.finish().await;
}

async fn an_operator_cannot_read_the_audit_log_and_nobody_without_a_key_can(engine: Engine) {
    let (app, seeded) = spawn(engine, Config::default()).await;
    let business = seeded.site.business_id;
    old_entry(&app, business, 1, "3").await;
    operator(&app, business, "otto@example.com").await;
    let cookie = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings/audit").await;
    assert_eq!(status, 404);
    assert!(!html.contains("site 3"), "{html}");
    let response = app.get("/v1/audit").await;
    assert_eq!(response.status(), 401);
    app.finish().await;
}

async fn the_retention_sweep_prunes_audit_entries_past_their_time(engine: Engine) {
    let config = Config {
        retention_sweep_seconds: 1,
        ..Config::default()
    };
    let (app, seeded) = spawn(engine, config).await;
    let business = seeded.site.business_id;
    old_entry(&app, business, 400, "old").await;
    old_entry(&app, business, 30, "recent").await;
    let pruned = async {
        loop {
            let left = entries(&app, business).await;
            if left.len() == 1 {
                return left;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let left = tokio::time::timeout(std::time::Duration::from_secs(30), pruned)
        .await
        .expect("the sweep pruned the old entry");
    assert_eq!(left[0].subject.as_str(), "site recent", "the default keeps a year");
    crate::retention::counted(&app, &[r#"leadline_retention_pruned_total{kind="audit"} 1"#]).await;
    app.finish().await;
}

crate::on_both_engines!(
    a_change_made_on_a_page_records_the_user_and_the_clients_address,
    a_change_through_the_api_records_the_api_key,
    the_api_pages_through_the_log_newest_first,
    a_reply_by_sms_records_its_sender_and_no_address,
    a_reply_by_email_records_its_sender_and_no_address,
    a_status_pulled_from_the_crm_is_recorded_as_the_integrations_change,
    one_business_never_sees_anothers_entries_on_the_page_or_through_the_api,
    an_operator_cannot_read_the_audit_log_and_nobody_without_a_key_can,
    the_retention_sweep_prunes_audit_entries_past_their_time,
);
