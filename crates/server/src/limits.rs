//! Rate limits (GCRA, via governor): per client address in front of every route, and the keyed
//! limits of the visit API. Limits are in memory, per server.

use crate::config::Config;
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

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
