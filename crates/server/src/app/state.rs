//! The application's state: what every surface and use case works with (the store, metrics,
//! limits, secrets, the clients of outside systems), built once from the configuration.

use crate::config::Config;
use crate::limits::{self, IpLimiter, VisitLimiters};
use crate::metrics::Metrics;
use axum::extract::FromRef;
use axum::http::HeaderName;
use leadline_core::secret::Secret;
use leadline_core::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What every handler can reach: one pointer to the [`Shared`] state, so that the layers and
/// extractors that clone it for each request pay one atomic increment, not one per field (a
/// heartbeat's profile showed the field-by-field clone and drop at 5% of its samples).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state itself, reached through [`AppState`].
pub struct Shared {
    /// The database.
    pub store: Arc<dyn Store>,
    /// This server's metrics registry.
    pub metrics: Arc<Metrics>,
    /// The per-address rate limiter.
    pub limiter: Arc<IpLimiter>,
    /// The URL the outside world reaches this server by, without a trailing slash.
    pub base_url: Arc<str>,
    /// The install secret (visit tokens, cookie-less digests).
    pub secret: Secret,
    /// The install's VAPID key (from the secret), for alerts by Web Push.
    pub push_key: Arc<crate::push::PushKey>,
    /// The visit API's own rate limits.
    pub visit_limits: Arc<VisitLimiters>,
    /// Failed log-ins per account.
    pub login_throttle: Arc<limits::LoginThrottle>,
    /// The header a trusted proxy names the client's address in, if any.
    pub client_ip_header: Option<HeaderName>,
    /// The site whose pages `/demo/` serves (set by `leadline demo`).
    pub demo: Option<Arc<DemoSite>>,
    /// Where calls go, untracked, when the database cannot be reached.
    pub telephony_fallback: Option<leadline_core::E164>,
    /// The provider's REST API client.
    pub provider_api: Arc<crate::provider_api::ProviderApi>,
    /// What outbound requests may reach (`outbound_loopback`).
    pub reach: leadline_core::net::Reach,
    /// The SMTP relay for mail to operators, when one is configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Where form attachments are stored, and their limits.
    pub attachments: Arc<crate::attachments::Attachments>,
    /// Limits and secrets of the inbound reply channels (SMS, e-mail, SMTP).
    pub inbound: Arc<InboundSettings>,
    /// The phone Settings' test calls are placed with, and the businesses with one under way.
    pub test_calls: Arc<crate::app::test_phone::TestCalls>,
    /// Cancelled when the server starts shutting down: long answers (the live feed) end then,
    /// instead of holding the shutdown for its whole grace period.
    pub closing: CancellationToken,
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl AppState {
    /// State for a server with this configuration, store and install secret.
    pub fn new(store: Arc<dyn Store>, config: &Config, secret: Secret) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Shared {
            mailer: crate::mail::Mailer::from_config(config)?.map(Arc::new),
            attachments: Arc::new(
                crate::attachments::Attachments::from_config(config, secret.clone())?.with_store(store.clone()),
            ),
            inbound: Arc::new(InboundSettings::from_config(config)?),
            store,
            metrics: Arc::new(Metrics::new()),
            limiter: limits::limiter(config.rate_limit_per_second),
            base_url: config.base_url().into(),
            push_key: Arc::new(crate::push::PushKey::from_secret(&secret)),
            secret,
            visit_limits: Arc::new(VisitLimiters::from_config(config)),
            login_throttle: Arc::default(),
            client_ip_header: config
                .client_ip_header
                .as_deref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            demo: None,
            test_calls: Arc::default(),
            closing: CancellationToken::new(),
            provider_api: Arc::new(crate::provider_api::ProviderApi::new(
                config.telephony_api_base_url.clone(),
                config.reach(),
            )),
            reach: config.reach(),
            telephony_fallback: config
                .telephony_fallback_number
                .as_deref()
                .and_then(|n| leadline_core::E164::parse(n).ok()),
        })))
    }

    /// Changes the state while it is built, before any clone of it is handed out.
    ///
    /// # Panics
    /// When a clone already exists: the state is shared and no longer changes.
    pub fn configure(&mut self, change: impl FnOnce(&mut Shared)) {
        change(Arc::get_mut(&mut self.0).expect("the state is configured before it is shared"));
    }

    /// Makes the rate limiters forget quiet keys every minute, so their memory stays bounded,
    /// until `stop`.
    pub async fn prune_limits(self, stop: CancellationToken) {
        crate::jobs::every(Duration::from_secs(60), stop, || async {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            self.visit_limits.prune();
            self.login_throttle
                .prune(leadline_core::clock::now().timestamp_millis());
            false
        })
        .await;
    }
}

/// The site whose pages `/demo/` serves, and the number its in-browser phone calls.
#[derive(Clone)]
pub struct DemoSite {
    pub key: leadline_core::site::SiteKey,
    pub number: leadline_core::E164,
    /// The number's auth token, with which the in-browser phone signs its requests.
    pub auth_token: Secret,
}

/// What the inbound channels need from the configuration. No `Debug`: it holds secrets.
pub struct InboundSettings {
    /// The largest message taken (an HTTP body, an SMTP `DATA`).
    pub max_message_bytes: usize,
    /// The secret path segment of the e-mail webhooks; unset, they answer 404.
    pub email_token: Option<String>,
    /// Mailgun's webhook signing key; set, every Mailgun post must be signed.
    pub mailgun_signing_key: Option<String>,
    /// How long the SMTP listener waits for the client's next line.
    pub smtp_idle: Duration,
    /// Most SMTP sessions at once from one client address.
    pub smtp_sessions_per_address: usize,
    /// STARTTLS and AUTH on the SMTP listener.
    pub smtp_security: crate::smtp_security::SmtpSecurity,
    /// SPF, DKIM and DMARC of what the SMTP listener receives, for businesses that ask.
    pub sender_auth: Arc<crate::sender_auth::SenderAuth>,
}

impl InboundSettings {
    /// The settings a configuration sets; an unreadable SMTP certificate or key is an error.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            max_message_bytes: config.inbound_max_message_bytes,
            email_token: config.inbound_email_token.clone(),
            mailgun_signing_key: config.mailgun_signing_key.clone(),
            smtp_idle: Duration::from_secs(config.smtp_idle_timeout_seconds),
            smtp_sessions_per_address: config.smtp_sessions_per_address,
            smtp_security: crate::smtp_security::SmtpSecurity::from_config(config)?,
            sender_auth: Arc::default(),
        })
    }
}
