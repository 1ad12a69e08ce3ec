use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn call(record_ref: u64, minutes: i64, result: CallResult, seconds: u32) -> CallSpamFacts {
    CallSpamFacts {
        record_ref,
        started_at: at(minutes),
        result,
        duration_seconds: Some(seconds),
        spam: None,
    }
}

#[test]
fn three_short_unanswered_calls_in_a_day_flag_all_three() {
    let calls = [
        call(1, 0, CallResult::Abandoned, 2),
        call(2, 30, CallResult::Missed, 8),
        call(3, 600, CallResult::Abandoned, 1),
    ];
    assert_eq!(repeated(&RepeatRule::DEFAULT, at(600), &calls), vec![1, 2, 3]);
}

#[test]
fn two_short_calls_are_not_enough_and_answered_or_long_calls_do_not_count() {
    let calls = [
        call(1, 0, CallResult::Abandoned, 2),
        call(2, 10, CallResult::Answered, 3),
        call(3, 20, CallResult::Missed, 45),
        call(4, 30, CallResult::Voicemail, 5),
        call(5, 40, CallResult::Abandoned, 4),
    ];
    assert!(repeated(&RepeatRule::DEFAULT, at(40), &calls).is_empty());
}

#[test]
fn calls_older_than_the_window_do_not_count() {
    let calls = [
        call(1, 0, CallResult::Abandoned, 2),
        call(2, 60, CallResult::Abandoned, 2),
        call(3, 25 * 60, CallResult::Abandoned, 2),
    ];
    assert!(repeated(&RepeatRule::DEFAULT, at(25 * 60), &calls).is_empty());
}

#[test]
fn a_call_a_person_cleared_counts_but_is_never_flagged_again() {
    let mut cleared = call(1, 0, CallResult::Abandoned, 2);
    cleared.spam = Some(SpamMark::Cleared);
    let calls = [
        cleared,
        call(2, 1, CallResult::Abandoned, 2),
        call(3, 2, CallResult::Abandoned, 2),
    ];
    assert_eq!(repeated(&RepeatRule::DEFAULT, at(2), &calls), vec![2, 3]);
}

#[test]
fn the_rule_refuses_bounds_a_person_would_not_mean() {
    assert!(RepeatRule::new(1, 10, 24).is_err());
    assert!(RepeatRule::new(3, 0, 24).is_err());
    assert!(RepeatRule::new(3, 10, 0).is_err());
    assert!(RepeatRule::new(3, 10, 169).is_err());
    assert_eq!(RepeatRule::new(3, 10, 24).unwrap(), RepeatRule::DEFAULT);
}

#[test]
fn a_blocked_message_must_say_something_printable_and_short() {
    assert_eq!(BlockedAnswer::parse("reject", None).unwrap(), BlockedAnswer::Reject);
    assert_eq!(
        BlockedAnswer::parse("message", Some("  We do not take these calls. ")).unwrap(),
        BlockedAnswer::Message("We do not take these calls.".into())
    );
    let empty = BlockedAnswer::parse("message", Some("  ")).unwrap_err();
    assert!(empty.to_string().contains("blocked message"), "{empty}");
    assert!(BlockedAnswer::parse("message", Some(&"a".repeat(301))).is_err());
    assert!(BlockedAnswer::parse("message", Some("bell\u{7}")).is_err());
    let unknown = BlockedAnswer::parse("hangup", None).unwrap_err();
    assert!(unknown.to_string().contains("'hangup'"), "{unknown}");
}

#[test]
fn a_list_reads_numbers_by_line_or_comma_with_comments_and_keeps_each_once() {
    let like = E164::parse("+442071234567").unwrap();
    let list = "# robocallers\n+14155550100, +14155550101\n\n020 7946 0000 # a London one\n+14155550100\n";
    let numbers = parse_list(list, Some(&like)).unwrap();
    let shown: Vec<&str> = numbers.iter().map(E164::as_str).collect();
    assert_eq!(shown, ["+14155550100", "+14155550101", "+442079460000"]);
}

