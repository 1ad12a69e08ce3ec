//! What every fuzz target checks of the reply parsers' answers.

use leadline_core::reply::{self, Command, SaleTarget};

/// The promises of `leadline_core::reply`, whatever the input.
pub fn check(result: Result<Command, leadline_core::Invalid>) {
    match result {
        Err(error) => {
            assert_eq!(error.what, "reply");
            assert!(
                !error.reason.is_empty() && error.reason.chars().count() <= 200,
                "{}",
                error.reason
            );
        }
        Ok(Command::Note { record_ref, text }) => {
            assert!(record_ref.to_string().len() <= reply::MAX_REF_DIGITS);
            assert!(!text.is_empty() && text.trim() == text);
            assert!(
                text.chars().all(|c| c == '\n' || c == '\t' || !c.is_control()),
                "{text:?}"
            );
            assert!(
                !text.contains(['\r', '\u{a0}', '\u{feff}', '\u{202e}', '\u{fffd}']),
                "{text:?}"
            );
            // Every note an SMS can carry reads back from the SMS written for it (an e-mail's
            // note of nearly 10,000 bytes makes an SMS over the limit).
            let command = Command::Note { record_ref, text };
            let sms = command.to_sms();
            if !sms.contains('[') && sms.len() <= reply::MAX_REPLY_BYTES {
                assert_eq!(reply::parse_sms(&sms), Ok(command));
            }
        }
        Ok(Command::Sale {
            target,
            revenue,
            cost,
            profit,
        }) => {
            let mut values = vec![&revenue];
            values.extend(&cost);
            values.extend(&profit);
            if let SaleTarget::Phone(phone) = &target {
                values.push(phone);
            }
            for value in values {
                assert!(value.bytes().any(|b| b.is_ascii_digit()), "{value:?}");
                assert!(value.trim() == value && value.chars().count() <= reply::MAX_VALUE_CHARS);
                assert!(!value.contains(['\n', '\r', '\u{fffd}']), "{value:?}");
            }
            let command = Command::Sale {
                target,
                revenue,
                cost,
                profit,
            };
            assert_eq!(reply::parse_sms(&command.to_sms()), Ok(command));
        }
    }
}
