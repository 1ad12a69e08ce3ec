//! Capacity planning from a site's own history: how many codes are live over the day, how
//! long the code a visitor sees is, how many calls extensions attribute, and how large a
//! Dynamic Number Insertion (DNI) pool would have to be to stay under 1 % wrong.
//!
//! The model (docs/capacity.md says the same for owners):
//!
//! - Visits arrive as a Poisson stream of rate λ (visits per hour, per hour of the day, and at
//!   the busiest clock hour of the range). A visit holds its code for its length (last
//!   activity − start) plus the site's idle time, and a freed code rests for the reuse
//!   quarantine before it is handed out again. Live codes are then an M/G/∞ system: their
//!   number is Poisson with mean A = λ·h (the offered load, h the mean holding time in hours),
//!   whatever the distribution of visit lengths.
//! - A new visitor gets the smallest free code, so with L codes held its code is at most
//!   L + 1 (and at most the site's `max_live_codes`); arrivals see L as Poisson(A) (PASTA).
//!   The digits a visitor sees are those of L + 1, plus one for a Damm check digit. The plan
//!   gives them at the median and the 99th percentile of L in the busiest clock hour.
//! - With extensions, a call is attributed when its code is still live as it comes: during the
//!   visit or its idle time. A call later than that matches no code (and, after the quarantine,
//!   may key a code handed to someone else). The delays are read from the calls the history
//!   tied to a visit; those are censored (a late call is tied only when the caller's number
//!   matched), so the late share is a lower bound. With no such calls the plan assumes every
//!   call comes during the visit or its idle time, and says so.
//! - A DNI pool of N numbers held for the visit plus the idle time is an M/G/N/N loss system:
//!   an arriving visitor finds all N held with probability Erlang B(N, A), insensitive to the
//!   holding-time distribution, and then takes the oldest holder's number, whose later call
//!   goes to the wrong visit. A caller who comes after their number was released finds it held
//!   by someone else with the per-number occupancy ρ = A·(1 − B)/N. The wrong share of calls is
//!   taken as B + late·ρ (capped at 1), and the pool needed is the smallest N with a wrong share
//!   under [`WRONG_TARGET`].

use crate::site::SiteSettings;
use crate::store::StoreResult;
use crate::{BusinessId, SiteId};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Timelike, Utc};
use serde::Serialize;

/// The wrong share of calls a DNI pool must stay under.
pub const WRONG_TARGET: f64 = 0.01;
/// Visit lengths are read in whole minutes up to this; the last bucket holds every longer one.
pub const LENGTH_CAP_MINUTES: u32 = 240;
/// Call delays are read in whole minutes up to this (two days); the last bucket holds the rest.
pub const DELAY_CAP_MINUTES: u32 = 2880;
/// The largest pool the search tries (a bound on its work, far above any real pool).
const MAX_POOL: u64 = 10_000_000;

/// Visits started in one clock hour of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourCount {
    /// The hour's start, UTC milliseconds.
    pub start_ms: i64,
    pub visits: u64,
}

/// How many records fall in one whole-minute bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub minutes: u32,
    pub count: u64,
}

/// What the store reads of a site's history over a range, bounded whatever the traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Visits per clock hour (hours without visits are absent).
    pub hours: Vec<HourCount>,
    /// Visits by length in whole minutes, up to [`LENGTH_CAP_MINUTES`].
    pub lengths: Vec<Bucket>,
    /// The sum of the visits' lengths in milliseconds (the exact mean's numerator).
    pub length_ms: i64,
    /// The calls tied to the range's visits by whole minutes after the visit's last activity
    /// (a call during the visit counts as 0), up to [`DELAY_CAP_MINUTES`].
    pub call_delays: Vec<Bucket>,
}

impl History {
    /// The visits of the range.
    pub fn visits(&self) -> u64 {
        self.hours.iter().map(|h| h.visits).sum()
    }

    /// The calls tied to the range's visits.
    pub fn calls(&self) -> u64 {
        self.call_delays.iter().map(|b| b.count).sum()
    }
}

/// The settings of a site that shape its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeSettings {
    pub idle_minutes: u32,
    pub quarantine_minutes: u32,
    pub check_digit: bool,
    pub max_live_codes: u32,
}

impl CodeSettings {
    /// A site's page-load code settings.
    pub fn of(settings: &SiteSettings) -> Self {
        Self {
            idle_minutes: settings.idle_minutes,
            quarantine_minutes: settings.reuse_quarantine_minutes,
            check_digit: settings.check_digit,
            max_live_codes: settings.max_live_codes,
        }
    }
}

