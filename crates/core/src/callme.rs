//! Call-me costs the business a call to a number a visitor typed, so it is a toll-fraud
//! channel: a site decides which countries may be called (by default only the tracking
//! number's), no premium-rate, shared-cost or other special line is ever called, and each
//! visit and each day get a cap.

use crate::phone::LineKind;
use crate::{E164, Invalid};

/// An ISO 3166-1 alpha-2 region that libphonenumber knows (`US`, `GB`, `DE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

impl Region {
    /// Parses a region code, case-insensitively.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let upper = input.trim().to_ascii_uppercase();
        match upper.parse::<phonenumber::country::Id>() {
            Ok(_) if upper.len() == 2 => Ok(Self(upper)),
            _ => Err(Invalid::new(
                "country",
                format!(
                    "'{}' is not a two-letter country code with a numbering plan (e.g. US, GB, DE)",
                    input.trim()
                ),
            )),
        }
    }

    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Region {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Region> for String {
    fn from(value: Region) -> Self {
        value.0
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a call-me request places no call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The number is in a country the site does not call.
    Country(String),
    /// The number is a premium-rate, shared-cost or other special line.
    LineKind(LineKind),
    /// The visit has had its share of call-me calls.
    VisitCap(u32),
    /// The site has placed its share of call-me calls today.
    DayCap(u32),
}

impl Refusal {
    /// The label in metrics: `country`, `line_kind`, `visit_cap` or `day_cap`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Country(_) => "country",
            Self::LineKind(_) => "line_kind",
            Self::VisitCap(_) => "visit_cap",
            Self::DayCap(_) => "day_cap",
        }
    }

    /// What the visitor is told.
    pub fn message(&self) -> String {
        match self {
            Self::Country(region) => {
                format!("we cannot call numbers in {region}: please call us instead")
            }
            Self::LineKind(kind) => format!(
                "we cannot call this kind of number ({}): please give a landline or mobile number",
                kind.as_str().replace('_', " ")
            ),
            Self::VisitCap(cap) => format!("we have already called you {cap} times: please call us instead"),
            Self::DayCap(_) => "we cannot place more calls today: please call us instead".into(),
        }
    }
}

/// Whether a site may call `phone`: a landline or mobile in one of `countries`, or, when the
/// site names none, in the tracking number's country.
pub fn check_destination(phone: &E164, countries: &[Region], tracking: &E164) -> Result<(), Refusal> {
    let region = phone.region().unwrap_or_else(|| format!("+{}", phone.country_code()));
    let allowed = if countries.is_empty() {
        tracking.region().is_some_and(|home| home == region)
    } else {
        countries.iter().any(|c| c.as_str() == region)
    };
    if !allowed {
        return Err(Refusal::Country(region));
    }
    match phone.kind() {
        LineKind::Subscriber => Ok(()),
        other => Err(Refusal::LineKind(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(n: &str) -> E164 {
        E164::parse(n).unwrap()
    }

    #[test]
    fn by_default_only_the_tracking_numbers_country_is_called() {
        let tracking = e164("+12025550100");
        assert_eq!(check_destination(&e164("+12025550169"), &[], &tracking), Ok(()));
        assert_eq!(
            check_destination(&e164("+2693123456"), &[], &tracking),
            Err(Refusal::Country("KM".into()))
        );
        assert_eq!(
            check_destination(&e164("+37281234567"), &[], &tracking),
            Err(Refusal::Country("EE".into()))
        );
    }

    #[test]
    fn premium_rate_numbers_are_never_called() {
        let tracking = e164("+12025550100");
        assert_eq!(
            check_destination(&e164("+19005550199"), &[], &tracking),
            Err(Refusal::LineKind(LineKind::PremiumRate))
        );
        let uk = [Region::parse("gb").unwrap()];
        assert_eq!(
            check_destination(&e164("+449098765432"), &uk, &tracking),
            Err(Refusal::LineKind(LineKind::PremiumRate))
        );
    }

    #[test]
    fn a_site_may_allow_other_countries() {
        let tracking = e164("+12025550100");
        let allowed = [Region::parse("EE").unwrap(), Region::parse("us").unwrap()];
        assert_eq!(check_destination(&e164("+37251234567"), &allowed, &tracking), Ok(()));
        assert_eq!(check_destination(&e164("+12025550169"), &allowed, &tracking), Ok(()));
        assert!(check_destination(&e164("+2693123456"), &allowed, &tracking).is_err());
    }

    #[test]
    fn regions_are_known_two_letter_codes() {
        assert_eq!(Region::parse(" de ").unwrap().as_str(), "DE");
        for bad in ["", "D", "DEU", "XX", "1"] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }
}
