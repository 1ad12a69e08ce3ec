//! Transcripts: a recorded call's audio (a real WAV said by espeak-ng) fetched from the
//! provider with the number's credentials and posted to a fake OpenAI-compatible service that
//! checks the multipart request; the answer redacted, kept as speaker turns, judged by the
//! business's rules (tag and status on the lead through the outbox); a failing service tried
//! again and then shown as failed on the call.

use crate::calls::{CALLER, TRACKING};
use crate::fakes::FakeApi;
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, log_in, page, user};
use axum::Router;
use axum::extract::Multipart;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use leadline::config::Config;
use leadline_core::call::{CallKey, CallReport};
use leadline_core::lead::{Author, LeadStatus};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::provider::WebLink;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use leadline_core::speech_rules::{NewSpeechRule, Who, parse_phrases};
use leadline_core::store::{CallStore, LeadStore, OutboxStore};
use leadline_core::tenant::Role;
use leadline_core::transcript::{
    Language, ServiceBase, Speaker, SpeechApi, SpeechModel, TranscriptState, TranscriptStore, TranscriptionService,
};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-test-0123456789";
const MODEL: &str = "whisper-large-v3";

/// What the fake service answers: the business greets, the caller books and reads a card.
const DIARIZED: &str = r#"{"text":"…","segments":[
    {"type":"transcript.text.segment","id":"s0","start":0.0,"end":1.5,"text":"Acme Plumbing, how can I help?","speaker":"A"},
    {"type":"transcript.text.segment","id":"s1","start":1.6,"end":9.0,"text":"I'd like to book an appointment. My card is four one one one one one one one one one one one one one one one.","speaker":"B"},
    {"type":"transcript.text.segment","id":"s2","start":9.1,"end":10.0,"text":"Thanks, booked.","speaker":"A"}]}"#;

/// `text` said by espeak-ng, as WAV bytes; `None` (skipped off CI, failing on CI) without it.
fn spoken(text: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("said.wav");
    let made = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&path)
        .arg(text)
        .status();
    match made {
        Ok(status) if status.success() => Some(std::fs::read(&path).unwrap()),
        _ => {
            leadline_testkit::skip("transcript tests: espeak-ng is not installed (apt-get install espeak-ng)");
            None
        }
    }
}

/// The provider, serving recording RE1 to the seeded number's account credentials only.
async fn recording_host(audio: Vec<u8>) -> FakeApi {
    let audio = Arc::new(audio);
    let router = Router::new().route(
        "/2010-04-01/Accounts/AC1/Recordings/RE1.mp3",
        get(move |headers: HeaderMap| {
            let audio = audio.clone();
            let expected = format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("AC1:{AUTH_TOKEN}"))
            );
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [("content-type", "text/plain")],
                        b"no".to_vec(),
                    );
                }
                (StatusCode::OK, [("content-type", "audio/x-wav")], audio.to_vec())
            }
        }),
    );
    FakeApi::start(router).await
}

/// An OpenAI-compatible service that checks each request as OpenAI would (the Bearer key, a
/// multipart body with the file and its name, the model, the format) and that the file is
/// exactly the recording; a wrong request gets OpenAI's 400 error object saying what.
async fn speech_service(audio: Vec<u8>) -> FakeApi {
    let audio = Arc::new(audio);
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(move |headers: HeaderMap, mut form: Multipart| {
            let audio = audio.clone();
            async move {
                let refuse = |why: String| {
                    let body = serde_json::json!({"error": {"message": why, "type": "invalid_request_error", "param": null, "code": null}});
                    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
                };
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}")) {
                    return (StatusCode::UNAUTHORIZED, "bad key").into_response();
                }
                let mut fields = std::collections::BTreeMap::new();
                while let Ok(Some(field)) = form.next_field().await {
                    let name = field.name().unwrap_or("").to_owned();
                    if name == "file" {
                        let file_name = field.file_name().unwrap_or("").to_owned();
                        if !file_name.ends_with(".wav") {
                            return refuse(format!("file name {file_name:?} has no audio extension"));
                        }
                        if field.content_type() != Some("audio/wav") {
                            return refuse(format!("file type {:?}", field.content_type()));
                        }
                        let bytes = field.bytes().await.unwrap();
                        if bytes.as_ref() != audio.as_slice() {
                            return refuse(format!("the file is not the recording ({} bytes)", bytes.len()));
                        }
                        fields.insert(name, "<audio>".to_owned());
                    } else {
                        fields.insert(name, field.text().await.unwrap());
                    }
                }
                let wanted = [
                    ("file", "<audio>"),
                    ("language", "en"),
                    ("model", MODEL),
                    ("response_format", "diarized_json"),
                ];
                let wanted: std::collections::BTreeMap<String, String> =
                    wanted.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
                if fields != wanted {
                    return refuse(format!("fields {fields:?}"));
                }
                ([("content-type", "application/json")], DIARIZED).into_response()
            }
        }),
    );
    FakeApi::start(router).await
}