/// One hour of the day (in the site's zone), averaged over the range's days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourPlan {
    /// 0 to 23.
    pub hour: u32,
    pub visits_per_hour: f64,
    /// Codes held by live visits: the mean (the offered load) and the 99th percentile.
    pub live_mean: f64,
    pub live_p99: u64,
    /// Digits of the code a visitor sees at the 99th percentile (check digit included).
    pub code_digits_p99: u32,
    /// The DNI pool this hour needs to stay under [`WRONG_TARGET`].
    pub dni_pool: u64,
}

/// What extensions attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// The share of calls whose code is still live when they come.
    pub attributed: f64,
    /// The share of calls later than the visit and its idle time (no live code).
    pub late: f64,
    /// The share later than the idle time and the reuse quarantine (their code may be held by
    /// another visitor again): a bound on the calls extensions can attribute wrongly.
    pub after_quarantine: f64,
    /// False when no calls of visits were read and every call is assumed to come in time.
    pub measured: bool,
    /// The calls of visits the shares were read from.
    pub calls: u64,
}

/// The capacity plan of a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub days: u32,
    pub visits: u64,
    /// Calls tied to a visit, per visit.
    pub call_share: f64,
    pub mean_visit_minutes: f64,
    pub median_visit_minutes: u32,
    /// The most visits started in one clock hour of the range.
    pub busiest_hour_visits: u64,
    /// The 24 hours of the day.
    pub hours: Vec<HourPlan>,
    /// Digits of the code a visitor of the busiest hour sees: median and 99th percentile.
    pub code_digits_p50: u32,
    pub code_digits_p99: u32,
    pub attribution: Attribution,
    /// The smallest DNI pool under [`WRONG_TARGET`] wrong at the busiest hour.
    pub dni_pool: u64,
    /// The wrong share of a 10-number DNI pool at the busiest hour.
    pub dni_wrong_with_10: f64,
}

/// Erlang B: the chance an arrival finds all `servers` held under offered load `load`, by the
/// stable recurrence B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)).
pub fn erlang_b(servers: u64, load: f64) -> f64 {
    let load = load.max(0.0);
    let mut b = 1.0;
    for n in 1..=servers {
        b = load * b / (n as f64 + load * b);
    }
    b
}

/// The wrong share of calls of a DNI pool of `servers` numbers under offered load `load`,
/// `late` being the share of calls after the number's holding time.
pub fn dni_wrong(servers: u64, load: f64, late: f64) -> f64 {
    wrong_given(erlang_b(servers, load), servers, load, late)
}

fn wrong_given(blocked: f64, servers: u64, load: f64, late: f64) -> f64 {
    let occupancy = if servers == 0 {
        1.0
    } else {
        (load.max(0.0) * (1.0 - blocked) / servers as f64).min(1.0)
    };
    (blocked + late.clamp(0.0, 1.0) * occupancy).min(1.0)
}

/// The smallest pool (at least one number) whose wrong share is under `target`.
pub fn dni_pool(load: f64, late: f64, target: f64) -> u64 {
    let load = load.max(0.0);
    let mut b = 1.0;
    for n in 1..=MAX_POOL {
        b = load * b / (n as f64 + load * b);
        if wrong_given(b, n, load, late) < target {
            return n;
        }
    }
    MAX_POOL
}

/// ln(n!), exact for small n and by Stirling's series beyond.
fn ln_factorial(n: u64) -> f64 {
    if n < 32 {
        return (2..=n).map(|k| (k as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3))
}

/// The `q` quantile of a Poisson distribution of this mean: the smallest k with P(X ≤ k) ≥ q.
pub fn poisson_quantile(mean: f64, q: f64) -> u64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    // Below twelve standard deviations the mass is under 1e-30: start there.
    let start = (mean - 12.0 * mean.sqrt() - 5.0).floor().max(0.0) as u64;
    let mut p = (start as f64 * mean.ln() - mean - ln_factorial(start)).exp();
    let mut cdf = p;
    let mut k = start;
    let end = start + (30.0 * mean.sqrt()) as u64 + 100;
    while cdf < q && k < end {
        k += 1;
        p *= mean / k as f64;
        cdf += p;
    }
    k
}

/// The decimal digits of a positive integer.
fn digits(n: u64) -> u32 {
    n.max(1).ilog10() + 1
}

