//! Rate limits (GCRA, via governor): per client address in front of every route, and the keyed
//! limits of the visit API; and the per-account lock after failed log-ins. Limits are in
//! memory, per server.

use crate::config::Config;
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use leadline_core::login_throttle::LoginFailures;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A rate limiter keyed by `K` (a client address, a site).
pub type KeyedLimiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// A rate limiter keyed by client IP address.
pub type IpLimiter = KeyedLimiter<IpAddr>;

/// `per_second` sustained requests per address, with bursts of twice that.
pub fn limiter(per_second: u32) -> Arc<IpLimiter> {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
    Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

/// `per_minute` sustained requests per key, with bursts of a tenth of that (at least 5).
pub fn per_minute<K: Hash + Eq + Clone>(per_minute: u32) -> KeyedLimiter<K> {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((per_minute / 10).clamp(5, per_minute.max(5))).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
}

/// The visit API's rate limits.
pub struct VisitLimiters {
    registrations_per_ip: KeyedLimiter<IpAddr>,
    registrations_per_site: KeyedLimiter<i64>,
    events_per_ip: KeyedLimiter<IpAddr>,
}

/// Which limit a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address,
    Site,
}

impl VisitLimiters {
    /// The limits a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            registrations_per_ip: per_minute(config.visit_registrations_per_ip_per_minute),
            registrations_per_site: per_minute(config.visit_registrations_per_site_per_minute),
            events_per_ip: per_minute(config.visit_events_per_ip_per_minute),
        }
    }

    /// Takes one registration from the address's quota.
    pub fn registration_from(&self, ip: IpAddr) -> Result<(), Limited> {
        self.registrations_per_ip.check_key(&ip).map_err(|_| Limited::Address)
    }

    /// Takes one registration from the site's quota.
    pub fn registration_for(&self, site: i64) -> Result<(), Limited> {
        self.registrations_per_site.check_key(&site).map_err(|_| Limited::Site)
    }

    /// Takes one event from the address's quota.
    pub fn event_from(&self, ip: IpAddr) -> Result<(), Limited> {
        self.events_per_ip.check_key(&ip).map_err(|_| Limited::Address)
    }

    /// Forgets quiet keys.
    pub fn prune(&self) {
        self.registrations_per_ip.retain_recent();
        self.registrations_per_site.retain_recent();
        self.events_per_ip.retain_recent();
    }
}

/// Failed log-ins per account (the e-mail as typed, lower-cased, whether or not a user has
/// it, so that a lock tells nothing about who exists). In memory, per server.
#[derive(Default)]
pub struct LoginThrottle {
    accounts: std::sync::Mutex<std::collections::HashMap<String, LoginFailures>>,
}

/// The most accounts remembered at once; past it new accounts go untracked (the per-address
/// limit still holds) rather than growing memory without bound.
const MAX_TRACKED_ACCOUNTS: usize = 100_000;

impl LoginThrottle {
    fn key(email: &str) -> String {
        email.trim().to_lowercase().chars().take(320).collect()
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, LoginFailures>> {
        self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `email` may try to log in at `now_ms`; else how long it must wait.
    pub fn check(&self, email: &str, now_ms: i64) -> Result<(), Duration> {
        self.accounts()
            .get(&Self::key(email))
            .map_or(Ok(()), |failures| failures.check(now_ms))
    }

    /// Counts a failed log-in of `email` at `now_ms`.
    pub fn failed(&self, email: &str, now_ms: i64) {
        let mut accounts = self.accounts();
        let key = Self::key(email);
        if accounts.len() >= MAX_TRACKED_ACCOUNTS && !accounts.contains_key(&key) {
            return;
        }
        let failures = accounts.entry(key).or_default();
        *failures = failures.failed(now_ms);
    }

    /// Forgets `email`'s failures after it logged in.
    pub fn succeeded(&self, email: &str) {
        self.accounts().remove(&Self::key(email));
    }

    /// Forgets accounts whose failures are old.
    pub fn prune(&self, now_ms: i64) {
        self.accounts().retain(|_, failures| !failures.is_forgotten(now_ms));
    }
}
