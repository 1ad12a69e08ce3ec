//! Transcripts: queued with the recording link only while the business has a speech API,
//! claimed under a lease, retried, failed or done; redacted text searchable by its own
//! business only; the service's key sealed; rules kept per business in order.

use crate::calls::{open_unattributed, setup};
use crate::conformance;
use crate::fixtures::report;
use leadline_core::BusinessId;
use leadline_core::call::CallReport;
use leadline_core::lead::LeadStatus;
use leadline_core::provider::WebLink;
use leadline_core::secret::Secret;
use leadline_core::speech_rules::{NewSpeechRule, SpeechRuleStore, Who, parse_phrases};
use leadline_core::store::StoreError;
use leadline_core::transcript::{
    SearchWords, ServiceBase, Speaker, SpeechApi, SpeechModel, Transcript, TranscriptState, TranscriptStore,
    TranscriptionOutcome, TranscriptionService,
};
use leadline_store::SqlStore;

const HOUR_MS: i64 = 3_600_000;

fn speech_api() -> TranscriptionService {
    TranscriptionService::SpeechApi(SpeechApi {
        base: ServiceBase::parse("https://stt.example").unwrap(),
        model: SpeechModel::parse("whisper-1").unwrap(),
        key: Secret::new("sk-test-key"),
        language: None,
        diarize: true,
    })
}