/// The digits a visitor sees when `held` codes are held: those of the next code (at most
/// the cap of live codes), plus the check digit.
pub fn code_digits(held: u64, settings: &CodeSettings) -> u32 {
    let cap = u64::from(settings.max_live_codes.max(1));
    digits(held.saturating_add(1).min(cap)) + u32::from(settings.check_digit)
}

/// The whole-minute bucket that holds the median count (0 when empty).
fn median_minutes(buckets: &[Bucket]) -> u32 {
    let total: u64 = buckets.iter().map(|b| b.count).sum();
    let mut sorted = buckets.to_vec();
    sorted.sort_by_key(|b| b.minutes);
    let mut seen = 0;
    for bucket in &sorted {
        seen += bucket.count;
        if seen * 2 >= total {
            return bucket.minutes;
        }
    }
    0
}

/// What extensions attribute, from the calls' delays after the visit's last activity.
pub fn attribution(delays: &[Bucket], settings: &CodeSettings) -> Attribution {
    let calls: u64 = delays.iter().map(|b| b.count).sum();
    if calls == 0 {
        return Attribution {
            attributed: 1.0,
            late: 0.0,
            after_quarantine: 0.0,
            measured: false,
            calls,
        };
    }
    let share = |after: u32| {
        let n: u64 = delays.iter().filter(|b| b.minutes >= after).map(|b| b.count).sum();
        n as f64 / calls as f64
    };
    let late = share(settings.idle_minutes);
    Attribution {
        attributed: 1.0 - late,
        late,
        after_quarantine: share(settings.idle_minutes.saturating_add(settings.quarantine_minutes)),
        measured: true,
        calls,
    }
}

/// The capacity plan of a site with these settings, from `history` over `days` days, hours
/// of the day read in `zone`.
pub fn plan(history: &History, zone: chrono_tz::Tz, days: u32, settings: &CodeSettings) -> Plan {
    let days = days.max(1);
    let visits = history.visits();
    let mean_ms = if visits == 0 {
        0.0
    } else {
        history.length_ms.max(0) as f64 / visits as f64
    };
    let minute = 60_000.0;
    let idle_ms = f64::from(settings.idle_minutes) * minute;
    let rest_ms = f64::from(settings.quarantine_minutes) * minute;
    // Holding times in hours: a number's (DNI) and a code's (it rests after it is freed).
    let live_hours = (mean_ms + idle_ms) / 3_600_000.0;
    let code_hours = (mean_ms + idle_ms + rest_ms) / 3_600_000.0;
    let attribution = attribution(&history.call_delays, settings);
    let late = attribution.late;
    let mut by_hour = [0u64; 24];
    for hour in &history.hours {
        if let Some(at) = zone.timestamp_millis_opt(hour.start_ms).earliest() {
            by_hour[at.hour() as usize] += hour.visits;
        }
    }
    let hours = (0..24u32)
        .map(|hour| {
            let rate = by_hour[hour as usize] as f64 / f64::from(days);
            let live_mean = rate * live_hours;
            HourPlan {
                hour,
                visits_per_hour: rate,
                live_mean,
                live_p99: poisson_quantile(live_mean, 0.99),
                code_digits_p99: code_digits(poisson_quantile(rate * code_hours, 0.99), settings),
                dni_pool: dni_pool(live_mean, late, WRONG_TARGET),
            }
        })
        .collect();
    let busiest = history.hours.iter().map(|h| h.visits).max().unwrap_or(0);
    let peak_codes = busiest as f64 * code_hours;
    let peak_live = busiest as f64 * live_hours;
    Plan {
        days,
        visits,
        call_share: if visits == 0 {
            0.0
        } else {
            attribution.calls as f64 / visits as f64
        },
        mean_visit_minutes: mean_ms / minute,
        median_visit_minutes: median_minutes(&history.lengths),
        busiest_hour_visits: busiest,
        hours,
        code_digits_p50: code_digits(poisson_quantile(peak_codes, 0.5), settings),
        code_digits_p99: code_digits(poisson_quantile(peak_codes, 0.99), settings),
        dni_pool: dni_pool(peak_live, late, WRONG_TARGET),
        dni_wrong_with_10: dni_wrong(10, peak_live, late),
        attribution,
    }
}

/// The port capacity planning reads a site's history through.
#[async_trait]
pub trait CapacityStore {
    /// The history of `business`'s site `site` over `[from, to)`: visits per clock hour and by
    /// length (from their start and last activity), and the calls tied to those visits by
    /// their delay after the visit's last activity. Another business's site has no history.
    async fn capacity_history(
        &self,
        business: BusinessId,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<History>;
}

#[cfg(test)]
#[path = "capacity_tests.rs"]
mod tests;
