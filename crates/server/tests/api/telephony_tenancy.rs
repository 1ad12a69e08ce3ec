//! Two businesses on one server, each with its own tracking number and auth token: a request
//! correctly signed by the rival's number (or made with the rival's API key) about the first
//! business's call, site or visit changes nothing and reveals nothing, on every telephony
//! route and the PBX API.

use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp, key_for};
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::call::Call;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::secret::Secret;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{CallStore, DestinationStore, LeadStore, NumberStore, SiteStore};
use leadline_core::tenant::{AccountSid, NewDestination, NewSite, NewTrackingNumber, Provider};
use leadline_core::{BusinessId, LeadId};
use serde_json::{Value, json};

const ACME: &str = "+12025550100";
const RIVAL: &str = "+12025550101";
const RIVAL_TOKEN: &str = "fedcba9876543210fedc";
const CALLER: &str = "+12025550169";

/// The rival business: its own site, tracking number (own token) and operator.
async fn rival(app: &TestApp) -> BusinessId {
    let name = |n: &str| Name::parse_as("name", n).unwrap();
    let business = app.add_business("rival", "Rival").await;
    let site = app
        .store
        .create_site(&NewSite {
            business_id: business.id,
            name: name("Rival site"),
            key: SiteKey::generate(),
            domains: vec![DomainName::parse("rival.example").unwrap()],
            timezone: Timezone::parse("America/New_York").unwrap(),
            currency: Currency::parse("USD").unwrap(),
            settings: SiteSettings::default(),
        })
        .await
        .unwrap();
    app.store
        .create_number(&NewTrackingNumber {
            number: E164::parse(RIVAL).unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC2").unwrap(),
            auth_token: Secret::new(RIVAL_TOKEN),
            site_ids: vec![site.id],
        })
        .await
        .unwrap();
    app.store
        .create_destination(&NewDestination {
            business_id: business.id,
            name: name("Rex"),
            number: E164::parse("+12025550131").unwrap(),
            department: None,
            user_id: None,
        })
        .await
        .unwrap();
    business.id
}

/// Posts a provider request signed with `token` to `path?query` and answers status and body.
async fn signed(
    app: &TestApp,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
    params: &[(&str, &str)],
) -> (u16, String) {
    let mut url = url::Url::parse(&format!("{}{path}", app.base_url)).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let response = app
        .client
        .post(url.as_str())
        .header(
            "x-twilio-signature",
            leadline_core::twilio::signature(token, url.as_str(), &owned),
        )
        .form(params)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A call to Acme, keyed with its visit's code, forwarded and still in progress: ref 1000.
async fn acme_call(app: &TestApp, seeded: &Seeded) -> (Call, String) {
    let state = app
        .register_visit(
            seeded,
            "http://localhost/?utm_source=google&utm_medium=cpc&utm_campaign=secret-plan&utm_term=sofa",
        )
        .await;
    let (visit, code) = (state["visit"].as_str().unwrap(), state["code"].as_str().unwrap());
    let call = [("CallSid", "CAacme1"), ("From", CALLER), ("To", ACME), ("Digits", code)];
    let (status, _) = signed(app, AUTH_TOKEN, "/twilio/gather", &[("number", ACME)], &call).await;
    assert_eq!(status, 200);
    (acme(app, seeded).await, visit.to_owned())
}

async fn acme(app: &TestApp, seeded: &Seeded) -> Call {
    app.store.call_by_ref(seeded.site.business_id, 1000).await.unwrap()
}

async fn acme_activities(app: &TestApp, seeded: &Seeded, lead: i64) -> usize {
    let activities = app.store.lead_activities(seeded.site.business_id, LeadId(lead)).await;
    activities.unwrap().len()
}

async fn rival_callbacks_about_acmes_call_change_and_reveal_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    rival(&app).await;
    let (before, _) = acme_call(&app, &seeded).await;
    let by_rival =
        |path: &'static str, query: Vec<(&'static str, &'static str)>, params: Vec<(&'static str, &'static str)>| {
            let app = &app;
            async move {
                let mut query = query;
                query.insert(0, ("number", RIVAL));
                signed(app, RIVAL_TOKEN, path, &query, &params).await
            }
        };
    let sid = ("CallSid", "CAacme1");
    let evil = ("RecordingUrl", "https://evil.example/recording.wav");
    let (status, _) = by_rival(
        "/twilio/recording",
        vec![],
        vec![sid, evil, ("RecordingStatus", "completed")],
    )
    .await;
    assert_eq!(status, 200, "the provider always gets its 200");
    by_rival("/twilio/status", vec![], vec![sid, ("CallStatus", "completed"), evil]).await;
    by_rival(
        "/twilio/dial",
        vec![],
        vec![sid, ("DialCallStatus", "completed"), ("DialCallDuration", "9")],
    )
    .await;
    let (_, whisper) = by_rival(
        "/twilio/whisper",
        vec![("call", "CAacme1")],
        vec![("CallSid", "CArival9"), ("To", "+12025550131")],
    )
    .await;
    for secret in ["1000", "google", "secret-plan", "sofa"] {
        assert!(!whisper.contains(secret), "the whisper revealed '{secret}': {whisper}");
    }
    assert_eq!(acme(&app, &seeded).await, before, "Acme's call is unchanged");
}

