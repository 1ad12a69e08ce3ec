//! Ad click ids are visitor-controlled text: one that is not a click id (a spreadsheet formula,
//! say) is dropped where it is captured (the landing page's query, a form's hidden field),
//! counted, and never stored nor exported; the visit and the form are still taken.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::form::Submission;
use leadline_core::lead::LeadFilter;
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, VisitStore};
use leadline_core::visit::VisitRef;
use serde_json::Value;

/// A formula that runs a program when a spreadsheet opens the cell (the probe's payload).
const GCLID_FORMULA: &str = "=cmd|'/C calc'!A0";
/// The same, as a Microsoft click id (no space: a form field took only printable ASCII).
const MSCLKID_FORMULA: &str = "+cmd|'/Ccalc'!A0";

/// Posts the browser's form for `visit`, carrying `fields` besides the snippet's own.
async fn form_of_visit(app: &TestApp, seeded: &Seeded, visit: &Value, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("leadline_site", seeded.site.key.as_str()),
        ("leadline_visit", visit["visit"].as_str().unwrap()),
        ("leadline_token", visit["token"].as_str().unwrap()),
    ];
    form.extend_from_slice(fields);
    app.client
        .post(format!("{}/v1/forms", app.base_url))
        .header("origin", "http://localhost")
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The submissions of the business's only lead.
async fn submissions_of(app: &TestApp, seeded: &Seeded) -> Vec<Submission> {
    let business = seeded.site.business_id;
    let filter = LeadFilter {
        limit: 10,
        ..LeadFilter::default()
    };
    let leads = app.store.list_leads(business, &filter).await.unwrap().leads;
    assert_eq!(leads.len(), 1);
    app.store.lead_submissions(business, leads[0].id).await.unwrap()
}

async fn a_formula_posing_as_a_click_id_is_dropped_and_never_exported(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let landing = url::Url::parse_with_params("http://localhost/sofas", [("gclid", GCLID_FORMULA)]).unwrap();
    let visit = app.register_visit(&seeded, landing.as_str()).await;
    assert_eq!(
        visit["code"], "1",
        "the visitor is not at fault: the visit is registered"
    );

    let sent = form_of_visit(
        &app,
        &seeded,
        &visit,
        &[("leadline_msclkid", MSCLKID_FORMULA), ("email", "ann@example.com")],
    )
    .await;
    assert_eq!(sent.status(), 201, "the form is kept: {}", sent.text().await.unwrap());

    let visit_ref = VisitRef::parse(visit["visit"].as_str().unwrap()).unwrap();
    let stored = app.store.visit(seeded.site.id, &visit_ref).await.unwrap();
    assert_eq!(stored.click_ids.gclid, None, "never stored");
    assert_eq!(
        (stored.attribution.source.as_str(), stored.attribution.medium.as_str()),
        ("(direct)", "(none)"),
        "a junk click id is no evidence of an ad click"
    );
    let submissions = submissions_of(&app, &seeded).await;
    assert_eq!(submissions[0].identity.click_ids.msclkid, None, "never stored");

    for path in [
        "/v1/exports/google-ads.csv?include_unmarked=true",
        "/v1/exports/microsoft-ads.csv?include_unmarked=true",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base_url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(!body.contains("cmd|"), "{path}: {body}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for param in ["gclid", "msclkid"] {
        let line = format!(r#"leadline_click_ids_dropped_total{{param="{param}"}} 1"#);
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
    app.finish().await;
}

async fn real_click_ids_are_kept_from_the_page_and_the_form(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let gclid = "Cj0KCQiA-abc_123";
    let visit = app
        .register_visit(&seeded, &format!("http://localhost/sofas?gclid={gclid}"))
        .await;
    let msclkid = "5f2b8c1e0a7d4e9f8a1b2c3d4e5f6a7b";
    let sent = form_of_visit(&app, &seeded, &visit, &[("leadline_msclkid", msclkid)]).await;
    assert_eq!(sent.status(), 201);
    let visit_ref = VisitRef::parse(visit["visit"].as_str().unwrap()).unwrap();
    let stored = app.store.visit(seeded.site.id, &visit_ref).await.unwrap();
    assert_eq!(stored.click_ids.gclid.as_ref().map(|id| id.as_str()), Some(gclid));
    let submissions = submissions_of(&app, &seeded).await;
    let kept = submissions[0].identity.click_ids.msclkid.as_ref().map(|id| id.as_str());
    assert_eq!(kept, Some(msclkid));
    app.finish().await;
}

crate::on_both_engines!(
    a_formula_posing_as_a_click_id_is_dropped_and_never_exported,
    real_click_ids_are_kept_from_the_page_and_the_form,
);
