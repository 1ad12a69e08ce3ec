//! Call-me: the visitor leaves a number, Leadline calls them through the provider's REST API
//! (a local fake here that checks what it receives) and bridges them to the operators.

use crate::fakes::FakeApi;
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use leadline::config::Config;
use leadline_core::call::MatchedBy;
use leadline_core::site::SiteSettings;
use leadline_core::store::CallStore;
use serde_json::{Value, json};

/// A fake provider REST API answering `status` to `Calls.json`, with a call sid.
async fn fake_provider(status: StatusCode) -> FakeApi {
    let calls = move || async move {
        let answer = json!({ "sid": "CAfake0123456789", "message": "provider says no" });
        (status, axum::Json(answer))
    };
    let router = Router::new().route("/2010-04-01/Accounts/{account}/Calls.json", post(calls));
    FakeApi::start(router).await
}

async fn spawn_with_provider(engine: Engine, status: StatusCode) -> (TestApp, Seeded, FakeApi) {
    spawn_with_settings(engine, status, SiteSettings::default()).await
}

async fn spawn_with_settings(engine: Engine, status: StatusCode, settings: SiteSettings) -> (TestApp, Seeded, FakeApi) {
    let received = fake_provider(status).await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&received.url).unwrap(),
        // The caps under test, not the per-address burst, must be what refuses.
        visit_registrations_per_ip_per_minute: 1_000_000,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, settings).await;
    (app, seeded, received)
}

async fn visit(app: &TestApp, seeded: &Seeded) -> Value {
    app.register_visit(seeded, "http://localhost/?utm_source=newsletter&utm_medium=email")
        .await
}

async fn call_me(app: &TestApp, seeded: &Seeded, state: &Value, token: &Value, phone: &str) -> reqwest::Response {
    let body = json!({ "site": seeded.site.key.as_str(), "token": token, "phone": phone });
    app.client
        .post(format!(
            "{}/v1/visits/{}/call-me",
            app.base_url,
            state["visit"].as_str().unwrap()
        ))
        .header("origin", "http://localhost")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn sign(url: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    leadline_core::twilio::signature(AUTH_TOKEN, url, &owned)
}

async fn the_visitor_is_called_and_bridged_to_the_operators(engine: Engine) {
    let (app, seeded, received) = spawn_with_provider(engine, StatusCode::CREATED).await;
    let state = visit(&app, &seeded).await;
    let response = call_me(&app, &seeded, &state, &state["token"], "+1 202 555 0199").await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["access-control-allow-origin"], "http://localhost");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        (answer["record_ref"].as_u64(), answer["status"].as_str()),
        (Some(1000), Some("calling"))
    );

    let call = &received.requests()[0];
    let (auth, form) = (call.header("authorization").unwrap_or_default(), call.form());
    use base64::Engine as _;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("AC1:{AUTH_TOKEN}"));
    assert_eq!(auth, format!("Basic {credentials}"));
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(
        (field("To").as_str(), field("From").as_str()),
        ("+12025550199", "+12025550100")
    );
    assert!(field("StatusCallback").contains("/twilio/status"));
    let answer_url = field("Url");
    assert!(
        answer_url.starts_with(&format!("{}/twilio/call-me?", app.base_url)),
        "{answer_url}"
    );

    let params = [
        ("CallSid", "CAfake0123456789"),
        ("From", "+12025550100"),
        ("To", "+12025550199"),
        ("CallStatus", "in-progress"),
    ];
    let twiml = app
        .client
        .post(&answer_url)
        .header("x-twilio-signature", sign(&answer_url, &params))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(twiml.status(), 200);
    let xml = twiml.text().await.unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let numbers: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Number"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(numbers, ["+12025550111", "+12025550112"]);
    let call = app.call_by_sid("CAfake0123456789").await.unwrap();
    assert_eq!(
        (call.record_ref, call.origin.matched_by, call.caller.as_str()),
        (1000, MatchedBy::CallMe, "+12025550199")
    );
    assert_eq!(call.attribution.unwrap().source, "newsletter");
    app.finish().await;
}

async fn bad_requests_place_no_call(engine: Engine) {
    let (app, seeded, received) = spawn_with_provider(engine, StatusCode::CREATED).await;
    let state = visit(&app, &seeded).await;
    let other = visit(&app, &seeded).await;
    assert_eq!(
        call_me(&app, &seeded, &state, &other["token"], "+12025550199")
            .await
            .status(),
        403
    );
    let bad_phone = call_me(&app, &seeded, &state, &state["token"], "call me maybe").await;
    assert_eq!(bad_phone.status(), 400);
    assert!(
        bad_phone.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("phone number")
    );
    assert!(received.requests().is_empty(), "no call was placed");
    app.finish().await;
}

