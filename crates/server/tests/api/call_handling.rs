//! What a site's callers hear and where its calls go: the greeting in the site's language and
//! voice, the recording disclosure before `<Dial>` (and to the operator), and the after-hours
//! actions, each followed through the signed voice webhooks as the provider would.

use crate::calls::{CALLER, Node};
use crate::helpers::{Engine, Seeded, TestApp};
use chrono::{Days, Utc};
use leadline::app::setup::sites::set_call_handling;
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::call::MatchedBy;
use leadline_core::call_handling::{
    AfterHours, CallHandling, DEFAULT_DISCLOSURE, DEFAULT_VOICEMAIL, Language, Prompt, Voice,
};
use leadline_core::hours::BusinessHours;
use leadline_core::lead::Author;
use leadline_core::site::SiteSettings;

fn prompt(text: &str) -> Option<Prompt> {
    Prompt::parse(text).unwrap()
}

/// Open all day every day, but yesterday, today and tomorrow (UTC) are holidays: closed now
/// in every time zone, whenever the test runs.
fn closed_now(after_hours: AfterHours, message: Option<Prompt>) -> CallHandling {
    let mut hours = BusinessHours::default();
    for day in hours.week.iter_mut() {
        *day = BusinessHours::parse_day("00:00-24:00").unwrap();
    }
    let today = Utc::now().date_naive();
    hours.holidays = [today - Days::new(1), today, today + Days::new(1)].into();
    CallHandling {
        hours: Some(hours),
        after_hours,
        after_hours_message: message,
        ..CallHandling::default()
    }
}

/// The numbers the answer's `<Dial>` rings.
fn rung(answer: &Node) -> Vec<&str> {
    let dial = answer.find("Dial").expect("the call is forwarded");
    dial.all("Number").iter().map(|n| n.text.as_str()).collect()
}

async fn call(app: &TestApp, seeded: &Seeded, sid: &str) -> Node {
    let code = app
        .visit_with_code(seeded, "http://localhost/sofas?utm_source=google")
        .await;
    app.call_until_dial(sid, CALLER, &code).await
}

async fn a_recorded_call_is_told_so_before_it_is_connected_in_the_sites_words_and_voice(engine: Engine) {
    let greeting = "Willkommen bei Sofa Berlin. Bitte geben Sie Ihren Code ein.";
    let settings = SiteSettings {
        calls: CallHandling {
            language: Some(Language::parse("de-DE").unwrap()),
            voice: Some(Voice::parse("Polly.Marlene").unwrap()),
            greeting: prompt(greeting),
            disclosure: prompt("https://cdn.example/aufnahme.mp3"),
            disclose_to_operator: true,
            ..CallHandling::default()
        },
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let voice = app
        .twiml(
            &format!("{}/twilio/voice", app.base_url),
            &[("CallSid", "CA1"), ("From", CALLER), ("To", crate::calls::TRACKING)],
        )
        .await;
    let said = voice
        .find("Gather")
        .and_then(|g| g.find("Say"))
        .expect("the greeting is said while the code is keyed");
    assert_eq!(said.text, greeting);
    assert_eq!(
        (said.attr("language"), said.attr("voice")),
        (Some("de-DE"), Some("Polly.Marlene"))
    );

    let answer = call(&app, &seeded, "CA1").await;
    assert_eq!(
        answer.verbs(),
        ["Play", "Dial"],
        "the disclosure comes before the caller is connected"
    );
    assert_eq!(answer.children[0].text, "https://cdn.example/aufnahme.mp3");
    let dial = answer.find("Dial").unwrap();
    assert_eq!(dial.attr("record"), Some("record-from-answer-dual"));

    let whisper_url = dial.all("Number")[0].attr("url").unwrap().to_owned();
    let whisper = app
        .twiml(
            &whisper_url,
            &[("CallSid", "CA1-leg"), ("From", CALLER), ("To", "+12025550111")],
        )
        .await;
    let told = &whisper.find("Say").unwrap().text;
    assert!(told.starts_with("Call 1000 from google"), "{told}");
    assert!(
        told.ends_with("This call is recorded."),
        "the operator is told too: {told}"
    );
    app.finish().await;
}

async fn an_unrecorded_call_hears_no_disclosure_and_a_recorded_one_hears_the_default(engine: Engine) {
    let unrecorded = SiteSettings {
        record_calls: false,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), unrecorded).await;
    let answer = call(&app, &seeded, "CA1").await;
    assert_eq!(answer.verbs(), ["Dial"]);
    assert_eq!(answer.find("Dial").unwrap().attr("record"), None);
    app.finish().await;

    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let answer = call(&app, &seeded, "CA1").await;
    assert_eq!(answer.verbs(), ["Say", "Dial"]);
    assert_eq!(answer.children[0].text, DEFAULT_DISCLOSURE);
    let whisper_url = answer.find("Dial").unwrap().all("Number")[0]
        .attr("url")
        .unwrap()
        .to_owned();
    let whisper = app
        .twiml(
            &whisper_url,
            &[("CallSid", "CA1-leg"), ("From", CALLER), ("To", "+12025550111")],
        )
        .await;
    assert!(
        !whisper.find("Say").unwrap().text.contains("recorded"),
        "the operator is told only when the site asks for it"
    );
    app.finish().await;
}

async fn after_hours_a_call_is_attributed_and_takes_the_sites_action(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let set = |handling: CallHandling| async {
        set_call_handling(&app.store, business, site, handling, &Author::system())
            .await
            .unwrap();
    };

    set(closed_now(AfterHours::Hangup, prompt("Wir haben geschlossen."))).await;
    let answer = call(&app, &seeded, "CA1").await;
    assert_eq!(answer.verbs(), ["Say", "Hangup"]);
    assert_eq!(answer.children[0].text, "Wir haben geschlossen.");
    let attributed = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        attributed.origin.matched_by,
        MatchedBy::Code,
        "a caller after hours is a lead with a source"
    );

    set(closed_now(AfterHours::Voicemail, None)).await;
    let answer = call(&app, &seeded, "CA2").await;
    assert_eq!(answer.verbs(), ["Say", "Record", "Hangup"]);
    assert_eq!(answer.children[0].text, DEFAULT_VOICEMAIL);

    let mobile = E164::parse("+12025550177").unwrap();
    set(closed_now(AfterHours::Forward { to: mobile }, None)).await;
    let answer = call(&app, &seeded, "CA3").await;
    assert_eq!(
        answer.verbs(),
        ["Say", "Dial"],
        "a forwarded call is recorded, so disclosed first"
    );
    assert_eq!(answer.children[0].text, DEFAULT_DISCLOSURE);
    assert_eq!(rung(&answer), ["+12025550177"]);

    let mut open_again = closed_now(AfterHours::Hangup, None);
    open_again.hours.as_mut().unwrap().holidays.clear();
    set(open_again).await;
    let answer = call(&app, &seeded, "CA4").await;
    assert_eq!(
        rung(&answer),
        ["+12025550111", "+12025550112"],
        "within the hours the business's destinations ring"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_recorded_call_is_told_so_before_it_is_connected_in_the_sites_words_and_voice,
    an_unrecorded_call_hears_no_disclosure_and_a_recorded_one_hears_the_default,
    after_hours_a_call_is_attributed_and_takes_the_sites_action,
);