/// A service that is down.
async fn failing_service() -> FakeApi {
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { (StatusCode::SERVICE_UNAVAILABLE, r#"{"error":{"message":"overloaded"}}"#) }),
    );
    FakeApi::start(router).await
}

fn config(provider: &FakeApi) -> Config {
    Config {
        telephony_api_base_url: url::Url::parse(&provider.url).unwrap(),
        outbox_poll_ms: 50,
        outbox_backoff_base_ms: 20,
        outbox_max_attempts: 3,
        ..Config::default()
    }
}

async fn use_service(app: &TestApp, seeded: &Seeded, service: &FakeApi) {
    let api = SpeechApi {
        base: ServiceBase::parse(&service.url).unwrap(),
        model: SpeechModel::parse(MODEL).unwrap(),
        key: Secret::new(KEY),
        language: Some(Language::parse("en").unwrap()),
        diarize: true,
    };
    leadline::app::transcripts::set_service(
        &app.store,
        seeded.site.business_id,
        &Author::system(),
        Some(TranscriptionService::SpeechApi(api)),
    )
    .await
    .unwrap();
}

/// A call recorded as RE1 at the provider, once the business uses `service`; answers its
/// record ref.
async fn recorded_call(app: &TestApp, seeded: &Seeded, provider: &FakeApi, service: &FakeApi) -> u64 {
    let call = crate::leads::call(app, seeded, "CA-said-1", None, 10).await;
    use_service(app, seeded, service).await;
    let report = CallReport {
        recording_url: Some(
            WebLink::parse(&format!("{}/2010-04-01/Accounts/AC1/Recordings/RE1", provider.url)).unwrap(),
        ),
        ..CallReport::default()
    };
    let key = CallKey::Ref {
        business: seeded.site.business_id,
        record_ref: call.record_ref,
    };
    app.store.report_call(key, &report).await.unwrap();
    call.record_ref
}

/// The call's transcript once it is no longer pending (within a generous bound).
async fn settled(app: &TestApp, seeded: &Seeded, record_ref: u64) -> TranscriptState {
    for _ in 0..400 {
        match app.store.transcript(seeded.site.business_id, record_ref).await.unwrap() {
            Some(TranscriptState::Pending { .. }) | None => tokio::time::sleep(Duration::from_millis(50)).await,
            Some(settled) => return settled,
        }
    }
    panic!("the transcription never settled");
}

async fn a_recorded_call_is_transcribed_redacted_and_judged_by_the_rules(engine: Engine) {
    let Some(audio) = spoken("I would like to book an appointment.") else {
        return;
    };
    let provider = recording_host(audio.clone()).await;
    let service = speech_service(audio).await;
    let (app, seeded) = TestApp::spawn_site(engine, config(&provider), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let rule = |phrases: &str, who, tag: &str, status, weight| NewSpeechRule {
        phrases: parse_phrases(phrases).unwrap(),
        who,
        tag: Some(tag.into()),
        status,
        weight,
    };
    let booking = rule(
        "appointment, book",
        Who::Anyone,
        "booking",
        Some(LeadStatus::Qualified),
        5,
    );
    let stop = rule("unsubscribe", Who::Caller, "do-not-call", None, 0);
    let greeting = rule("how can i help", Who::Caller, "caller-asked-for-help", None, 1);
    for r in [&booking, &stop, &greeting] {
        leadline::app::speech_rules::add_rule(&app.store, business, &Author::system(), r)
            .await
            .unwrap();
    }
    let hook = NewIntegration {
        business_id: business,
        site_id: None,
        name: "CRM hook".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.acme.example/leadline".into(),
            secret: "whsec_enough_length_secret".into(),
        },
    };
    app.store.add_integration(&hook).await.unwrap();
    let record_ref = recorded_call(&app, &seeded, &provider, &service).await;

    let TranscriptState::Done { transcript, score } = settled(&app, &seeded, record_ref).await else {
        panic!(
            "not transcribed: {:?}",
            app.store.transcript(business, record_ref).await
        );
    };
    let turns = transcript.turns();
    assert_eq!(turns.len(), 3, "{turns:?}");
    assert_eq!(
        turns.iter().map(|t| t.speaker).collect::<Vec<_>>(),
        [Speaker::Business, Speaker::Caller, Speaker::Business]
    );
    assert_eq!(turns[1].text, "I'd like to book an appointment. My card is [redacted].");
    assert_eq!(score, 5, "only the booking rule fired: the greeting was the business's");
    let call = app.store.call_by_ref(business, record_ref).await.unwrap();
    let lead = app
        .store
        .lead_by_id(business, leadline_core::LeadId(call.lead_id))
        .await
        .unwrap();
    assert_eq!(lead.tags, vec!["booking".to_owned()]);
    assert_eq!(lead.status, LeadStatus::Qualified);
    let queued: Vec<String> = app
        .store
        .list_deliveries(Some(business), None, 100)
        .await
        .unwrap()
        .iter()
        .map(|d| d.event_kind.as_str().to_owned())
        .collect();
    assert!(
        queued.contains(&"lead.status_changed".to_owned()) && queued.contains(&"lead.updated".to_owned()),
        "the rules' changes go to the outbox like any other: {queued:?}"
    );
    let authors = app
        .store
        .stored_texts(&format!(
            "SELECT data FROM events WHERE lead_id = {} AND kind = 'lead.status_changed'",
            call.lead_id
        ))
        .await
        .unwrap();
    assert!(authors[0].contains("rules:speech"), "{authors:?}");
    let stored = app.store.stored_texts("SELECT turns FROM transcripts").await.unwrap();
    assert!(
        !stored[0].contains("four one one one"),
        "the card never reaches the database: {stored:?}"
    );
    app.finish().await;
}

async fn a_failing_service_is_tried_again_then_shown_as_failed_on_the_call(engine: Engine) {
    let Some(audio) = spoken("Hello.") else {
        return;
    };
    let provider = recording_host(audio).await;
    let service = failing_service().await;
    let (app, seeded) = TestApp::spawn_site(engine, config(&provider), SiteSettings::default()).await;
    let record_ref = recorded_call(&app, &seeded, &provider, &service).await;

    let TranscriptState::Failed { error } = settled(&app, &seeded, record_ref).await else {
        panic!("not failed");
    };
    assert!(
        error.contains("503") && error.contains("overloaded") && error.contains("after 3 attempts"),
        "{error}"
    );
    assert_eq!(service.requests().len(), 3, "one try and two retries");
    user(&app, seeded.site.business_id, "ann@example.com", Role::Operator).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, &format!("/app/leads/{record_ref}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Transcription failed"), "{html}");
    app.finish().await;
}

