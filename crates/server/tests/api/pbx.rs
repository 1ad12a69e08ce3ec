//! The capable-entity (PBX) API: a business's own phone system asks what keyed digits mean
//! and reports the call's events, with the business's API key.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::call::MatchedBy;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, NumberStore, VisitStore};
use leadline_core::visit::{PoolKey, Selector};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.client.post(format!("{}{path}", app.base_url)).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

async fn with_visit(app: &TestApp, seeded: &Seeded) -> String {
    let state = app
        .register_visit(
            seeded,
            "http://localhost/?utm_source=bing&utm_medium=cpc&utm_term=chair",
        )
        .await;
    state["code"].as_str().unwrap().to_owned()
}

async fn a_pbx_learns_the_visit_behind_the_digits_and_reports_the_call(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let code = with_visit(&app, &seeded).await;
    let lookup = json!({ "number": "+12025550100", "digits": format!("{code}*12"), "caller": "+12025550169", "call_id": "1700000000.42" });
    let response = post(&app, "/v1/pbx/lookup", Some(&key), lookup.clone()).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["record_ref"], 1000);
    assert_eq!(answer["matched_by"], "code");
    assert_eq!(answer["announce"], "Call 1000 from bing cpc, keyword chair.");
    assert_eq!(answer["visit"]["term"], "chair");
    assert_eq!(answer["visit"]["pages"].as_array().unwrap().len(), 1);
    assert_eq!(
        answer["routing"]["destinations"],
        json!(["+12025550111", "+12025550112"])
    );
    assert_eq!(answer["routing"]["send_digits"], "12");
    let again: Value = post(&app, "/v1/pbx/lookup", Some(&key), lookup)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["record_ref"], 1000, "a retried lookup answers the same record");

    let answered = json!({ "event": "answered", "answered_by": "+12025550111" });
    assert_eq!(
        post(&app, "/v1/pbx/calls/1000/events", Some(&key), answered)
            .await
            .status(),
        200
    );
    let ended = json!({ "event": "ended", "duration_seconds": 95, "recording_url": "https://pbx.acme.example/rec/42.wav", "tags": ["quote", "sofa"] });
    let done: Value = post(&app, "/v1/pbx/calls/1000/events", Some(&key), ended)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (done["status"].as_str(), done["outcome"].as_str()),
        (Some("completed"), Some("answered"))
    );
    assert_eq!(
        (done["answered_by"].as_str(), done["duration_seconds"].as_u64()),
        (Some("+12025550111"), Some(95))
    );
    assert_eq!(done["tags"], json!(["quote", "sofa"]));
    let call = app.store.call_by_ref(seeded.site.business_id, 1000).await.unwrap();
    assert_eq!(call.origin.matched_by, MatchedBy::Code);
    let number = app.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    let pool = PoolKey {
        number: number.id,
        selector: Selector::Plain,
    };
    assert!(
        app.store.live_code(pool, code.parse().unwrap()).await.is_err(),
        "the code is freed when the call ends"
    );
    app.finish().await;
}

async fn only_the_numbers_own_business_may_ask(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let lookup = json!({ "number": "+12025550100", "digits": "1", "caller": "+12025550169", "call_id": "x1" });
    let missing = post(&app, "/v1/pbx/lookup", None, lookup.clone()).await;
    assert_eq!(missing.status(), 401);
    assert!(
        missing.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    let forged = "ll_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    assert_eq!(
        post(&app, "/v1/pbx/lookup", Some(forged), lookup.clone())
            .await
            .status(),
        401
    );
    let rival = app.add_business("rival", "Rival").await;
    let rival_key = crate::helpers::key_for(&app, rival.id).await.key;
    assert_eq!(
        post(&app, "/v1/pbx/lookup", Some(&rival_key), lookup).await.status(),
        404
    );
    let own_key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let call = json!({ "number": "+12025550100", "digits": "", "caller": "+12025550169", "call_id": "x2" });
    assert_eq!(post(&app, "/v1/pbx/lookup", Some(&own_key), call).await.status(), 200);
    let peek = json!({ "event": "ended" });
    assert_eq!(
        post(&app, "/v1/pbx/calls/1000/events", Some(&rival_key), peek)
            .await
            .status(),
        404,
        "another business's call is not found"
    );
    let bad = json!({ "event": "exploded" });
    assert_eq!(
        post(&app, "/v1/pbx/calls/1000/events", Some(&own_key), bad)
            .await
            .status(),
        400
    );
    let garbage = app
        .client
        .post(format!("{}/v1/pbx/lookup", app.base_url))
        .bearer_auth(&own_key)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    app.finish().await;
}

crate::on_both_engines!(
    a_pbx_learns_the_visit_behind_the_digits_and_reports_the_call,
    only_the_numbers_own_business_may_ask,
);