#[test]
fn a_list_with_one_bad_entry_is_refused_naming_its_line() {
    let error = parse_list("+14155550100\nnot a number\n", None).unwrap_err();
    assert!(error.to_string().contains("line 2: 'not a number'"), "{error}");
}

#[test]
fn a_list_longer_than_the_limit_is_refused() {
    let list: String = (0..=MAX_LIST_NUMBERS).map(|i| format!("+1415{:07}\n", i)).collect();
    assert!(parse_list(&list, None).is_err());
}

#[test]
fn every_mark_reads_back_as_it_was_stored() {
    let marks = SpamReason::ALL
        .into_iter()
        .map(SpamMark::Flagged)
        .chain([SpamMark::Cleared]);
    for mark in marks {
        assert_eq!(SpamMark::parse(mark.as_str()).unwrap(), mark);
    }
    assert!(SpamMark::parse("maybe").is_err());
    assert!(SpamMark::is_spam(Some(SpamMark::Flagged(SpamReason::Listed))));
    assert!(!SpamMark::is_spam(Some(SpamMark::Cleared)));
    assert!(!SpamMark::is_spam(None));
}

fn any_result() -> impl Strategy<Value = CallResult> {
    prop::sample::select(CallResult::ALL.to_vec())
}

fn any_mark() -> impl Strategy<Value = Option<SpamMark>> {
    prop_oneof![
        Just(None),
        Just(Some(SpamMark::Cleared)),
        prop::sample::select(SpamReason::ALL.to_vec()).prop_map(|r| Some(SpamMark::Flagged(r))),
    ]
}

proptest! {
    #[test]
    fn the_rule_flags_only_short_unanswered_unmarked_calls_in_the_window(
        calls in prop::collection::vec((0i64..3000, any_result(), 0u32..60, any_mark()), 0..12),
        count in 2u32..6, max_seconds in 1u32..30, hours in 1u32..48, now in 0i64..3000,
    ) {
        let rule = RepeatRule::new(count, max_seconds, hours).unwrap();
        let facts: Vec<CallSpamFacts> = calls.iter().enumerate().map(|(i, (minute, result, seconds, mark))| CallSpamFacts {
            record_ref: i as u64 + 1,
            started_at: at(*minute),
            result: *result,
            duration_seconds: Some(*seconds),
            spam: *mark,
        }).collect();
        let flagged = repeated(&rule, at(now), &facts);
        for r in &flagged {
            let c = facts.iter().find(|c| c.record_ref == *r).unwrap();
            prop_assert!(c.spam.is_none());
            prop_assert!(matches!(c.result, CallResult::Missed | CallResult::Abandoned));
            prop_assert!(c.duration_seconds.unwrap() <= max_seconds);
            prop_assert!(c.started_at >= rule.since(at(now)) && c.started_at <= at(now));
        }
        let short = facts.iter().filter(|c| c.started_at >= rule.since(at(now)) && c.started_at <= at(now)
            && matches!(c.result, CallResult::Missed | CallResult::Abandoned)
            && c.duration_seconds.unwrap() <= max_seconds).count();
        prop_assert_eq!(!flagged.is_empty(), short as u32 >= count && facts.iter().any(|c|
            c.spam.is_none() && c.started_at >= rule.since(at(now)) && c.started_at <= at(now)
            && matches!(c.result, CallResult::Missed | CallResult::Abandoned) && c.duration_seconds.unwrap() <= max_seconds));
    }

    #[test]
    fn flagging_again_after_flagging_flags_nothing(
        calls in prop::collection::vec((0i64..600, any_result(), 0u32..30), 0..10),
    ) {
        let mut facts: Vec<CallSpamFacts> = calls.iter().enumerate()
            .map(|(i, (m, r, s))| call(i as u64 + 1, *m, *r, *s)).collect();
        let first = repeated(&RepeatRule::DEFAULT, at(600), &facts);
        for c in facts.iter_mut().filter(|c| first.contains(&c.record_ref)) {
            c.spam = Some(SpamMark::Flagged(SpamReason::Repeated));
        }
        prop_assert!(repeated(&RepeatRule::DEFAULT, at(600), &facts).is_empty());
    }
}
