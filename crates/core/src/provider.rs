//! What a telephony provider (or a business's PBX) says about a call, parsed once at the edge:
//! the call's id, the caller, and links such as the recording. A provider request is signed,
//! but the signer is only one tenant among many, so every value is bounded and checked before
//! it names a record or is stored.

use crate::secret::Secret;
use crate::{BusinessId, E164, Invalid};

/// Longest provider call id accepted (Twilio's are 34 characters, SignalWire's and Telnyx's
/// UUIDs 36).
const MAX_CALL_SID: usize = 64;

/// The prefix of the ids Leadline gives calls reported by a PBX; no provider request may name it.
const PBX_PREFIX: &str = "pbx:";

/// A provider's id of a call (`CallSid`): 1 to 64 letters, digits, `-`, `_`, `.` or `:`.
/// Ids of PBX calls are made by Leadline ([`CallSid::for_pbx`]) and never parse from a provider
/// request, so a provider callback cannot name a PBX call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallSid(String);

impl CallSid {
    /// Parses the `CallSid` of a provider request.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("call id", reason);
        if input.is_empty() || input.len() > MAX_CALL_SID {
            return Err(invalid(format!("it must be 1 to {MAX_CALL_SID} characters")));
        }
        if !input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return Err(invalid("only letters, digits, '-', '_', '.' and ':' may appear".into()));
        }
        if input.to_ascii_lowercase().starts_with(PBX_PREFIX) {
            return Err(invalid(format!("'{PBX_PREFIX}' ids belong to PBX calls")));
        }
        Ok(Self(input.to_owned()))
    }

    /// The id of a call a business's PBX reports under its own `call_id`: a keyed digest
    /// under the install secret, so the same PBX call always gets the same id (a retried
    /// lookup answers the same record) and nobody can work out another business's ids.
    pub fn for_pbx(secret: &Secret, business: BusinessId, call_id: &str) -> Self {
        let digest: String = crate::token::mac(secret, &["pbx-call", &business.to_string(), call_id])
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self(format!("{PBX_PREFIX}{digest}"))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CallSid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest `client:` or `sip:` caller kept.
const MAX_CLIENT: usize = 128;

/// Longest place name kept from a provider (`FromCity`, `FromState`, `FromCountry`).
const MAX_PLACE: usize = 64;

/// Where the caller is, as the provider says (`FromCity`, `FromState`, `FromCountry`, from the
/// caller's number, not from their position). Each part is kept only when it is 1 to 64
/// printable characters; anything else is dropped, never refused: the call goes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerPlace {
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

impl CallerPlace {
    /// Reads the three parts as the provider sent them.
    pub fn parse(city: Option<&str>, state: Option<&str>, country: Option<&str>) -> Self {
        let part = |input: Option<&str>| {
            input
                .map(str::trim)
                .filter(|p| !p.is_empty() && p.chars().count() <= MAX_PLACE && !p.chars().any(char::is_control))
                .map(str::to_owned)
        };
        Self {
            city: part(city),
            state: part(state),
            country: part(country).map(|c| c.to_uppercase()),
        }
    }
}

/// Twilio's stand-ins for a withheld caller id, sent as `From` in place of a number.
const WITHHELD_STAND_INS: [&str; 5] = ["+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"];

/// Who called (or who answered), as a provider names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A phone number.
    Number(E164),
    /// A softphone or SIP identity (`client:alice`, `sip:alice@example.com`).
    Client(String),
    /// The caller withheld their number, or the provider sent something unreadable.
    Anonymous,
}

impl Caller {
    /// Reads a provider's `From` or `To`. Never fails: a withheld number, and anything that is
    /// neither a number nor a client identity (too long, control characters, junk), is
    /// [`Caller::Anonymous`], so that a call is still connected and tracked.
    pub fn parse(input: &str) -> Self {
        let trimmed = input.trim();
        if WITHHELD_STAND_INS.contains(&trimmed) {
            return Self::Anonymous;
        }
        if let Ok(number) = E164::parse(trimmed) {
            return Self::Number(number);
        }
        let lower = trimmed.to_ascii_lowercase();
        let client = lower.starts_with("client:") || lower.starts_with("sip:");
        if client && trimmed.len() <= MAX_CLIENT && !trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Self::Client(trimmed.to_owned());
        }
        Self::Anonymous
    }

    /// The caller as stored on the call: the E.164 number, the client identity, or `anonymous`.
    pub fn as_stored(&self) -> &str {
        match self {
            Self::Number(number) => number.as_str(),
            Self::Client(client) => client,
            Self::Anonymous => "anonymous",
        }
    }

    /// The number, when the caller has one.
    pub fn number(&self) -> Option<&E164> {
        match self {
            Self::Number(number) => Some(number),
            _ => None,
        }
    }
}

/// Longest link accepted (recordings, and any URL a provider or PBX hands Leadline to show).
const MAX_LINK: usize = 2048;

/// A link an operator may follow from a page: `https`, or `http` on this machine only. Any
/// other scheme (`javascript:`, `data:`, `file:`) is refused, so a stored link can never run
/// script in the operator's browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLink(url::Url);

