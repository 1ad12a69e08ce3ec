use super::*;
use proptest::prelude::*;

const HOUR_MS: i64 = 3_600_000;

fn settings() -> CodeSettings {
    CodeSettings {
        idle_minutes: 30,
        quarantine_minutes: 0,
        check_digit: false,
        max_live_codes: 10_000,
    }
}

/// `per_hour` visits in every hour of `days` UTC days, each `minutes` long.
fn steady(per_hour: u64, days: i64, minutes: i64) -> History {
    let hours: Vec<HourCount> = (0..days * 24)
        .map(|h| HourCount {
            start_ms: h * HOUR_MS,
            visits: per_hour,
        })
        .collect();
    let visits = per_hour * days as u64 * 24;
    History {
        hours,
        lengths: vec![Bucket {
            minutes: minutes as u32,
            count: visits,
        }],
        length_ms: visits as i64 * minutes * 60_000,
        call_delays: Vec::new(),
    }
}

#[test]
fn erlang_b_matches_the_textbook_values() {
    // B(1, 1) = 1/2; B(2, 1) = 1/5; B(10, 5) ≈ 0.01838.
    assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-12);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
    assert!((erlang_b(10, 5.0) - 0.018_38).abs() < 1e-4);
    assert_eq!(erlang_b(0, 3.0), 1.0);
}

#[test]
fn the_poisson_quantiles_are_those_of_the_distribution() {
    assert_eq!(poisson_quantile(0.0, 0.99), 0);
    // Poisson(1): P(X ≤ 0) = 0.368, P(X ≤ 1) = 0.736, P(X ≤ 3) = 0.981, P(X ≤ 4) = 0.996.
    assert_eq!(poisson_quantile(1.0, 0.5), 1);
    assert_eq!(poisson_quantile(1.0, 0.99), 4);
    // A large mean: the median is the mean, the 99th percentile about 2.33 deviations above.
    assert_eq!(poisson_quantile(10_000.0, 0.5), 10_000);
    let p99 = poisson_quantile(10_000.0, 0.99);
    assert!((10_228..=10_236).contains(&p99), "{p99}");
}

#[test]
fn the_check_digit_adds_a_digit_and_the_cap_bounds_the_code() {
    let plain = settings();
    assert_eq!(code_digits(0, &plain), 1);
    assert_eq!(code_digits(8, &plain), 1);
    assert_eq!(code_digits(9, &plain), 2);
    let checked = CodeSettings {
        check_digit: true,
        ..plain
    };
    assert_eq!(code_digits(9, &checked), 3);
    let capped = CodeSettings {
        max_live_codes: 99,
        ..plain
    };
    assert_eq!(code_digits(5_000, &capped), 2);
}

#[test]
fn a_quiet_site_sees_one_digit_codes_and_needs_few_numbers() {
    // Two visits an hour of 3 minutes: a load of about 1.1 codes.
    let plan = plan(&steady(2, 28, 3), chrono_tz::UTC, 28, &settings());
    assert_eq!(plan.visits, 2 * 28 * 24);
    assert_eq!((plan.code_digits_p50, plan.code_digits_p99), (1, 1));
    assert!((plan.mean_visit_minutes - 3.0).abs() < 1e-9);
    assert_eq!(plan.median_visit_minutes, 3);
    assert_eq!(plan.hours.len(), 24);
    assert!((plan.hours[5].visits_per_hour - 2.0).abs() < 1e-9);
    assert!((plan.hours[5].live_mean - 2.0 * 33.0 / 60.0).abs() < 1e-9);
    assert!(
        !plan.attribution.measured,
        "no calls were read, so the share is assumed"
    );
    assert!(plan.dni_pool >= 5 && plan.dni_pool < 10, "{}", plan.dni_pool);
    assert!(dni_wrong(plan.dni_pool, 1.1, 0.0) < WRONG_TARGET);
}

