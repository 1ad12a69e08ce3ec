//! Days in a site's time zone: the range a report covers, the previous period it compares
//! with, and the instants where a local day begins and ends.

use crate::Invalid;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest range one report covers.
pub const MAX_DAYS: u64 = 366;

/// An inclusive range of local days, at most [`MAX_DAYS`] long, first not after last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DayRange {
    /// The days from `from` to `to`, both included.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("date range", reason);
        if from > to {
            return Err(invalid(format!("'from' ({from}) is after 'to' ({to})")));
        }
        let days = (to - from).num_days() as u64 + 1;
        if days > MAX_DAYS {
            return Err(invalid(format!(
                "{from} to {to} is {days} days; a report covers at most {MAX_DAYS}"
            )));
        }
        Ok(Self { from, to })
    }

    /// Reads `YYYY-MM-DD` dates as a request gives them.
    pub fn parse(from: &str, to: &str) -> Result<Self, Invalid> {
        Self::new(parse_date("from", from)?, parse_date("to", to)?)
    }

    /// The last `days` days up to and including `today`.
    pub fn last(today: NaiveDate, days: u64) -> Self {
        let days = days.clamp(1, MAX_DAYS);
        let from = today.checked_sub_days(Days::new(days - 1)).unwrap_or(today);
        Self { from, to: today }
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day (included).
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// How many days the range covers.
    pub fn len(&self) -> u64 {
        (self.to - self.from).num_days() as u64 + 1
    }

    /// Never empty: a range covers at least one day.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Self {
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = to.checked_sub_days(Days::new(self.len() - 1)).unwrap_or(to);
        Self { from, to }
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }

    /// The days as numbers since 1970-01-01 (how the store keys them), first and last.
    pub fn numbers(&self) -> (i64, i64) {
        (day_number(self.from), day_number(self.to))
    }
}

fn parse_date(what: &str, input: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            "date range",
            format!("'{what}' must be a date written YYYY-MM-DD, not '{}'", input.trim()),
        )
    })
}

/// The day number of `day`: days since 1970-01-01.
pub fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// The day of `number` (see [`day_number`]).
pub fn day_of_number(number: i64) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    if number >= 0 {
        epoch
            .checked_add_days(Days::new(number as u64))
            .unwrap_or(NaiveDate::MAX)
    } else {
        epoch
            .checked_sub_days(Days::new(number.unsigned_abs()))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// The day `at` falls on in `tz`.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The instants, in milliseconds since the epoch, where `day` begins in `tz` and where the next
/// day begins. A midnight that a clock change skips begins at the first instant that exists.
pub fn window(day: NaiveDate, tz: Tz) -> (i64, i64) {
    let start = |d: NaiveDate| -> i64 {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
        (0..=3)
            .find_map(|hour| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(hour)))
                    .earliest()
            })
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
    };
    (start(day), start(day.succ_opt().unwrap_or(day)))
}

/// The local days of `tz` that share an instant with the UTC day numbered `utc_day`: one or two.
pub fn local_days_of_utc_day(utc_day: i64, tz: Tz) -> Vec<NaiveDate> {
    let first = utc_day.saturating_mul(86_400_000);
    let last = first + 86_399_999;
    let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let (a, b) = (local_day(at(first), tz), local_day(at(last), tz));
    if a == b {
        vec![a]
    } else {
        a.iter_days().take_while(|d| *d <= b).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_reversed_or_enormous_range_is_refused_with_the_reason() {
        let reversed = DayRange::parse("2026-03-10", "2026-03-01").unwrap_err();
        assert!(reversed.reason.contains("after"), "{}", reversed.reason);
        let huge = DayRange::parse("2020-01-01", "2026-01-01").unwrap_err();
        assert!(huge.reason.contains("at most 366"), "{}", huge.reason);
        let bad = DayRange::parse("yesterday", "2026-01-01").unwrap_err();
        assert!(bad.reason.contains("YYYY-MM-DD"), "{}", bad.reason);
        assert_eq!(DayRange::parse("2026-01-01", "2026-12-31").unwrap().len(), 365);
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let range = DayRange::parse("2026-03-01", "2026-03-31").unwrap();
        let previous = range.previous();
        assert_eq!(previous.to(), date("2026-02-28"));
        assert_eq!(previous.from(), date("2026-01-29"));
        assert_eq!(previous.len(), 31);
    }

    #[test]
    fn a_day_in_a_zone_with_a_clock_change_is_23_or_25_hours_long() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let (start, end) = window(date("2026-03-29"), tz);
        assert_eq!(end - start, 23 * 3_600_000);
        let (start, end) = window(date("2026-10-25"), tz);
        assert_eq!(end - start, 25 * 3_600_000);
    }

    #[test]
    fn a_utc_day_touches_two_local_days_in_a_zone_off_utc() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let n = day_number(date("2026-05-05"));
        assert_eq!(
            local_days_of_utc_day(n, tz),
            vec![date("2026-05-05"), date("2026-05-06")]
        );
        assert_eq!(local_days_of_utc_day(n, chrono_tz::UTC), vec![date("2026-05-05")]);
    }

    proptest! {
        #[test]
        fn every_instant_falls_inside_the_window_of_its_local_day(ms in 0i64..4_000_000_000_000, zone in 0usize..5) {
            let tz: Tz = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"][zone].parse().unwrap();
            let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
            let day = local_day(at, tz);
            let (start, end) = window(day, tz);
            prop_assert!(start <= ms && ms < end, "{at} {day} {start} {end}");
            prop_assert!(local_days_of_utc_day(ms.div_euclid(86_400_000), tz).contains(&day));
        }

        #[test]
        fn day_numbers_read_back(n in -100_000i64..100_000) {
            prop_assert_eq!(day_number(day_of_number(n)), n);
        }
    }
}
