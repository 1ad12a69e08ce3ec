use super::*;
use proptest::prelude::*;

const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// `body` (digits) completed with the Luhn check digit.
fn with_check_digit(body: &[u8]) -> Vec<u8> {
    (0..10u8)
        .map(|d| {
            let mut all = body.to_vec();
            all.push(d);
            all
        })
        .find(|all| luhn_valid(all))
        .expect("one check digit fits")
}

fn figures(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

#[test]
fn a_card_number_in_figures_is_replaced_by_the_mark() {
    let said = redact("sure, it's 4111 1111 1111 1111 and that's it");
    assert_eq!(said, "sure, it's [redacted] and that's it");
    assert_eq!(redact("card 4111-1111-1111-1111."), "card [redacted].");
    assert_eq!(redact("4111111111111111"), MARK);
}

#[test]
fn a_spoken_card_number_is_replaced_by_the_mark() {
    let said = "my card is four one one one one one one one one one one one one one one one thanks";
    assert_eq!(redact(said), "my card is [redacted] thanks");
    let mixed = "It's Four one one one, 1111, one one one one, 1111.";
    assert_eq!(redact(mixed), "It's [redacted].");
}

#[test]
fn digits_that_fail_the_luhn_check_or_are_too_short_stay() {
    for kept in [
        "order 4111 1111 1111 1112 shipped",
        "call me on 202 555 0169",
        "one or two things",
        "we open at 9 and close at 5",
    ] {
        assert_eq!(redact(kept), kept);
    }
}

#[test]
fn the_security_code_and_expiry_after_their_keywords_are_replaced() {
    assert_eq!(redact("the security code is 123."), "the security code is [redacted].");
    assert_eq!(redact("CVV: 4321"), "CVV: [redacted]");
    assert_eq!(
        redact("security code is seven three one"),
        "security code is [redacted]"
    );
    assert_eq!(redact("it expires 04/27, ok"), "it expires [redacted], ok");
    assert_eq!(redact("expiry date oh four two seven"), "expiry date [redacted]");
}

#[test]
fn a_keyword_reaches_only_a_few_words_and_not_past_the_sentence() {
    let far = "the security code is something I will tell you later maybe 123";
    assert_eq!(redact(far), far);
    let next = "what is the security code? 123 main street";
    assert_eq!(redact(next), next);
    let long = "security code 123456";
    assert_eq!(redact(long), long);
}

#[test]
fn luhn_accepts_known_test_cards_and_refuses_a_changed_digit() {
    for card in [
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
    ] {
        let digits: Vec<u8> = card.bytes().map(|b| b - b'0').collect();
        assert!(luhn_valid(&digits), "{card}");
    }
    assert!(!luhn_valid(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
}

proptest! {
    #[test]
    fn every_luhn_valid_card_in_figures_with_any_grouping_is_gone(
        body in proptest::collection::vec(0u8..10, 12..19),
        groups in proptest::collection::vec(1usize..6, 1..10),
        joiner in prop::sample::select(vec![" ", "-", ". ", ", ", "  "]),
        before in "[a-z ]{0,20}",
        after in "[a-z ]{0,20}",
    ) {
        let card = with_check_digit(&body);
        let text = figures(&card);
        let mut grouped = String::new();
        let mut at = 0;
        for size in groups.iter().cycle() {
            if at >= text.len() { break; }
            let end = (at + size).min(text.len());
            if at > 0 { grouped.push_str(joiner); }
            grouped.push_str(&text[at..end]);
            at = end;
        }
        let said = format!("{before} {grouped} {after}");
        let redacted = redact(&said);
        let left: String = redacted.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(left.is_empty(), "{said:?} became {redacted:?}");
        prop_assert!(redacted.contains(MARK));
    }

    #[test]
    fn every_luhn_valid_card_spoken_digit_by_digit_is_gone(
        body in proptest::collection::vec(0u8..10, 12..19),
        before in "[a-z]{3,8}( [a-z]{3,8}){0,3}",
    ) {
        let card = with_check_digit(&body);
        let spoken: Vec<&str> = card.iter().map(|d| WORDS[usize::from(*d)]).collect();
        let said = format!("{before} {} thanks", spoken.join(" "));
        let redacted = redact(&said);
        prop_assert!(redacted.ends_with(&format!("{MARK} thanks")), "{said:?} became {redacted:?}");
    }

    #[test]
    fn text_without_digits_or_number_words_is_kept_as_it_was(said in "[a-df-np-wyz ,.!?']{0,80}") {
        prop_assert_eq!(redact(&said), said);
    }

    #[test]
    fn redacting_twice_changes_nothing_more(said in "[a-z0-9 ,./-]{0,120}") {
        let once = redact(&said);
        prop_assert_eq!(redact(&once), once.clone());
    }
}
