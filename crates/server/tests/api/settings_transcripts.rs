//! Settings › Transcripts: owners choose the speech-to-text service (its key never shown back,
//! kept when left empty), add and remove rules on what was said, and apply them again to past
//! transcripts; operators do not see the page.

use crate::helpers::{Engine, TestApp};
use crate::operator::{csrf_of, log_in, operator, page, post};
use crate::settings_setup::owner;
use leadline::config::Config;
use leadline_core::lead::LeadStatus;
use leadline_core::speech_rules::SpeechRuleStore;
use leadline_core::store::LeadStore;
use leadline_core::transcript::{Speaker, Transcript, TranscriptState, TranscriptStore, TranscriptionService};

async fn owners_set_the_service_and_rules_and_apply_them_to_past_transcripts(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), Default::default()).await;
    let business = seeded.site.business_id;
    let call = crate::leads::call(&app, &seeded, "CA-past-1", None, 10).await;
    let said = Transcript::block("We'd like a quote and to book a visit", Speaker::Unknown);
    leadline::app::transcripts::transcript_arrived(&app.store, business, call.record_ref, &said)
        .await
        .unwrap();
    let cookie = owner(&app, business).await;
    let (status, html) = page(&app, &cookie, "/app/settings/transcripts").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"value="off" checked"#), "{html}");
    let csrf = csrf_of(&html);

    let api = |key: &'static str| {
        [
            ("kind", "speech_api"),
            ("base_url", "https://stt.example"),
            ("model", "whisper-1"),
            ("language", "en"),
            ("key", key),
        ]
    };
    let without_key = post(
        &app,
        &cookie,
        "/app/settings/transcripts",
        &[&[("csrf", csrf.as_str())][..], &api("")[..]].concat(),
    )
    .await;
    assert_eq!(without_key.status(), 400);
    assert!(without_key.text().await.unwrap().contains("give the service"));
    let saved = post(
        &app,
        &cookie,
        "/app/settings/transcripts",
        &[&[("csrf", csrf.as_str())][..], &api("sk-secret-1")[..]].concat(),
    )
    .await;
    assert_eq!(saved.status(), 303);
    let (_, html) = page(&app, &cookie, "/app/settings/transcripts?saved=1").await;
    assert!(
        html.contains(r#"value="speech_api" checked"#) && !html.contains("sk-secret-1"),
        "{html}"
    );
    let kept = post(
        &app,
        &cookie,
        "/app/settings/transcripts",
        &[&[("csrf", csrf.as_str())][..], &api("")[..]].concat(),
    )
    .await;
    assert_eq!(kept.status(), 303, "an empty key keeps the stored one");
    let Some(TranscriptionService::SpeechApi(stored)) = app.store.transcription_service(business).await.unwrap() else {
        panic!("no service");
    };
    assert_eq!(stored.key.expose(), "sk-secret-1");

    let rule = [
        ("csrf", csrf.as_str()),
        ("who", "anyone"),
        ("phrases", "quote, estimate"),
        ("tag", "quote"),
        ("status", "contacted"),
        ("weight", "3"),
    ];
    assert_eq!(
        post(&app, &cookie, "/app/settings/transcripts/rules", &rule)
            .await
            .status(),
        303
    );
    let bad = post(
        &app,
        &cookie,
        "/app/settings/transcripts/rules",
        &[("csrf", csrf.as_str()), ("who", "anyone"), ("phrases", "x")],
    )
    .await;
    assert_eq!(bad.status(), 400, "a rule that does nothing");
    let (_, html) = page(&app, &cookie, "/app/settings/transcripts").await;
    assert!(
        html.contains("quote, estimate") && html.contains("tag quote, status contacted, score +3"),
        "{html}"
    );

    let response = post(
        &app,
        &cookie,
        "/app/settings/transcripts/reapply",
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("applied again to 1 past transcript")
    );
    let lead = app
        .store
        .lead_by_id(business, leadline_core::LeadId(call.lead_id))
        .await
        .unwrap();
    assert_eq!(
        (lead.tags, lead.status),
        (vec!["quote".to_owned()], LeadStatus::Contacted)
    );
    let Some(TranscriptState::Done { score, .. }) = app.store.transcript(business, call.record_ref).await.unwrap()
    else {
        panic!("no transcript");
    };
    assert_eq!(score, 3);

    let id = app.store.speech_rules(business).await.unwrap()[0].id;
    let rival = app.add_business("rival", "Rival").await;
    crate::operator::user(&app, rival.id, "rex@rival.example", leadline_core::tenant::Role::Owner).await;
    let rival_cookie = log_in(&app, "rex@rival.example", crate::operator::PASSWORD)
        .await
        .unwrap();
    let (_, rival_html) = page(&app, &rival_cookie, "/app/settings/transcripts").await;
    let rival_csrf = csrf_of(&rival_html);
    let theirs = post(
        &app,
        &rival_cookie,
        &format!("/app/settings/transcripts/rules/{id}/remove"),
        &[("csrf", rival_csrf.as_str())],
    )
    .await;
    assert_eq!(theirs.status(), 404, "another business's rule");
    let removed = post(
        &app,
        &cookie,
        &format!("/app/settings/transcripts/rules/{id}/remove"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert!(app.store.speech_rules(business).await.unwrap().is_empty());

    operator(&app, business, "op@example.com").await;
    let op_cookie = log_in(&app, "op@example.com", crate::operator::PASSWORD).await.unwrap();
    assert_eq!(page(&app, &op_cookie, "/app/settings/transcripts").await.0, 404);
    app.finish().await;
}

crate::on_both_engines!(owners_set_the_service_and_rules_and_apply_them_to_past_transcripts);
