use super::*;
use chrono::TimeZone;
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

fn weekdays(spans: &str) -> BusinessHours {
    let day = BusinessHours::parse_day(spans).unwrap();
    let mut hours = BusinessHours::default();
    for weekday in hours.week.iter_mut().take(5) {
        *weekday = day.clone();
    }
    hours
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn nine_to_five_in_new_york_opens_at_nine_local_on_both_sides_of_the_spring_change() {
    let hours = weekdays("09:00-17:00");
    // Friday 6 March 2026, EST (UTC-5).
    assert!(!hours.is_open(New_York, utc(2026, 3, 6, 13, 59)));
    assert!(hours.is_open(New_York, utc(2026, 3, 6, 14, 0)));
    assert!(hours.is_open(New_York, utc(2026, 3, 6, 21, 59)));
    assert!(!hours.is_open(New_York, utc(2026, 3, 6, 22, 0)));
    // Monday 9 March 2026, after the change on the 8th: EDT (UTC-4), an hour earlier in UTC.
    assert!(!hours.is_open(New_York, utc(2026, 3, 9, 12, 59)));
    assert!(hours.is_open(New_York, utc(2026, 3, 9, 13, 0)));
    assert!(hours.is_open(New_York, utc(2026, 3, 9, 20, 59)));
    assert!(!hours.is_open(New_York, utc(2026, 3, 9, 21, 0)));
}

#[test]
fn nine_to_five_in_berlin_follows_the_autumn_change() {
    let hours = weekdays("09:00-17:00");
    // Friday 23 October 2026, CEST (UTC+2); Monday 26 October, after the change: CET (UTC+1).
    assert!(hours.is_open(Berlin, utc(2026, 10, 23, 7, 0)));
    assert!(!hours.is_open(Berlin, utc(2026, 10, 26, 7, 0)));
    assert!(hours.is_open(Berlin, utc(2026, 10, 26, 8, 0)));
}

#[test]
fn a_night_span_runs_past_midnight_across_the_night_the_clocks_go_forward() {
    let mut hours = BusinessHours::default();
    hours.week[5] = BusinessHours::parse_day("22:00-06:00").unwrap(); // Saturday night
    // Saturday 7 March 2026 23:00 EST, Sunday 8 March 05:59 EDT (the clocks jumped at 02:00).
    assert!(hours.is_open(New_York, utc(2026, 3, 8, 4, 0)));
    assert!(hours.is_open(New_York, utc(2026, 3, 8, 9, 59)));
    assert!(!hours.is_open(New_York, utc(2026, 3, 8, 10, 0)));
    // Sunday's own evening is closed: the span belongs to Saturday.
    assert!(!hours.is_open(New_York, utc(2026, 3, 9, 3, 0)));
}

#[test]
fn a_holiday_closes_its_whole_local_date() {
    let mut hours = weekdays("00:00-24:00");
    hours.holidays = BusinessHours::parse_holidays("2026-12-25").unwrap();
    // Friday 25 December in Berlin runs from 24 December 23:00 UTC to 25 December 23:00 UTC.
    assert!(hours.is_open(Berlin, utc(2026, 12, 24, 22, 59)));
    assert!(!hours.is_open(Berlin, utc(2026, 12, 24, 23, 0)));
    assert!(!hours.is_open(Berlin, utc(2026, 12, 25, 22, 59)));
    assert!(!hours.is_open(Berlin, utc(2026, 12, 26, 8, 0)), "a Saturday is closed");
    assert!(hours.is_open(Berlin, utc(2026, 12, 28, 8, 0)));
}

#[test]
fn spans_are_read_as_people_write_them_and_bad_ones_say_why() {
    let spans = BusinessHours::parse_day(" 9:00-12:30, 13:30-24:00 ").unwrap();
    assert_eq!(
        spans.iter().map(Span::to_string).collect::<Vec<_>>(),
        ["09:00-12:30", "13:30-24:00"]
    );
    assert!(BusinessHours::parse_day("closed").unwrap().is_empty());
    assert!(BusinessHours::parse_day("").unwrap().is_empty());
    for bad in [
        "9-17",
        "09:00-25:00",
        "24:00-06:00",
        "09:60-10:00",
        "09:00-09:00",
        "9:5-10:00",
        "nine",
    ] {
        let err = BusinessHours::parse_day(bad).unwrap_err();
        assert_eq!(err.what, "business hours", "{bad}");
        assert!(err.reason.contains(bad.trim()), "{bad}: {}", err.reason);
    }
    assert!(
        BusinessHours::parse_holidays("2026-12-25 2027-02-30")
            .unwrap_err()
            .reason
            .contains("2027-02-30")
    );
}

#[test]
fn hours_survive_their_stored_form() {
    let mut hours = weekdays("08:00-12:00, 22:00-02:00");
    hours.holidays = BusinessHours::parse_holidays("2026-12-25, 2027-01-01").unwrap();
    let json = serde_json::to_string(&hours).unwrap();
    assert!(json.contains("\"22:00-02:00\""), "{json}");
    assert_eq!(serde_json::from_str::<BusinessHours>(&json).unwrap(), hours);
    assert!(serde_json::from_str::<BusinessHours>(r#"{"week":[["9-5"],[],[],[],[],[],[]]}"#).is_err());
}

/// The minutes of a span written as text, read the slow way: what a person would check.
fn inside(span: &str, minute: u32) -> (bool, bool) {
    let (open, close) = span.split_once('-').unwrap();
    let minutes = |t: &str| {
        let (h, m) = t.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
    };
    let (open, close) = (minutes(open), minutes(close));
    if close > open {
        (open <= minute && minute < close, false)
    } else {
        (minute >= open, minute < close)
    }
}

proptest! {
    #[test]
    fn an_instant_is_open_exactly_when_its_local_clock_falls_in_a_span_of_its_own_day_or_the_night_before(
        open in 0u32..1440,
        close in 1u32..=1440,
        day in 0usize..7,
        seconds in 1_700_000_000i64..1_900_000_000,
        zone in prop::sample::select(vec![New_York, Berlin, chrono_tz::Australia::Lord_Howe, chrono_tz::UTC]),
    ) {
        prop_assume!(open != close);
        let text = format!("{:02}:{:02}-{:02}:{:02}", open / 60, open % 60, close / 60, close % 60);
        let mut hours = BusinessHours::default();
        hours.week[day] = BusinessHours::parse_day(&text).unwrap();
        let at = DateTime::from_timestamp(seconds, 0).unwrap();
        let local = at.with_timezone(&zone);
        let minute = local.hour() * 60 + local.minute();
        let today = local.weekday().num_days_from_monday() as usize;
        let (same_day, next_day) = inside(&text, minute);
        let expected = (today == day && same_day) || ((day + 1) % 7 == today && next_day);
        prop_assert_eq!(hours.is_open(zone, at), expected, "{} at {}", text, local);
    }

    #[test]
    fn a_week_without_spans_is_never_open_and_a_week_of_whole_days_always_is(
        seconds in 0i64..4_000_000_000,
    ) {
        let at = DateTime::from_timestamp(seconds, 0).unwrap();
        prop_assert!(!BusinessHours::default().is_open(New_York, at));
        let mut always = BusinessHours::default();
        for day in always.week.iter_mut() {
            *day = BusinessHours::parse_day("00:00-24:00").unwrap();
        }
        prop_assert!(always.is_open(New_York, at));
    }
}
