//! Ad platforms' click ids (`gclid`, `gbraid`, `wbraid`, `msclkid`, `fbclid`): text a visitor
//! controls (it is in the landing page's URL and in a form's hidden fields), later written
//! into the files an operator opens in a spreadsheet. So a click id is kept only when it has
//! the shape its platform issues: letters, digits and the few marks of its alphabet.
//!
//! - Google's `gclid`, `gbraid` and `wbraid` and Meta's `fbclid` are URL-safe base64 text:
//!   `A-Z a-z 0-9 _ -`.
//! - Microsoft's `msclkid` is a GUID's hex digits (its help pages test with `Example-123`):
//!   `A-Z a-z 0-9 -`.
//!
//! Neither alphabet has `=`, `+`, `@`, `|`, a quote, a space or a control character, so no
//! click id can be a spreadsheet formula. [`ClickIds`] holds a visit's or a form's ids.

use crate::Invalid;
use url::Url;

/// The longest click id kept, in characters (Google's run to about 100).
pub const MAX_CLICK_ID_CHARS: usize = 200;

/// Which click id: the query parameter (and the snippet's hidden field, `leadline_<param>`)
/// that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClickKind {
    /// Google Ads click id.
    Gclid,
    /// Google Ads click id for app-to-web clicks on iOS.
    Gbraid,
    /// Google Ads click id for web-to-app clicks on iOS.
    Wbraid,
    /// Microsoft Advertising click id.
    Msclkid,
    /// Meta (Facebook, Instagram) click id.
    Fbclid,
}

impl ClickKind {
    /// Every kind.
    pub const ALL: [ClickKind; 5] = [Self::Gclid, Self::Gbraid, Self::Wbraid, Self::Msclkid, Self::Fbclid];

    /// The query parameter's name (`gclid`).
    pub fn param(&self) -> &'static str {
        match self {
            Self::Gclid => "gclid",
            Self::Gbraid => "gbraid",
            Self::Wbraid => "wbraid",
            Self::Msclkid => "msclkid",
            Self::Fbclid => "fbclid",
        }
    }

    /// The kind a query parameter names.
    pub fn from_param(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.param() == name)
    }

    /// Whether `byte` is in this kind's alphabet.
    fn allows(&self, byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || byte == b'-' || (byte == b'_' && *self != Self::Msclkid)
    }

    fn alphabet(&self) -> &'static str {
        match self {
            Self::Msclkid => "letters, digits and '-'",
            _ => "letters, digits, '_' and '-'",
        }
    }
}

/// A click id of the shape its platform issues: 1 to [`MAX_CLICK_ID_CHARS`] characters of
/// its kind's alphabet (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClickId(String);

impl ClickId {
    /// Accepts a click id of `kind` as a page or form carried it (surrounding blanks
    /// ignored). The error does not repeat the value: it is a stranger's text.
    pub fn parse(kind: ClickKind, input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        let shaped = (1..=MAX_CLICK_ID_CHARS).contains(&text.len()) && text.bytes().all(|b| kind.allows(b));
        if shaped {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "click id",
                format!("a {} is 1 to {MAX_CLICK_ID_CHARS} {}", kind.param(), kind.alphabet()),
            ))
        }
    }

    /// A click id read back from storage, or `None`: a stored value that is not a click id
    /// (kept before capture checked them) is left out rather than trusted.
    pub fn from_stored(kind: ClickKind, stored: Option<String>) -> Option<Self> {
        stored.and_then(|text| Self::parse(kind, &text).ok())
    }

    /// The click id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClickId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for ClickId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The ad platforms' click ids of a visit or a form. Each is a checked [`ClickId`]; stored
/// or queued copies that are not (kept before capture checked them) are left out when read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "StoredClickIds")]
pub struct ClickIds {
    /// Google Ads click id.
    pub gclid: Option<ClickId>,
    /// Google Ads click id for app-to-web clicks on iOS.
    pub gbraid: Option<ClickId>,
    /// Google Ads click id for web-to-app clicks on iOS.
    pub wbraid: Option<ClickId>,
    /// Microsoft Advertising click id.
    pub msclkid: Option<ClickId>,
    /// Meta (Facebook, Instagram) click id.
    pub fbclid: Option<ClickId>,
}

/// Click ids found in a landing page's query, and the parameters that carried something
/// that is not a click id (dropped: counted by the caller, never stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub ids: ClickIds,
    pub dropped: Vec<ClickKind>,
}

