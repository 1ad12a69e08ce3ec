//! The outbox: integrations (where a business's events go), deliveries (one per event and
//! integration, written with the change that caused it) and the retry schedule.

pub use crate::ad_config::{GoogleAds, GoogleAdsRoute, MetaCapi, MicrosoftAds};
use crate::ad_upload::SendRule;
use crate::event::{Event, EventKind};
use crate::secret::Secret;
use crate::{BusinessId, Invalid, LeadId, SiteId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An integration's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IntegrationId(pub i64);

impl std::fmt::Display for IntegrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where events go, with what each target needs. Secrets are kept in the database like
/// providers' auth tokens; they never appear in `Debug` output or logs.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntegrationConfig {
    /// GA4 Measurement Protocol for one web stream.
    Ga4 {
        /// `G-XXXXXXX`.
        measurement_id: String,
        api_secret: String,
        /// Default `https://www.google-analytics.com` (tests point it at loopback).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        /// Post to `/debug/mp/collect` and record GA4's validation messages.
        #[serde(default)]
        debug: bool,
    },
    /// Google Analytics' User Deletion API for one GA4 property: erasing a person deletes
    /// their client ids' data there. OAuth 2.0 with a refresh token granted the
    /// `analytics.user.deletion` scope (the Measurement Protocol's secret cannot delete).
    Ga4Deletion {
        /// The GA4 property's numeric id.
        property_id: String,
        client_id: String,
        client_secret: String,
        refresh_token: String,
        /// Default `https://oauth2.googleapis.com/token` (tests point it at loopback).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_url: Option<String>,
        /// Default `https://www.googleapis.com`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// Matomo HTTP Tracking API, for self-hosted analytics.
    Matomo {
        /// The Matomo base URL (`https://analytics.example/`), `matomo.php` is appended.
        url: String,
        site_id: u32,
        /// Needed to backdate (`cdt`) and to set the visitor's address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_auth: Option<String>,
        /// The goal a completed form or call counts for, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        goal_id: Option<u32>,
    },
    /// Salesforce REST API (client-credentials OAuth).
    Salesforce {
        /// `https://login.salesforce.com` or the org's My Domain URL.
        login_url: String,
        client_id: String,
        client_secret: String,
        /// `v60.0`.
        #[serde(default = "default_sf_version")]
        api_version: String,
        /// The Campaign that leads from a source join, by lead source text.
        #[serde(default)]
        campaigns: std::collections::BTreeMap<String, String>,
    },
    /// HubSpot CRM v3 with a private-app token.
    Hubspot {
        /// Default `https://api.hubapi.com`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        token: String,
    },
    /// A signed webhook to any HTTPS endpoint.
    Webhook { url: String, secret: String },
    /// After an answered call, a text or an e-mail to the operator who answered, asking for
    /// notes. Scoped to a site, it is that site's post-call prompt setting.
    OperatorPrompt { channel: PromptChannel },
    /// Members' alerts (a new form, a missed call, a first-time caller) by the channels each
    /// chose: one per business, added when a member first chooses alerts (docs/alerts.md).
    Alerts,
    /// Google Ads conversions by API: click conversions (gclid, gbraid, wbraid), enhanced
    /// conversions for leads (hashed e-mail and phone), call conversions, and adjustments.
    /// OAuth 2.0 with a refresh token (docs/ads-api.md).
    GoogleAds(GoogleAds),
    /// Microsoft Advertising offline conversions by `msclkid` (OAuth 2.0).
    MicrosoftAds(MicrosoftAds),
    /// Meta's Conversions API for one pixel (dataset): `Lead` and `Purchase` events.
    MetaCapi(MetaCapi),
}

/// How a post-call prompt reaches the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptChannel {
    /// An SMS from the call's tracking number, through the provider's REST API.
    Sms,
    /// An e-mail to the operator's user, through the SMTP relay.
    Email,
}

impl PromptChannel {
    /// Both channels.
    pub const ALL: [PromptChannel; 2] = [Self::Sms, Self::Email];

    /// The stored name: `sms` or `email`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }

