//! Whole calls through the voice webhooks, the test playing the provider: it signs every
//! request as Twilio does and follows the TwiML it gets, read structurally.

use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::call::{CallOutcome, MatchedBy};
use leadline_core::lead::LeadStatus;
use leadline_core::names::Name;
use leadline_core::site::SiteSettings;
use leadline_core::store::VisitStore;
use leadline_core::visit::{PoolKey, Selector};

pub(crate) const CALLER: &str = "+12025550169";
pub(crate) const TRACKING: &str = "+12025550100";

/// One element of a TwiML answer: its name, attributes and text, and its children.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) name: String,
    attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
}

impl Node {
    /// The names of the element's children, in order (the verbs of a `<Response>`).
    pub(crate) fn verbs(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find_map(|c| if c.name == name { Some(c) } else { c.find(name) })
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&Node> {
        let mut found: Vec<&Node> = self.children.iter().filter(|c| c.name == name).collect();
        for child in &self.children {
            found.extend(child.all(name));
        }
        found
    }
}

fn parse(xml: &str) -> Node {
    fn convert(node: roxmltree::Node<'_, '_>) -> Node {
        Node {
            name: node.tag_name().name().to_owned(),
            attrs: node
                .attributes()
                .map(|a| (a.name().to_owned(), a.value().to_owned()))
                .collect(),
            text: node.text().unwrap_or_default().to_owned(),
            children: node.children().filter(|c| c.is_element()).map(convert).collect(),
        }
    }
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    let root = convert(doc.root_element());
    assert_eq!(root.name, "Response", "{xml}");
    root
}

pub(crate) fn sign(url: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    leadline_core::twilio::signature(AUTH_TOKEN, url, &owned)
}

impl TestApp {
    /// Posts a signed provider request to `url` (absolute, as Leadline wrote it).
    pub(crate) async fn provider(&self, url: &str, params: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(url)
            .header("x-twilio-signature", sign(url, params))
            .form(params)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn twiml(&self, url: &str, params: &[(&str, &str)]) -> Node {
        let response = self.provider(url, params).await;
        assert_eq!(response.status(), 200);
        parse(&response.text().await.unwrap())
    }

    /// A visit registered as the snippet would, with its code.
    pub(crate) async fn visit_with_code(&self, seeded: &Seeded, url: &str) -> String {
        self.register_visit(seeded, url).await["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The call from ringing to the `<Dial>` answer: voice, then gather with `digits`.
    pub(crate) async fn call_until_dial(&self, sid: &str, caller: &str, digits: &str) -> Node {
        let call = [
            ("CallSid", sid),
            ("AccountSid", "AC1"),
            ("From", caller),
            ("To", TRACKING),
            ("CallStatus", "ringing"),
        ];
        let answer = self.twiml(&format!("{}/twilio/voice", self.base_url), &call).await;
        let gather = answer.find("Gather").expect("the call is asked for its extension");
        let action = gather.attr("action").unwrap().to_owned();
        let mut keyed = call.to_vec();
        keyed.push(("Digits", digits));
        self.twiml(&action, &keyed).await
    }
}

async fn a_call_with_the_visit_code_ends_attributed_and_frees_the_code(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let code = app
        .visit_with_code(
            &seeded,
            "http://localhost/sofas?utm_source=google&utm_medium=cpc&utm_term=sofa+upholstery",
        )
        .await;
    let voice = app
        .twiml(
            &format!("{}/twilio/voice", app.base_url),
            &[("CallSid", "CA1"), ("From", CALLER), ("To", TRACKING)],
        )
        .await;
    let gather = voice.find("Gather").unwrap();
    assert_eq!(gather.attr("numDigits"), Some("1"), "every live code has one digit");
    assert_eq!(gather.attr("actionOnEmptyResult"), Some("true"));
    let dial = app.call_until_dial("CA1", CALLER, &code).await;
    let dial = dial.find("Dial").expect("the call is forwarded");
    assert_eq!(dial.attr("record"), Some("record-from-answer-dual"));
    let numbers = dial.all("Number");
    assert_eq!(
        numbers.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["+12025550111", "+12025550112"]
    );
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.record_ref, call.status.as_str(), call.origin.matched_by),
        (1000, "in_call", MatchedBy::Code)
    );

    let whisper_url = numbers[0].attr("url").unwrap().to_owned();
    let whisper = app
        .twiml(
            &whisper_url,
            &[("CallSid", "CA1-leg"), ("From", CALLER), ("To", "+12025550112")],
        )
        .await;
    assert_eq!(
        whisper.find("Say").unwrap().text,
        "Call 1000 from google cpc, keyword sofa upholstery."
    );

    let dialled = [
        ("CallSid", "CA1"),
        ("To", TRACKING),
        ("DialCallStatus", "completed"),
        ("DialCallDuration", "42"),
        ("RecordingUrl", "https://api.twilio.example/Recordings/RE1"),
    ];
    let after = app.twiml(dial.attr("action").unwrap(), &dialled).await;
    assert!(after.find("Hangup").is_some());
    let ended = [
        ("CallSid", "CA1"),
        ("To", TRACKING),
        ("CallStatus", "completed"),
        ("CallDuration", "50"),
    ];
    app.twiml(&format!("{}/twilio/status", app.base_url), &ended).await;
    let done = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (done.status.as_str(), done.outcome),
        ("completed", Some(CallOutcome::Answered))
    );
    assert_eq!(done.answered_by.as_deref(), Some("+12025550112"));
    assert_eq!(done.duration_seconds, Some(42));
    assert_eq!(
        done.recording_url.as_deref(),
        Some("https://api.twilio.example/Recordings/RE1")
    );
    let pool = PoolKey {
        number: done.number_id,
        selector: Selector::Plain,
    };
    assert!(
        app.store.live_code(pool, code.parse().unwrap()).await.is_err(),
        "the code is freed when the call ends"
    );

