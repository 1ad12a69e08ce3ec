//! The summary e-mail to owners: each owner chooses none, daily or weekly; once a period has
//! ended on their clock, it is summed from the reports and sent once. A period missed while the
//! server or the relay was down is sent when they are back (a few periods back at most).

use crate::report::DayRange;
use crate::site::Timezone;
use crate::{BusinessId, Invalid, UserId};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// How many past periods a late server still sends: a week of daily summaries, four weekly.
const CATCH_UP_DAILY: i64 = 7;
const CATCH_UP_WEEKLY: i64 = 4;

/// How often an owner gets the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SummaryFrequency {
    /// Each day, for the day before.
    Daily,
    /// Each Monday, for the week (Monday to Sunday) before.
    Weekly,
}

impl SummaryFrequency {
    /// Both.
    pub const ALL: [SummaryFrequency; 2] = [Self::Daily, Self::Weekly];

    /// The stored and form name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    /// Parses a stored or form name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == input)
            .ok_or_else(|| Invalid::new("summary", format!("'{input}' is not one of none, daily, weekly")))
    }

    fn days(&self) -> i64 {
        match self {
            Self::Daily => 1,
            Self::Weekly => 7,
        }
    }
}

/// The first day of the period of `frequency` that holds `day`.
fn period_start(frequency: SummaryFrequency, day: NaiveDate) -> NaiveDate {
    match frequency {
        SummaryFrequency::Daily => day,
        SummaryFrequency::Weekly => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
    }
}

/// The periods of `frequency` that have ended by `now` on the clock of `zone` and ended after
/// `since` (when the owner chose it), oldest first, the latest few only.
pub fn due_periods(
    frequency: SummaryFrequency,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Vec<DayRange> {
    let today = now.with_timezone(&zone).date_naive();
    let chosen_on = since.with_timezone(&zone).date_naive();
    let current = period_start(frequency, today);
    let back = match frequency {
        SummaryFrequency::Daily => CATCH_UP_DAILY,
        SummaryFrequency::Weekly => CATCH_UP_WEEKLY,
    };
    let length = frequency.days();
    (1..=back)
        .rev()
        .filter_map(|n| {
            let from = current - Duration::days(n * length);
            let to = from + Duration::days(length - 1);
            // A period that ended before the owner chose it is not theirs to get.
            (to >= chosen_on).then(|| DayRange::new(from, to).ok()).flatten()
        })
        .collect()
}

/// An owner who chose a summary e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRecipient {
    pub business_id: BusinessId,
    pub user_id: UserId,
    /// Their login address.
    pub email: String,
    pub frequency: SummaryFrequency,
    /// Their clock, on which periods end.
    pub zone: Timezone,
    /// When they chose this frequency: periods that ended before are not sent.
    pub since: DateTime<Utc>,
}

/// What a summary counts over its period: the reports' totals and top sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryFigures {
    pub calls: i64,
    pub forms: i64,
    pub leads: i64,
    /// Revenue by currency, as decimal text with its code (`1200.50 EUR`).
    pub revenue: Vec<String>,
    /// The sources with the most leads, most first: (`source / medium`, leads).
    pub top_sources: Vec<(String, i64)>,
}

