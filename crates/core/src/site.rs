//! What describes a site: its public snippet key, time zone, currency and settings.

use crate::Invalid;
use crate::secret::random_token;

/// The public key a site's snippet carries (`data-site="..."`): 16 to 64 ASCII letters and
/// digits. Public, but unguessable so that one site's key cannot be derived from another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteKey(String);

impl SiteKey {
    /// A new random key of 20 characters (about 119 bits).
    pub fn generate() -> Self {
        Self(random_token(20))
    }

    /// Parses a key as presented by a snippet or typed on the command line.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let ok = (16..=64).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(Invalid::new(
                "site key",
                format!("'{input}' is not a site key (16 to 64 letters and digits)"),
            ))
        }
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SiteKey {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SiteKey> for String {
    fn from(value: SiteKey) -> Self {
        value.0
    }
}

/// An IANA time zone (`Europe/Berlin`); a site's reports and ad exports use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    /// Parses an IANA zone name, case-sensitively as the database spells it.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        input.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            Invalid::new(
                "time zone",
                format!("'{input}' is not an IANA time zone name (e.g. America/New_York, Europe/Berlin, UTC)"),
            )
        })
    }

    /// The zone for time arithmetic.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// An ISO 4217 currency; money of a site is kept in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses a three-letter ISO 4217 code, in any case (`usd`, `EUR`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        iso_currency::Currency::from_code(&input.trim().to_ascii_uppercase())
            .map(Self)
            .ok_or_else(|| {
                Invalid::new(
                    "currency",
                    format!("'{input}' is not an ISO 4217 currency code (e.g. USD, EUR, GBP)"),
                )
            })
    }

    /// The three-letter code.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// How many decimal places the currency's minor unit has (2 for USD, 0 for JPY).
    pub fn minor_digits(&self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }
}

/// How the snippet hands out extensions on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionMode {
    /// Every visit gets a code when the page loads.
    #[default]
    PageLoad,
    /// A code is handed out only when a call button is clicked.
    Click,
}

/// How a site shows its calls' origin to visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// The site's one number with a short extension code per visit (Leadline's method).
    #[default]
    Extensions,
    /// Each visit is shown one number of the site's pool (Dynamic Number Insertion, the
    /// market's method): no code; an exhausted pool overwrites its least active holder.
    NumberPool,
}

impl SiteKind {
    /// Parses a kind as typed: `extensions`, or `pool` (also `number_pool`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "extensions" => Ok(Self::Extensions),
            "pool" | "number_pool" => Ok(Self::NumberPool),
            other => Err(Invalid::new(
                "site kind",
                format!("'{other}' is not a site kind (extensions or pool)"),
            )),
        }
    }

    /// The name the forms and the CLI use.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Extensions => "extensions",
            Self::NumberPool => "pool",
        }
    }
}

/// Per-site behaviour, stored as JSON so that later features add keys without a migration.
/// Keys missing from the stored document take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteSettings {
    /// Extensions (default) or a number pool.
    pub kind: SiteKind,
    /// Page-load or click mode.
    pub mode: ExtensionMode,
    /// Minutes after a visit's last activity before its code is freed (page-load mode).
    pub idle_minutes: u32,
    /// Minutes after a click before its code is freed (click mode).
    pub click_idle_minutes: u32,
    /// Append a Damm check digit to every code.
    pub check_digit: bool,
    /// Store nothing on the visitor's device (no first-party cookie).
    pub cookieless: bool,
    /// Record calls to this site's numbers.
    pub record_calls: bool,
    /// At most this many live codes at once; past it the longest idle code is evicted.
    pub max_live_codes: u32,
    /// Minutes a freed code rests before it is handed out again (0: at once).
    pub reuse_quarantine_minutes: u32,
    /// Click codes come from the number's `*` pool and are keyed as `*CODE`.
    pub star_click_codes: bool,
    /// What a minute of a call costs, in the site currency's minor units (0: not set); a
    /// sale may take its cost from the lead's call minutes at this rate.
    pub cost_per_minute_minor: u64,
    /// Countries call-me may ring (empty: the tracking number's own).
    pub call_me_countries: Vec<crate::callme::Region>,
    /// Call-me calls one visit may ask for.
    pub call_me_per_visit: u32,
    /// Call-me calls the site places in a day (its time zone), at most.
    pub call_me_per_day: u32,
    /// What callers hear and where calls go outside business hours.
    pub calls: crate::call_handling::CallHandling,
    /// Which of the site's conversions go to ad platforms by API, given each visitor's
    /// advertising consent signal (docs/consent.md).
    pub ad_platforms: crate::ad_consent::AdsPolicy,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            kind: SiteKind::Extensions,
            mode: ExtensionMode::PageLoad,
            idle_minutes: 30,
            click_idle_minutes: 10,
            check_digit: false,
            cookieless: false,
            record_calls: true,
            max_live_codes: 10_000,
            reuse_quarantine_minutes: 0,
            star_click_codes: false,
            cost_per_minute_minor: 0,
            call_me_countries: Vec::new(),
            call_me_per_visit: 3,
            call_me_per_day: 100,
            calls: crate::call_handling::CallHandling::default(),
            ad_platforms: crate::ad_consent::AdsPolicy::Signal,
        }
    }
}