async fn the_provider_transcribes_voicemails_and_its_signed_callback_is_kept_and_judged(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let call = crate::leads::call(&app, &seeded, "CA-vm-1", None, 10).await;
    leadline::app::transcripts::set_service(
        &app.store,
        business,
        &Author::system(),
        Some(TranscriptionService::Provider),
    )
    .await
    .unwrap();
    let stop = NewSpeechRule {
        phrases: parse_phrases("unsubscribe").unwrap(),
        who: Who::Caller,
        tag: Some("do-not-call".into()),
        status: None,
        weight: 0,
    };
    leadline::app::speech_rules::add_rule(&app.store, business, &Author::system(), &stop)
        .await
        .unwrap();

    let no_answer = [
        ("CallSid", "CA-vm-1"),
        ("To", TRACKING),
        ("DialCallStatus", "no-answer"),
    ];
    let voicemail = app.twiml(&format!("{}/twilio/dial", app.base_url), &no_answer).await;
    let record = voicemail.find("Record").expect("a voicemail");
    assert_eq!(record.attr("transcribe"), Some("true"));
    assert_eq!(
        record.attr("maxLength"),
        Some("119"),
        "Twilio transcribes under 120 s only"
    );
    let callback = record.attr("transcribeCallback").unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{}/twilio/transcription", app.base_url)),
        "{callback}"
    );

    let said = [
        ("CallSid", "CA-vm-1"),
        ("To", TRACKING),
        ("From", CALLER),
        ("AccountSid", "AC1"),
        ("RecordingSid", "RE1"),
        ("TranscriptionSid", "TR1"),
        ("TranscriptionStatus", "completed"),
        (
            "TranscriptionText",
            "Please unsubscribe me. Card 4111 1111 1111 1111, security code 123.",
        ),
    ];
    let forged = app
        .client
        .post(&callback)
        .header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl")
        .form(&said)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let unsigned = app.client.post(&callback).form(&said).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(app.store.transcript(business, call.record_ref).await.unwrap(), None);

    let failed = [
        ("CallSid", "CA-vm-1"),
        ("To", TRACKING),
        ("TranscriptionSid", "TR1"),
        ("TranscriptionStatus", "failed"),
    ];
    assert_eq!(app.provider(&callback, &failed).await.status(), 200);
    let Some(TranscriptState::Failed { error }) = app.store.transcript(business, call.record_ref).await.unwrap() else {
        panic!("a failed transcription is not shown");
    };
    assert!(error.contains("could not transcribe"), "{error}");

    assert_eq!(app.provider(&callback, &said).await.status(), 200);
    let Some(TranscriptState::Done { transcript, .. }) = app.store.transcript(business, call.record_ref).await.unwrap()
    else {
        panic!("not kept");
    };
    assert_eq!(transcript.turns()[0].speaker, Speaker::Caller);
    assert_eq!(
        transcript.turns()[0].text,
        "Please unsubscribe me. Card [redacted], security code [redacted]."
    );
    let lead = app
        .store
        .lead_by_id(business, leadline_core::LeadId(call.lead_id))
        .await
        .unwrap();
    assert_eq!(lead.tags, vec!["do-not-call".to_owned()]);

    let rival = app.add_business("rival", "Rival").await;
    let err = app.store.transcript(rival.id, call.record_ref).await.unwrap_err();
    assert!(matches!(err, leadline_core::store::StoreError::NotFound), "{err:?}");
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let cookie = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, &format!("/app/leads/{}", call.record_ref)).await;
    assert_eq!(status, 404, "another business's lead page");
    assert!(!html.contains("unsubscribe"));
    let (_, found) = page(&app, &cookie, "/app/activity?q=unsubscribe").await;
    assert!(
        !found.contains("unsubscribe me") && found.contains("Nothing matches"),
        "{found}"
    );
    app.finish().await;
}

