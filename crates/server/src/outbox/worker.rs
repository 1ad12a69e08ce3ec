//! The outbox worker: every `outbox_poll_ms` it claims a batch of due deliveries under a
//! lease, sends them side by side through their adapters, and records each outcome. Safe to
//! run on every server sharing a database: a claim is exclusive, and a lease that runs out
//! (a crash) makes the delivery due again, with the same idempotency key.

use super::{Cache, Context, Failure, Sent, adapter_for};
use crate::config::Config;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use leadline_core::outbox::{ClaimedDelivery, DeliveryOutcome, backoff};
use leadline_core::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The worker's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub poll: Duration,
    pub batch: u32,
    pub lease: Duration,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The provider's REST API (`telephony_api_base_url`), where SMS prompts are sent.
    pub provider_api_base: String,
    /// What deliveries may reach (`outbound_loopback`).
    pub reach: leadline_core::net::Reach,
    /// The public base URL, for links in alerts.
    pub base_url: String,
}

impl Settings {
    /// The settings a configuration gives.
    pub fn from_config(config: &Config) -> Self {
        Self {
            poll: Duration::from_millis(config.outbox_poll_ms),
            batch: config.outbox_batch,
            lease: Duration::from_secs(config.outbox_lease_seconds),
            timeout: Duration::from_secs(config.outbox_timeout_seconds),
            max_attempts: config.outbox_max_attempts,
            backoff_base: Duration::from_millis(config.outbox_backoff_base_ms),
            backoff_max: Duration::from_secs(3600),
            provider_api_base: config.telephony_api_base_url.to_string(),
            reach: config.reach(),
            base_url: config.base_url(),
        }
    }
}

/// What the worker sends with.
pub struct Worker {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    cache: Arc<Cache>,
    settings: Settings,
    mailer: Option<Arc<Mailer>>,
    push: Option<Arc<crate::push::PushKey>>,
}

impl Worker {
    /// A worker over `store`.
    pub fn new(store: Arc<dyn Store>, metrics: Arc<Metrics>, settings: Settings) -> anyhow::Result<Self> {
        Ok(Self {
            store,
            metrics,
            http: crate::egress::client(settings.timeout, settings.reach),
            cache: Arc::new(Cache::default()),
            settings,
            mailer: None,
            push: None,
        })
    }

    /// The worker with the SMTP relay e-mail prompts go through (without one they fail,
    /// saying so).
    pub fn with_mailer(mut self, mailer: Option<Arc<Mailer>>) -> Self {
        self.mailer = mailer;
        self
    }

    /// The worker with the install's VAPID key, so alerts go to members' browsers too (without
    /// one, a browser alert fails, saying so).
    pub fn with_push_key(mut self, key: Option<Arc<crate::push::PushKey>>) -> Self {
        self.push = key;
        self
    }

    /// Pulls status changes from the lead managers every `interval` until `stop`, sharing this
    /// worker's HTTP client and OAuth tokens.
    pub fn puller(&self, interval: Duration, stop: CancellationToken) -> impl Future<Output = ()> + Send + use<> {
        super::pull::run_puller(
            self.store.clone(),
            self.http.clone(),
            self.cache.clone(),
            (interval, self.settings.timeout),
            stop,
        )
    }

    /// Runs until the process ends; a failing database is logged and retried next round.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(CancellationToken::new()))
    }

    /// Delivers every `poll` until `stop`, finishing the batch in hand; a full batch is
    /// followed by the next at once.
    pub async fn run(self, stop: CancellationToken) {
        let (poll, batch) = (self.settings.poll, self.settings.batch as usize);
        crate::jobs::every(poll, stop, || async {
            match self.run_once().await {
                Ok(n) => n == batch,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: cannot claim deliveries");
                    false
                }
            }
        })
        .await;
    }

    /// Claims one batch and delivers it; answers how many were claimed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let now = leadline_core::clock::now().timestamp_millis();
        let lease = i64::try_from(self.settings.lease.as_millis()).unwrap_or(i64::MAX);
        let claimed = self.store.claim_deliveries(now, lease, self.settings.batch).await?;
        let count = claimed.len();
        futures::future::join_all(claimed.iter().map(|delivery| self.deliver(delivery))).await;
        Ok(count)
    }

    async fn deliver(&self, delivery: &ClaimedDelivery) {
        let context = Context {
            http: &self.http,
            store: self.store.as_ref(),
            delivery,
            timeout: self.settings.timeout,
            cache: &self.cache,
            provider_api_base: &self.settings.provider_api_base,
            mailer: self.mailer.as_deref(),
            base_url: &self.settings.base_url,
            push: self.push.as_deref(),
        };
        let adapter = adapter_for(&delivery.integration.config);
        let result = match tokio::time::timeout(self.settings.timeout * 2, adapter.deliver(&context)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Retry("timed out".into())),
        };
        let outcome = self.outcome(delivery, result);
        let target = delivery.integration.config.kind();
        let label = match &outcome {
            DeliveryOutcome::Delivered { .. } => "delivered",
            DeliveryOutcome::Retry { .. } => "retry",
            DeliveryOutcome::Dead { .. } => "dead",
        };
        self.metrics.outbox_attempt(target, label);
        if let DeliveryOutcome::Delivered { .. } = outcome {
            let lag = (leadline_core::clock::now() - delivery.event.occurred_at)
                .to_std()
                .unwrap_or_default();
            self.metrics.outbox_delivered_after(lag.as_secs_f64());
        }
        if let DeliveryOutcome::Retry { error, .. } | DeliveryOutcome::Dead { error } = &outcome {
            tracing::warn!(delivery = delivery.id, target, attempt = delivery.attempt, %error, outcome = label, "outbox: delivery failed");
        }
        match self
            .store
            .finish_delivery(delivery.id, &delivery.lease_token, &outcome)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::info!(
                delivery = delivery.id,
                "outbox: the lease ran out first; another worker has it"
            ),
            // The lease will run out and the delivery be retried with the same key.
            Err(e) => tracing::warn!(delivery = delivery.id, error = %e, "outbox: cannot record an outcome"),
        }
    }

    /// Delivered, retried after a backoff, or dead (refused for good, or out of attempts).
    fn outcome(&self, delivery: &ClaimedDelivery, result: Result<Sent, Failure>) -> DeliveryOutcome {
        match result {
            Ok(sent) => DeliveryOutcome::Delivered {
                response: sent.response,
            },
            Err(Failure::Permanent(error)) => DeliveryOutcome::Dead { error },
            Err(Failure::Wait { until, reason }) => DeliveryOutcome::Retry {
                at: until,
                error: reason,
            },
            Err(Failure::Retry(error)) if delivery.attempt >= self.settings.max_attempts => DeliveryOutcome::Dead {
                error: format!("gave up after {} attempts: {error}", delivery.attempt),
            },
            Err(Failure::Retry(error)) => {
                let wait = backoff(
                    delivery.attempt,
                    self.settings.backoff_base,
                    self.settings.backoff_max,
                    rand::random(),
                );
                let at = leadline_core::clock::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                DeliveryOutcome::Retry { at, error }
            }
        }
    }
}
