//! Routing rules as the provider sees them: whom the `<Dial>` rings.

use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::routing::{Condition, Rule};
use leadline_core::site::SiteSettings;
use leadline_core::store::RoutingStore;
use serde_json::{Value, json};

const TRACKING: &str = "+12025550100";

fn sign(url: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    leadline_core::twilio::signature(AUTH_TOKEN, url, &owned)
}

async fn provider(app: &TestApp, url: &str, params: &[(&str, &str)]) -> roxmltree::Document<'static> {
    let response = app
        .client
        .post(url)
        .header("x-twilio-signature", sign(url, params))
        .form(params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text: &'static str = Box::leak(response.text().await.unwrap().into_boxed_str());
    roxmltree::Document::parse(text).unwrap()
}

pub(crate) fn rung(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("Number"))
        .filter_map(|n| n.text().map(str::to_owned))
        .collect()
}

fn attr(doc: &roxmltree::Document<'_>, tag: &str, name: &str) -> String {
    doc.descendants()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.attribute(name))
        .unwrap_or_default()
        .to_owned()
}

async fn add_rule(app: &TestApp, seeded: &Seeded, conditions: Vec<Condition>, ring: &[&str], in_turn: bool) {
    let rule = Rule {
        conditions,
        destinations: ring.iter().map(|n| E164::parse(n).unwrap()).collect(),
        in_turn,
    };
    app.store
        .add_routing_rule(seeded.site.business_id, seeded.site.id, &rule)
        .await
        .unwrap();
}

/// Registers a visit (with `vars` set on it) and calls with its code; returns the answer.
pub(crate) async fn call_from_visit(
    app: &TestApp,
    seeded: &Seeded,
    url: &str,
    vars: Value,
    sid: &str,
) -> roxmltree::Document<'static> {
    let body = json!({ "site": seeded.site.key.as_str(), "url": url });
    let post = |path: String, body: Value| {
        app.client
            .post(format!("{}{path}", app.base_url))
            .header("origin", "http://localhost")
            .header("user-agent", "Mozilla/5.0")
            .body(body.to_string())
            .send()
    };
    let state: Value = post("/v1/visits".into(), body).await.unwrap().json().await.unwrap();
    if vars.as_object().is_some_and(|v| !v.is_empty()) {
        let set = json!({ "site": seeded.site.key.as_str(), "token": state["token"], "type": "set", "vars": vars });
        post(format!("/v1/visits/{}/events", state["visit"].as_str().unwrap()), set)
            .await
            .unwrap();
    }
    let voice = format!("{}/twilio/voice", app.base_url);
    let params = [("CallSid", sid), ("From", "+12025550169"), ("To", TRACKING)];
    let gather = attr(&provider(app, &voice, &params).await, "Gather", "action");
    let code = state["code"].as_str().unwrap();
    provider(
        app,
        &gather,
        &[
            ("CallSid", sid),
            ("From", "+12025550169"),
            ("To", TRACKING),
            ("Digits", code),
        ],
    )
    .await
}

async fn a_spanish_speaking_visitor_reaches_the_spanish_operator(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    add_rule(
        &app,
        &seeded,
        vec![Condition::Var {
            name: "language".into(),
            value: "es".into(),
        }],
        &["+12025550112"],
        false,
    )
    .await;
    let spanish = call_from_visit(&app, &seeded, "http://localhost/", json!({ "language": "es" }), "CA1").await;
    assert_eq!(rung(&spanish), ["+12025550112"]);
    let other = call_from_visit(&app, &seeded, "http://localhost/", json!({}), "CA2").await;
    assert_eq!(
        rung(&other),
        ["+12025550111", "+12025550112"],
        "no rule matches: everyone rings"
    );
    app.finish().await;
}

async fn operators_in_turn_ring_one_after_the_other_then_voicemail(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    add_rule(
        &app,
        &seeded,
        vec![Condition::Source("google".into())],
        &["+12025550112", "+12025550111"],
        true,
    )
    .await;
    let first = call_from_visit(&app, &seeded, "http://localhost/?gclid=abc", json!({}), "CA1").await;
    assert_eq!(rung(&first), ["+12025550112"]);
    let action = attr(&first, "Dial", "action");
    let missed = [("CallSid", "CA1"), ("To", TRACKING), ("DialCallStatus", "no-answer")];
    let second = provider(&app, &action, &missed).await;
    assert_eq!(rung(&second), ["+12025550111"]);
    let last = provider(&app, &attr(&second, "Dial", "action"), &missed).await;
    assert!(
        last.descendants().any(|n| n.has_tag_name("Record")),
        "after the last operator: voicemail"
    );
    app.finish().await;
}

async fn a_business_extension_picks_its_department(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    add_rule(
        &app,
        &seeded,
        vec![Condition::Extension("2".into())],
        &["+12025550111"],
        false,
    )
    .await;
    let voice = format!("{}/twilio/voice", app.base_url);
    let gather = attr(
        &provider(
            &app,
            &voice,
            &[("CallSid", "CA1"), ("From", "+12025550169"), ("To", TRACKING)],
        )
        .await,
        "Gather",
        "action",
    );
    let answer = provider(
        &app,
        &gather,
        &[
            ("CallSid", "CA1"),
            ("From", "+12025550169"),
            ("To", TRACKING),
            ("Digits", "*2"),
        ],
    )
    .await;
    assert_eq!(rung(&answer), ["+12025550111"]);
    app.finish().await;
}

crate::on_both_engines!(
    a_spanish_speaking_visitor_reaches_the_spanish_operator,
    operators_in_turn_ring_one_after_the_other_then_voicemail,
    a_business_extension_picks_its_department,
);
