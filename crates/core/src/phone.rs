//! Phone numbers in E.164, validated against libphonenumber's metadata.

use crate::Invalid;
use phonenumber::Mode;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

/// Inputs remembered at most by each of this module's memories; past it the memory starts
/// again.
const REMEMBERED: usize = 4_096;

/// What `memory` remembers for `key`.
fn recall<V: Clone>(memory: &Mutex<HashMap<String, V>>, key: &str) -> Option<V> {
    memory.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
}

/// Remembers `value` for `key` in `memory`, which never holds more than [`REMEMBERED`].
fn remember<V: Clone>(memory: &Mutex<HashMap<String, V>>, key: &str, value: &V) {
    let mut remembered = memory.lock().unwrap_or_else(PoisonError::into_inner);
    if remembered.len() >= REMEMBERED {
        remembered.clear();
    }
    remembered.insert(key.to_owned(), value.clone());
}

/// A phone number in E.164 form (`+12025550100`): a country code and a number that is valid
/// in that country.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    /// Parses a number written with its country code; spaces, dots, dashes and brackets are
    /// allowed (`+1 (202) 555-0100`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        let invalid = |reason: String| Invalid::new("phone number", reason);
        if trimmed.is_empty() {
            return Err(invalid("it is empty".into()));
        }
        if !trimmed.starts_with('+') {
            return Err(invalid(format!(
                "'{trimmed}' has no country code: write it as +<country code><number>, e.g. +12025550100"
            )));
        }
        // Remembered per input: the provider's webhooks name the same tracking number on
        // every request, and the numbering plan's regexes cost more than the rest of a
        // gather's parsing (issue 15). Only valid numbers are remembered.
        static PARSED: LazyLock<Mutex<HashMap<String, E164>>> = LazyLock::new(Mutex::default);
        if let Some(known) = recall(&PARSED, trimmed) {
            return Ok(known);
        }
        let number = phonenumber::parse(None, trimmed)
            .map_err(|e| invalid(format!("'{trimmed}' is not a phone number ({e})")))?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid(format!("'{trimmed}' is not a valid number in its country")));
        }
        let parsed = Self(number.format().mode(Mode::E164).to_string());
        remember(&PARSED, trimmed, &parsed);
        Ok(parsed)
    }

    /// Parses a number as a person in `like`'s country writes it: with a country code
    /// (`+1 202 555 0169`) or in that country's national form (`(202) 555-0169`).
    pub fn parse_like(input: &str, like: &E164) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        if trimmed.starts_with('+') {
            return Self::parse(trimmed);
        }
        let region = like.parsed().and_then(|n| n.country().id());
        let number = phonenumber::parse(region, trimmed)
            .map_err(|e| Invalid::new("phone number", format!("'{trimmed}' is not a phone number ({e})")))?;
        if !phonenumber::is_valid(&number) {
            return Err(Invalid::new(
                "phone number",
                format!("'{trimmed}' is not a valid number"),
            ));
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// Accepts a number read back from storage: it was validated when stored, so only its
    /// shape is checked here (`+`, then 7 to 15 digits), not the numbering plan of the day.
    pub fn from_stored(stored: &str) -> Result<Self, Invalid> {
        let digits = stored.strip_prefix('+').unwrap_or("");
        let shaped =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if shaped {
            Ok(Self(stored.to_owned()))
        } else {
            Err(Invalid::new("stored phone number", format!("'{stored}' is not E.164")))
        }
    }

    /// The country calling code (`1` for +1 202 555 0100).
    pub fn country_code(&self) -> String {
        self.parsed().map(|n| n.code().value().to_string()).unwrap_or_default()
    }

    /// The national significant number's digits (`2025550100`): what a page's text must
    /// contain for the snippet to recognise the number.
    pub fn national_digits(&self) -> String {
        self.parsed()
            .map(|n| n.national().value().to_string())
            .unwrap_or_default()
    }

    /// The number as people in its country write it (`(202) 555-0100`).
    pub fn national(&self) -> String {
        self.parsed()
            .map(|n| n.format().mode(Mode::National).to_string())
            .unwrap_or_else(|| self.0.clone())
    }

    /// The ISO 3166 region the number belongs to (`US` for +1 202 555 0100), when the
    /// numbering plan names one.
    pub fn region(&self) -> Option<String> {
        self.parsed()
            .and_then(|n| n.country().id())
            .map(|id| id.as_ref().to_owned())
    }

    /// What kind of line the number is, by libphonenumber's metadata.
    pub fn kind(&self) -> LineKind {
        use phonenumber::Type;
        match self.parsed().map(|n| n.number_type(&phonenumber::metadata::DATABASE)) {
            Some(Type::FixedLine | Type::Mobile | Type::FixedLineOrMobile) => LineKind::Subscriber,
            Some(Type::TollFree) => LineKind::TollFree,
            Some(Type::PremiumRate) => LineKind::PremiumRate,
            Some(Type::SharedCost) => LineKind::SharedCost,
            _ => LineKind::Special,
        }
    }

    /// The forms a page shows the number in ([`E164::national`], [`E164::national_digits`],
    /// [`E164::country_code`]) from one parse, for answers that need them all. Remembered per
    /// number: every answer of the snippet carries them, and formatting runs the numbering
    /// plan's regexes (6% of a heartbeat's samples).
    pub fn shown(&self) -> Shown {
        static SHOWN: LazyLock<Mutex<HashMap<String, Shown>>> = LazyLock::new(Mutex::default);
        if let Some(shown) = recall(&SHOWN, &self.0) {
            return shown;
        }
        let shown = self.format_shown();
        remember(&SHOWN, &self.0, &shown);
        shown
    }

    fn format_shown(&self) -> Shown {
        match self.parsed() {
            Some(n) => Shown {
                national: n.format().mode(Mode::National).to_string(),
                national_digits: n.national().value().to_string(),
                country_code: n.code().value().to_string(),
            },
            None => Shown {
                national: self.0.clone(),
                national_digits: String::new(),
                country_code: String::new(),
            },
        }
    }

    fn parsed(&self) -> Option<phonenumber::PhoneNumber> {
        phonenumber::parse(None, &self.0).ok()
    }

    /// The E.164 text, `+` and digits only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A number as a page shows it: `(202) 555-0100`, `2025550100`, `1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub national: String,
    pub national_digits: String,
    pub country_code: String,
}