async fn activity_finds_a_call_by_words_said_and_the_lead_page_shows_who_said_them(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let call = crate::leads::call(&app, &seeded, "CA-said-2", None, 10).await;
    let said = leadline_core::transcript::Transcript::new([
        leadline_core::transcript::Turn {
            speaker: Speaker::Business,
            start_ms: Some(0),
            text: "Acme, hello".into(),
        },
        leadline_core::transcript::Turn {
            speaker: Speaker::Caller,
            start_ms: Some(1200),
            text: "Do you fix leaking boilers?".into(),
        },
    ]);
    leadline::app::transcripts::transcript_arrived(&app.store, business, call.record_ref, &said)
        .await
        .unwrap();
    user(&app, business, "ann@example.com", Role::Operator).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/activity?q=Leaking+Boilers").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("<td>{}</td>", call.record_ref)), "{html}");
    let (_, none) = page(&app, &cookie, "/app/activity?q=roof").await;
    assert!(none.contains("Nothing matches"), "{none}");
    let (_, lead) = page(&app, &cookie, &format!("/app/leads/{}", call.record_ref)).await;
    assert!(
        lead.contains("<dt>Caller</dt><dd>Do you fix leaking boilers?</dd>"),
        "{lead}"
    );
    assert!(lead.contains("<dt>Business</dt><dd>Acme, hello</dd>"), "{lead}");
    assert!(lead.contains("<audio controls"), "the player: {lead}");
    app.finish().await;
}

crate::on_both_engines!(
    a_recorded_call_is_transcribed_redacted_and_judged_by_the_rules,
    a_failing_service_is_tried_again_then_shown_as_failed_on_the_call,
    the_provider_transcribes_voicemails_and_its_signed_callback_is_kept_and_judged,
    activity_finds_a_call_by_words_said_and_the_lead_page_shows_who_said_them,
);
