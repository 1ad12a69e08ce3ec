use super::*;
use crate::transcript::Turn;
use proptest::prelude::*;

fn rule(id: i64, phrases: &str, who: Who, tag: Option<&str>, status: Option<LeadStatus>, weight: i64) -> SpeechRule {
    SpeechRule {
        id,
        rule: NewSpeechRule {
            phrases: parse_phrases(phrases).unwrap(),
            who,
            tag: tag.map(str::to_owned),
            status,
            weight,
        },
    }
}

fn call(turns: &[(Speaker, &str)]) -> Transcript {
    Transcript::new(turns.iter().map(|(speaker, text)| Turn {
        speaker: *speaker,
        start_ms: None,
        text: (*text).to_owned(),
    }))
}

#[test]
fn a_mention_tags_the_lead_and_moves_its_status() {
    let rules = [rule(
        1,
        "appointment, book",
        Who::Anyone,
        Some("booking"),
        Some(LeadStatus::Qualified),
        0,
    )];
    let verdict = judge(
        &rules,
        &Transcript::block("Can I BOOK a visit for Tuesday?", Speaker::Unknown),
    );
    assert_eq!(verdict.tags, vec!["booking".to_owned()]);
    assert_eq!(verdict.status, Some(LeadStatus::Qualified));
    assert_eq!(verdict.fired, vec![1]);
}

#[test]
fn phrases_match_whole_words_only() {
    let rules = [rule(1, "book", Who::Anyone, Some("booking"), None, 0)];
    for heard in ["I booked it", "found you on facebook", "bookkeeping"] {
        assert!(
            judge(&rules, &Transcript::block(heard, Speaker::Unknown))
                .fired
                .is_empty(),
            "{heard}"
        );
    }
    let two = [rule(1, "call me back", Who::Anyone, None, None, 5)];
    assert_eq!(
        judge(
            &two,
            &Transcript::block("please call me back, thanks", Speaker::Unknown)
        )
        .score,
        5
    );
    assert_eq!(
        judge(&two, &Transcript::block("call me later and back", Speaker::Unknown)).score,
        0
    );
}

#[test]
fn a_rule_on_what_the_caller_says_ignores_the_business_and_unknown_speakers() {
    let rules = [rule(1, "unsubscribe", Who::Caller, Some("do-not-call"), None, 0)];
    let business_said = call(&[(Speaker::Business, "say unsubscribe to stop"), (Speaker::Caller, "ok")]);
    assert!(judge(&rules, &business_said).fired.is_empty());
    assert!(
        judge(&rules, &Transcript::block("unsubscribe me", Speaker::Unknown))
            .fired
            .is_empty()
    );
    let caller_said = call(&[
        (Speaker::Business, "Acme, hello"),
        (Speaker::Caller, "Unsubscribe me please"),
    ]);
    assert_eq!(judge(&rules, &caller_said).tags, vec!["do-not-call".to_owned()]);
}

#[test]
fn weights_add_up_and_the_first_status_wins() {
    let rules = [
        rule(1, "price", Who::Anyone, None, Some(LeadStatus::Contacted), 2),
        rule(2, "today", Who::Anyone, Some("urgent"), Some(LeadStatus::Qualified), 3),
        rule(3, "just looking", Who::Anyone, None, None, -4),
    ];
    let verdict = judge(
        &rules,
        &Transcript::block("What's the price? I'm just looking, not today.", Speaker::Unknown),
    );
    assert_eq!(verdict.score, 1);
    assert_eq!(verdict.status, Some(LeadStatus::Contacted));
    assert_eq!(verdict.tags, vec!["urgent".to_owned()]);
}

#[test]
fn a_rule_that_does_nothing_or_sets_in_call_is_refused() {
    let mut r = rule(1, "x", Who::Anyone, None, None, 0).rule;
    assert!(r.validate().is_err());
    r.status = Some(LeadStatus::InCall);
    assert!(r.validate().is_err());
    r.status = Some(LeadStatus::Lost);
    assert!(r.validate().is_ok());
    assert!(parse_phrases(" , ").is_err());
    assert!(Phrase::parse("book%now").is_err());
}

proptest! {
    #[test]
    fn a_phrase_said_anywhere_in_any_case_fires_its_rule(
        before in "[a-z ]{0,30}",
        after in "[a-z ]{0,30}",
        phrase in "[a-z]{2,8}( [a-z]{2,8}){0,2}",
        upper in any::<bool>(),
    ) {
        let rules = [rule(7, &phrase, Who::Anyone, Some("t"), None, 1)];
        let spoken = if upper { phrase.to_uppercase() } else { phrase.clone() };
        let said = format!("{before} {spoken}. {after}");
        prop_assert_eq!(judge(&rules, &Transcript::block(&said, Speaker::Unknown)).fired, vec![7]);
    }

    #[test]
    fn a_phrase_glued_to_other_letters_never_fires(
        phrase in "[a-z]{3,8}",
        glue in "[a-z]{1,4}",
    ) {
        let rules = [rule(7, &phrase, Who::Anyone, Some("t"), None, 1)];
        let said = format!("{glue}{phrase} {phrase}{glue}");
        prop_assert!(judge(&rules, &Transcript::block(&said, Speaker::Unknown)).fired.is_empty());
    }

    #[test]
    fn caller_rules_never_fire_without_a_known_caller_turn(
        said in "[a-z ]{0,60}",
        phrase in "[a-z]{2,6}",
    ) {
        let rules = [rule(7, &phrase, Who::Caller, Some("t"), None, 1)];
        let transcript = call(&[(Speaker::Business, &said), (Speaker::Unknown, &said)]);
        prop_assert!(judge(&rules, &transcript).fired.is_empty());
    }
}