impl ClickIds {
    /// The click ids in `url`'s query. When a parameter repeats, the first click id wins; a
    /// parameter whose every value is not a click id is reported as dropped (an empty one is
    /// just absent).
    pub fn from_url(url: &Url) -> Captured {
        let mut captured = Captured::default();
        for kind in ClickKind::ALL {
            let mut seen = false;
            let found = url
                .query_pairs()
                .filter(|(key, value)| key == kind.param() && !value.trim().is_empty())
                .find_map(|(_, value)| {
                    seen = true;
                    ClickId::parse(kind, &value).ok()
                });
            match found {
                Some(id) => *captured.ids.slot(kind) = Some(id),
                None if seen => captured.dropped.push(kind),
                None => {}
            }
        }
        captured
    }

    /// The click id of `kind`, if any.
    pub fn get(&self, kind: ClickKind) -> Option<&ClickId> {
        match kind {
            ClickKind::Gclid => self.gclid.as_ref(),
            ClickKind::Gbraid => self.gbraid.as_ref(),
            ClickKind::Wbraid => self.wbraid.as_ref(),
            ClickKind::Msclkid => self.msclkid.as_ref(),
            ClickKind::Fbclid => self.fbclid.as_ref(),
        }
    }

    /// The place of the click id of `kind`.
    pub fn slot(&mut self, kind: ClickKind) -> &mut Option<ClickId> {
        match kind {
            ClickKind::Gclid => &mut self.gclid,
            ClickKind::Gbraid => &mut self.gbraid,
            ClickKind::Wbraid => &mut self.wbraid,
            ClickKind::Msclkid => &mut self.msclkid,
            ClickKind::Fbclid => &mut self.fbclid,
        }
    }

    /// Click ids read back from storage, `read` giving each kind's stored text: a value that
    /// is not a click id (kept before capture checked them) is left out rather than trusted.
    pub fn from_stored<E>(mut read: impl FnMut(ClickKind) -> Result<Option<String>, E>) -> Result<Self, E> {
        let mut ids = Self::default();
        for kind in ClickKind::ALL {
            *ids.slot(kind) = ClickId::from_stored(kind, read(kind)?);
        }
        Ok(ids)
    }

    /// Whether no click id was found.
    pub fn is_empty(&self) -> bool {
        *self == ClickIds::default()
    }
}

/// Click ids as JSON keeps them (a submission's identity, a queued event): plain text, checked
/// on the way in.
#[derive(serde::Deserialize)]
struct StoredClickIds {
    #[serde(default)]
    gclid: Option<String>,
    #[serde(default)]
    gbraid: Option<String>,
    #[serde(default)]
    wbraid: Option<String>,
    #[serde(default)]
    msclkid: Option<String>,
    #[serde(default)]
    fbclid: Option<String>,
}

