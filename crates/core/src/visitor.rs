//! Who is visiting: the analytics cookies a browser carries (`_ga`, `_ga_<stream>`, legacy
//! `__utma`), Leadline's own first-party id, the visitor key derived from them, the device
//! class and a user-agent check that keeps bots from taking extensions.

use crate::Invalid;
use std::collections::BTreeMap;

/// The longest run of digits accepted in one cookie field (a timestamp has 10, a random id 9 or
/// 10); longer runs are junk, not ids.
const MAX_ID_DIGITS: usize = 20;

fn is_id_digits(field: &str) -> bool {
    (1..=MAX_ID_DIGITS).contains(&field.len()) && field.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `field` is a cookie version tag: `prefix` then digits (`GA1`, `GS2`).
fn is_version(field: &str, prefix: &str) -> bool {
    field
        .strip_prefix(prefix)
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// The GA client id (`1234567890.1700000000`) in a `_ga` cookie value such as
/// `GA1.2.1234567890.1700000000`, or `None` when the value has another shape. The second field
/// (the domain depth) may be any digits, or digits-digits as older cookies with a path had.
pub fn ga_client_id(ga_cookie: &str) -> Option<String> {
    let fields: Vec<&str> = ga_cookie.trim().split('.').collect();
    let [version, depth, random, first_seen] = fields.as_slice() else {
        return None;
    };
    let depth_ok = depth
        .split('-')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    (is_version(version, "GA") && depth_ok && is_id_digits(random) && is_id_digits(first_seen))
        .then(|| format!("{random}.{first_seen}"))
}

/// The GA client id a form's hidden field carries (`1234567890.1700000000`, what the snippet
/// read from `_ga`): two runs of 1 to 20 digits joined by one dot, else `None`.
pub fn form_client_id(value: &str) -> Option<&str> {
    let (random, first_seen) = value.split_once('.')?;
    (is_id_digits(random) && is_id_digits(first_seen)).then_some(value)
}

/// Longest analytics cookie value kept from the snippet.
pub const MAX_COOKIE_BYTES: usize = 200;

/// An analytics cookie value as the snippet sends it, kept only when it is short and
/// printable: trimmed, 1 to 200 bytes, visible ASCII only.
pub fn cookie_value(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE_BYTES && v.bytes().all(|b| b.is_ascii_graphic()))
}

/// Longest `_ga_<stream>` cookie name kept.
const MAX_STREAM_COOKIE_NAME: usize = 40;
/// Most `_ga_<stream>` cookies kept from one visit.
pub const MAX_STREAM_COOKIES: usize = 10;

/// The `_ga_<stream>` cookies worth keeping: named `_ga_…` (at most 40 bytes), with a value
/// [`cookie_value`] keeps, the first ten by name.
pub fn ga_stream_cookies(raw: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    raw.iter()
        .filter(|(name, _)| name.starts_with("_ga_") && name.len() <= MAX_STREAM_COOKIE_NAME)
        .filter_map(|(name, value)| cookie_value(value).map(|v| (name.clone(), v.to_owned())))
        .take(MAX_STREAM_COOKIES)
        .collect()
}

/// The session a GA4 stream cookie (`_ga_<measurement id>`) describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaSession {
    /// The session id, digits only (the session's start time in Unix seconds).
    pub session_id: String,
    /// The count of this browser's sessions on the stream, when the cookie says it.
    pub session_number: Option<u32>,
}

/// The session in a GA4 stream cookie value, in either format: the old
/// `GS1.1.1700000000.3.1.1700000100.0.0.0` (id in the 3rd field, number in the 4th) or the new
/// `GS2.1.s1700000000$o3$g1$t1700000100$j0$l0$h0` (id after `s`, number after `o`; `$` may
/// arrive percent-encoded as `%24`). `None` when there is no all-digit session id.
pub fn ga_session(stream_cookie: &str) -> Option<GaSession> {
    let value = stream_cookie.trim().replace("%24", "$");
    let mut fields = value.splitn(3, '.');
    let (version, _depth, rest) = (fields.next()?, fields.next()?, fields.next()?);
    if !is_version(version, "GS") {
        return None;
    }
    let (id, number) = if rest.starts_with('s') {
        let mut id = None;
        let mut number = None;
        for item in rest.split('$') {
            match item.split_at_checked(1) {
                Some(("s", v)) if id.is_none() => id = Some(v),
                Some(("o", v)) if number.is_none() => number = Some(v),
                _ => {}
            }
        }
        (id?, number)
    } else {
        let mut dotted = rest.split('.');
        (dotted.next()?, dotted.next())
    };
    is_id_digits(id).then(|| GaSession {
        session_id: id.to_owned(),
        session_number: number.and_then(|n| n.parse().ok()),
    })
}

