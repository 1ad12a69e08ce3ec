//! Property tests: the parsers never panic on any input, what they return keeps the module's
//! promises, and every command written by [`Command::to_sms`] (or as an e-mail) reads back to
//! itself. `PROPTEST_CASES` raises the case count for a long run; the huge-input properties
//! run a hundredth as many.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// The case count: `PROPTEST_CASES` divided by `divisor`, else `default`.
fn config(default: u32, divisor: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse::<u32>().ok())
        .map_or(default, |cases| (cases / divisor).max(1));
    Config {
        cases,
        // Shrinking output and failure files are for the person reading the failure.
        failure_persistence: None,
        ..Config::default()
    }
}

/// What every answer must be, whatever the input.
fn check(result: &Result<Command, Invalid>) -> Result<(), TestCaseError> {
    match result {
        Err(error) => {
            prop_assert_eq!(error.what, "reply");
            prop_assert!(!error.reason.is_empty());
            // Texted back: short, and never the whole of a huge input.
            prop_assert!(error.reason.chars().count() <= 200, "too long: {}", error.reason);
        }
        Ok(Command::Note { record_ref, text }) => {
            prop_assert!(record_ref.to_string().len() <= MAX_REF_DIGITS);
            prop_assert!(!text.is_empty());
            prop_assert_eq!(text.trim(), text.as_str());
            prop_assert!(
                text.chars().all(|c| c == '\n' || c == '\t' || !c.is_control()),
                "control character in {:?}",
                text
            );
            let cleaned = ['\r', '\u{a0}', '\u{feff}', '\u{202e}', char::REPLACEMENT_CHARACTER];
            prop_assert!(!text.contains(cleaned), "uncleaned character in {:?}", text);
        }
        Ok(Command::Sale {
            target,
            revenue,
            cost,
            profit,
        }) => {
            let mut values = vec![revenue];
            values.extend(cost);
            values.extend(profit);
            if let SaleTarget::Phone(phone) = target {
                values.push(phone);
            }
            for value in values {
                prop_assert!(value.bytes().any(|b| b.is_ascii_digit()), "no digit in {:?}", value);
                prop_assert_eq!(value.trim(), value.as_str());
                prop_assert!(value.chars().count() <= MAX_VALUE_CHARS);
                let cleaned = ['\n', '\r', char::REPLACEMENT_CHARACTER];
                prop_assert!(!value.contains(cleaned), "uncleaned character in {:?}", value);
            }
        }
    }
    Ok(())
}

/// Fragments that reach the parsers' corners, glued in any order.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[PHONE]".to_owned()),
        Just("[ID]".to_owned()),
        Just("[REVENUE]".to_owned()),
        Just("[sale]".to_owned()),
        Just("[ Cost ]".to_owned()),
        Just("[PROFIT]".to_owned()),
        Just("[REVNUE]".to_owned()),
        Just("[Leadline]".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("#".to_owned()),
        Just(" - ".to_owned()),
        Just(":".to_owned()),
        Just("—".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n> ".to_owned()),
        Just("\n-- \n".to_owned()),
        Just("\n-----Original Message-----\n".to_owned()),
        Just("\nOn Mon, May 4, 2026 at 10:02 AM Leadline <c@l.example>\nwrote:\n".to_owned()),
        Just("\nFrom: x\nSent: y\n".to_owned()),
        Just("Call ".to_owned()),
        Just("Re: ".to_owned()),
        Just("Sent from my iPhone".to_owned()),
        Just("<html>".to_owned()),
        Just("=C3=A9".to_owned()),
        Just("\u{fffd}".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{0}".to_owned()),
        "[0-9]{1,22}",
        "[$€]?[0-9]{1,3}(,[0-9]{3})*(\\.[0-9]{2})?",
        "[0-9]{3}-[0-9]{3}-[0-9]{4}",
        "[a-zA-Zé日 ]{1,12}",
        any::<char>().prop_map(String::from),
    ]
}

fn glued() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat())
}

/// A note an SMS can carry: no bracketed word, no leading or trailing space, no characters
/// the parser cleans away.
fn note_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9é日€$.,:;!?'()\\-—/@ \t\n]{0,60}[A-Za-z0-9é日€$.!?)]".prop_map(|text| text.trim().to_owned())
}

/// An e-mail note: lines of words, none of them a quote, rule or signature.
fn email_note() -> impl Strategy<Value = String> {
    proptest::collection::vec("[A-Za-z][A-Za-z0-9é€$,.!?' ]{0,30}[A-Za-z0-9.!?]", 1..6)
        .prop_map(|lines| lines.join("\n"))
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        "[$€]?[0-9]{1,3}(,[0-9]{3}){0,3}(\\.[0-9]{2})?",
        "(USD|EUR) [0-9]{1,9}",
        "-?[0-9]{1,12}",
    ]
}

fn target() -> impl Strategy<Value = SaleTarget> {
    prop_oneof![
        (1u64..1_000_000_000_000_000_000).prop_map(SaleTarget::Ref),
        "\\+?[0-9]{0,3}[ (]?[0-9]{3}[) .-]?[0-9]{3}[ .-]?[0-9]{4}".prop_map(|p| SaleTarget::Phone(p.trim().to_owned())),
    ]
}

fn sale() -> impl Strategy<Value = Command> {
    (
        target(),
        amount(),
        proptest::option::of(amount()),
        proptest::option::of(amount()),
    )
        .prop_map(|(target, revenue, cost, profit)| Command::Sale {
            target,
            revenue,
            cost,
            profit,
        })
}

