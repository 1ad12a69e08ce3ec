//! A business's account at its telephony provider, connected once (account id and auth
//! token) so that Leadline can list, search for and buy its numbers and point their webhooks
//! at itself; and the validated inputs of those requests.

use crate::secret::Secret;
use crate::store::StoreResult;
use crate::tenant::{AccountSid, Provider};
use crate::{BusinessId, Invalid};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The provider account of a business. The token is kept for Leadline's requests and never
/// shown again (its `Debug` is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    pub business_id: BusinessId,
    pub provider: Provider,
    pub account_sid: AccountSid,
    pub auth_token: Secret,
    pub connected_at: DateTime<Utc>,
}

/// Input for connecting a business's provider account (replacing an earlier one).
#[derive(Debug, Clone)]
pub struct NewProviderAccount {
    pub business_id: BusinessId,
    pub provider: Provider,
    pub account_sid: AccountSid,
    pub auth_token: Secret,
}

/// The country a number is searched in: an ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoCountry(String);

impl IsoCountry {
    /// Parses `US`, `ca`, … (two letters).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        if trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(trimmed.to_ascii_uppercase()))
        } else {
            Err(Invalid::new(
                "country",
                format!("'{trimmed}' is not a country: give its two-letter code, e.g. US"),
            ))
        }
    }

    /// The code, e.g. `US`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A North American area code (the provider searches by area code in the US and Canada
/// only): three digits, the first 2 to 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaCode(u16);

impl AreaCode {
    /// Parses `415`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        let ok = trimmed.len() == 3 && trimmed.bytes().all(|b| b.is_ascii_digit()) && !trimmed.starts_with(['0', '1']);
        match trimmed.parse() {
            Ok(code) if ok => Ok(Self(code)),
            _ => Err(Invalid::new(
                "area code",
                format!("'{trimmed}' is not an area code: three digits, the first 2 to 9, e.g. 415"),
            )),
        }
    }

    /// The code as digits.
    pub fn value(self) -> u16 {
        self.0
    }
}

/// A search for available local numbers: a country, and an area code where the provider
/// supports one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberSearch {
    pub country: IsoCountry,
    pub area_code: Option<AreaCode>,
}

impl NumberSearch {
    /// Checks that an area code is asked for only in a country that has them (US, CA).
    pub fn new(country: IsoCountry, area_code: Option<AreaCode>) -> Result<Self, Invalid> {
        if area_code.is_some() && !matches!(country.as_str(), "US" | "CA") {
            return Err(Invalid::new(
                "area code",
                format!("area codes are searched in US and CA only, not {}", country.as_str()),
            ));
        }
        Ok(Self { country, area_code })
    }
}

/// The provider's id of a number it holds for the account (Twilio's `PN` and 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberSid(String);

impl NumberSid {
    /// Parses `PN` followed by 32 hexadecimal digits.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        let ok =
            trimmed.len() == 34 && trimmed.starts_with("PN") && trimmed[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(Invalid::new(
                "number SID",
                format!("'{trimmed}' is not a number's id (PN and 32 hexadecimal digits)"),
            ))
        }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where businesses' provider accounts are kept.
#[async_trait]
pub trait ProviderAccountStore {
    /// Stores the business's provider account, replacing any earlier one (connecting again
    /// with a new token); `NotFound` for an unknown business.
    async fn connect_provider_account(&self, new: &NewProviderAccount) -> StoreResult<ProviderAccount>;
    /// The business's provider account, or `None` when none is connected.
    async fn provider_account(&self, business: BusinessId) -> StoreResult<Option<ProviderAccount>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_country_is_two_letters_in_upper_case() {
        assert_eq!(IsoCountry::parse(" us ").unwrap().as_str(), "US");
        assert!(IsoCountry::parse("USA").is_err());
        assert!(IsoCountry::parse("1A").is_err());
    }

    #[test]
    fn an_area_code_is_three_digits_not_starting_with_0_or_1() {
        assert_eq!(AreaCode::parse("415").unwrap().value(), 415);
        for bad in ["015", "115", "41", "4155", "4a5", "", "+41"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_area_code_is_searched_in_the_us_and_canada_only() {
        let code = AreaCode::parse("415").ok();
        assert!(NumberSearch::new(IsoCountry::parse("US").unwrap(), code).is_ok());
        assert!(NumberSearch::new(IsoCountry::parse("CA").unwrap(), code).is_ok());
        let refused = NumberSearch::new(IsoCountry::parse("GB").unwrap(), code).unwrap_err();
        assert!(refused.to_string().contains("US and CA only"), "{refused}");
        assert!(NumberSearch::new(IsoCountry::parse("GB").unwrap(), None).is_ok());
    }

    #[test]
    fn a_number_sid_is_pn_and_32_hex_digits() {
        let sid = format!("PN{}", "0a".repeat(16));
        assert_eq!(NumberSid::parse(&sid).unwrap().as_str(), sid);
        assert!(NumberSid::parse(&format!("CA{}", "0a".repeat(16))).is_err());
        assert!(NumberSid::parse("PN123").is_err());
        assert!(NumberSid::parse(&format!("PN{}/../x", "0".repeat(27))).is_err());
    }
}
