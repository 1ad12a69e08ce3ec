//! How often the rollup job may run: rebuilding a busy day recounts all of its records, so a
//! round that took long waits proportionally longer before the next. Rebuilds then take at
//! most a fixed share of one core however busy the day, and reports trail the records by at
//! most the interval plus a few rounds' time.

use std::time::Duration;

/// Rebuilds may use one part in `REST_PARTS + 1` of the time: after a round that was busy for
/// `t`, the job rests at least `REST_PARTS × t`.
pub const REST_PARTS: u32 = 4;

/// The wait before the next round, after one that was busy for `busy`: the `interval`, or the
/// rest the round earned if longer; a round that left days to do (`more`) goes on after its
/// rest alone.
pub fn next_round(interval: Duration, busy: Duration, more: bool) -> Duration {
    let rest = busy.saturating_mul(REST_PARTS);
    if more { rest } else { rest.max(interval) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_quick_round_waits_the_interval_and_a_slow_one_rests_four_times_its_length() {
        let interval = Duration::from_secs(2);
        assert_eq!(next_round(interval, Duration::from_millis(10), false), interval);
        assert_eq!(
            next_round(interval, Duration::from_secs(1), false),
            Duration::from_secs(4)
        );
        assert_eq!(
            next_round(interval, Duration::from_millis(10), true),
            Duration::from_millis(40)
        );
    }

    proptest! {
        #[test]
        fn rebuilds_never_take_more_than_their_share_of_the_time(
            interval_ms in 1u64..10_000, busy_ms in 0u64..100_000, more: bool,
        ) {
            let busy = Duration::from_millis(busy_ms);
            let wait = next_round(Duration::from_millis(interval_ms), busy, more);
            // The round's share of the time it and its rest take.
            prop_assert!(busy * (REST_PARTS + 1) <= busy + wait);
            if !more {
                prop_assert!(wait >= Duration::from_millis(interval_ms));
            }
        }
    }
}
