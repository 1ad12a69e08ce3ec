use super::*;
use proptest::prelude::*;

#[test]
fn a_transcript_is_redacted_when_it_is_built_and_when_it_is_read_back() {
    let transcript = Transcript::block("my card is 4111 1111 1111 1111", Speaker::Caller);
    assert_eq!(transcript.turns()[0].text, "my card is [redacted]");
    let stored = r#"[{"speaker":"caller","text":"4111111111111111"}]"#;
    assert_eq!(Transcript::from_stored(stored).unwrap().turns()[0].text, "[redacted]");
}

#[test]
fn a_card_split_over_two_turns_of_one_speaker_is_still_redacted() {
    let turn = |text: &str| Turn {
        speaker: Speaker::Caller,
        start_ms: None,
        text: text.into(),
    };
    let transcript = Transcript::new([turn("4111 1111"), turn("1111 1111")]);
    assert_eq!(transcript.turns().len(), 1);
    assert_eq!(transcript.turns()[0].text, "[redacted]");
}

#[test]
fn the_first_of_several_speakers_is_the_business_and_a_lone_one_is_unknown() {
    use Speaker::*;
    assert_eq!(
        Speaker::of_labels(["A", "B", "A", "C"]),
        vec![Business, Caller, Business, Caller]
    );
    assert_eq!(Speaker::of_labels(["A", "A"]), vec![Unknown, Unknown]);
}

#[test]
fn a_service_base_gets_the_transcriptions_path_once() {
    let url = |s| ServiceBase::parse(s).unwrap().transcriptions_url();
    assert_eq!(
        url("https://api.openai.com"),
        "https://api.openai.com/v1/audio/transcriptions"
    );
    assert_eq!(url("http://stt:8000/v1/"), "http://stt:8000/v1/audio/transcriptions");
    for bad in ["ftp://x", "https://u:p@x", "https://x/?a=1", "not a url"] {
        assert!(ServiceBase::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn models_languages_and_searches_are_checked_at_the_edge() {
    assert!(SpeechModel::parse("Systran/faster-whisper-small").is_ok());
    assert!(SpeechModel::parse("bad model").is_err());
    assert_eq!(Language::parse("EN").unwrap().as_str(), "en");
    assert!(Language::parse("eng").is_err());
    assert_eq!(SearchWords::parse("  Book   Now ").unwrap().as_str(), "book now");
    assert!(SearchWords::parse("   ").is_err());
}

proptest! {
    #[test]
    fn a_stored_transcript_reads_back_the_same(texts in proptest::collection::vec("[a-z ]{0,30}", 0..6)) {
        let speakers = [Speaker::Caller, Speaker::Business, Speaker::Unknown];
        let transcript = Transcript::new(texts.iter().enumerate().map(|(i, t)| Turn {
            speaker: speakers[i % 3],
            start_ms: Some(i as u64 * 1000),
            text: t.clone(),
        }));
        prop_assert_eq!(Transcript::from_stored(&transcript.to_stored()).unwrap(), transcript);
    }
}