impl WebLink {
    /// Parses a link.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("link", reason);
        if input.len() > MAX_LINK {
            return Err(invalid(format!("it is longer than {MAX_LINK} characters")));
        }
        let url = url::Url::parse(input.trim()).map_err(|e| invalid(format!("'{input}' is not a URL ({e})")))?;
        // Percent-encoding can make the link longer than its input: the stored text must
        // still parse back when the link is shown.
        if url.as_str().len() > MAX_LINK {
            return Err(invalid(format!("it is longer than {MAX_LINK} characters once encoded")));
        }
        match url.scheme() {
            "https" if url.host().is_some() => Ok(Self(url)),
            "http" if crate::net::is_loopback(&url) => Ok(Self(url)),
            "http" => Err(invalid(format!("'{input}' is plain http: use https"))),
            other => Err(invalid(format!("'{other}:' links are not accepted: use https"))),
        }
    }

    /// The link as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Display for WebLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn provider_call_ids_are_short_and_plain() {
        assert_eq!(
            CallSid::parse("CA0123456789abcdef0123456789abcdef")
                .unwrap()
                .as_str()
                .len(),
            34
        );
        assert!(CallSid::parse("3f1c2a9e-6b1d-4c55-9a43-2b8f0e6d7c11").is_ok());
        assert!(CallSid::parse("v3:abc_DEF-1.2").is_ok());
        for bad in ["", "CA 1", "CA1\n", "CA1<script>", &"C".repeat(65)] {
            assert!(CallSid::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_provider_request_cannot_name_a_pbx_call() {
        let secret = Secret::new("an install secret");
        let pbx = CallSid::for_pbx(&secret, BusinessId(1), "42");
        assert!(pbx.as_str().starts_with("pbx:"));
        assert!(CallSid::parse(pbx.as_str()).is_err());
        assert!(CallSid::parse("PBX:1:42").is_err());
    }

    #[test]
    fn pbx_call_ids_are_stable_per_business_and_not_guessable() {
        let secret = Secret::new("an install secret");
        let a = CallSid::for_pbx(&secret, BusinessId(1), "42");
        assert_eq!(a, CallSid::for_pbx(&secret, BusinessId(1), "42"));
        assert_ne!(a, CallSid::for_pbx(&secret, BusinessId(2), "42"));
        assert_ne!(
            a,
            CallSid::for_pbx(&Secret::new("another install"), BusinessId(1), "42")
        );
        assert!(!a.as_str().contains("42"), "{a}");
    }

    #[test]
    fn callers_are_numbers_clients_or_anonymous() {
        assert_eq!(
            Caller::parse(" +1 202 555 0169 "),
            Caller::Number(E164::parse("+12025550169").unwrap())
        );
        assert_eq!(Caller::parse("client:alice"), Caller::Client("client:alice".into()));
        assert_eq!(
            Caller::parse("sip:ann@pbx.example.com"),
            Caller::Client("sip:ann@pbx.example.com".into())
        );
        for withheld in ["anonymous", "Restricted", "+266696687", "", "unknown"] {
            assert_eq!(Caller::parse(withheld), Caller::Anonymous, "{withheld}");
        }
    }

    #[test]
    fn an_oversized_or_junk_caller_is_stored_as_anonymous() {
        assert_eq!(Caller::parse(&"+1".repeat(30_000)), Caller::Anonymous);
        assert_eq!(Caller::parse(&format!("client:{}", "a".repeat(200))), Caller::Anonymous);
        assert_eq!(Caller::parse("client:a\u{0}b"), Caller::Anonymous);
        assert_eq!(Caller::parse("<script>alert(1)</script>"), Caller::Anonymous);
        assert_eq!(Caller::Anonymous.as_stored(), "anonymous");
    }

    #[test]
    fn links_are_https_or_loopback_http() {
        assert!(WebLink::parse("https://api.twilio.com/2010-04-01/Recordings/RE1").is_ok());
        assert!(WebLink::parse("http://127.0.0.1:8080/rec.wav").is_ok());
        for bad in [
            "javascript:alert(document.domain)//",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://recordings.example.com/r.wav",
            "file:///etc/passwd",
            "vbscript:msgbox",
            "not a url",
        ] {
            assert!(WebLink::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(WebLink::parse(&format!("https://x.example/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn an_accepted_link_reads_back_from_its_stored_text() {
        // Percent-encoding makes a link longer than the text it came from: a link accepted
        // under the limit but stored over it could no longer be read back to show.
        let spaced = format!("https://r.example/{}", "a b".repeat(500));
        match WebLink::parse(&spaced) {
            Ok(link) => assert_eq!(WebLink::parse(link.as_str()), Ok(link)),
            Err(e) => assert!(e.to_string().contains("longer than"), "{e}"),
        }
    }

    proptest! {
        #[test]
        fn a_parsed_call_id_is_its_own_text(sid in "[A-Za-z0-9_.:-]{1,64}") {
            prop_assume!(!sid.to_ascii_lowercase().starts_with("pbx:"));
            let parsed = CallSid::parse(&sid).unwrap();
            prop_assert_eq!(parsed.as_str(), sid.as_str());
        }

        #[test]
        fn every_stored_caller_is_bounded_and_printable(input in "\\PC{0,300}") {
            let stored = Caller::parse(&input).as_stored().to_owned();
            prop_assert!(stored.len() <= MAX_CLIENT);
            prop_assert!(!stored.chars().any(char::is_control));
        }

        #[test]
        fn every_accepted_link_is_http_or_https(input in "[a-z]{1,10}:[ -~]{0,40}") {
            if let Ok(link) = WebLink::parse(&input) {
                prop_assert!(link.as_str().starts_with("https://") || link.as_str().starts_with("http://"));
            }
        }
    }

    #[test]
    fn a_callers_place_keeps_what_is_readable_and_drops_the_rest() {
        let place = CallerPlace::parse(Some(" Boston "), Some("MA"), Some("us"));
        assert_eq!(place.city.as_deref(), Some("Boston"));
        assert_eq!(place.country.as_deref(), Some("US"));
        let junk = CallerPlace::parse(Some(""), Some(&"x".repeat(65)), Some("U\u{0}S"));
        assert_eq!(junk, CallerPlace::default());
    }
}
