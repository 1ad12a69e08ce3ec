//! The synthetic day: who arrives when, how long they stay, what they click, and whether, when
//! and how they call. Generated from a seed before anything is sent, so the same seed and
//! flags give the same traffic on every run and against every kind of site.

use crate::cli::AttributionArgs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How busy each hour of the day is, relative to the day's mean (a business site: quiet at
/// night, busy from mid-morning to the evening). Normalised to a mean of 1 when used.
const DAILY_CURVE: [f64; 24] = [
    0.25, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6, 1.5, 1.5, 1.5, 1.4, 1.3, 1.3, 1.4, 1.5, 1.4, 1.1,
    0.7, 0.4,
];

/// Seconds between heartbeats while a page is visible (the snippet's).
pub const HEARTBEAT_MS: i64 = 60_000;
/// A caller who tapped or clicked the number dials this long after it.
const DIAL_AFTER_CLICK_MS: i64 = 4_000;
const HOUR_MS: f64 = 3_600_000.0;

/// What a caller does at the prompt for the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keying {
    /// Keys the code they were shown.
    Shown,
    /// Keys nothing.
    Nothing,
    /// Keys the code with one digit wrong (`twist` picks which and to what).
    WrongDigit,
    /// Keys the code with two neighbouring digits swapped (or, for one digit, as shown).
    Swapped,
}

/// How a call is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialled {
    /// Tapped the page's `tel:` link on a phone: the dialler sends the code after the comma.
    AutoDial,
    /// Dialled the number by hand, and keyed as `keying` says.
    ByHand(Keying),
}

/// One call of a visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCall {
    /// When, in ms from the start of the day.
    pub at_ms: i64,
    /// Whether the visitor's page is still open.
    pub on_page: bool,
    pub dialled: Dialled,
    /// Whether the visitor clicked the number or a call button just before (on the page).
    pub clicked: bool,
    /// Picks the wrong digit or the swapped pair.
    pub twist: u32,
    /// A later call from the phone's call log, repeating what this one dialled.
    pub redial_at_ms: Option<i64>,
}

/// One visitor and their one visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    pub id: u32,
    pub arrive_ms: i64,
    pub stay_ms: i64,
    pub phone: bool,
    /// Page views after the landing page, in ms from arrival.
    pub page_views: Vec<i64>,
    pub call: Option<PlannedCall>,
}

impl Visitor {
    /// When the visitor's page closes.
    pub fn leave_ms(&self) -> i64 {
        self.arrive_ms + self.stay_ms
    }
}

/// The day's visitors in order of arrival.
pub fn generate(args: &AttributionArgs) -> Vec<Visitor> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mean = DAILY_CURVE.iter().sum::<f64>() / 24.0;
    let peak = DAILY_CURVE.iter().copied().fold(0.0, f64::max) / mean * args.rate;
    let end_ms = args.hours * HOUR_MS;
    let mut visitors = Vec::new();
    let mut t = 0.0;
    // A Poisson process at the peak rate, thinned to each hour's share (Lewis and Shedler).
    loop {
        t += exponential(&mut rng, peak / HOUR_MS);
        if t >= end_ms {
            break;
        }
        let hour = ((t / HOUR_MS) as usize) % 24;
        let rate = DAILY_CURVE[hour] / mean * args.rate;
        if rng.random::<f64>() * peak > rate {
            continue;
        }
        let id = u32::try_from(visitors.len()).unwrap_or(u32::MAX);
        visitors.push(visitor(&mut rng, args, id, t as i64));
    }
    visitors
}

fn visitor(rng: &mut StdRng, args: &AttributionArgs, id: u32, arrive_ms: i64) -> Visitor {
    // Median a minute and a half, a long tail, at most 45 minutes.
    let stay_ms = (lognormal(rng, 90_000.0, 1.0) as i64).clamp(5_000, 45 * 60_000);
    let phone = rng.random::<f64>() < args.phone_share;
    let views = poisson(rng, (stay_ms as f64 / 60_000.0).min(6.0));
    let mut page_views: Vec<i64> = (0..views)
        .map(|_| rng.random_range(1_000..stay_ms.max(1_001)))
        .collect();
    page_views.sort_unstable();
    let call = (rng.random::<f64>() < args.call_share).then(|| planned_call(rng, args, arrive_ms, stay_ms, phone));
    Visitor {
        id,
        arrive_ms,
        stay_ms,
        phone,
        page_views,
        call,
    }
}

fn planned_call(rng: &mut StdRng, args: &AttributionArgs, arrive_ms: i64, stay_ms: i64, phone: bool) -> PlannedCall {
    let on_page = rng.random::<f64>() < args.on_page_share;
    let at_ms = if on_page {
        arrive_ms + rng.random_range(stay_ms / 3..stay_ms.max(stay_ms / 3 + 1))
    } else {
        // After leaving: median 20 minutes, up to hours (at most 8).
        arrive_ms + stay_ms + (lognormal(rng, 20.0 * 60_000.0, 1.5) as i64).clamp(30_000, 8 * 3_600_000)
    };
    let keying = keying(rng, args);
    let tapped = on_page && phone;
    let dialled = if tapped && rng.random::<f64>() >= args.autodial_drop_share {
        Dialled::AutoDial
    } else {
        Dialled::ByHand(keying)
    };
    let clicked = tapped || (on_page && rng.random::<f64>() < args.desktop_click_share);
    let redial_at_ms = (rng.random::<f64>() < args.redial_share)
        .then(|| at_ms + (lognormal(rng, 2.0 * 3_600_000.0, 1.0) as i64).clamp(60_000, 24 * 3_600_000));
    PlannedCall {
        at_ms: if clicked { at_ms + DIAL_AFTER_CLICK_MS } else { at_ms },
        on_page,
        dialled,
        clicked,
        twist: rng.random(),
        redial_at_ms,
    }
}