    // The provider retries: the record stays as it was.
    app.twiml(dial.attr("action").unwrap(), &dialled).await;
    app.twiml(&format!("{}/twilio/status", app.base_url), &ended).await;
    assert_eq!(app.call_by_sid("CA1").await.unwrap(), done);
    app.finish().await;
}

async fn unsigned_or_forged_provider_requests_are_refused(engine: Engine) {
    let (app, _seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let url = format!("{}/twilio/gather", app.base_url);
    let params = [("CallSid", "CA9"), ("From", CALLER), ("To", TRACKING), ("Digits", "1")];
    let unsigned = app.client.post(&url).form(&params).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let forged = app
        .client
        .post(&url)
        .header("x-twilio-signature", sign(&url, &[("Digits", "2")]))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let stranger = [("CallSid", "CA9"), ("From", CALLER), ("To", "+12025550199")];
    assert_eq!(app.provider(&url, &stranger).await.status(), 403);
    assert!(app.call_by_sid("CA9").await.is_err(), "nothing was recorded");
    app.finish().await;
}

async fn without_a_usable_code_the_call_is_unattributed_or_found_by_its_caller(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let code = app.visit_with_code(&seeded, "http://localhost/?gclid=xyz").await;
    app.call_until_dial("CA1", CALLER, &code).await;
    let unknown = app.call_until_dial("CA2", "+12025550170", "77").await;
    assert!(unknown.find("Dial").is_some(), "an unknown code is still forwarded");
    assert_eq!(app.call_by_sid("CA2").await.unwrap().origin.matched_by, MatchedBy::None);
    let again = app.call_until_dial("CA3", CALLER, "").await;
    assert!(again.find("Dial").is_some());
    let returning = app.call_by_sid("CA3").await.unwrap();
    assert_eq!(returning.origin.matched_by, MatchedBy::Caller);
    assert_eq!(
        returning.origin.visit,
        app.call_by_sid("CA1").await.unwrap().origin.visit
    );
    assert_eq!(returning.lead_id, app.call_by_sid("CA1").await.unwrap().lead_id);
    app.finish().await;
}

async fn a_mistyped_check_digit_is_never_a_neighbours_visit(engine: Engine) {
    let settings = SiteSettings {
        check_digit: true,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let first = app.visit_with_code(&seeded, "http://localhost/a").await;
    let second = app.visit_with_code(&seeded, "http://localhost/b").await;
    let typo = format!("{}{}", &second[..1], (second[1..].parse::<u32>().unwrap() + 1) % 10);
    assert_ne!(typo, first);
    app.call_until_dial("CA1", CALLER, &typo).await;
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!((call.origin.matched_by, call.origin.visit), (MatchedBy::None, None));
    app.call_until_dial("CA2", "+12025550170", &second).await;
    assert_eq!(app.call_by_sid("CA2").await.unwrap().origin.matched_by, MatchedBy::Code);
    app.finish().await;
}

async fn a_business_extension_after_the_star_is_passed_on(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let code = app.visit_with_code(&seeded, "http://localhost/").await;
    let answer = app.call_until_dial("CA1", CALLER, &format!("{code}*305")).await;
    for number in answer.all("Number") {
        assert_eq!(number.attr("sendDigits"), Some("305"));
    }
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.origin.matched_by, call.extension.as_deref()),
        (MatchedBy::Code, Some("305"))
    );
    app.finish().await;
}

/// Reserves `code` of the seeded number's plain pool for the offline source `label`.
async fn reserve(app: &TestApp, seeded: &Seeded, code: u64, label: &str) {
    let number = leadline_core::store::NumberStore::number_for_site(&app.store, seeded.site.id)
        .await
        .unwrap()
        .unwrap();
    let pool = PoolKey {
        number: number.id,
        selector: Selector::Plain,
    };
    let label = Name::parse_as("label", label).unwrap();
    app.store.reserve_code(pool, code, &label).await.unwrap();
}

async fn a_reserved_code_names_its_offline_source(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    reserve(&app, &seeded, 50, "Spring flyer").await;
    let answer = app.call_until_dial("CA1", CALLER, "50").await;
    let whisper_url = answer.all("Number")[0].attr("url").unwrap().to_owned();
    let whisper = app
        .twiml(&whisper_url, &[("CallSid", "CA1-leg"), ("To", "+12025550111")])
        .await;
    assert_eq!(whisper.find("Say").unwrap().text, "Call 1000 from Spring flyer.");
    assert_eq!(
        app.call_by_sid("CA1").await.unwrap().origin.matched_by,
        MatchedBy::Reserved
    );
    app.finish().await;
}

async fn a_printed_code_is_not_cut_short_by_shorter_live_codes(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    for _ in 0..3 {
        app.visit_with_code(&seeded, "http://localhost/?utm_source=google&utm_medium=cpc")
            .await;
    }
    reserve(&app, &seeded, 42, "Herald ad").await;
    let voice = app
        .twiml(
            &format!("{}/twilio/voice", app.base_url),
            &[("CallSid", "CA1"), ("From", CALLER), ("To", TRACKING)],
        )
        .await;
    let gather = voice.find("Gather").unwrap();
    assert_eq!(gather.attr("numDigits"), None, "a one-digit gather would cut 42 to 4");
    app.call_until_dial("CA1", CALLER, "42").await;
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.origin.matched_by, call.origin.source_label.as_deref()),
        (MatchedBy::Reserved, Some("Herald ad"))
    );
    app.finish().await;
}

