//! A sale tied to one of its lead's calls or forms, from the lead page and the leads API, and
//! each sale its own GA4 purchase (a repeat customer's second purchase is not a duplicate).

use crate::ga4::{events, fake_ga4};
use crate::helpers::{Engine, Seeded, TestApp, key_for};
use crate::leads::{call, submit, visit};
use crate::operator::{PASSWORD, csrf_of, log_in, operator, page, post};
use axum::http::StatusCode;
use leadline::config::Config;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::form::{FormIdentity, Submission};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, OutboxStore};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A lead (ref 1000) with a call and a form from a Google Ads visit, and a second lead's form.
async fn two_leads(app: &TestApp, seeded: &Seeded) -> (Submission, Submission) {
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let from_ads = visit(app, site, "ga:111.222").await;
    assert_eq!(
        call(app, seeded, "CA-sale-1", Some(from_ads), 65).await.record_ref,
        1000
    );
    let identity = FormIdentity {
        visitor_key: Some("ga:111.222".into()),
        ..FormIdentity::default()
    };
    let own = submit(app, business, site, "Ann", "ann@example.com", identity).await;
    let theirs = submit(app, business, site, "Bob", "bob@example.com", FormIdentity::default()).await;
    (own, theirs)
}

async fn each_sale_names_its_call_or_form_and_reaches_ga4_as_its_own_purchase(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let ga4 = fake_ga4(StatusCode::NO_CONTENT, json!([])).await;
    let new = NewIntegration {
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
    app.store.add_integration(&new).await.unwrap();
    let (own, theirs) = two_leads(&app, &seeded).await;
    operator(&app, business, "ann@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let form_value = format!("form:{}", own.message_id.as_str());
    assert!(html.contains(r#"<option value="call:1000">Call 1000 · "#), "{html}");
    assert!(
        html.contains(&format!(r#"<option value="{form_value}">Form · "#)),
        "{html}"
    );
    let csrf = csrf_of(&html);
    for sale_for in ["call:1000", "", form_value.as_str()] {
        let sale = [("csrf", csrf.as_str()), ("revenue", "100"), ("for", sale_for)];
        let response = post(&app, &cookie, "/app/leads/1000/sales", &sale).await;
        assert_eq!(response.status(), 303, "{sale_for}");
    }
    let key = key_for(&app, business).await;
    let body = json!({"revenue": 100, "form": own.message_id.as_str()});
    let (status, answer) = crate::leads::post(&app, "/v1/leads/1000/sales", &key, body).await;
    assert_eq!(status, 200, "{answer}");

    let lead = app.store.lead(business, 1000).await.unwrap();
    let sales: Vec<Value> = app
        .store
        .lead_activities(business, lead.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.detail)
        .collect();
    assert_eq!(sales.len(), 4);
    assert_eq!((&sales[0]["call_ref"], &sales[0]["form"]), (&json!(1000), &Value::Null));
    assert_eq!((&sales[1]["call_ref"], &sales[1]["form"]), (&Value::Null, &Value::Null));
    assert_eq!(sales[2]["form"], own.message_id.as_str());
    assert_eq!(sales[3]["form"], own.message_id.as_str());
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert!(html.contains(r##"<a href="#call-1000">For call 1000</a>"##), "{html}");
    assert!(html.contains(&format!(
        r##"<a href="#form-{}">For the form</a>"##,
        own.message_id.as_str()
    )));
    assert!(html.contains("Sale recorded for it"), "the call links back to its sale");
    assert_eq!(
        theirs.lead_id,
        app.store.lead_by_id(business, theirs.lead_id).await.unwrap().id
    );

    let settings = Settings::from_config(&crate::helpers::local_config());
    let worker = Worker::new(Arc::new(app.store.clone()), Arc::new(Metrics::new()), settings)
        .unwrap()
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    let purchases = loop {
        let purchases: Vec<Value> = events(&ga4)
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e["name"] == "purchase")
            .collect();
        if purchases.len() == 4 {
            break purchases;
        }
        assert!(Instant::now() < deadline, "{purchases:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ids: BTreeSet<String> = purchases
        .iter()
        .map(|p| p["params"]["transaction_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4, "one transaction per sale: {ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("1000-ev_")), "{ids:?}");
    worker.abort();
    app.finish().await;
}

async fn a_sale_for_another_lead_s_call_or_form_is_refused_and_records_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (own, theirs) = two_leads(&app, &seeded).await;
    operator(&app, business, "ann@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let csrf = csrf_of(&html);
    let their_form = format!("form:{}", theirs.message_id.as_str());
    for (sale_for, reason) in [
        (their_form.as_str(), "is not a form of this lead"),
        ("call:4242", "call 4242 is not a call of this lead"),
        ("form:m_nope", "message id"),
        ("visit:1", "is not one of this lead"),
    ] {
        let sale = [("csrf", csrf.as_str()), ("revenue", "100"), ("for", sale_for)];
        let response = post(&app, &cookie, "/app/leads/1000/sales", &sale).await;
        assert_eq!(response.status(), 400, "{sale_for}");
        let html = response.text().await.unwrap();
        assert!(html.contains(reason), "{sale_for}: {html}");
    }
    let no_token = [("revenue", "100"), ("for", "call:1000")];
    assert_eq!(
        post(&app, &cookie, "/app/leads/1000/sales", &no_token).await.status(),
        422
    );

    let key = key_for(&app, business).await;
    for (body, reason) in [
        (
            json!({"revenue": 1, "form": theirs.message_id.as_str()}),
            "is not a form of this lead",
        ),
        (json!({"revenue": 1, "form": "m_bad"}), "message id"),
        (
            json!({"revenue": 1, "form": own.message_id.as_str(), "call": 1000}),
            "one call or one form, not both",
        ),
    ] {
        let (status, answer) = crate::leads::post(&app, "/v1/leads/1000/sales", &key, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(reason), "{body}: {answer}");
    }
    let other = app.add_business("other", "Other").await;
    let their_key = key_for(&app, other.id).await;
    let body = json!({"revenue": 1, "form": own.message_id.as_str()});
    let (status, _) = crate::leads::post(&app, "/v1/leads/1000/sales", &their_key, body).await;
    assert_eq!(status, 404, "another business's lead");
    let lead = app.store.lead(business, 1000).await.unwrap();
    assert!(lead.totals.is_empty(), "nothing was recorded");
    assert!(app.store.lead_activities(business, lead.id).await.unwrap().is_empty());
    app.finish().await;
}

crate::on_both_engines!(
    each_sale_names_its_call_or_form_and_reaches_ga4_as_its_own_purchase,
    a_sale_for_another_lead_s_call_or_form_is_refused_and_records_nothing,
);
