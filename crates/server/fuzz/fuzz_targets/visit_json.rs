//! Any bytes as a `POST /v1/visits` body and as a `POST /v1/visits/{visit}/events` body.
//! Parsed or refused, never a panic; a parsed body re-serialises and parses back equal, and
//! the values the handlers keep from it are within their bounds.
#![no_main]

use leadline::fuzzing::{self, Touch};
use leadline_core::visitor::form_client_id;
use libfuzzer_sys::fuzz_target;

fn web_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn kept_cookie(value: &str) -> bool {
    (1..=200).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = fuzzing::register_body(data) {
        let again = serde_json::to_vec(&body).expect("a parsed body serialises");
        assert_eq!(fuzzing::register_body(&again).as_ref(), Ok(&body));
        let kept = fuzzing::registration(&body);
        if let Ok(landing) = &kept.landing {
            assert!(web_url(landing.as_str()) && body.url.len() <= 2048, "{landing}");
        }
        if let Some(title) = &kept.title {
            assert!(title.chars().count() <= 300 && !title.trim().is_empty());
            assert!(!title.chars().any(char::is_control), "{title:?}");
        }
        for cookie in kept.ga.iter().chain(&kept.utma).chain(kept.ga_streams.values()) {
            assert!(kept_cookie(cookie), "{cookie:?}");
        }
        assert!(kept.ga_streams.len() <= 10);
        for name in kept.ga_streams.keys() {
            assert!(name.starts_with("_ga_") && name.len() <= 40, "{name:?}");
        }
        if let Some(key) = &kept.visitor_key {
            let (kind, id) = key.as_str().split_once(':').expect("a key has a kind");
            // A client id (`ga:`) or an `__utma` visitor (`utma:`) are both `<digits>.<digits>`.
            assert!(matches!(kind, "ga" | "utma"), "{key}");
            assert_eq!(form_client_id(id), Some(id), "{key}");
        }
        // Only the two words are a signal; none is unknown; anything else is refused.
        match (body.ads.as_deref(), &kept.ads) {
            (None, Ok(ads)) => assert_eq!(*ads, leadline_core::ad_consent::AdConsent::Unknown),
            (Some(given), Ok(ads)) => assert_eq!(ads.as_stored(), Some(given)),
            (Some(given), Err(_)) => assert!(!matches!(given, "granted" | "denied"), "{given:?}"),
            (None, Err(e)) => panic!("no signal is no error: {e}"),
        }
        if let Some(Ok(temp)) = &kept.temp {
            assert_eq!(leadline_core::form::TempId::parse(temp.as_str()).as_ref(), Ok(temp));
        }
    }
    if let Ok(body) = fuzzing::event_body(data) {
        let again = serde_json::to_vec(&body).expect("a parsed body serialises");
        assert_eq!(fuzzing::event_body(&again).as_ref(), Ok(&body));
        match fuzzing::touch(&body) {
            Ok(Touch::PageView { url, title }) => {
                assert!(web_url(&url), "{url}");
                assert!(title.is_none_or(|t| t.chars().count() <= 300));
            }
            Ok(Touch::Click { element, url, .. }) => {
                assert!(element.chars().count() <= 100);
                assert!(url.is_empty() || web_url(&url), "{url}");
            }
            Ok(Touch::SetVars { vars, .. }) => assert_eq!(vars, body.vars),
            Ok(Touch::Heartbeat) | Err(_) => {}
        }
    }
});