async fn a_rival_number_cannot_key_codes_or_order_call_me_for_acme(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    rival(&app).await;
    let (before, visit) = acme_call(&app, &seeded).await;
    let acme_site = seeded.site.key.as_str();
    let state = app
        .register_visit(&seeded, "http://localhost/?utm_source=bing&utm_medium=cpc")
        .await;
    let live_code = state["code"].as_str().unwrap();
    let to_acme = [("number", RIVAL), ("site", acme_site)];
    let (_, voice) = signed(
        &app,
        RIVAL_TOKEN,
        "/twilio/voice",
        &to_acme,
        &[("CallSid", "CAr1"), ("From", CALLER), ("To", RIVAL)],
    )
    .await;
    assert!(!voice.contains(acme_site), "{voice}");
    let keyed = [
        ("CallSid", "CAr2"),
        ("From", CALLER),
        ("To", RIVAL),
        ("Digits", live_code),
    ];
    let (_, dial) = signed(&app, RIVAL_TOKEN, "/twilio/gather", &to_acme, &keyed).await;
    assert!(
        !dial.contains("+12025550111") && !dial.contains("bing"),
        "Acme's operators or source leaked: {dial}"
    );
    for (visit, sid) in [(visit.as_str(), "CAr3"), ("v_unknownvisit0000000000", "CAr4")] {
        let query = [("number", RIVAL), ("site", acme_site), ("visit", visit)];
        let (status, _) = signed(
            &app,
            RIVAL_TOKEN,
            "/twilio/call-me",
            &query,
            &[("CallSid", sid), ("To", CALLER)],
        )
        .await;
        assert_eq!(status, 200);
    }
    let calls = app.store.recent_calls(seeded.site.business_id, 10).await.unwrap();
    assert_eq!(calls, [before], "no call was recorded for Acme");
    let leads = app
        .store
        .list_leads(seeded.site.business_id, &Default::default())
        .await
        .unwrap();
    assert_eq!(leads.leads.len(), 1, "no lead was made for Acme");
}

async fn a_rival_sms_cannot_write_on_acmes_records(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    rival(&app).await;
    let (call, _) = acme_call(&app, &seeded).await;
    let notes = acme_activities(&app, &seeded, call.lead_id).await;
    // Acme's own operator's number, texting the rival's tracking number.
    let sms = [("From", "+12025550111"), ("To", RIVAL), ("Body", "1000 rival was here")];
    let (status, answer) = signed(&app, RIVAL_TOKEN, "/twilio/sms", &[], &sms).await;
    assert_eq!(status, 200);
    assert!(!answer.contains("google"), "{answer}");
    assert_eq!(acme_activities(&app, &seeded, call.lead_id).await, notes);
}

async fn a_rival_cannot_reach_acmes_pbx_calls_by_key_or_by_guessing_their_ids(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let rival_id = rival(&app).await;
    let acme_key = key_for(&app, seeded.site.business_id).await.key;
    let rival_key = key_for(&app, rival_id).await.key;
    let post = |key: String, path: String, body: Value| {
        let app = &app;
        async move {
            let url = format!("{}{path}", app.base_url);
            app.client
                .post(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let lookup = json!({ "number": ACME, "digits": "", "caller": CALLER, "call_id": "42" });
    assert_eq!(
        post(acme_key.clone(), "/v1/pbx/lookup".into(), lookup.clone()).await,
        200
    );
    let before = acme(&app, &seeded).await;
    assert!(
        !before.provider_call_sid.contains("42"),
        "PBX call ids are not guessable: {}",
        before.provider_call_sid
    );
    assert_eq!(post(rival_key.clone(), "/v1/pbx/lookup".into(), lookup).await, 404);
    let ended = json!({ "event": "ended", "recording_url": "https://evil.example/r.wav" });
    assert_eq!(post(rival_key, "/v1/pbx/calls/1000/events".into(), ended).await, 404);
    // The old predictable form, and the real stored id, through the provider callbacks.
    for guessed in [
        format!("pbx:{}:42", seeded.site.business_id),
        before.provider_call_sid.clone(),
    ] {
        let params = [
            ("CallSid", guessed.as_str()),
            ("RecordingUrl", "https://evil.example/r.wav"),
        ];
        signed(&app, RIVAL_TOKEN, "/twilio/recording", &[("number", RIVAL)], &params).await;
        let status = [("CallSid", guessed.as_str()), ("CallStatus", "completed")];
        signed(&app, RIVAL_TOKEN, "/twilio/status", &[("number", RIVAL)], &status).await;
        // Not even Acme's own number's token names a PBX call through the provider routes.
        signed(&app, AUTH_TOKEN, "/twilio/status", &[("number", ACME)], &status).await;
    }
    assert_eq!(acme(&app, &seeded).await, before);
}

async fn links_that_are_not_https_are_refused_at_every_input(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (before, _) = acme_call(&app, &seeded).await;
    let script = "javascript:alert(document.domain)//";
    let params = [
        ("CallSid", "CAacme1"),
        ("RecordingUrl", script),
        ("RecordingStatus", "completed"),
    ];
    signed(&app, AUTH_TOKEN, "/twilio/recording", &[("number", ACME)], &params).await;
    assert_eq!(acme(&app, &seeded).await.recording_url, None);
    let key = key_for(&app, seeded.site.business_id).await.key;
    let response = app
        .client
        .post(format!("{}/v1/pbx/calls/1000/events", app.base_url))
        .bearer_auth(key)
        .json(&json!({ "event": "answered", "recording_url": script }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error = response.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("https"), "{error}");
    assert_eq!(acme(&app, &seeded).await, before);
}

crate::on_both_engines!(
    rival_callbacks_about_acmes_call_change_and_reveal_nothing,
    a_rival_number_cannot_key_codes_or_order_call_me_for_acme,
    a_rival_sms_cannot_write_on_acmes_records,
    a_rival_cannot_reach_acmes_pbx_calls_by_key_or_by_guessing_their_ids,
    links_that_are_not_https_are_refused_at_every_input,
);