async fn the_lead_is_in_call_from_the_first_webhook_until_the_call_ends(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    app.call_until_dial("CA1", CALLER, "").await;
    let business = seeded.site.business_id;
    let lead = || async {
        leadline_core::store::LeadStore::lead(&app.store, business, 1000)
            .await
            .unwrap()
    };
    assert_eq!(lead().await.status, LeadStatus::InCall);
    let status = format!("{}/twilio/status?number=%2B12025550100", app.base_url);
    app.twiml(
        &status,
        &[("CallSid", "CA1"), ("To", TRACKING), ("CallStatus", "completed")],
    )
    .await;
    assert_eq!(
        lead().await.status,
        LeadStatus::New,
        "the status it had before the call"
    );
    app.finish().await;
}

async fn nobody_answering_leads_to_voicemail(engine: Engine) {
    let (app, _seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let answer = app.call_until_dial("CA1", CALLER, "").await;
    let action = answer.find("Dial").unwrap().attr("action").unwrap().to_owned();
    let after = app
        .twiml(
            &action,
            &[("CallSid", "CA1"), ("To", TRACKING), ("DialCallStatus", "no-answer")],
        )
        .await;
    let record = after.find("Record").expect("voicemail");
    assert!(
        record.attr("action").unwrap().contains("/twilio/status"),
        "the recording's end ends the call"
    );
    assert!(
        record
            .attr("recordingStatusCallback")
            .unwrap()
            .contains("/twilio/recording")
    );
    let recording = [
        ("CallSid", "CA1"),
        ("To", TRACKING),
        ("RecordingStatus", "completed"),
        ("RecordingUrl", "https://api.twilio.example/Recordings/RE2"),
    ];
    app.twiml(record.attr("recordingStatusCallback").unwrap(), &recording)
        .await;
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.outcome, call.recording_url.as_deref()),
        (
            Some(CallOutcome::NoAnswer),
            Some("https://api.twilio.example/Recordings/RE2")
        )
    );
    app.finish().await;
}

