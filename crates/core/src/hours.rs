//! Business hours: when a site's calls are put through, read in the site's own time zone,
//! with its holidays. A span whose close is not after its open runs past midnight
//! (`22:00-06:00`), so a night shift is one span of the evening's weekday.

use crate::Invalid;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use std::collections::BTreeSet;

/// Minutes in a day; `24:00` closes a span at midnight.
const DAY: u16 = 24 * 60;

/// The days of the week as the hours list them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One opening span of a day, in minutes after local midnight: `open` in `0..1440`, `close`
/// in `1..=1440`; `close <= open` runs into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span {
    open: u16,
    close: u16,
}

impl Span {
    /// Parses `HH:MM-HH:MM` (`24:00` allowed as a close).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "business hours",
                format!("'{input}' is not an opening span such as 09:00-17:00 (or 22:00-06:00 past midnight)"),
            )
        };
        let (open, close) = input.trim().split_once('-').ok_or_else(bad)?;
        let open = clock(open).filter(|m| *m < DAY).ok_or_else(bad)?;
        let close = clock(close).filter(|m| *m > 0).ok_or_else(bad)?;
        if open == close {
            return Err(Invalid::new(
                "business hours",
                format!("'{input}' opens and closes at the same time; write 00:00-24:00 for a whole day"),
            ));
        }
        Ok(Self { open, close })
    }

    fn past_midnight(&self) -> bool {
        self.close <= self.open
    }

    /// Whether minute-of-day `minute` of the span's own day is inside it.
    fn holds_same_day(&self, minute: u16) -> bool {
        minute >= self.open && (self.past_midnight() || minute < self.close)
    }

    /// Whether minute-of-day `minute` of the following day is still inside it.
    fn holds_next_day(&self, minute: u16) -> bool {
        self.past_midnight() && minute < self.close
    }
}

/// `HH:MM` as minutes after midnight, `24:00` included.
fn clock(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if !(1..=2).contains(&h.len()) || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= DAY).then_some(h * 60 + m)
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (o, c) = (self.open, self.close);
        write!(f, "{:02}:{:02}-{:02}:{:02}", o / 60, o % 60, c / 60, c % 60)
    }
}

impl TryFrom<String> for Span {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Span> for String {
    fn from(value: Span) -> Self {
        value.to_string()
    }
}

/// A site's week of opening spans (Monday first) and its holidays (closed all day).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusinessHours {
    /// The spans of each weekday, Monday first; an empty day is closed.
    pub week: [Vec<Span>; 7],
    /// Local dates on which the business is closed.
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// Parses one day's spans as a person writes them: `09:00-12:00, 13:00-17:00`, or
    /// nothing (or `closed`) for a closed day.
    pub fn parse_day(input: &str) -> Result<Vec<Span>, Invalid> {
        let text = input.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("closed") {
            return Ok(Vec::new());
        }
        let spans = text.split([',', ';']).map(Span::parse).collect::<Result<Vec<_>, _>>()?;
        if spans.len() > 8 {
            return Err(Invalid::new("business hours", "at most 8 spans a day"));
        }
        Ok(spans)
    }

    /// Parses holidays as `YYYY-MM-DD` dates separated by commas, spaces or lines.
    pub fn parse_holidays(input: &str) -> Result<BTreeSet<NaiveDate>, Invalid> {
        let dates = input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| Invalid::new("holidays", format!("'{d}' is not a date such as 2026-12-25")))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        if dates.len() > 366 {
            return Err(Invalid::new("holidays", "at most 366 dates"));
        }
        Ok(dates)
    }

    /// One day's spans as [`Self::parse_day`] reads them back.
    pub fn day_text(&self, weekday: usize) -> String {
        self.week[weekday]
            .iter()
            .map(Span::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the business is open at `at`, read on the clock of `zone` (so a 09:00 opening
    /// follows the zone's daylight-saving changes). A holiday closes its own local date; a
    /// span from the day before that runs past midnight still ends as written.
    pub fn is_open(&self, zone: chrono_tz::Tz, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&zone);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let today = local.date_naive();
        let open_today =
            !self.holidays.contains(&today) && self.spans_of(today).iter().any(|span| span.holds_same_day(minute));
        let yesterday = today
            .pred_opt()
            .expect("a site's dates are far from the calendar's start");
        let open_from_yesterday = !self.holidays.contains(&yesterday)
            && self.spans_of(yesterday).iter().any(|span| span.holds_next_day(minute));
        open_today || open_from_yesterday
    }

    fn spans_of(&self, date: NaiveDate) -> &[Span] {
        &self.week[date.weekday().num_days_from_monday() as usize]
    }
}

#[cfg(test)]
#[path = "hours_tests.rs"]
mod tests;
