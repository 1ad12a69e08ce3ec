//! Any bytes as a provider's form-encoded request body (what `/twilio/*` and the PBX API
//! read): every value as a `CallSid`, a caller (`From`, `To`), a link (`RecordingUrl`) and
//! keyed `Digits`. Never a panic; each parsed value is bounded and its text parses back
//! equal, so what is stored reads back as what was accepted.
#![no_main]

use leadline_core::keypad;
use leadline_core::provider::{CallSid, Caller, WebLink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (_, value) in form_urlencoded::parse(data) {
        if let Ok(sid) = CallSid::parse(&value) {
            assert_eq!(sid.as_str(), value);
            assert_eq!(sid.to_string(), value);
            assert!((1..=64).contains(&value.len()));
            assert!(!value.to_ascii_lowercase().starts_with("pbx:"));
            assert_eq!(CallSid::parse(sid.as_str()), Ok(sid));
        }

        let caller = Caller::parse(&value);
        let stored = caller.as_stored();
        assert!(
            stored.len() <= 128 && !stored.chars().any(char::is_control),
            "{stored:?}"
        );
        assert_eq!(Caller::parse(stored), caller, "{value:?} stored as {stored:?}");
        if let Some(number) = caller.number() {
            assert_eq!(leadline_core::E164::from_stored(number.as_str()).as_ref(), Ok(number));
        }

        if let Ok(link) = WebLink::parse(&value) {
            let text = link.as_str();
            assert_eq!(link.to_string(), text);
            assert!(text.starts_with("https://") || text.starts_with("http://"), "{text}");
            assert_eq!(WebLink::parse(text).as_ref(), Ok(&link), "{value:?} stored as {text:?}");
        }

        let keyed = keypad::read(&value, false, true);
        assert!(keyed.code.is_none_or(|c| c > 0));
    }
});
