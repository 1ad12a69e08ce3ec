//! Delivering the outbox: a worker claims due deliveries, hands each to the adapter of its
//! integration's kind (GA4, GA4 user deletion, Matomo, Salesforce, HubSpot, signed webhook, post-call prompt)
//! and records the outcome: delivered, retried later with backoff, or dead.

pub mod ads;
pub mod alerts;
mod crm;
pub mod ga4;
pub mod ga4_deletion;
pub mod hubspot;
pub mod matomo;
pub(crate) mod oauth;
pub mod prompt;
pub mod pull;
pub mod salesforce;
pub mod trial;
pub mod webhook;
pub mod worker;

use async_trait::async_trait;
use leadline_core::outbox::{ClaimedDelivery, IntegrationConfig};
use leadline_core::store::Store;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again (a timeout, a 5xx, a 429, a refused connection).
    Retry(String),
    /// Trying again cannot help (the target refused the data, a 4xx); the delivery is dead.
    Permanent(String),
    /// Not yet: the delivery waits until `until` (a member's quiet hours), which is no
    /// failure of the target and does not count towards giving up.
    Wait {
        until: chrono::DateTime<chrono::Utc>,
        reason: String,
    },
}

/// A successful attempt; `response` is kept on the delivery when worth showing (GA4's
/// validation messages in debug mode, the id a CRM gave the record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub response: Option<String>,
}

/// Short-lived values adapters keep between deliveries (OAuth access tokens), by key.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, (String, Instant)>>);

impl Cache {
    /// The value under `key`, when it has not expired.
    pub fn get(&self, key: &str) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(v, _)| v.clone())
    }

    /// Keeps `value` under `key` for `ttl`.
    pub fn put(&self, key: &str, value: String, ttl: Duration) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.to_owned(), (value, Instant::now() + ttl));
    }

    /// Forgets `key` (a token the target refused).
    pub fn forget(&self, key: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// What an adapter works with.
pub struct Context<'a> {
    /// The HTTP client ([`crate::egress::client`]: no redirects, public addresses only; one
    /// per worker, with connection reuse).
    pub http: &'a reqwest::Client,
    /// The database, for CRM ids (`external_id`) and the like.
    pub store: &'a dyn Store,
    pub delivery: &'a ClaimedDelivery,
    /// How long one request may take.
    pub timeout: Duration,
    pub cache: &'a Cache,
    /// The provider's REST API base URL (`telephony_api_base_url`), for SMS prompts.
    pub provider_api_base: &'a str,
    /// The SMTP relay, when one is configured, for e-mail prompts.
    pub mailer: Option<&'a crate::mail::Mailer>,
    /// This server's public base URL without a trailing slash, for links in alerts.
    pub base_url: &'a str,
    /// The install's VAPID key, for alerts by Web Push (`None`: this worker sends none).
    pub push: Option<&'a crate::push::PushKey>,
}

/// Delivers one event to one kind of target.
#[async_trait]
pub trait Adapter: Send + Sync {
    /// Sends the delivery's event; the same idempotency key on every attempt.
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure>;
}

/// The adapter of an integration's kind.
pub fn adapter_for(config: &IntegrationConfig) -> &'static dyn Adapter {
    match config {
        IntegrationConfig::Ga4 { .. } => &ga4::Ga4,
        IntegrationConfig::Ga4Deletion { .. } => &ga4_deletion::Ga4Deletion,
        IntegrationConfig::Matomo { .. } => &matomo::Matomo,
        IntegrationConfig::Salesforce { .. } => &salesforce::Salesforce,
        IntegrationConfig::Hubspot { .. } => &hubspot::Hubspot,
        IntegrationConfig::Webhook { .. } => &webhook::Webhook,
        IntegrationConfig::OperatorPrompt { .. } => &prompt::OperatorPrompt,
        IntegrationConfig::Alerts => &alerts::Alerts,
        IntegrationConfig::GoogleAds(_) => &ads::google::GoogleAdsAdapter,
        IntegrationConfig::MicrosoftAds(_) => &ads::microsoft::MicrosoftAdsAdapter,
        IntegrationConfig::MetaCapi(_) => &ads::meta::MetaCapiAdapter,
    }
}

/// A refused OAuth 2.0 token request (RFC 6749 §5.2: `{"error": "invalid_grant",
/// "error_description": "…"}`) as a failure in the server's own words, retried like any
/// other answer of its status; `service` names whose token it was.
pub fn token_failure(service: &str, status: reqwest::StatusCode, body: &str) -> Failure {
    let said: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let message = match (said["error"].as_str(), said["error_description"].as_str()) {
        (Some(error), Some(description)) => format!("{error}: {description}"),
        (Some(error), None) => error.to_owned(),
        _ => body.chars().take(300).collect(),
    };
    let message = format!("{service} token: HTTP {status}: {message}");
    match http_failure(status, "") {
        Failure::Permanent(_) => Failure::Permanent(message),
        _ => Failure::Retry(message),
    }
}

/// How an HTTP answer other than 2xx counts: 408, 425, 429 and 5xx are worth retrying,
/// other 4xx are not. `body` is shortened into the message.
pub fn http_failure(status: reqwest::StatusCode, body: &str) -> Failure {
    let message = format!("HTTP {status}: {}", body.chars().take(500).collect::<String>());
    let retryable = status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429);
    if retryable {
        Failure::Retry(message)
    } else {
        Failure::Permanent(message)
    }
}

/// A transport error (timeout, refused connection) is worth retrying; a redirect or an
/// address that is not public ([`crate::egress::Refused`]) is not: the target's URL or DNS
/// must change first.
pub fn transport_failure(error: &reqwest::Error) -> Failure {
    match crate::egress::refusal(error) {
        Some(refused) => Failure::Permanent(refused.to_string()),
        None => Failure::Retry(format!("{error}")),
    }
}