#[test]
fn a_busy_site_sees_longer_codes_and_a_ten_number_pool_is_mostly_wrong() {
    // 6,000 visits an hour: a load of 3,300 live codes.
    let plan = plan(&steady(6_000, 2, 3), chrono_tz::UTC, 2, &settings());
    assert_eq!((plan.code_digits_p50, plan.code_digits_p99), (4, 4));
    assert!(plan.dni_wrong_with_10 > 0.9, "{}", plan.dni_wrong_with_10);
    assert!(plan.dni_pool > 3_300, "{}", plan.dni_pool);
}

#[test]
fn hours_of_the_day_are_read_in_the_sites_zone() {
    // All visits at 14:00 UTC, which is 9:00 in New York in winter.
    let history = History {
        hours: vec![HourCount {
            start_ms: 1_767_276_000_000, // 2026-01-01T14:00:00Z
            visits: 7,
        }],
        ..History::default()
    };
    let plan = plan(&history, chrono_tz::America::New_York, 1, &settings());
    assert!((plan.hours[9].visits_per_hour - 7.0).abs() < 1e-9);
    assert_eq!(plan.busiest_hour_visits, 7);
}

#[test]
fn calls_after_the_idle_time_are_not_attributed_and_the_quarantine_bounds_the_wrong_ones() {
    let delays = [
        Bucket { minutes: 0, count: 80 },
        Bucket { minutes: 29, count: 10 },
        Bucket { minutes: 30, count: 5 },
        Bucket { minutes: 500, count: 5 },
    ];
    let with_rest = CodeSettings {
        quarantine_minutes: 60,
        ..settings()
    };
    let a = attribution(&delays, &with_rest);
    assert!(a.measured);
    assert_eq!(a.calls, 100);
    assert!((a.attributed - 0.9).abs() < 1e-12);
    assert!((a.late - 0.1).abs() < 1e-12);
    assert!((a.after_quarantine - 0.05).abs() < 1e-12);
}

#[test]
fn late_callers_make_a_dni_pool_larger_than_blocking_alone_needs() {
    let load = 20.0;
    assert!(dni_pool(load, 0.1, WRONG_TARGET) > dni_pool(load, 0.0, WRONG_TARGET));
}

proptest! {
    #[test]
    fn erlang_b_is_a_probability_that_falls_as_numbers_are_added(n in 0u64..500, load in 0.0f64..2_000.0) {
        let b = erlang_b(n, load);
        prop_assert!((0.0..=1.0).contains(&b));
        prop_assert!(erlang_b(n + 1, load) <= b);
    }

    #[test]
    fn the_pool_found_is_the_smallest_meeting_the_target(load in 0.0f64..500.0, late in 0.0f64..0.2) {
        let n = dni_pool(load, late, WRONG_TARGET);
        prop_assert!(n >= 1);
        prop_assert!(dni_wrong(n, load, late) < WRONG_TARGET);
        if n > 1 {
            prop_assert!(dni_wrong(n - 1, load, late) >= WRONG_TARGET);
        }
    }

    #[test]
    fn code_length_never_decreases_as_traffic_grows(
        per_hour in 0u64..3_000,
        more in 0u64..3_000,
        minutes in 0i64..60,
        quarantine in 0u32..120,
        check: bool,
    ) {
        let s = CodeSettings { quarantine_minutes: quarantine, check_digit: check, ..settings() };
        let low = plan(&steady(per_hour, 1, minutes), chrono_tz::UTC, 1, &s);
        let high = plan(&steady(per_hour + more, 1, minutes), chrono_tz::UTC, 1, &s);
        prop_assert!(high.code_digits_p50 >= low.code_digits_p50);
        prop_assert!(high.code_digits_p99 >= low.code_digits_p99);
        prop_assert!(high.code_digits_p99 >= high.code_digits_p50);
        for (h, l) in high.hours.iter().zip(&low.hours) {
            prop_assert!(h.code_digits_p99 >= l.code_digits_p99);
            prop_assert!(h.live_p99 >= l.live_p99);
        }
    }

    #[test]
    fn poisson_quantiles_grow_with_the_mean(mean in 0.0f64..50_000.0, more in 0.0f64..1_000.0, q in 0.01f64..0.999) {
        prop_assert!(poisson_quantile(mean + more, q) >= poisson_quantile(mean, q));
    }
}
