//! The small pieces of a provider's requests: ids, URLs resolved as TwiML resolves them,
//! form parameters, and answers quoted in errors.

use super::twiml::Number;
use anyhow::Context;

/// Form parameters, in the order sent.
pub type Params = Vec<(String, String)>;

/// Where the sandbox's recordings "are": a name that can never resolve (RFC 6761).
const RECORDINGS: &str = "https://sandbox.leadline.invalid/Recordings/";

/// `target` (absolute as given, or relative to the current document), else the current
/// document itself, as TwiML actions default to.
pub fn resolve(current: &str, target: Option<&str>) -> anyhow::Result<String> {
    let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(current.to_owned());
    };
    if url::Url::parse(target).is_ok() {
        return Ok(target.to_owned());
    }
    let joined = url::Url::parse(current)
        .and_then(|base| base.join(target))
        .with_context(|| format!("'{target}' is not a URL"))?;
    Ok(joined.into())
}

/// The numbers a `<Dial>` rang, for a note.
pub fn rung(numbers: &[Number]) -> String {
    if numbers.is_empty() {
        return "no number".to_owned();
    }
    numbers.iter().map(|n| n.number.as_str()).collect::<Vec<_>>().join(", ")
}

/// A provider id: the prefix and 32 lowercase hex digits.
pub fn sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

/// A new recording's sid and URL.
pub fn recording() -> (String, String) {
    let sid = sid("RE");
    let url = format!("{RECORDINGS}{sid}");
    (sid, url)
}

pub fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

pub fn push(params: &mut Params, name: &str, value: impl Into<String>) {
    params.push((name.to_owned(), value.into()));
}

/// The start of an answer's body, on one line.
pub fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None if flat.is_empty() => "(empty body)".to_owned(),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_resolve_against_the_current_document() {
        let current = "http://127.0.0.1:8080/twilio/dial?number=%2B12025550100";
        assert_eq!(resolve(current, None).unwrap(), current);
        assert_eq!(resolve(current, Some(" ")).unwrap(), current);
        assert_eq!(
            resolve(current, Some("/twilio/recording?number=%2B1")).unwrap(),
            "http://127.0.0.1:8080/twilio/recording?number=%2B1"
        );
        let absolute = "http://other.example/x?a=1&b=%2B2";
        assert_eq!(resolve(current, Some(absolute)).unwrap(), absolute);
    }

    #[test]
    fn sids_are_a_prefix_and_32_lowercase_hex_digits() {
        let call = sid("CA");
        assert_eq!(call.len(), 34);
        assert!(call.starts_with("CA"));
        assert!(call[2..].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert_ne!(call, sid("CA"));
        let (recording_sid, url) = recording();
        assert_eq!(
            url,
            format!("https://sandbox.leadline.invalid/Recordings/{recording_sid}")
        );
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("bad\n  signature "), "bad signature");
        assert_eq!(excerpt(""), "(empty body)");
        assert_eq!(excerpt(&"x".repeat(400)).chars().count(), 301);
    }
}
