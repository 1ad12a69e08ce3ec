//! The levers that name a call's visit beyond a live code, through the real snippet API and
//! signed voice webhooks: the one visitor who clicked to call in the last half minute (a
//! likelihood, with its confidence), a redial of a caller's earlier code once the code is
//! someone else's, and each lever off when the site's settings say so.

use crate::calls::{CALLER, TRACKING};
use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::call::MatchedBy;
use leadline_core::site::SiteSettings;
use serde_json::{Value, json};

impl TestApp {
    /// Posts a heartbeat of the visit carrying a click on the page's `tel:` link, as the
    /// snippet sends it when a phone's tap hides the page.
    async fn tap_to_call(&self, seeded: &Seeded, state: &Value) {
        let beat = json!({
            "type": "heartbeat",
            "clicks": [{ "element": "tel0", "url": "http://localhost/contact" }],
        });
        assert_eq!(crate::heatmap::event(self, seeded, state, beat).await.0, 200);
    }

    /// Ends the call `sid` as the provider reports it.
    async fn end_call(&self, sid: &str) {
        let ended = [
            ("CallSid", sid),
            ("To", TRACKING),
            ("CallStatus", "completed"),
            ("CallDuration", "30"),
        ];
        self.twiml(&format!("{}/twilio/status", self.base_url), &ended).await;
    }
}

async fn a_caller_who_keys_nothing_after_one_visitor_tapped_to_call_is_that_visitor(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let tapper = app.register_visit(&seeded, "http://localhost/?utm_source=google").await;
    let _browsing = app.register_visit(&seeded, "http://localhost/").await;
    app.tap_to_call(&seeded, &tapper).await;
    app.call_until_dial("CA1", CALLER, "")
        .await
        .find("Dial")
        .expect("the call is forwarded");
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(call.origin.matched_by, MatchedBy::ClickIntent);
    assert_eq!(call.origin.visit.as_ref().map(|v| v.as_str()), tapper["visit"].as_str());
    assert_eq!(
        call.origin.confidence,
        Some(85),
        "a tap seconds before the call is likely the caller's"
    );

    // The tapper has called: their click is no longer pending, and two new ones are a guess.
    let one = app.register_visit(&seeded, "http://localhost/").await;
    let two = app.register_visit(&seeded, "http://localhost/").await;
    app.tap_to_call(&seeded, &one).await;
    app.tap_to_call(&seeded, &two).await;
    app.call_until_dial("CA2", "+12025550170", "").await;
    let guess = app.call_by_sid("CA2").await.unwrap();
    assert_eq!((guess.origin.matched_by, guess.origin.visit), (MatchedBy::None, None));
    app.finish().await;
}

async fn a_site_without_the_click_lever_leaves_such_a_caller_unattributed(engine: Engine) {
    let settings = SiteSettings {
        match_click_intent: false,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let tapper = app.register_visit(&seeded, "http://localhost/").await;
    app.tap_to_call(&seeded, &tapper).await;
    app.call_until_dial("CA1", CALLER, "").await;
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.origin.matched_by, call.origin.confidence),
        (MatchedBy::None, None)
    );
    app.finish().await;
}

async fn a_redial_of_a_code_now_someone_elses_reaches_the_callers_own_visit(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let first = app.register_visit(&seeded, "http://localhost/?utm_source=google").await;
    let code = first["code"].as_str().unwrap().to_owned();
    app.call_until_dial("CA1", CALLER, &code).await;
    app.end_call("CA1").await;
    let next = app.register_visit(&seeded, "http://localhost/").await;
    assert_eq!(
        next["code"].as_str(),
        Some(code.as_str()),
        "the freed code goes to the next visitor"
    );

    app.call_until_dial("CA2", CALLER, &code).await;
    let redial = app.call_by_sid("CA2").await.unwrap();
    assert_eq!(redial.origin.matched_by, MatchedBy::Redial);
    assert_eq!(
        redial.origin.visit.as_ref().map(|v| v.as_str()),
        first["visit"].as_str()
    );

    app.call_until_dial("CA3", "+12025550170", &code).await;
    let other = app.call_by_sid("CA3").await.unwrap();
    assert_eq!(
        (other.origin.matched_by, other.origin.visit.as_ref().map(|v| v.as_str())),
        (MatchedBy::Code, next["visit"].as_str()),
        "anyone else keying the code reaches its holder"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_caller_who_keys_nothing_after_one_visitor_tapped_to_call_is_that_visitor,
    a_site_without_the_click_lever_leaves_such_a_caller_unattributed,
    a_redial_of_a_code_now_someone_elses_reaches_the_callers_own_visit,
);
