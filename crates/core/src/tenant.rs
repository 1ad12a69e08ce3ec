//! The tenancy records: businesses and what they own (users, sites, tracking numbers,
//! destinations, API keys), each with the validated input that creates it.

use crate::names::{Name, Slug};
use crate::net::{DomainName, Email};
use crate::secret::Secret;
use crate::site::{Currency, SiteKey, SiteSettings, Timezone};
use crate::{ApiKeyId, BusinessId, DestinationId, E164, Invalid, NumberId, SiteId, UserId};
use chrono::{DateTime, Utc};

/// A tenant: owns sites, numbers, users and leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub id: BusinessId,
    pub slug: Slug,
    pub name: Name,
    pub created_at: DateTime<Utc>,
}

/// Input for a new business.
#[derive(Debug, Clone)]
pub struct NewBusiness {
    pub slug: Slug,
    pub name: Name,
}

/// What a user may do in a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the business: sites, numbers, users, keys.
    Owner,
    /// Answers calls and works on leads.
    Operator,
}

impl Role {
    /// Parses `owner` or `operator`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "operator" => Ok(Self::Operator),
            other => Err(Invalid::new(
                "role",
                format!("'{other}' is not a role: use owner or operator"),
            )),
        }
    }

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Operator => "operator",
        }
    }
}

/// A person who logs in to a business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub business_id: BusinessId,
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A user with the stored password hash, for logging in.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: Secret,
}

/// Input for a new user; the password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub business_id: BusinessId,
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub password_hash: Secret,
}

/// A website of a business: where its snippet runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: SiteId,
    pub business_id: BusinessId,
    pub name: Name,
    pub key: SiteKey,
    pub domains: Vec<DomainName>,
    pub timezone: Timezone,
    pub currency: Currency,
    pub settings: SiteSettings,
    /// Disabled by an owner: its snippet registers no visits; it can be enabled again.
    pub disabled: bool,
    /// Removed by an owner: hidden from lists and serving nothing, kept for its history.
    pub removed: bool,
    pub created_at: DateTime<Utc>,
}

/// Input for a new site. At least one domain; a domain belongs to one site only.
#[derive(Debug, Clone)]
pub struct NewSite {
    pub business_id: BusinessId,
    pub name: Name,
    pub key: SiteKey,
    pub domains: Vec<DomainName>,
    pub timezone: Timezone,
    pub currency: Currency,
    pub settings: SiteSettings,
}

impl NewSite {
    /// Checks the rules that span fields: at least one domain, none repeated.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_domains(&self.domains)
    }
}

/// What an owner may change of a site: everything but its key (pages carry the key).
#[derive(Debug, Clone)]
pub struct SiteEdit {
    pub name: Name,
    pub domains: Vec<DomainName>,
    pub timezone: Timezone,
    pub currency: Currency,
    pub settings: SiteSettings,
}

impl SiteEdit {
    /// The site as it is, to change some of it.
    pub fn of(site: &Site) -> Self {
        Self {
            name: site.name.clone(),
            domains: site.domains.clone(),
            timezone: site.timezone,
            currency: site.currency,
            settings: site.settings.clone(),
        }
    }

    /// The same rules as a new site's: at least one domain, none repeated.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_domains(&self.domains)
    }
}

fn check_domains(domains: &[DomainName]) -> Result<(), Invalid> {
    if domains.is_empty() {
        return Err(Invalid::new("domains", "give at least one domain"));
    }
    let mut seen = std::collections::HashSet::new();
    match domains.iter().find(|d| !seen.insert(*d)) {
        Some(dup) => Err(Invalid::new("domains", format!("domain {dup} is given twice"))),
        None => Ok(()),
    }
}

/// The telephony dialect a tracking number's provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Twilio and compatible providers (TwiML, `X-Twilio-Signature`).
    Twilio,
}

impl Provider {
    /// Parses a provider name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "twilio" => Ok(Self::Twilio),
            other => Err(Invalid::new(
                "provider",
                format!("'{other}' is not a supported provider (twilio)"),
            )),
        }
    }

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Twilio => "twilio",
        }
    }
}

/// The provider account a number belongs to (Twilio's `AC…` SID): 1 to 64 letters, digits
/// or dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSid(String);

impl AccountSid {
    /// Parses an account id.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        let ok = (1..=64).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(Invalid::new(
                "account SID",
                format!("'{trimmed}' is not an account id (1 to 64 letters, digits or '-')"),
            ))
        }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The auth token a provider signs its webhooks with: 16 to 128 visible ASCII characters.
pub fn parse_auth_token(input: &str) -> Result<Secret, Invalid> {
    let ok = (16..=128).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(Secret::new(input))
    } else {
        Err(Invalid::new(
            "auth token",
            "it must be 16 to 128 visible ASCII characters (the value is not shown)",
        ))
    }
}

/// A number the business holds at a provider, pointed at Leadline's voice webhook. It may
/// serve several sites, of one business or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingNumber {
    pub id: NumberId,
    pub number: E164,
    pub provider: Provider,
    pub account_sid: AccountSid,
    pub auth_token: Secret,
    pub site_ids: Vec<SiteId>,
    /// The site whose number pool it is in (then it serves that site only, and calls to it
    /// are matched to its holder, with no code asked).
    pub pool_of: Option<SiteId>,
    pub created_at: DateTime<Utc>,
}

/// Input for a new tracking number; it must serve at least one site.
#[derive(Debug, Clone)]
pub struct NewTrackingNumber {
    pub number: E164,
    pub provider: Provider,
    pub account_sid: AccountSid,
    pub auth_token: Secret,
    pub site_ids: Vec<SiteId>,
}

impl NewTrackingNumber {
    /// Checks that the number serves at least one site, each named once.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_sites(&self.site_ids)
    }
}

/// What an owner may change of a tracking number: its account, its auth token (only when a
/// new one is given: the stored one is never shown) and the business's sites it serves
/// (sites of other businesses it serves are kept).
#[derive(Debug, Clone)]
pub struct NumberEdit {
    pub account_sid: AccountSid,
    pub auth_token: Option<Secret>,
    pub site_ids: Vec<SiteId>,
}

impl NumberEdit {
    /// Checks that the number serves at least one site, each named once.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_sites(&self.site_ids)
    }
}

fn check_sites(site_ids: &[SiteId]) -> Result<(), Invalid> {
    if site_ids.is_empty() {
        return Err(Invalid::new("sites", "the number must serve at least one site"));
    }
    let mut seen = std::collections::HashSet::new();
    match site_ids.iter().find(|s| !seen.insert(**s)) {
        Some(dup) => Err(Invalid::new("sites", format!("site {dup} is given twice"))),
        None => Ok(()),
    }
}

/// Where calls are forwarded: an operator's phone or a department's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub id: DestinationId,
    pub business_id: BusinessId,
    pub name: Name,
    pub number: E164,
    pub department: Option<Name>,
    pub user_id: Option<UserId>,
    /// Disabled by an owner: never rung, until enabled again.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// Input for a new destination, or a destination's new values when edited. `user_id`, when given, must be a user of the same business.
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub business_id: BusinessId,
    pub name: Name,
    pub number: E164,
    pub department: Option<Name>,
    pub user_id: Option<UserId>,
}

/// An API key of a business, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub business_id: BusinessId,
    pub name: Name,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API key with its stored hash, for checking a presented key.
#[derive(Debug, Clone)]
pub struct StoredApiKey {
    pub key: ApiKey,
    pub hash: String,
}

/// Input for a new API key: the hash of the key shown once, never the key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub business_id: BusinessId,
    pub name: Name,
    pub prefix: String,
    pub hash: String,
}
