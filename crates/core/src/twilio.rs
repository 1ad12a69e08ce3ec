//! The `X-Twilio-Signature` of provider requests (also used by SignalWire): base64 of
//! HMAC-SHA1, under the account's auth token, over the full URL followed by every POST
//! parameter's name and value, sorted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The signature of a form POST to `url` carrying `params` (names and values, owned or
/// borrowed).
pub fn signature<S: AsRef<str>>(auth_token: &str, url: &str, params: &[(S, S)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    // The reference library sorts by name, and repeated names by value.
    sorted.sort_unstable();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `provided` signs this request: the URL as given, and with its default port added
/// or removed (providers sign the URL as it was configured, which may or may not name it).
/// The other form is only worked out when the URL as given does not match.
pub fn verify<S: AsRef<str>>(auth_token: &str, url: &str, params: &[(S, S)], provided: &str) -> bool {
    let signs = |candidate: &str| {
        let expected = signature(auth_token, candidate, params);
        expected.len() == provided.len() && bool::from(expected.as_bytes().ct_eq(provided.as_bytes()))
    };
    signs(url) || other_port_form(url).is_some_and(|other| signs(&other))
}

/// `url` with its scheme's default port written out if it leaves it out, or left out if it
/// writes it; `None` for a URL that cannot have one.
fn other_port_form(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let default = parsed.port_or_known_default()?;
    let start = url.find("://")? + 3;
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |end| start + end);
    let authority = &url[..end];
    let suffix = format!(":{default}");
    if let Some(without) = authority.strip_suffix(&suffix) {
        Some(format!("{without}{}", &url[end..]))
    } else if parsed.port().is_none() {
        Some(format!("{authority}{suffix}{}", &url[end..]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_reference_vectors_hold() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature("12345", url, &vector_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature("12345", with_port, &vector_params()),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
    }

    #[test]
    fn either_form_of_the_url_verifies() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(verify("12345", url, &vector_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(verify("12345", url, &vector_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
        assert!(verify(
            "12345",
            with_port,
            &vector_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn a_changed_parameter_token_or_url_fails() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let mut params = vector_params();
        params[2].1 = "1235".into();
        assert!(!verify("12345", url, &params, good));
        assert!(!verify("54321", url, &vector_params(), good));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &vector_params(),
            good
        ));
        assert!(!verify("12345", url, &vector_params(), ""));
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let url = "https://example.com/twilio/voice";
        let mut reversed = vector_params();
        reversed.reverse();
        assert_eq!(signature("t", url, &vector_params()), signature("t", url, &reversed));
    }
}