/// The summary's subject and body; `settings_url` is where the owner changes it.
pub fn summary_message(
    business: &str,
    period: DayRange,
    figures: &SummaryFigures,
    settings_url: &str,
) -> (String, String) {
    let when = if period.from() == period.to() {
        period.from().to_string()
    } else {
        format!("{} to {}", period.from(), period.to())
    };
    let subject = format!("{business}: your Leadline summary for {when}");
    let revenue = if figures.revenue.is_empty() {
        "0".to_owned()
    } else {
        figures.revenue.join(", ")
    };
    let sources = if figures.top_sources.is_empty() {
        "none".to_owned()
    } else {
        figures
            .top_sources
            .iter()
            .map(|(source, leads)| format!("{source} ({leads} leads)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = format!(
        "{business}, {when}:\nCalls: {}\nForms: {}\nLeads: {}\nRevenue: {revenue}\nTop sources: {sources}\n\
         Change your summary: {settings_url}",
        figures.calls, figures.forms, figures.leads
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_daily_summary_is_for_yesterday_on_the_owners_clock() {
        let berlin = chrono_tz::Europe::Berlin;
        // 23:30 UTC on the 9th is already the 10th in Berlin.
        let due = due_periods(
            SummaryFrequency::Daily,
            berlin,
            at("2026-06-09T23:30:00Z"),
            at("2026-06-09T08:00:00Z"),
        );
        assert_eq!(due, vec![DayRange::new(day("2026-06-09"), day("2026-06-09")).unwrap()]);
        let due = due_periods(
            SummaryFrequency::Daily,
            berlin,
            at("2026-06-09T20:00:00Z"),
            at("2026-06-09T08:00:00Z"),
        );
        assert!(due.is_empty(), "the day of choosing has not ended");
    }

    #[test]
    fn a_weekly_summary_is_for_the_last_whole_monday_to_sunday() {
        // Wednesday 2026-06-10; the last whole week is 1 to 7 June.
        let due = due_periods(
            SummaryFrequency::Weekly,
            chrono_tz::UTC,
            at("2026-06-10T12:00:00Z"),
            at("2026-06-01T00:00:00Z"),
        );
        assert_eq!(due, vec![DayRange::new(day("2026-06-01"), day("2026-06-07")).unwrap()]);
    }

    #[test]
    fn periods_missed_while_down_are_still_due_a_few_back() {
        let due = due_periods(
            SummaryFrequency::Daily,
            chrono_tz::UTC,
            at("2026-06-10T12:00:00Z"),
            at("2026-01-01T00:00:00Z"),
        );
        assert_eq!(due.len(), 7);
        assert_eq!(due[0].from(), day("2026-06-03"));
        assert_eq!(due[6].to(), day("2026-06-09"));
    }

    #[test]
    fn the_message_counts_and_says_where_to_change_it() {
        let figures = SummaryFigures {
            calls: 3,
            forms: 2,
            leads: 4,
            revenue: vec!["10.00 EUR".into()],
            top_sources: vec![("google / cpc".into(), 3)],
        };
        let range = DayRange::new(day("2026-06-09"), day("2026-06-09")).unwrap();
        let (subject, body) = summary_message("Acme", range, &figures, "S");
        assert_eq!(subject, "Acme: your Leadline summary for 2026-06-09");
        assert_eq!(
            body,
            "Acme, 2026-06-09:\nCalls: 3\nForms: 2\nLeads: 4\nRevenue: 10.00 EUR\nTop sources: google / cpc (3 leads)\n\
             Change your summary: S"
        );
        for f in SummaryFrequency::ALL {
            assert_eq!(SummaryFrequency::parse(f.as_str()).unwrap(), f);
        }
        assert!(SummaryFrequency::parse("hourly").is_err());
    }

    fn zones() -> impl Strategy<Value = chrono_tz::Tz> {
        prop::sample::select(vec![
            chrono_tz::UTC,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Pacific::Kiritimati,
        ])
    }

    fn frequencies() -> impl Strategy<Value = SummaryFrequency> {
        prop::sample::select(SummaryFrequency::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn every_due_period_has_ended_is_whole_and_follows_the_last(
            f in frequencies(), zone in zones(), now in 1_704_067_200i64..1_893_456_000, back in 0i64..60_000_000,
        ) {
            let now = DateTime::from_timestamp(now, 0).unwrap();
            let since = now - Duration::seconds(back);
            let due = due_periods(f, zone, now, since);
            let today = now.with_timezone(&zone).date_naive();
            for (i, p) in due.iter().enumerate() {
                prop_assert!(p.to() < today, "ended");
                prop_assert_eq!(p.len() as i64, f.days());
                prop_assert_eq!(period_start(f, p.from()), p.from(), "whole");
                if i > 0 {
                    prop_assert_eq!(due[i - 1].to() + Duration::days(1), p.from(), "one after the other");
                }
            }
            if let Some(last) = due.last() {
                prop_assert_eq!(last.to() + Duration::days(1), period_start(f, today), "the latest is the one just ended");
            }
        }

        #[test]
        fn the_periods_due_are_the_same_all_through_a_day(
            f in frequencies(), zone in zones(), now in 1_704_067_200i64..1_893_456_000, later in 0i64..3_600,
        ) {
            let now = DateTime::from_timestamp(now, 0).unwrap();
            let since = now - Duration::days(400);
            let after = now + Duration::seconds(later);
            if after.with_timezone(&zone).date_naive() == now.with_timezone(&zone).date_naive() {
                prop_assert_eq!(due_periods(f, zone, now, since), due_periods(f, zone, after, since));
            }
        }
    }
}