fn keying(rng: &mut StdRng, args: &AttributionArgs) -> Keying {
    let weights = [
        (args.keyed_share, Keying::Shown),
        (args.nothing_share, Keying::Nothing),
        (args.wrong_digit_share, Keying::WrongDigit),
        (args.swap_share, Keying::Swapped),
    ];
    let total: f64 = weights.iter().map(|(w, _)| w.max(0.0)).sum();
    let mut pick = rng.random::<f64>() * total;
    for (weight, keying) in weights {
        if pick < weight.max(0.0) {
            return keying;
        }
        pick -= weight.max(0.0);
    }
    Keying::Shown
}

/// What a caller keys for `code` (its keyed form, digits only).
pub fn keyed(code: &str, keying: Keying, twist: u32) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    match keying {
        Keying::Shown => {}
        Keying::Nothing => digits.clear(),
        Keying::WrongDigit if !digits.is_empty() => {
            let at = twist as usize % digits.len();
            let shift = 1 + (twist / 7) % 9;
            digits[at] = b'0' + ((digits[at] - b'0' + shift as u8) % 10);
        }
        Keying::Swapped if digits.len() > 1 => {
            let at = twist as usize % (digits.len() - 1);
            digits.swap(at, at + 1);
        }
        Keying::WrongDigit | Keying::Swapped => {}
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// An exponential wait at `rate` per ms.
fn exponential(rng: &mut StdRng, rate: f64) -> f64 {
    -(1.0 - rng.random::<f64>()).ln() / rate
}

/// A log-normal value with this median and shape.
fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    median * (sigma * normal).exp()
}

/// A Poisson count with this mean (Knuth's method: means here are small).
fn poisson(rng: &mut StdRng, mean: f64) -> usize {
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1;
    }
    count
}

/// When the dial of a click comes: the click is this long before it.
pub fn click_before_call_ms() -> i64 {
    DIAL_AFTER_CLICK_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> AttributionArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            args: AttributionArgs,
        }
        let mut argv = vec!["bench"];
        argv.extend_from_slice(extra);
        Wrap::parse_from(argv).args
    }

    #[test]
    fn the_same_seed_gives_the_same_day_and_another_seed_another() {
        let one = generate(&args(&["--rate", "300", "--hours", "3"]));
        assert_eq!(one, generate(&args(&["--rate", "300", "--hours", "3"])));
        assert_ne!(one, generate(&args(&["--rate", "300", "--hours", "3", "--seed", "2"])));
    }

    #[test]
    fn a_day_brings_about_the_rate_times_the_hours_and_the_call_share_calls() {
        let visitors = generate(&args(&["--rate", "1000", "--hours", "24"]));
        let expected = 24_000.0;
        assert!(
            (visitors.len() as f64 - expected).abs() < expected * 0.05,
            "{}",
            visitors.len()
        );
        let calls = visitors.iter().filter(|v| v.call.is_some()).count() as f64;
        assert!((calls / visitors.len() as f64 - 0.03).abs() < 0.005, "{calls}");
        assert!(visitors.windows(2).all(|w| w[0].arrive_ms <= w[1].arrive_ms));
    }

    #[test]
    fn on_page_callers_call_before_they_leave_and_the_others_after() {
        for v in generate(&args(&["--rate", "2000", "--hours", "6", "--call-share", "0.5"])) {
            let Some(call) = v.call.clone() else { continue };
            if call.on_page {
                assert!(call.at_ms <= v.leave_ms() + click_before_call_ms(), "{v:?}");
            } else {
                assert!(call.at_ms > v.leave_ms(), "{v:?}");
                assert!(!call.clicked);
            }
            assert!(call.redial_at_ms.is_none_or(|r| r > call.at_ms));
        }
    }

    #[test]
    fn a_mistyped_code_differs_from_the_shown_one_in_one_digit_or_one_swap() {
        for twist in 0..200u32 {
            let wrong = keyed("4815", Keying::WrongDigit, twist);
            let differing = wrong.bytes().zip("4815".bytes()).filter(|(a, b)| a != b).count();
            assert_eq!((wrong.len(), differing), (4, 1), "{wrong}");
            let swapped = keyed("4815", Keying::Swapped, twist);
            assert_ne!(swapped, "4815");
            assert_eq!(keyed("4815", Keying::Shown, twist), "4815");
            assert_eq!(keyed("4815", Keying::Nothing, twist), "");
        }
        assert_eq!(keyed("7", Keying::Swapped, 3), "7");
    }
}
