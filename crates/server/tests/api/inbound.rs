//! Operators' replies by SMS (`POST /twilio/sms`, signed like every provider request): a note
//! on a record, a sale in the keyword form that reaches a local GA4 as `purchase`, and the
//! refusals (a wrong signature, a stranger's number, an unknown ref) that change nothing.

use crate::ga4::{fake_ga4, wait_for_event};
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use axum::http::StatusCode;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::BusinessId;
use leadline_core::lead::{Activity, ActivityKind};
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::secret::NewPassword;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, OutboxStore, UserStore};
use leadline_core::tenant::{NewUser, Role};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ann's phone: a destination of the seeded business.
pub const ANN_PHONE: &str = "+12025550111";
/// Ann's e-mail, added as a user of the seeded business.
pub const ANN_EMAIL: &str = "ann@example.com";

/// Adds Ann as a user (an operator) of the seeded business.
pub async fn seed_operator(app: &TestApp, seeded: &Seeded) {
    let user = NewUser {
        business_id: seeded.site.business_id,
        email: Email::parse(ANN_EMAIL).unwrap(),
        name: Name::parse_as("name", "Ann").unwrap(),
        role: Role::Operator,
        password_hash: NewPassword::parse("correct horse battery staple").unwrap().hash(),
    };
    app.store.create_user(&user).await.unwrap();
}

