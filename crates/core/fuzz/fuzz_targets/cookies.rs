//! Any bytes as the analytics cookies a browser or a form carries: `_ga`, `_ga_<stream>`,
//! `__utma`, the form's GA client id and visitor key, and (one `name=value` a line) the set of
//! stream cookies. Never a panic; every client id or `__utma` visitor is `<digits>.<digits>`
//! and reads back from a cookie written for it, every session id is digits and reads back
//! with its number, and every value kept is short visible ASCII.
#![no_main]

use leadline_core::visitor::{self, VisitorKey};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// Two runs of 1 to 20 ASCII digits joined by one dot.
fn digits_dot_digits(id: &str) -> bool {
    let run = |s: &str| (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    id.split_once('.').is_some_and(|(a, b)| run(a) && run(b))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    if let Some(id) = visitor::ga_client_id(text) {
        assert!(digits_dot_digits(&id), "{text:?} gave {id:?}");
        assert_eq!(visitor::form_client_id(&id), Some(id.as_str()));
        assert_eq!(visitor::ga_client_id(&format!("GA1.2.{id}")), Some(id.clone()));
    }
    if let Some(id) = visitor::form_client_id(text) {
        assert!(digits_dot_digits(id), "{id:?}");
        assert_eq!(visitor::ga_client_id(&format!("GA1.1.{id}")).as_deref(), Some(id));
    }
    if let Some(visitor) = visitor::utma_visitor(text) {
        assert!(digits_dot_digits(&visitor), "{text:?} gave {visitor:?}");
        assert_eq!(
            visitor::utma_visitor(&format!("{visitor}.1.2.3.4")),
            Some(visitor.clone())
        );
    }
    if let Some(session) = visitor::ga_session(text) {
        let id = &session.session_id;
        assert!(
            (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()),
            "{id:?}"
        );
        let (old, new) = match session.session_number {
            Some(n) => (format!("GS1.1.{id}.{n}.0"), format!("GS2.1.s{id}$o{n}$g0")),
            None => (format!("GS1.1.{id}"), format!("GS2.1.s{id}")),
        };
        assert_eq!(visitor::ga_session(&old).as_ref(), Some(&session), "{old}");
        assert_eq!(visitor::ga_session(&new).as_ref(), Some(&session), "{new}");
    }
    if let Some(value) = visitor::cookie_value(text) {
        assert!((1..=visitor::MAX_COOKIE_BYTES).contains(&value.len()));
        assert!(value.bytes().all(|b| b.is_ascii_graphic()), "{value:?}");
        assert_eq!(visitor::cookie_value(value), Some(value));
    }
    if VisitorKey::is_claimed(text) {
        assert_eq!(VisitorKey::from_stored(text).map(String::from).as_deref(), Ok(text));
    }
    if let Some(key) = VisitorKey::derive(Some(text), Some(text), None) {
        let (kind, id) = key.as_str().split_once(':').expect("a key has a kind");
        assert!(matches!(kind, "ga" | "utma") && digits_dot_digits(id), "{key}");
        assert!(VisitorKey::is_claimed(key.as_str()), "{key}");
    }

    let raw: BTreeMap<String, String> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let kept = visitor::ga_stream_cookies(&raw);
    assert!(kept.len() <= visitor::MAX_STREAM_COOKIES);
    for (name, value) in &kept {
        assert!(name.starts_with("_ga_") && name.len() <= 40, "{name:?}");
        assert_eq!(visitor::cookie_value(&raw[name]), Some(value.as_str()));
    }
});