impl From<StoredClickIds> for ClickIds {
    fn from(stored: StoredClickIds) -> Self {
        Self {
            gclid: ClickId::from_stored(ClickKind::Gclid, stored.gclid),
            gbraid: ClickId::from_stored(ClickKind::Gbraid, stored.gbraid),
            wbraid: ClickId::from_stored(ClickKind::Wbraid, stored.wbraid),
            msclkid: ClickId::from_stored(ClickKind::Msclkid, stored.msclkid),
            fbclid: ClickId::from_stored(ClickKind::Fbclid, stored.fbclid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn id(kind: ClickKind, text: &str) -> Option<ClickId> {
        Some(ClickId::parse(kind, text).unwrap())
    }

    #[test]
    fn click_ids_are_read_trimmed_and_junk_is_dropped_and_reported() {
        let long = "g".repeat(201);
        let captured = ClickIds::from_url(&url(&format!(
            "https://example.com/?gclid=%20abc%20&gbraid=&wbraid={long}&msclkid=a%0Ab&fbclid=IwAR1"
        )));
        assert_eq!(
            captured.ids,
            ClickIds {
                gclid: id(ClickKind::Gclid, "abc"),
                gbraid: None,
                wbraid: None,
                msclkid: None,
                fbclid: id(ClickKind::Fbclid, "IwAR1"),
            }
        );
        assert_eq!(
            captured.dropped,
            [ClickKind::Wbraid, ClickKind::Msclkid],
            "an empty gbraid is absent, not dropped"
        );
        assert!(ClickIds::from_url(&url("https://example.com/?q=1")).ids.is_empty());
        let exactly_200 = "w".repeat(200);
        let captured = ClickIds::from_url(&url(&format!(
            "https://example.com/?wbraid=&wbraid=%3D1%2B1&wbraid={exactly_200}"
        )));
        assert_eq!(
            captured.ids.wbraid,
            id(ClickKind::Wbraid, &exactly_200),
            "the first click id wins"
        );
        assert!(captured.dropped.is_empty());
    }

    #[test]
    fn a_formula_in_a_click_id_is_dropped() {
        let captured = ClickIds::from_url(&url(
            "https://example.com/?gclid=%3Dcmd%7C'%2FC%20calc'!A0&msclkid=%2Bx",
        ));
        assert!(captured.ids.is_empty());
        assert_eq!(captured.dropped, [ClickKind::Gclid, ClickKind::Msclkid]);
    }

    #[test]
    fn stored_click_ids_that_are_not_click_ids_are_left_out_when_read() {
        let read: ClickIds = serde_json::from_str(r#"{"gclid":"=cmd|'/C calc'!A0","msclkid":"abc"}"#).unwrap();
        assert_eq!(
            read,
            ClickIds {
                msclkid: id(ClickKind::Msclkid, "abc"),
                ..ClickIds::default()
            }
        );
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(written["msclkid"], "abc");
        assert!(written["gclid"].is_null());
    }

    #[test]
    fn real_click_ids_are_kept_trimmed() {
        for (kind, id) in [
            (ClickKind::Gclid, "Cj0KCQiA-abc_123"),
            (ClickKind::Gclid, "EAIaIQobChMI8pLm"),
            (ClickKind::Gbraid, "0AAAAAoZ-gbraid"),
            (ClickKind::Wbraid, "CjkKCQjw_wbraid"),
            (ClickKind::Msclkid, "5f2b8c1e0a7d4e9f8a1b2c3d4e5f6a7b"),
            (ClickKind::Msclkid, "Example-123"),
            (ClickKind::Fbclid, "IwAR1x_Yz-abc"),
        ] {
            assert_eq!(ClickId::parse(kind, &format!(" {id}\n")).unwrap().as_str(), id);
        }
        let longest = "a".repeat(MAX_CLICK_ID_CHARS);
        assert!(ClickId::parse(ClickKind::Gclid, &longest).is_ok());
    }

    #[test]
    fn formulas_and_other_junk_are_not_click_ids() {
        for junk in [
            "=cmd|'/C calc'!A0",
            "+cmd|'/Ccalc'!A0",
            "@SUM(1+1)",
            "=HYPERLINK(\"https://evil.example\")",
            "abc def",
            "abc\tdef",
            "ab\rc",
            "abc=",
            "a.b",
            "é",
            "",
            "   ",
        ] {
            for kind in ClickKind::ALL {
                assert!(ClickId::parse(kind, junk).is_err(), "{kind:?} {junk:?}");
            }
        }
        assert!(ClickId::parse(ClickKind::Gclid, &"a".repeat(MAX_CLICK_ID_CHARS + 1)).is_err());
        assert!(ClickId::parse(ClickKind::Msclkid, "a_b").is_err(), "not in a GUID");
    }

    #[test]
    fn the_error_names_the_kind_but_not_the_value() {
        let err = ClickId::parse(ClickKind::Msclkid, "=evil()").unwrap_err().to_string();
        assert!(err.contains("msclkid"), "{err}");
        assert!(!err.contains("evil"), "{err}");
    }

    #[test]
    fn stored_junk_is_left_out() {
        assert_eq!(ClickId::from_stored(ClickKind::Gclid, Some("=1+1".into())), None);
        assert_eq!(ClickId::from_stored(ClickKind::Gclid, None), None);
        assert_eq!(
            ClickId::from_stored(ClickKind::Gclid, Some("abc".into())).map(|id| id.0),
            Some("abc".to_owned())
        );
    }

    #[test]
    fn params_name_their_kind() {
        for kind in ClickKind::ALL {
            assert_eq!(ClickKind::from_param(kind.param()), Some(kind));
        }
        assert_eq!(ClickKind::from_param("dclid"), None);
    }

    proptest! {
        #[test]
        fn every_text_of_the_alphabet_is_a_google_click_id(id in "[A-Za-z0-9_-]{1,200}") {
            let parsed = ClickId::parse(ClickKind::Gclid, &id).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
        }

        #[test]
        fn no_click_id_starts_a_formula_or_holds_a_mark_outside_its_alphabet(input in "\\PC{0,40}") {
            for kind in ClickKind::ALL {
                if let Ok(id) = ClickId::parse(kind, &input) {
                    let text = id.as_str();
                    prop_assert!(!text.starts_with(['=', '+', '@', '\t', '\r']));
                    prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
                }
            }
        }
    }
}
