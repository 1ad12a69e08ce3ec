//! Offline and foreign-domain sources: where a call comes from when no page of the site was
//! involved (a print ad, a flyer, a QR code, a classified ad on another domain).

use crate::channel::Attribution;
use crate::names::Name;
use crate::net::DomainName;
use crate::secret::random_token;
use crate::{BusinessId, Invalid, SiteId};
use chrono::{DateTime, Utc};

/// The public key in a source's click-to-call URL: 12 letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceKey(String);

impl SourceKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(random_token(12))
    }

    /// Parses a key from a URL.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.len() == 12 && input.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(Invalid::new("source key", "it is not a source key"))
        }
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The UTM fields a source's calls are attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUtm {
    pub source: String,
    pub medium: String,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

impl SourceUtm {
    /// Checks the fields: source and medium required; each at most 200 printable characters.
    pub fn validate(&self) -> Result<(), Invalid> {
        let fields = [
            ("utm_source", Some(&self.source)),
            ("utm_medium", Some(&self.medium)),
            ("utm_campaign", self.campaign.as_ref()),
            ("utm_term", self.term.as_ref()),
            ("utm_content", self.content.as_ref()),
        ];
        for (name, value) in fields {
            let Some(value) = value else { continue };
            if value.trim().is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
                return Err(Invalid::new(
                    "source",
                    format!("{name} must be 1 to 200 printable characters"),
                ));
            }
        }
        Ok(())
    }

    /// The attribution of a call or visit from this source.
    pub fn attribution(&self) -> Attribution {
        Attribution {
            source: self.source.to_lowercase(),
            medium: self.medium.to_lowercase(),
            campaign: self.campaign.clone(),
            term: self.term.clone(),
            content: self.content.clone(),
        }
    }
}

/// Input for a new source.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub key: SourceKey,
    pub name: Name,
    /// The foreign domain the click-to-call link is placed on (its referrer must match);
    /// none for print and QR codes.
    pub domain: Option<DomainName>,
    pub utm: SourceUtm,
    /// A code printed in the ad, reserved in the site's pool.
    pub reserved_code: Option<u64>,
}

/// A source's new values, when an owner edits it. Its key (so its link and QR code), site and
/// reserved code stay.
#[derive(Debug, Clone)]
pub struct SourceEdit {
    pub name: Name,
    /// The foreign domain the click-to-call link is placed on; none for print and QR codes.
    pub domain: Option<DomainName>,
    pub utm: SourceUtm,
}

/// A stored source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub key: SourceKey,
    pub name: Name,
    pub domain: Option<DomainName>,
    pub utm: SourceUtm,
    pub reserved_code: Option<u64>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(source: &str) -> SourceUtm {
        SourceUtm {
            source: source.into(),
            medium: "print".into(),
            campaign: Some("spring".into()),
            term: None,
            content: None,
        }
    }

    #[test]
    fn utm_fields_are_required_and_bounded() {
        assert!(utm("Herald").validate().is_ok());
        assert!(utm(" ").validate().is_err());
        assert!(utm(&"x".repeat(201)).validate().is_err());
        assert_eq!(utm("Herald").attribution().source, "herald");
    }

    #[test]
    fn source_keys_are_twelve_alphanumerics() {
        let key = SourceKey::generate();
        assert_eq!(SourceKey::parse(key.as_str()).unwrap(), key);
        assert!(SourceKey::parse("short").is_err());
    }
}