impl SiteSettings {
    /// Reads stored settings; unknown keys are an error so that a typo is not ignored.
    pub fn from_json(json: &str) -> Result<Self, Invalid> {
        serde_json::from_str(json).map_err(|e| Invalid::new("site settings", e.to_string()))
    }

    /// Checks the rules between values: codes idle at least a minute and at least one live
    /// code. `Invalid::what` names the setting as the forms label it.
    pub fn validate(&self) -> Result<(), Invalid> {
        let at_least_one = [
            ("idle minutes", self.idle_minutes),
            ("click idle minutes", self.click_idle_minutes),
            ("max live codes", self.max_live_codes),
        ];
        match at_least_one.into_iter().find(|(_, value)| *value == 0) {
            Some((what, _)) => Err(Invalid::new(what, "it must be at least 1")),
            None => self.calls.validate(),
        }
    }

    /// The JSON document to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("site settings always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_site_keys_parse() {
        let key = SiteKey::generate();
        assert_eq!(SiteKey::parse(key.as_str()).unwrap(), key);
        assert!(SiteKey::parse("short").is_err());
        assert!(SiteKey::parse("aaaaaaaaaaaaaaaa-").is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(Timezone::parse("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        let err = Timezone::parse("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("IANA"), "{err}");
    }

    #[test]
    fn currencies_are_iso_codes_with_minor_units() {
        assert_eq!(Currency::parse("usd").unwrap().code(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().minor_digits(), 0);
        assert_eq!(Currency::parse("EUR").unwrap().minor_digits(), 2);
        assert!(Currency::parse("XYZ1").is_err());
    }

    #[test]
    fn settings_need_a_minute_of_idle_time_and_a_live_code() {
        assert!(SiteSettings::default().validate().is_ok());
        let none_live = SiteSettings {
            max_live_codes: 0,
            ..SiteSettings::default()
        };
        assert_eq!(none_live.validate().unwrap_err().what, "max live codes");
        let no_idle = SiteSettings {
            idle_minutes: 0,
            ..SiteSettings::default()
        };
        assert_eq!(no_idle.validate().unwrap_err().what, "idle minutes");
    }

    #[test]
    fn settings_fill_defaults_and_refuse_unknown_keys() {
        let settings = SiteSettings::from_json(r#"{"mode":"click"}"#).unwrap();
        assert_eq!(settings.mode, ExtensionMode::Click);
        assert_eq!(settings.idle_minutes, 30);
        assert!(SiteSettings::from_json(r#"{"idle_minutez":3}"#).is_err());
        assert_eq!(settings.ad_platforms, crate::ad_consent::AdsPolicy::Signal);
        let opt_in = SiteSettings::from_json(r#"{"ad_platforms":"granted_only"}"#).unwrap();
        assert_eq!(opt_in.ad_platforms, crate::ad_consent::AdsPolicy::GrantedOnly);
        assert!(SiteSettings::from_json(r#"{"ad_platforms":"sometimes"}"#).is_err());
        assert_eq!(
            settings.kind,
            SiteKind::Extensions,
            "rows stored before pools are extension sites"
        );
        let pool = SiteSettings::from_json(r#"{"kind":"number_pool"}"#).unwrap();
        assert_eq!(pool.kind, SiteKind::NumberPool);
        assert_eq!(SiteKind::parse("Pool").unwrap(), SiteKind::NumberPool);
        assert!(SiteKind::parse("dni").is_err());
        assert_eq!(SiteSettings::from_json(&settings.to_json()).unwrap(), settings);
    }
}
