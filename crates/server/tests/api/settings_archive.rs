//! Removing archives: a number removed from the Settings page answers its provider's webhooks
//! as a number never set up would, while the call that came through it stays readable.

use crate::helpers::{AUTH_TOKEN, Engine, TestApp};
use crate::operator::{csrf_of, page, post};
use crate::settings_setup::owner;
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, NumberStore};

/// Posts a provider request to `path?number=…` signed with the seeded number's token.
async fn signed(app: &TestApp, path: &str, to: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut url = url::Url::parse(&format!("{}{path}", app.base_url)).unwrap();
    url.query_pairs_mut().append_pair("number", to);
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let response = app
        .client
        .post(url.as_str())
        .header(
            "x-twilio-signature",
            leadline_core::twilio::signature(AUTH_TOKEN, url.as_str(), &owned),
        )
        .form(params)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn a_removed_number_answers_as_unknown_and_its_call_stays_readable(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let state = app.register_visit(&seeded, "http://localhost/?utm_source=google").await;
    let code = state["code"].as_str().unwrap().to_owned();
    let ours = seeded.number.as_str();
    let call = [
        ("CallSid", "CA1"),
        ("From", "+12025550169"),
        ("To", ours),
        ("Digits", code.as_str()),
    ];
    assert_eq!(signed(&app, "/twilio/gather", ours, &call).await.0, 200);
    let before = app.store.call_by_ref(business, 1000).await.unwrap();

    let number = app.store.number_by_e164(&seeded.number).await.unwrap();
    let path = format!("/app/settings/numbers/{}", number.id.0);
    let (_, html) = page(&app, &cookie, &path).await;
    let csrf = csrf_of(&html);
    assert_eq!(
        post(&app, &cookie, &format!("{path}/remove"), &[("csrf", &csrf)])
            .await
            .status(),
        303
    );

    let incoming = |to: &'static str| [("CallSid", "CA2"), ("From", "+12025550169"), ("To", to)];
    let removed = signed(&app, "/twilio/voice", ours, &incoming("+12025550100")).await;
    let never = signed(&app, "/twilio/voice", "+12025550199", &incoming("+12025550199")).await;
    assert_eq!(removed, never, "as for a number never set up");
    assert_ne!(removed.0, 200);
    assert_eq!(
        app.store.call_by_ref(business, 1000).await.unwrap(),
        before,
        "the call is kept"
    );
    let (status, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert_eq!(status, 200);
    assert!(html.contains("Call 1000"), "{html}");
    app.finish().await;
}

crate::on_both_engines!(a_removed_number_answers_as_unknown_and_its_call_stays_readable);