fn recorded() -> CallReport {
    CallReport {
        recording_url: Some(WebLink::parse("https://api.twilio.com/rec/RE1").unwrap()),
        ended: true,
        ..CallReport::default()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn a_recording_is_queued_once_and_only_while_the_business_has_a_speech_api(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let first = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    report(&store, s.number, "CA1", &recorded()).await.unwrap();
    assert_eq!(store.transcript(s.business, first.record_ref).await.unwrap(), None);

    store
        .set_transcription_service(s.business, Some(&speech_api()))
        .await
        .unwrap();
    assert_eq!(
        store.transcription_service(s.business).await.unwrap(),
        Some(speech_api())
    );
    let second = open_unattributed(&store, &s, "CA2", "+12025550170").await;
    report(&store, s.number, "CA2", &recorded()).await.unwrap();
    report(&store, s.number, "CA2", &recorded()).await.unwrap();
    let jobs = store.claim_transcriptions(now(), HOUR_MS, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        (jobs[0].business, jobs[0].record_ref, jobs[0].attempt),
        (s.business, second.record_ref, 1)
    );
    assert!(
        store.claim_transcriptions(now(), HOUR_MS, 10).await.unwrap().is_empty(),
        "claimed twice"
    );
}

async fn a_failed_try_waits_for_its_time_then_a_lost_lease_is_taken_over(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    store
        .set_transcription_service(s.business, Some(&speech_api()))
        .await
        .unwrap();
    let call = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    report(&store, s.number, "CA1", &recorded()).await.unwrap();
    let job = store.claim_transcriptions(now(), HOUR_MS, 10).await.unwrap().remove(0);
    let retry = TranscriptionOutcome::Retry {
        at_ms: now() + HOUR_MS,
        error: "the service answered 503".into(),
    };
    assert!(store.finish_transcription(&job, &retry).await.unwrap());
    let state = store.transcript(s.business, call.record_ref).await.unwrap();
    assert_eq!(
        state,
        Some(TranscriptState::Pending {
            attempts: 1,
            last_error: Some("the service answered 503".into())
        })
    );
    assert!(
        store.claim_transcriptions(now(), HOUR_MS, 10).await.unwrap().is_empty(),
        "claimed before its time"
    );

    let later = now() + 2 * HOUR_MS;
    let second = store.claim_transcriptions(later, 1_000, 10).await.unwrap().remove(0);
    assert_eq!(second.attempt, 2);
    let third = store
        .claim_transcriptions(later + 2_000, 1_000, 10)
        .await
        .unwrap()
        .remove(0);
    let failed = TranscriptionOutcome::Failed {
        error: "gave up".into(),
    };
    assert!(
        !store.finish_transcription(&second, &failed).await.unwrap(),
        "a lost lease finished the job"
    );
    assert!(store.finish_transcription(&third, &failed).await.unwrap());
    let state = store.transcript(s.business, call.record_ref).await.unwrap();
    assert_eq!(
        state,
        Some(TranscriptState::Failed {
            error: "gave up".into()
        })
    );
}

async fn transcripts_are_found_by_words_said_within_their_own_business_only(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "other", "other.example", "+12025550101").await;
    let booked = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    let quiet = open_unattributed(&store, &s, "CA2", "+12025550170").await;
    let theirs = open_unattributed(&store, &other, "CA3", "+12025550171").await;
    let said = Transcript::block(
        "I'd like to Book an appointment, card 4111 1111 1111 1111",
        Speaker::Unknown,
    );
    store
        .save_transcript(s.business, booked.record_ref, &said, 3)
        .await
        .unwrap();
    let plain = Transcript::block("just a question about 100% wool_blend", Speaker::Unknown);
    store
        .save_transcript(s.business, quiet.record_ref, &plain, 0)
        .await
        .unwrap();
    store
        .save_transcript(other.business, theirs.record_ref, &said, 0)
        .await
        .unwrap();

    let words = |w: &str| SearchWords::parse(w).unwrap();
    assert_eq!(
        store
            .search_transcripts(s.business, &words("book AN"), 10)
            .await
            .unwrap(),
        vec![booked.record_ref]
    );
    assert_eq!(
        store
            .search_transcripts(other.business, &words("book"), 10)
            .await
            .unwrap(),
        vec![theirs.record_ref]
    );
    assert!(
        store
            .search_transcripts(s.business, &words("4111"), 10)
            .await
            .unwrap()
            .is_empty(),
        "card kept"
    );
    assert_eq!(
        store.search_transcripts(s.business, &words("100%"), 10).await.unwrap(),
        vec![quiet.record_ref]
    );
    assert!(
        store
            .search_transcripts(s.business, &words("wool%blend"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_transcripts(s.business, &words("100_"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let Some(TranscriptState::Done { transcript, score }) =
        store.transcript(s.business, booked.record_ref).await.unwrap()
    else {
        panic!("no transcript");
    };
    assert_eq!((transcript, score), (said.clone(), 3));
    let err = store
        .transcript(other.business, booked.record_ref + 1_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store
        .save_transcript(other.business, booked.record_ref + 1_000, &said, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let past = store.transcribed_calls(s.business, 0, 10).await.unwrap();
    assert_eq!(
        past.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![booked.record_ref, quiet.record_ref]
    );
}

async fn the_activity_search_finds_calls_by_words_said_in_their_own_business_only(store: SqlStore) {
    use leadline_core::interaction::{InteractionFilter, InteractionStore};
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "other", "other.example", "+12025550101").await;
    let booked = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    open_unattributed(&store, &s, "CA2", "+12025550170").await;
    let theirs = open_unattributed(&store, &other, "CA3", "+12025550171").await;
    let said = Transcript::block("Can I book an Appointment for Tuesday?", Speaker::Caller);
    store
        .save_transcript(s.business, booked.record_ref, &said, 0)
        .await
        .unwrap();
    store
        .save_transcript(other.business, theirs.record_ref, &said, 0)
        .await
        .unwrap();
    let searched = |text: &str| InteractionFilter {
        text: Some(text.into()),
        limit: 10,
        ..InteractionFilter::default()
    };
    let found = store
        .interactions(s.business, &searched("APPOINTMENT for"))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|i| i.record_ref).collect::<Vec<_>>(),
        vec![booked.record_ref]
    );
    let found = store
        .interactions(other.business, &searched("appointment"))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|i| i.record_ref).collect::<Vec<_>>(),
        vec![theirs.record_ref]
    );
    assert!(
        store
            .interactions(s.business, &searched("cancel"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn the_speech_api_key_is_sealed_at_rest(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    store
        .set_transcription_service(s.business, Some(&speech_api()))
        .await
        .unwrap();
    let stored = store
        .stored_texts("SELECT api_key FROM transcription_services")
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("sk-test-key"), "{stored:?}");
    store.set_transcription_service(s.business, None).await.unwrap();
    assert_eq!(store.transcription_service(s.business).await.unwrap(), None);
    let err = store
        .set_transcription_service(BusinessId(999_999), Some(&speech_api()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn rules_are_kept_in_order_per_business_and_removed_by_their_own_business_only(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "other", "other.example", "+12025550101").await;
    let new = |phrases: &str, tag: &str| NewSpeechRule {
        phrases: parse_phrases(phrases).unwrap(),
        who: Who::Caller,
        tag: Some(tag.into()),
        status: Some(LeadStatus::Qualified),
        weight: -2,
    };
    let first = store
        .add_speech_rule(s.business, &new("appointment, book", "booking"))
        .await
        .unwrap();
    let second = store
        .add_speech_rule(s.business, &new("unsubscribe", "do-not-call"))
        .await
        .unwrap();
    assert_eq!(first.rule, new("appointment, book", "booking"));
    assert_eq!(
        store.speech_rules(s.business).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert!(store.speech_rules(other.business).await.unwrap().is_empty());
    let err = store.remove_speech_rule(other.business, first.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    store.remove_speech_rule(s.business, first.id).await.unwrap();
    assert_eq!(store.speech_rules(s.business).await.unwrap(), vec![second]);
}

async fn an_erased_person_s_transcripts_and_an_expired_recording_s_go(store: SqlStore) {
    use leadline_core::erasure::ErasureStore;
    use leadline_core::retention::RetentionStore;
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let erased = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    let expired = open_unattributed(&store, &s, "CA2", "+12025550170").await;
    let kept = open_unattributed(&store, &s, "CA3", "+12025550171").await;
    report(&store, s.number, "CA1", &recorded()).await.unwrap();
    let said = Transcript::block("my name is Ann Smith", Speaker::Caller);
    for call in [&erased, &expired, &kept] {
        store
            .save_transcript(s.business, call.record_ref, &said, 0)
            .await
            .unwrap();
    }
    let by = leadline_core::lead::Author::system();
    store
        .erase_person(s.business, leadline_core::LeadId(erased.lead_id), &by, &[])
        .await
        .unwrap();
    let expired_id: String = store
        .stored_texts(&format!(
            "SELECT CAST(id AS TEXT) FROM calls WHERE record_ref = {}",
            expired.record_ref
        ))
        .await
        .unwrap()
        .remove(0);
    store
        .forget_recording(s.business, expired_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(store.transcript(s.business, erased.record_ref).await.unwrap(), None);
    assert_eq!(store.transcript(s.business, expired.record_ref).await.unwrap(), None);
    assert!(store.transcript(s.business, kept.record_ref).await.unwrap().is_some());
}

async fn a_transcription_the_provider_could_not_make_shows_as_failed_until_one_arrives(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "other", "other.example", "+12025550101").await;
    let call = open_unattributed(&store, &s, "CA1", "+12025550169").await;
    let err = store
        .fail_transcript(other.business, call.record_ref, "no")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    store
        .fail_transcript(s.business, call.record_ref, "the provider failed")
        .await
        .unwrap();
    assert_eq!(
        store.transcript(s.business, call.record_ref).await.unwrap(),
        Some(TranscriptState::Failed {
            error: "the provider failed".into()
        })
    );
    let said = Transcript::block("call me back", Speaker::Caller);
    store
        .save_transcript(s.business, call.record_ref, &said, 0)
        .await
        .unwrap();
    let words = SearchWords::parse("call me").unwrap();
    assert_eq!(
        store.search_transcripts(s.business, &words, 10).await.unwrap(),
        vec![call.record_ref]
    );
}

conformance!(
    a_transcription_the_provider_could_not_make_shows_as_failed_until_one_arrives,
    an_erased_person_s_transcripts_and_an_expired_recording_s_go,
    a_recording_is_queued_once_and_only_while_the_business_has_a_speech_api,
    a_failed_try_waits_for_its_time_then_a_lost_lease_is_taken_over,
    transcripts_are_found_by_words_said_within_their_own_business_only,
    the_speech_api_key_is_sealed_at_rest,
    the_activity_search_finds_calls_by_words_said_in_their_own_business_only,
    rules_are_kept_in_order_per_business_and_removed_by_their_own_business_only,
);
