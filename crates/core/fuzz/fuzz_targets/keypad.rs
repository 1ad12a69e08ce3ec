//! Any bytes as the digits a caller keyed (the provider's `Digits`), the first byte choosing
//! the site's settings (check digit, star pool). Never a panic; the code read is never 0,
//! keyed again (with its extension) it reads back the same, a star code needs the star pool,
//! a failed check digit needs one and gives no code, and an extension is digits.
#![no_main]

use leadline_core::keypad;
use leadline_core::visit::Selector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, digits @ ..] = data else {
        return;
    };
    let (check_digit, star_pool) = (flags & 1 == 1, flags & 2 == 2);
    let digits = String::from_utf8_lossy(digits);
    let keyed = keypad::read(&digits, check_digit, star_pool);
    if keyed.selector == Selector::Star {
        assert!(star_pool, "{digits:?}");
    }
    if keyed.check_failed {
        assert!(check_digit && keyed.code.is_none(), "{digits:?}");
    }
    if let Some(extension) = &keyed.extension {
        assert!(!extension.is_empty() && extension.bytes().all(|b| b.is_ascii_digit()));
    }
    if let Some(code) = keyed.code {
        assert!(code > 0, "{digits:?} read as code 0");
        let again = keypad::keyed_form(code, check_digit, keyed.selector);
        assert!(again.len() <= 13, "{again}");
        let again = match &keyed.extension {
            Some(extension) => format!("{again}*{extension}#"),
            None => again,
        };
        assert_eq!(
            keypad::read(&again, check_digit, star_pool),
            keyed,
            "{digits:?} keyed again as {again:?}"
        );
    }
});