    /// Parses `sms` or `email`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or_else(|| Invalid::new("prompt channel", format!("'{input}' is not one of sms, email")))
    }
}

fn default_sf_version() -> String {
    "v60.0".into()
}

impl std::fmt::Debug for IntegrationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IntegrationConfig::{}([redacted])", self.kind())
    }
}

impl IntegrationConfig {
    /// The kind's name: `ga4`, `matomo`, `salesforce`, `hubspot`, `webhook`,
    /// `operator_prompt`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ga4 { .. } => "ga4",
            Self::Ga4Deletion { .. } => "ga4_deletion",
            Self::Matomo { .. } => "matomo",
            Self::Salesforce { .. } => "salesforce",
            Self::Hubspot { .. } => "hubspot",
            Self::Webhook { .. } => "webhook",
            Self::OperatorPrompt { .. } => "operator_prompt",
            Self::Alerts => "alerts",
            Self::GoogleAds(_) => "google_ads",
            Self::MicrosoftAds(_) => "microsoft_ads",
            Self::MetaCapi(_) => "meta_capi",
        }
    }

    /// Which records an ad platform integration sends; `None` for other kinds.
    pub fn send_rule(&self) -> Option<SendRule> {
        match self {
            Self::GoogleAds(c) => Some(c.send),
            Self::MicrosoftAds(c) => Some(c.send),
            Self::MetaCapi(c) => Some(c.send),
            _ => None,
        }
    }

    /// The events this kind receives.
    pub fn subscribes_to(&self) -> &'static [EventKind] {
        use EventKind::*;
        match self {
            Self::Ga4 { .. } | Self::Matomo { .. } => &[
                CallInitiated,
                CallDialed,
                CallConnected,
                CallCompleted,
                FormCompleted,
                LeadStatusChanged,
                SaleRecorded,
            ],
            Self::Salesforce { .. } | Self::Hubspot { .. } => &[
                CallDialed,
                CallCompleted,
                FormCompleted,
                LeadStatusChanged,
                SaleRecorded,
                NoteAdded,
                LeadUpdated,
                LeadErased,
            ],
            Self::Webhook { .. } => &EventKind::ALL,
            Self::Ga4Deletion { .. } => &[LeadErased],
            Self::OperatorPrompt { .. } => &[CallCompleted],
            Self::Alerts => &[CallDialed, CallCompleted, FormCompleted],
            Self::GoogleAds(_) | Self::MicrosoftAds(_) | Self::MetaCapi(_) => {
                self.send_rule().unwrap_or_default().events()
            }
        }
    }

    /// Reads a stored configuration.
    pub fn from_json(json: &str) -> Result<Self, Invalid> {
        serde_json::from_str(json).map_err(|e| Invalid::new("integration configuration", e.to_string()))
    }

    /// The JSON to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("configurations always serialise")
    }

    /// The secret a webhook signs with, as a [`Secret`].
    pub fn webhook_secret(&self) -> Option<Secret> {
        match self {
            Self::Webhook { secret, .. } => Some(Secret::new(secret.clone())),
            _ => None,
        }
    }
}

/// An integration to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntegration {
    pub business_id: BusinessId,
    /// Only this site's events; `None` for every site of the business.
    pub site_id: Option<SiteId>,
    pub name: String,
    pub config: IntegrationConfig,
}

/// An integration as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    pub business_id: BusinessId,
    pub site_id: Option<SiteId>,
    pub name: String,
    pub config: IntegrationConfig,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its turn (first try or a retry).
    Pending,
    /// Claimed by a worker whose lease has not run out.
    InFlight,
    Delivered,
    /// Given up on: too many attempts, or refused for good. `leadline outbox retry` revives it.
    Dead,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 4] = [Self::Pending, Self::InFlight, Self::Delivered, Self::Dead];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|s| s.as_str() == input).ok_or_else(|| {
            Invalid::new(
                "delivery status",
                format!("'{input}' is not one of pending, in_flight, delivered, dead"),
            )
        })
    }
}