/// The keyword form of a sale with its parts shuffled, keywords in random case and
/// separated by random whitespace.
fn shuffled(command: &Command, order: &[usize], upper: &[bool], gaps: &[&str]) -> String {
    let Command::Sale {
        target,
        revenue,
        cost,
        profit,
    } = command
    else {
        unreachable!("only sales are shuffled")
    };
    let mut parts: Vec<(&str, String)> = vec![match target {
        SaleTarget::Ref(record_ref) => ("id", record_ref.to_string()),
        SaleTarget::Phone(phone) => ("phone", phone.clone()),
    }];
    parts.push((if upper[5] { "sale" } else { "revenue" }, revenue.clone()));
    parts.extend(cost.iter().map(|cost| ("cost", cost.clone())));
    parts.extend(profit.iter().map(|profit| ("profit", profit.clone())));
    let mut text = String::from(gaps[4]);
    for (n, &i) in order.iter().filter(|&&i| i < parts.len()).enumerate() {
        let (keyword, value) = &parts[i];
        let keyword = if upper[n] {
            keyword.to_uppercase()
        } else {
            keyword.to_string()
        };
        text.push_str(&format!("[{keyword}]{}{value}{}", gaps[n], gaps[n + 1]));
    }
    text
}

proptest! {
    #![proptest_config(config(256, 1))]

    #[test]
    fn any_text_is_read_or_refused_without_a_panic(text in any::<String>(), subject in any::<String>()) {
        check(&parse_sms(&text))?;
        check(&parse_email(&subject, &text))?;
        check(&parse_email(&text, ""))?;
    }

    #[test]
    fn any_bytes_decoded_lossily_are_read_or_refused_without_a_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let text = String::from_utf8_lossy(&bytes);
        check(&parse_sms(&text))?;
        check(&parse_email(&text, &text))?;
    }

    #[test]
    fn glued_keywords_digits_quotes_and_odd_characters_never_panic(body in glued(), subject in glued()) {
        check(&parse_sms(&body))?;
        check(&parse_email(&subject, &body))?;
    }

    #[test]
    fn every_sms_note_reads_back_to_itself(record_ref in 0u64..1_000_000_000_000_000_000, text in note_text()) {
        let command = Command::Note { record_ref, text };
        prop_assert_eq!(parse_sms(&command.to_sms()), Ok(command));
    }

    #[test]
    fn every_sale_reads_back_to_itself_in_any_order_and_case(
        command in sale(),
        order in Just((0..4).collect::<Vec<usize>>()).prop_shuffle(),
        upper in proptest::collection::vec(any::<bool>(), 6),
        gaps in proptest::collection::vec(prop_oneof![Just(" "), Just(""), Just("\n"), Just("\r\n"), Just(" \u{a0}\t")], 6),
    ) {
        prop_assert_eq!(parse_sms(&command.to_sms()), Ok(command.clone()));
        let text = shuffled(&command, &order, &upper, &gaps);
        prop_assert_eq!(parse_sms(&text), Ok(command.clone()), "{:?}", text);
        prop_assert_eq!(parse_email("Re: Call 1042", &text), Ok(command.clone()), "{:?}", text);
    }

    #[test]
    fn every_email_note_reads_back_from_a_quoted_reply(
        record_ref in 1000u64..1_000_000_000_000_000_000,
        text in email_note(),
        quoted in prop_oneof![
            Just("\r\n\r\nOn Mon, May 4, 2026 at 10:02 AM Leadline <calls@leadline.example> wrote:\r\n> Call\r\n"),
            Just("\n\n-----Original Message-----\nFrom: Leadline\nSent: Monday\n\nCall 1042\n"),
            Just("\n\n-- \nBob\n"),
            Just("\n\nSent from my iPhone"),
            Just(""),
        ],
        subject in prop_oneof![Just("Re: Call {} from Google Ads"), Just("RE: [Leadline] {}"), Just("Fwd: #{}")],
    ) {
        let command = Command::Note { record_ref, text: text.clone() };
        let subject = subject.replace("{}", &record_ref.to_string());
        prop_assert_eq!(parse_email(&subject, &format!("{text}{quoted}")), Ok(command));
    }
}

proptest! {
    #![proptest_config(config(8, 100))]

    #[test]
    fn huge_inputs_are_refused_or_read_without_a_panic(
        unit in glued(),
        repeat in 1usize..4000,
        extra in 0usize..64,
    ) {
        let body = unit.repeat(repeat.min(MAX_REPLY_BYTES * 3 / unit.len().max(1)));
        let padded = format!("{body}{}", "x".repeat(extra));
        for text in [&body, &padded] {
            let result = parse_sms(text);
            check(&result)?;
            if text.len() > MAX_REPLY_BYTES {
                prop_assert!(result.unwrap_err().reason.contains(&MAX_REPLY_BYTES.to_string()));
            }
            check(&parse_email("Re: Call 1042", text))?;
            check(&parse_email(text, "note"))?;
        }
    }

    #[test]
    fn inputs_at_the_limit_are_read(fill in "[a-z ]{1,8}", record_ref in 1000u64..100_000) {
        let head = format!("{record_ref} ");
        let room = MAX_REPLY_BYTES - head.len() - 1;
        let body = format!("{head}{}x", &fill.repeat(room / fill.len() + 1)[..room]);
        prop_assert_eq!(body.len(), MAX_REPLY_BYTES);
        check(&parse_sms(&body))?;
        prop_assert!(parse_sms(&body).is_ok());
        let over = format!("{body}y");
        prop_assert!(parse_sms(&over).is_err(), "one byte over the limit was read");
    }
}