/// The kinds of line that matter when Leadline pays for a call to a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A fixed line or a mobile: an ordinary subscriber.
    Subscriber,
    /// Free to call.
    TollFree,
    /// Premium rate: the caller pays the callee's price.
    PremiumRate,
    /// Shared cost.
    SharedCost,
    /// Anything else: VoIP, personal, pager, UAN, voicemail access, or unknown to the plan.
    Special,
}

impl LineKind {
    /// The name used in messages and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Subscriber => "subscriber",
            Self::TollFree => "toll_free",
            Self::PremiumRate => "premium_rate",
            Self::SharedCost => "shared_cost",
            Self::Special => "special",
        }
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<E164> for String {
    fn from(value: E164) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_number_parses_as_it_did_the_first_time_and_an_invalid_one_stays_invalid() {
        let first = E164::parse("+1 (202) 555-0142").unwrap();
        for _ in 0..3 {
            assert_eq!(E164::parse("+1 (202) 555-0142").unwrap(), first);
            assert_eq!(E164::parse("+12025550142").unwrap(), first);
            assert!(E164::parse("+1 202 555 01").is_err());
            assert!(E164::parse("2025550142").is_err());
        }
    }

    #[test]
    fn national_numbers_are_read_in_the_reference_country() {
        let us = E164::parse("+12025550100").unwrap();
        assert_eq!(
            E164::parse_like("(202) 555-0169", &us).unwrap().as_str(),
            "+12025550169"
        );
        assert_eq!(
            E164::parse_like("+44 20 7946 0000", &us).unwrap().as_str(),
            "+442079460000"
        );
        let uk = E164::parse("+442079460000").unwrap();
        assert_eq!(
            E164::parse_like("020 7946 0001", &uk).unwrap().as_str(),
            "+442079460001"
        );
        assert!(E164::parse_like("12", &us).is_err());
    }

    #[test]
    fn formatting_is_normalised_to_e164() {
        assert_eq!(E164::parse("+1 (202) 555-0100").unwrap().as_str(), "+12025550100");
        assert_eq!(E164::parse(" +44 20 7946 0958 ").unwrap().as_str(), "+442079460958");
    }

    #[test]
    fn national_forms_are_derived() {
        let number = E164::parse("+12025550100").unwrap();
        assert_eq!(number.national(), "(202) 555-0100");
        assert_eq!(number.national_digits(), "2025550100");
        assert_eq!(number.country_code(), "1");
        let london = E164::parse("+442079460958").unwrap();
        assert_eq!(london.national_digits(), "2079460958");
        assert_eq!(london.country_code(), "44");
    }

    #[test]
    fn one_parse_gives_the_same_forms_as_three() {
        for text in [
            "+12025550100",
            "+442079460958",
            "+33142685300",
            "+61291234567",
            "+8613800138000",
        ] {
            let number = E164::parse(text).unwrap();
            let shown = number.shown();
            assert_eq!(shown.national, number.national(), "{text}");
            assert_eq!(shown.national_digits, number.national_digits(), "{text}");
            assert_eq!(shown.country_code, number.country_code(), "{text}");
            assert_eq!(number.shown(), shown, "remembered as formatted: {text}");
        }
    }

    #[test]
    fn a_number_without_country_code_is_refused_with_a_hint() {
        let err = E164::parse("202-555-0100").unwrap_err();
        assert!(err.to_string().contains("no country code"), "{err}");
    }

    #[test]
    fn letters_and_impossible_numbers_are_refused() {
        assert!(E164::parse("+1 call me").is_err());
        assert!(E164::parse("+1 555").is_err());
        assert!(E164::parse("+999 1234567").is_err());
        assert!(E164::parse("").is_err());
    }
}