/// The visitor (`domainhash.visitorid`) in a legacy `__utma` cookie value
/// `domainhash.visitorid.first.previous.current.count`, or `None` when it has another shape.
pub fn utma_visitor(utma: &str) -> Option<String> {
    let fields: Vec<&str> = utma.trim().split('.').collect();
    let [hash, visitor, ..] = fields.as_slice() else {
        return None;
    };
    (fields.len() == 6 && fields.iter().all(|f| is_id_digits(f))).then(|| format!("{hash}.{visitor}"))
}

/// Leadline's own first-party visitor id, kept in a cookie when the site allows it: 16 to 64
/// characters of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FirstPartyId(String);

impl FirstPartyId {
    /// Accepts an id as the browser sent it back.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let url_safe = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if !(16..=64).contains(&input.len()) || !input.bytes().all(url_safe) {
            return Err(Invalid::new(
                "first-party id",
                "16 to 64 letters, digits, '_' or '-' are needed",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// A new random id (22 letters and digits, about 130 bits).
    pub fn generate() -> Self {
        Self(crate::secret::random_token(22))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FirstPartyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stable id of a browser, tagged with where it came from: `ga:<client id>`,
/// `utma:<domainhash.visitorid>`, `fp:<first-party id>`, `anon:<digest>`, or `nc:<digest>`
/// for a visitor who refused analytics (no cookie read or set, nothing sent to analytics).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VisitorKey(String);

impl VisitorKey {
    /// The longest key, in characters.
    pub const MAX_CHARS: usize = 200;

    /// The key from the browser's cookies, best first: the GA client id from the raw `_ga`
    /// value, else the `__utma` visitor, else Leadline's first-party id. Unparseable cookies
    /// are skipped; `None` when nothing identifies the browser.
    pub fn derive(ga: Option<&str>, utma: Option<&str>, first_party: Option<&FirstPartyId>) -> Option<VisitorKey> {
        if let Some(client_id) = ga.and_then(ga_client_id) {
            return Some(Self(format!("ga:{client_id}")));
        }
        if let Some(visitor) = utma.and_then(utma_visitor) {
            return Some(Self(format!("utma:{visitor}")));
        }
        first_party.map(|id| Self(format!("fp:{}", id.as_str())))
    }

    /// The key of a browser on a cookie-less site, from a digest the server computed (hex).
    /// A digest longer than the key allows is cut.
    pub fn anonymous(digest_hex: &str) -> VisitorKey {
        let digest: String = digest_hex.chars().take(Self::MAX_CHARS - "anon:".len()).collect();
        Self(format!("anon:{digest}"))
    }

    /// The key of a visitor who refused analytics storage (the site's consent signal, the
    /// browser's Global Privacy Control): a day's digest as on a cookie-less site, of its own
    /// kind so that analytics integrations can tell and send nothing.
    pub fn without_consent(digest_hex: &str) -> VisitorKey {
        let digest: String = digest_hex.chars().take(Self::MAX_CHARS - "nc:".len()).collect();
        Self(format!("nc:{digest}"))
    }

    /// Whether the visitor refused analytics (see [`VisitorKey::without_consent`]).
    pub fn refused_analytics(&self) -> bool {
        refused_analytics(&self.0)
    }

    /// Accepts a key read back from storage: non-empty and at most 200 characters.
    pub fn from_stored(stored: &str) -> Result<Self, Invalid> {
        let chars = stored.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(Invalid::new(
                "stored visitor key",
                format!("it has {chars} characters; 1 to {} are allowed", Self::MAX_CHARS),
            ));
        }
        Ok(Self(stored.to_owned()))
    }

    /// Whether a form's claim of a visitor key (`leadline_visitor`) has a key's shape: a known
    /// kind (`ga:`, `utma:`, `fp:`, `anon:`), at most 200 bytes of visible ASCII. The claim is
    /// only a claim; whether to trust it is the caller's decision.
    pub fn is_claimed(value: &str) -> bool {
        let known = ["ga:", "utma:", "fp:", "anon:", "nc:"]
            .iter()
            .any(|p| value.starts_with(p));
        known && value.len() <= Self::MAX_CHARS && value.bytes().all(|b| b.is_ascii_graphic())
    }

    /// The key, `<kind>:<id>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a stored visitor key (as events carry it) is one of a visitor who refused
/// analytics.
pub fn refused_analytics(visitor_key: &str) -> bool {
    visitor_key.starts_with("nc:")
}

impl std::fmt::Display for VisitorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VisitorKey {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_stored(&value)
    }
}

impl From<VisitorKey> for String {
    fn from(value: VisitorKey) -> Self {
        value.0
    }
}

/// The class of device a visit came from, as the snippet reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// A phone: `tel:` links dial directly, so click mode suits it.
    Mobile,
    /// A tablet.
    Tablet,
    /// A desktop or laptop computer.
    Desktop,
}

impl Device {
    /// Accepts `mobile`, `tablet` or `desktop` in any case, surrounding spaces ignored.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "mobile" => Ok(Self::Mobile),
            "tablet" => Ok(Self::Tablet),
            "desktop" => Ok(Self::Desktop),
            _ => Err(Invalid::new(
                "device",
                format!("'{}' is not one of mobile, tablet, desktop", input.trim()),
            )),
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words that mark a user agent as a robot, matched case-insensitively anywhere in it.
const BOT_MARKERS: &str = "bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|lighthouse|curl/|wget/|\
                           python-requests|go-http-client";

/// Whether a user agent is a robot (crawler, link previewer, audit tool, HTTP library) that
/// should not take an extension. An empty user agent counts as a robot. Headless browsers are
/// not flagged (they run real tests and real users' tools), nor are CUBOT phones.
pub fn is_bot(user_agent: &str) -> bool {
    let lower = user_agent.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return true;
    }
    // CUBOT is an Android phone brand whose model names appear in real browsers' agents.
    let lower = lower.replace("cubot", "");
    BOT_MARKERS.split('|').any(|marker| lower.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga_client_ids_are_the_last_two_fields_of_any_ga_version_and_depth() {
        for (cookie, id) in [
            ("GA1.2.1234567890.1700000000", "1234567890.1700000000"),
            ("GA1.1.987654321.1699999999", "987654321.1699999999"),
            (" GA1.3.1.2 ", "1.2"),
            ("GA1.2-2.1234567890.1700000000", "1234567890.1700000000"),
        ] {
            assert_eq!(ga_client_id(cookie).as_deref(), Some(id), "{cookie}");
        }
    }

    #[test]
    fn malformed_ga_cookies_have_no_client_id() {
        for bad in [
            "",
            "1234567890.1700000000",
            "GA1.2.1234567890",
            "GA1.2.1234567890.1700000000.5",
            "GA1.2.12345abc.1700000000",
            "GA1.2.1234567890.",
            "GS1.2.1234567890.1700000000",
            "GA.2.1234567890.1700000000",
            "GA1.x.1234567890.1700000000",
            "GA1.2.123456789012345678901.1700000000",
            "GA1.2.+12345.1700000000",
        ] {
            assert_eq!(ga_client_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn form_client_ids_are_two_runs_of_digits() {
        assert_eq!(form_client_id("123456789.1700000000"), Some("123456789.1700000000"));
        assert_eq!(form_client_id("1.2"), Some("1.2"));
        for bad in [
            "",
            ".",
            "1.",
            ".2",
            "1.2.3",
            "GA1.1.x",
            "1 .2",
            "+1.2",
            "123456789012345678901.2",
            "\u{663}.2",
        ] {
            assert_eq!(form_client_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cookie_values_are_trimmed_short_and_visible_ascii() {
        assert_eq!(cookie_value(" GA1.1.1.2 "), Some("GA1.1.1.2"));
        assert_eq!(cookie_value(&"x".repeat(200)).map(str::len), Some(200));
        for bad in ["", "   ", "a b", "a\u{0}b", "caf\u{e9}"] {
            assert_eq!(cookie_value(bad), None, "{bad:?}");
        }
        assert_eq!(cookie_value(&"x".repeat(201)), None);
    }

    #[test]
    fn only_ten_well_named_stream_cookies_with_kept_values_are_kept() {
        let mut raw: BTreeMap<String, String> = (0..12).map(|i| (format!("_ga_S{i:02}"), "GS1.1.1.1".into())).collect();
        raw.insert("_gid".into(), "GA1.1.1.1".into());
        raw.insert(format!("_ga_{}", "L".repeat(37)), "GS1.1.1.1".into());
        raw.insert("_ga_BAD".into(), "a b".into());
        let kept = ga_stream_cookies(&raw);
        assert_eq!(kept.len(), MAX_STREAM_COOKIES);
        assert!(kept.keys().all(|name| name.starts_with("_ga_S")), "{kept:?}");
        assert_eq!(kept.keys().next().map(String::as_str), Some("_ga_S00"));
    }

    #[test]
    fn claimed_visitor_keys_need_a_known_kind_and_visible_ascii() {
        for good in ["ga:1.2", "utma:1.2", "fp:abcdefghijklmnop", "anon:ab12", "nc:ab12"] {
            assert!(VisitorKey::is_claimed(good), "{good}");
        }
        for bad in ["someone", "ga:1 2", "GA:1.2", "", "fp:caf\u{e9}"] {
            assert!(!VisitorKey::is_claimed(bad), "{bad:?}");
        }
        assert!(VisitorKey::is_claimed(&format!("fp:{}", "a".repeat(197))));
        assert!(!VisitorKey::is_claimed(&format!("fp:{}", "a".repeat(198))));
    }

    #[test]
    fn ga4_stream_cookies_in_the_old_format_give_the_third_and_fourth_fields() {
        let session = ga_session("GS1.1.1700000000.3.1.1700000100.0.0.0").unwrap();
        assert_eq!(session.session_id, "1700000000");
        assert_eq!(session.session_number, Some(3));
        assert_eq!(ga_session("GS1.1.1700000000").unwrap().session_number, None);
        assert_eq!(ga_session("GS1.1.1700000000.x.1").unwrap().session_number, None);
    }

    #[test]
    fn ga4_stream_cookies_in_the_new_format_give_the_s_and_o_items() {
        let expected = GaSession {
            session_id: "1700000000".into(),
            session_number: Some(3),
        };
        assert_eq!(
            ga_session("GS2.1.s1700000000$o3$g1$t1700000100$j0$l0$h0"),
            Some(expected.clone())
        );
        assert_eq!(ga_session("GS2.1.s1700000000%24o3%24g1%24t1700000100"), Some(expected));
        assert_eq!(ga_session("GS2.1.s1700000000$g1").unwrap().session_number, None);
        let too_big = ga_session("GS2.1.s1700000000$o99999999999").unwrap();
        assert_eq!(too_big.session_number, None, "a number beyond u32 is left out");
    }

    #[test]
    fn malformed_stream_cookies_have_no_session() {
        for bad in [
            "",
            "GS1.1",
            "GS1.1.abc.3",
            "GS2.1.sabc$o3",
            "GS2.1.o3$g1",
            "GA1.1.1700000000.3",
            "1700000000.3",
            "GS1.1..3",
        ] {
            assert_eq!(ga_session(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn utma_visitors_are_the_domain_hash_and_visitor_id() {
        let utma = "173272373.1234567890.1700000000.1700000100.1700000200.4";
        assert_eq!(utma_visitor(utma).as_deref(), Some("173272373.1234567890"));
        for bad in [
            "",
            "173272373.1234567890",
            "173272373.x.1.2.3.4",
            "1.2.3.4.5.6.7",
            "a.b.c.d.e.f",
        ] {
            assert_eq!(utma_visitor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn first_party_ids_are_16_to_64_url_safe_characters_and_generated_ones_differ() {
        assert!(FirstPartyId::parse("abcdefghijklmnop").is_ok());
        assert!(FirstPartyId::parse(&"A_-9".repeat(16)).is_ok());
        assert!(FirstPartyId::parse("abcdefghijklmno").is_err());
        assert!(FirstPartyId::parse(&"a".repeat(65)).is_err());
        assert!(FirstPartyId::parse("abcdefghijklmnop=").is_err());
        assert!(FirstPartyId::parse("abcdefgh ijklmnop").is_err());
        let (a, b) = (FirstPartyId::generate(), FirstPartyId::generate());
        assert_eq!(FirstPartyId::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.as_str().len(), 22);
        assert_ne!(a, b);
    }

    #[test]
    fn the_visitor_key_prefers_ga_then_utma_then_first_party() {
        let ga = Some("GA1.2.111.222");
        let utma = Some("1.2.3.4.5.6");
        let fp = FirstPartyId::parse("abcdefghijklmnop").unwrap();
        let key = |ga, utma, fp| VisitorKey::derive(ga, utma, fp).map(|k| k.as_str().to_owned());
        assert_eq!(key(ga, utma, Some(&fp)).as_deref(), Some("ga:111.222"));
        assert_eq!(key(None, utma, Some(&fp)).as_deref(), Some("utma:1.2"));
        assert_eq!(key(Some("junk"), utma, Some(&fp)).as_deref(), Some("utma:1.2"));
        assert_eq!(
            key(None, Some("junk"), Some(&fp)).as_deref(),
            Some("fp:abcdefghijklmnop")
        );
        assert_eq!(key(Some("junk"), Some("junk"), None), None);
        assert_eq!(key(None, None, None), None);
    }

    #[test]
    fn anonymous_keys_carry_the_digest_and_stay_within_the_limit() {
        assert_eq!(VisitorKey::anonymous("ab12").as_str(), "anon:ab12");
        let long = VisitorKey::anonymous(&"f".repeat(500));
        assert_eq!(long.as_str().len(), VisitorKey::MAX_CHARS);
        assert_eq!(VisitorKey::from_stored(long.as_str()), Ok(long));
    }

    #[test]
    fn stored_visitor_keys_must_be_non_empty_and_at_most_200_characters() {
        assert_eq!(VisitorKey::from_stored("ga:1.2").unwrap().as_str(), "ga:1.2");
        assert!(VisitorKey::from_stored(&"é".repeat(200)).is_ok());
        assert!(VisitorKey::from_stored("").is_err());
        assert!(VisitorKey::from_stored(&"x".repeat(201)).is_err());
    }

    #[test]
    fn devices_parse_in_any_case_and_print_lower_case() {
        assert_eq!(Device::parse("Mobile"), Ok(Device::Mobile));
        assert_eq!(Device::parse(" TABLET "), Ok(Device::Tablet));
        assert_eq!(Device::parse("desktop").unwrap().as_str(), "desktop");
        let err = Device::parse("phone").unwrap_err();
        assert!(err.to_string().contains("'phone'"), "{err}");
        assert!(Device::parse("").is_err());
        assert_eq!(serde_json::to_string(&Device::Tablet).unwrap(), "\"tablet\"");
    }

    #[test]
    fn crawlers_previewers_audits_and_http_libraries_are_bots() {
        for ua in [
            "",
            "   ",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
            "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "Screaming Frog SEO Spider/19.0",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "curl/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.31.0",
            "Go-http-client/2.0",
        ] {
            assert!(is_bot(ua), "{ua:?} was not flagged");
        }
    }

    #[test]
    fn real_browsers_headless_chrome_and_cubot_phones_are_not_bots() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/17.4.1 Safari/605.1.15",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/124.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) \
             SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             HeadlessChrome/124.0.6367.60 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; CUBOT_P30) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.40.108;FBBV/577427406;FBDV/iPhone14,5;FBMD/iPhone]",
        ] {
            assert!(!is_bot(ua), "{ua:?} was flagged");
        }
    }
}