/// A delivery as listed (on a lead, in `leadline outbox list`).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub business_id: BusinessId,
    pub lead_id: Option<LeadId>,
    pub integration_id: IntegrationId,
    pub integration_kind: String,
    pub event_id: String,
    pub event_kind: EventKind,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// What the target answered last (GA4's validation messages in debug mode).
    pub response: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// The key the target sees on every attempt of this delivery.
    pub fn idempotency_key(&self) -> String {
        idempotency_key(&self.event_id, self.integration_id)
    }
}

/// `{event id}.{integration id}`: the same on every attempt, different per target.
pub fn idempotency_key(event_id: &str, integration: IntegrationId) -> String {
    format!("{event_id}.{integration}")
}

/// A delivery claimed by a worker: the event assembled, the integration, and the lease
/// token that must come back with the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub lease_token: String,
    /// Attempts so far, this one included.
    pub attempt: u32,
    pub integration: Integration,
    pub event: Event,
}

impl ClaimedDelivery {
    /// The key the target sees on every attempt.
    pub fn idempotency_key(&self) -> String {
        idempotency_key(&self.event.id, self.integration.id)
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Done; `response` is what the target said, when worth keeping.
    Delivered { response: Option<String> },
    /// Try again at `at`.
    Retry { at: DateTime<Utc>, error: String },
    /// Give up.
    Dead { error: String },
}

/// When to try again after `attempt` failed attempts: exponential from `base`, capped at
/// `max`, with up to half of it as random jitter so that many failures do not retry in step.
pub fn backoff(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)));
    let capped = exp.min(max);
    let jitter = jitter.clamp(0.0, 1.0);
    capped.mul_f64(0.5 + jitter * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter_below_it() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(600);
        assert_eq!(backoff(1, base, max, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(2, base, max, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(4, base, max, 1.0), Duration::from_secs(16));
        assert_eq!(backoff(40, base, max, 1.0), max);
        assert_eq!(backoff(3, base, max, 0.0), Duration::from_secs(4));
    }

    #[test]
    fn configurations_round_trip_and_never_print_secrets() {
        let config = IntegrationConfig::Webhook {
            url: "https://hooks.example/leadline".into(),
            secret: "whsec_very_secret".into(),
        };
        assert_eq!(IntegrationConfig::from_json(&config.to_json()).unwrap(), config);
        assert!(!format!("{config:?}").contains("very_secret"));
        let ga4 = IntegrationConfig::from_json(r#"{"kind":"ga4","measurement_id":"G-ABC","api_secret":"s"}"#).unwrap();
        assert_eq!(ga4.kind(), "ga4");
        assert!(IntegrationConfig::from_json(r#"{"kind":"fax"}"#).is_err());
    }

    #[test]
    fn an_operator_prompt_round_trips_and_hears_only_of_completed_calls() {
        let config = IntegrationConfig::from_json(r#"{"kind":"operator_prompt","channel":"sms"}"#).unwrap();
        assert_eq!(
            config,
            IntegrationConfig::OperatorPrompt {
                channel: PromptChannel::Sms
            }
        );
        assert_eq!(config.kind(), "operator_prompt");
        assert_eq!(config.subscribes_to(), &[EventKind::CallCompleted]);
        assert_eq!(IntegrationConfig::from_json(&config.to_json()).unwrap(), config);
        for channel in PromptChannel::ALL {
            assert_eq!(PromptChannel::parse(channel.as_str()).unwrap(), channel);
        }
        assert!(PromptChannel::parse("fax").is_err());
        assert!(IntegrationConfig::from_json(r#"{"kind":"operator_prompt","channel":"fax"}"#).is_err());
    }

    #[test]
    fn alerts_round_trip_and_hear_of_calls_and_forms() {
        let config = IntegrationConfig::from_json(r#"{"kind":"alerts"}"#).unwrap();
        assert_eq!(config, IntegrationConfig::Alerts);
        assert_eq!(config.kind(), "alerts");
        assert_eq!(
            config.subscribes_to(),
            &[
                EventKind::CallDialed,
                EventKind::CallCompleted,
                EventKind::FormCompleted
            ]
        );
        assert_eq!(IntegrationConfig::from_json(&config.to_json()).unwrap(), config);
    }

    #[test]
    fn statuses_round_trip() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()).unwrap(), status);
        }
    }
}