async fn a_provider_that_refuses_gets_the_visitor_a_clear_answer(engine: Engine) {
    let (app, seeded, _received) = spawn_with_provider(engine, StatusCode::INTERNAL_SERVER_ERROR).await;
    let state = visit(&app, &seeded).await;
    let response = call_me(&app, &seeded, &state, &state["token"], "+12025550199").await;
    assert_eq!(response.status(), 503);
    assert!(
        response.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("please call us")
    );
    assert!(
        app.store.call_by_ref(seeded.site.business_id, 1000).await.is_err(),
        "nothing recorded"
    );
    app.finish().await;
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

async fn call_me_calls_only_home_subscriber_lines_within_the_caps(engine: Engine) {
    let settings = SiteSettings {
        call_me_per_day: 4,
        ..SiteSettings::default()
    };
    let (app, seeded, received) = spawn_with_settings(engine, StatusCode::CREATED, settings).await;
    let state = visit(&app, &seeded).await;
    let token = &state["token"];
    for (phone, says) in [
        ("+2693123456", "KM"),
        ("+37281234567", "EE"),
        ("+19005550199", "premium rate"),
    ] {
        let (status, error) = error_of(call_me(&app, &seeded, &state, token, phone).await).await;
        assert_eq!(status, 400, "{phone}: {error}");
        assert!(error.contains(says), "{phone}: {error}");
    }
    assert!(received.requests().is_empty(), "no call was placed");
    for _ in 0..3 {
        assert_eq!(
            call_me(&app, &seeded, &state, token, "+12025550199").await.status(),
            201
        );
    }
    let (status, error) = error_of(call_me(&app, &seeded, &state, token, "+12025550199").await).await;
    assert_eq!(
        (status, error.contains("already called you 3 times")),
        (403, true),
        "{error}"
    );
    let second = visit(&app, &seeded).await;
    assert_eq!(
        call_me(&app, &seeded, &second, &second["token"], "+12025550198")
            .await
            .status(),
        201
    );
    let (status, error) = error_of(call_me(&app, &seeded, &second, &second["token"], "+12025550198").await).await;
    assert_eq!((status, error.contains("more calls today")), (403, true), "{error}");
    assert_eq!(received.requests().len(), 4, "exactly the allowed calls were placed");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for (reason, count) in [("country", 2), ("line_kind", 1), ("visit_cap", 1), ("day_cap", 1)] {
        let line = format!("leadline_call_me_refusals_total{{reason=\"{reason}\"}} {count}");
        assert!(metrics.contains(&line), "missing {line} in\n{metrics}");
    }
    app.finish().await;
}

async fn a_site_may_open_call_me_to_other_countries(engine: Engine) {
    let settings = SiteSettings {
        call_me_countries: vec![leadline_core::callme::Region::parse("EE").unwrap()],
        ..SiteSettings::default()
    };
    let (app, seeded, received) = spawn_with_settings(engine, StatusCode::CREATED, settings).await;
    let state = visit(&app, &seeded).await;
    assert_eq!(
        call_me(&app, &seeded, &state, &state["token"], "+37251234567")
            .await
            .status(),
        201
    );
    let (status, error) = error_of(call_me(&app, &seeded, &state, &state["token"], "+12025550199").await).await;
    assert_eq!((status, error.contains("US")), (400, true), "{error}");
    assert_eq!(received.requests().len(), 1);
    app.finish().await;
}

async fn a_provider_redirect_is_not_followed_with_the_auth_token(engine: Engine) {
    let (seen, stolen) = crate::egress::redirecting(StatusCode::TEMPORARY_REDIRECT).await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&seen.url).unwrap(),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let state = visit(&app, &seeded).await;
    let response = call_me(&app, &seeded, &state, &state["token"], "+12025550199").await;
    assert_eq!(response.status(), 503);
    assert_eq!(seen.requests().len(), 1, "the provider was asked once");
    assert!(stolen.requests().is_empty(), "the redirect was followed");
    assert!(
        app.store.call_by_ref(seeded.site.business_id, 1000).await.is_err(),
        "nothing recorded"
    );
    app.finish().await;
}

crate::on_both_engines!(
    call_me_calls_only_home_subscriber_lines_within_the_caps,
    a_site_may_open_call_me_to_other_countries,
    a_provider_redirect_is_not_followed_with_the_auth_token,
    a_provider_that_refuses_gets_the_visitor_a_clear_answer,
    bad_requests_place_no_call,
    the_visitor_is_called_and_bridged_to_the_operators,
);