async fn with_the_database_down_the_caller_still_reaches_the_business(engine: Engine) {
    let config = Config {
        telephony_fallback_number: Some("+12025550111".into()),
        ..Config::default()
    };
    let (app, _seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    app.store.close().await;
    let response = app
        .provider(
            &format!("{}/twilio/voice", app.base_url),
            &[("CallSid", "CA1"), ("From", CALLER), ("To", TRACKING)],
        )
        .await;
    assert_eq!(response.status(), 200, "never a 5xx to the provider");
    let answer = parse(&response.text().await.unwrap());
    assert_eq!(answer.find("Number").unwrap().text, "+12025550111");
    app.finish().await;
}

#[tokio::test]
async fn the_official_twilio_library_signs_requests_the_server_accepts() {
    let script = "import sys\nfrom twilio.request_validator import RequestValidator\n\
                  print(RequestValidator(sys.argv[1]).compute_signature(sys.argv[2], dict(a.split('=', 1) for a in sys.argv[3:])))";
    let probe = std::process::Command::new("python3")
        .args(["-c", "import twilio"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        leadline_testkit::skip("cross-check with the twilio package: python3 -m pip install twilio");
        return;
    }
    let (app, _seeded) = TestApp::spawn_site(Engine::Sqlite, Config::default(), SiteSettings::default()).await;
    let url = format!("{}/twilio/voice", app.base_url);
    let params = [
        ("CallSid", "CA7"),
        ("From", CALLER),
        ("To", TRACKING),
        ("CallerName", "Ann & Co <1>"),
    ];
    let args: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let output = std::process::Command::new("python3")
        .args(["-c", script, AUTH_TOKEN, &url])
        .args(&args)
        .output()
        .unwrap();
    let signature = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(
        signature,
        sign(&url, &params),
        "our signature agrees with the reference library"
    );
    let response = app
        .client
        .post(&url)
        .header("x-twilio-signature", &signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.finish().await;
}

crate::on_both_engines!(
    a_call_with_the_visit_code_ends_attributed_and_frees_the_code,
    unsigned_or_forged_provider_requests_are_refused,
    without_a_usable_code_the_call_is_unattributed_or_found_by_its_caller,
    a_mistyped_check_digit_is_never_a_neighbours_visit,
    a_business_extension_after_the_star_is_passed_on,
    a_reserved_code_names_its_offline_source,
    a_printed_code_is_not_cut_short_by_shorter_live_codes,
    nobody_answering_leads_to_voicemail,
    the_lead_is_in_call_from_the_first_webhook_until_the_call_ends,
    with_the_database_down_the_caller_still_reaches_the_business,
);