/// A call from `from` through the sandbox phone, after a visit (with a GA cookie); its ref.
pub async fn place_call(app: &TestApp, seeded: &Seeded, from: &str) -> u64 {
    let now = chrono::Utc::now().timestamp();
    let visit = json!({
        "site": seeded.site.key.as_str(),
        "url": "http://localhost/?utm_source=google&utm_medium=cpc",
        "ga": "GA1.1.1234567890.1764300000",
        "ga_streams": { "_ga_DEMO123": format!("GS2.1.s{}$o1$g1$t{now}", now - 60) },
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
    app.demo_call(from, &registered["code"], false).await;
    let calls = app.store.recent_calls(seeded.site.business_id, 1).await.unwrap();
    calls[0].record_ref
}

/// The activities of the record with this ref.
pub async fn activities(app: &TestApp, business: BusinessId, record_ref: u64) -> Vec<Activity> {
    let lead = app.store.lead(business, record_ref).await.unwrap();
    app.store.lead_activities(business, lead.id).await.unwrap()
}

/// The notes and sales of the record.
pub async fn replies(app: &TestApp, business: BusinessId, record_ref: u64) -> Vec<Activity> {
    activities(app, business, record_ref)
        .await
        .into_iter()
        .filter(|a| matches!(a.kind, ActivityKind::Note | ActivityKind::Sale))
        .collect()
}

/// Posts an SMS as Twilio does, signed with `token`; the status and the `<Message>` text.
pub(crate) async fn sms(app: &TestApp, from: &str, body: &str, token: &str) -> (u16, String) {
    let url = format!("{}/twilio/sms", app.base_url);
    let params: Vec<(String, String)> = [
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("AccountSid", "AC1"),
        ("From", from),
        ("To", "+12025550100"),
        ("Body", body),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signature = leadline_core::twilio::signature(token, &url, &params);
    let response = app
        .client
        .post(&url)
        .header("x-twilio-signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let message = roxmltree::Document::parse(&text)
        .ok()
        .and_then(|doc| {
            doc.descendants()
                .find(|n| n.has_tag_name("Message"))
                .map(|n| n.text().unwrap_or("").to_owned())
        })
        .unwrap_or(text);
    (status, message)
}

async fn an_sms_note_lands_on_the_record(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let record = place_call(&app, &seeded, "+12025550169").await;

    let (status, reply) = sms(&app, ANN_PHONE, &format!("{record} Wants blue velvet"), AUTH_TOKEN).await;
    assert_eq!(status, 200);
    assert_eq!(reply, format!("Note added to {record}."));
    let notes = replies(&app, business, record).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].author.as_str(), format!("sms:{ANN_PHONE}"));
    assert!(
        notes[0].detail.to_string().contains("Wants blue velvet"),
        "{:?}",
        notes[0].detail
    );
    app.finish().await;
}

async fn refused_sms_change_nothing(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let record = place_call(&app, &seeded, "+12025550169").await;

    let (status, _) = sms(&app, ANN_PHONE, &format!("{record} forged"), "not-the-auth-token").await;
    assert_eq!(status, 403, "a wrong signature");
    let (status, reply) = sms(&app, "+12025550199", &format!("{record} a stranger"), AUTH_TOKEN).await;
    assert_eq!(status, 200);
    assert!(reply.contains("not an operator"), "{reply}");
    let (_, reply) = sms(&app, ANN_PHONE, "987654 unknown ref", AUTH_TOKEN).await;
    assert!(reply.contains("No record 987654"), "{reply}");
    let (_, reply) = sms(&app, ANN_PHONE, "[PHONE] 202-555-0177 [REVENUE] 10", AUTH_TOKEN).await;
    assert!(reply.contains("No call from"), "{reply}");
    let (_, reply) = sms(&app, ANN_PHONE, "[PHONE] 202-555-0169 [REVNUE] 10", AUTH_TOKEN).await;
    assert!(!reply.is_empty() && !reply.contains("recorded"), "{reply}");
    assert!(replies(&app, business, record).await.is_empty());
    app.finish().await;
}

async fn an_sms_sale_lands_on_the_newest_call_and_reaches_ga4_as_purchase(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let ga4 = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let integration = NewIntegration {
        business_id: business,
        site_id: Some(seeded.site.id),
        name: "GA4".into(),
        config: IntegrationConfig::Ga4 {
            measurement_id: "G-DEMO123".into(),
            api_secret: "demo-secret".into(),
            endpoint: Some(ga4.url.clone()),
            debug: false,
        },
    };
    app.store.add_integration(&integration).await.unwrap();
    let older = place_call(&app, &seeded, "+12025550169").await;
    let newest = place_call(&app, &seeded, "+12025550169").await;
    assert_ne!(older, newest);
    let worker = Worker::new(
        Arc::new(app.store.clone()),
        Arc::new(Metrics::new()),
        Settings::from_config(&crate::helpers::local_config()),
    )
    .unwrap()
    .spawn();

    let text = "[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500";
    let (status, reply) = sms(&app, ANN_PHONE, text, AUTH_TOKEN).await;
    assert_eq!(status, 200);
    assert_eq!(reply, format!("Sale of 1,000.00 USD recorded on call {newest}."));
    let sales = replies(&app, business, newest).await;
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert_eq!(sales[0].kind, ActivityKind::Sale);
    assert_eq!(sales[0].author.as_str(), format!("sms:{ANN_PHONE}"));
    assert_eq!(sales[0].detail["call_ref"], newest, "{}", sales[0].detail);
    assert_eq!(sales[0].detail["revenue_minor"], 100_000, "{}", sales[0].detail);
    assert_eq!(sales[0].detail["profit_minor"], 50_000, "{}", sales[0].detail);

    let deadline = Instant::now() + Duration::from_secs(30);
    let (_, purchase) = wait_for_event(&ga4, "purchase", deadline).await;
    assert_eq!(purchase["client_id"], "1234567890.1764300000", "the original visitor");
    assert_eq!(purchase["params"]["currency"], "USD");
    assert_eq!(purchase["params"]["value"].as_f64(), Some(1000.0), "{purchase}");
    assert_eq!(purchase["params"]["profit"].as_f64(), Some(500.0), "{purchase}");
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(
    an_sms_note_lands_on_the_record,
    refused_sms_change_nothing,
    an_sms_sale_lands_on_the_newest_call_and_reaches_ga4_as_purchase,
);
