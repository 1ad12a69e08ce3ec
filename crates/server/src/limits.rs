//! Rate limits (GCRA, via governor): per client address in front of every route, and the keyed
//! limits of the visit API; and the per-account lock after failed log-ins. Limits are in
//! memory, per server.

use crate::config::Config;
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use leadline_core::flood::{self, Admission, FloodWatch};
use leadline_core::login_throttle::LoginFailures;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
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

/// `per_minute` sustained requests per key, with bursts of a second's worth (at least 5): a
/// site's quota of registrations without a proof, past which it is under a flood.
fn per_minute_short_burst<K: Hash + Eq + Clone>(per_minute: u32) -> KeyedLimiter<K> {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((per_minute / 60).max(5)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
}

/// The most proven visits remembered at once (each for a challenge's lifetime); past it the
/// store's unique visit id still refuses a replay.
const MAX_SPENT: usize = 200_000;

/// The visit API's rate limits, and each site's flood watch (`core::flood`).
pub struct VisitLimiters {
    registrations_per_ip: KeyedLimiter<IpAddr>,
    registrations_per_site: KeyedLimiter<i64>,
    site_quota_per_minute: u32,
    events_per_ip: KeyedLimiter<IpAddr>,
    floods: Mutex<HashMap<i64, FloodWatch>>,
    /// The visits proofs were taken for, until their challenges expire: a replay is refused
    /// before it reaches the store.
    spent: Mutex<HashMap<String, i64>>,
}

/// Which limit a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl VisitLimiters {
    /// The limits a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            registrations_per_ip: per_minute(config.visit_registrations_per_ip_per_minute),
            registrations_per_site: per_minute_short_burst(config.visit_registrations_per_site_per_minute),
            site_quota_per_minute: config.visit_registrations_per_site_per_minute,
            events_per_ip: per_minute(config.visit_events_per_ip_per_minute),
            floods: Mutex::default(),
            spent: Mutex::default(),
        }
    }

    /// Takes one registration from the address's quota.
    pub fn registration_from(&self, ip: IpAddr) -> Result<(), Limited> {
        self.registrations_per_ip.check_key(&ip).map_err(|_| Limited::Address)
    }

    /// Takes one registration without a proof from the site's quota, and says what it gets
    /// (`core::flood::admit`: under a flood, a challenge).
    pub fn unproven_registration_for(&self, site: i64, now_ms: i64) -> Admission {
        let within = self.registrations_per_site.check_key(&site).is_ok();
        let mut floods = lock(&self.floods);
        let watch = floods.entry(site).or_default();
        let (next, admission) = flood::admit(*watch, within, self.site_quota_per_minute, now_ms);
        *watch = next;
        admission
    }

    /// Marks the visit a proof was taken for as spent until `until_ms`; false if it already
    /// was (a replay).
    pub fn spend(&self, visit: &str, until_ms: i64) -> bool {
        let mut spent = lock(&self.spent);
        if spent.contains_key(visit) {
            return false;
        }
        if spent.len() < MAX_SPENT {
            spent.insert(visit.to_owned(), until_ms);
        }
        true
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
        let now = leadline_core::clock::now_millis();
        lock(&self.floods).retain(|_, watch| !watch.is_quiet(now));
        lock(&self.spent).retain(|_, until| *until > now);
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
