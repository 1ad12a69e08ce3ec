//! One local day of a site's records, rolled up into rows keyed by dimension and value.
//!
//! Visits, calls and forms count under their own visit. A lead counts once, on the day it
//! arrived, under the visit its attribution model credits: the last touch (the visit that
//! brought it) and the first touch (its earliest visit) are both kept, so a report chooses
//! the model when it is read. The lead's outcome (status, sales) counts on that same day, so a
//! sale recorded next month changes the day the lead arrived.

use super::dimension::{AD_KEY, AD_SEPARATOR, TOTAL_KEY};
use super::{Counts, Dimension, MAX_VALUE, NONE, Outcomes, Tally};
use crate::interaction::CallResult;
use crate::lead::LeadStatus;
use crate::provider::CallerPlace;
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};

/// What a visit says about where a record came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touch {
    pub source: String,
    pub medium: String,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
    pub landing_url: String,
    /// `mobile`, `tablet` or `desktop`.
    pub device: String,
    pub variables: BTreeMap<String, String>,
    /// The visitor had visited the site before this visit.
    pub returning: bool,
    /// The first call element clicked during the visit.
    pub element: Option<String>,
}

/// A visit that started on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFact {
    pub at: DateTime<Utc>,
    pub touch: Touch,
}

/// A call that started on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    pub at: DateTime<Utc>,
    /// The visit the call was matched to.
    pub touch: Option<Touch>,
    /// The offline source (or reserved code) the call came through, when it had no visit.
    pub source_label: Option<String>,
    pub result: CallResult,
    pub first_time: bool,
    /// Who answered.
    pub operator: Option<String>,
    /// The call element clicked for this call.
    pub element: Option<String>,
    pub place: CallerPlace,
    /// The country the caller's number belongs to (ISO 3166), only when `place` names no
    /// country (the fallback the rollup uses then; `None` otherwise).
    pub number_region: Option<String>,
}

/// A form submitted on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFact {
    pub at: DateTime<Utc>,
    pub touch: Option<Touch>,
}

/// A lead that arrived on the day, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFact {
    pub at: DateTime<Utc>,
    pub status: LeadStatus,
    /// The lead's earliest visit.
    pub first_touch: Option<Touch>,
    /// The visit that brought the lead: its latest visit that began before it arrived.
    pub last_touch: Option<Touch>,
    /// The lead's first call, if it called.
    pub first_call: Option<CallFact>,
    /// Its sales in the site's currency, minor units.
    pub revenue: i64,
    pub cost: i64,
    pub profit: i64,
}

/// Every record of one site and one local day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFacts {
    pub visits: Vec<VisitFact>,
    pub calls: Vec<CallFact>,
    pub forms: Vec<FormFact>,
    pub leads: Vec<LeadFact>,
}

/// One rolled-up row: a dimension's stored key, one of its values, and what they count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub key: String,
    pub value: String,
    pub tally: Tally,
}

/// Rolls a day's records up, in `tz` (hours and weekdays are the site's). Rows come sorted by
/// key and value; a `total` row (value empty) counts everything once.
pub fn rollup(facts: &DayFacts, tz: Tz) -> Vec<RollupRow> {
    let mut rows: HashMap<(String, String), Tally> = HashMap::new();
    let mut add = |subject: Subject<'_>, tally: Tally| {
        for (key, value) in subject.values(tz) {
            *rows.entry((key, value)).or_default() += tally;
        }
        *rows.entry((TOTAL_KEY.to_owned(), String::new())).or_default() += tally;
    };
    for visit in &facts.visits {
        let counts = Counts {
            visits: 1,
            ..Counts::default()
        };
        add(
            Subject::of_touch(visit.at, Some(&visit.touch)),
            Tally {
                counts,
                ..Tally::default()
            },
        );
    }
    for call in &facts.calls {
        add(
            Subject::of_call(call),
            Tally {
                counts: call_counts(call),
                ..Tally::default()
            },
        );
    }
    for form in &facts.forms {
        let counts = Counts {
            forms: 1,
            ..Counts::default()
        };
        add(
            Subject::of_touch(form.at, form.touch.as_ref()),
            Tally {
                counts,
                ..Tally::default()
            },
        );
    }
    for lead in &facts.leads {
        let outcomes = lead_outcomes(lead);
        add(
            Subject::of_lead(lead, lead.last_touch.as_ref()),
            Tally {
                last: outcomes,
                ..Tally::default()
            },
        );
        add(
            Subject::of_lead(lead, lead.first_touch.as_ref()),
            Tally {
                first: outcomes,
                ..Tally::default()
            },
        );
    }
    let mut rows: Vec<RollupRow> = rows
        .into_iter()
        .map(|((key, value), tally)| RollupRow { key, value, tally })
        .collect();
    rows.sort_by(|a, b| (&a.key, &a.value).cmp(&(&b.key, &b.value)));
    rows
}

fn call_counts(call: &CallFact) -> Counts {
    let mut counts = Counts {
        calls: 1,
        ..Counts::default()
    };
    match call.result {
        CallResult::Answered => counts.answered = 1,
        CallResult::Missed | CallResult::Voicemail => counts.missed = 1,
        CallResult::Abandoned => counts.abandoned = 1,
        CallResult::InCall => {}
    }
    counts.first_time_callers = i64::from(call.first_time);
    counts
}

fn lead_outcomes(lead: &LeadFact) -> Outcomes {
    Outcomes {
        leads: 1,
        qualified: i64::from(matches!(lead.status, LeadStatus::Qualified | LeadStatus::Converted)),
        converted: i64::from(lead.status == LeadStatus::Converted),
        revenue: lead.revenue,
        cost: lead.cost,
        profit: lead.profit,
    }
}

/// A record as the dimensions see it.
struct Subject<'a> {
    at: DateTime<Utc>,
    touch: Option<&'a Touch>,
    call: Option<&'a CallFact>,
}

impl<'a> Subject<'a> {
    fn of_touch(at: DateTime<Utc>, touch: Option<&'a Touch>) -> Self {
        Self { at, touch, call: None }
    }

    fn of_lead(lead: &'a LeadFact, touch: Option<&'a Touch>) -> Self {
        Self {
            at: lead.at,
            touch,
            call: lead.first_call.as_ref(),
        }
    }

    fn of_call(call: &'a CallFact) -> Self {
        Self {
            at: call.at,
            touch: call.touch.as_ref(),
            call: Some(call),
        }
    }

    /// The record's value under every stored key.
    fn values(&self, tz: Tz) -> Vec<(String, String)> {
        let fixed = Dimension::FIXED
            .iter()
            .filter(|d| !matches!(d, Dimension::MasterAd | Dimension::MasterPhrase))
            .map(|d| (d.stored_key(), self.value(d, tz)));
        let ad = (AD_KEY.to_owned(), self.ad());
        let variables = self
            .touch
            .into_iter()
            .flat_map(|t| t.variables.iter())
            .map(|(name, value)| (format!("var:{name}"), cut(value)));
        fixed.chain(std::iter::once(ad)).chain(variables).collect()
    }

    fn value(&self, dimension: &Dimension, tz: Tz) -> String {
        let touch = self.touch;
        let call = self.call;
        let local = self.at.with_timezone(&tz);
        let text = |v: Option<&String>| {
            v.filter(|v| !v.trim().is_empty())
                .map_or_else(|| NONE.to_owned(), |v| cut(v))
        };
        match dimension {
            Dimension::SourceMedium => match (touch, call.and_then(|c| c.source_label.as_ref())) {
                (Some(t), _) => cut(&format!("{} / {}", t.source, t.medium)),
                (None, Some(label)) => cut(&format!("{label} / offline")),
                (None, None) => "(unattributed)".to_owned(),
            },
            Dimension::Campaign => text(touch.and_then(|t| t.campaign.as_ref())),
            Dimension::Keyword => text(touch.and_then(|t| t.term.as_ref())),
            Dimension::LandingPage => touch.map_or_else(|| NONE.to_owned(), |t| cut(&page_key(&t.landing_url))),
            Dimension::Element => text(
                call.and_then(|c| c.element.as_ref())
                    .or(touch.and_then(|t| t.element.as_ref())),
            ),
            Dimension::Device => text(touch.map(|t| &t.device)),
            Dimension::Operator => text(call.and_then(|c| c.operator.as_ref())),
            Dimension::Hour => format!("{:02}:00", local.hour()),
            Dimension::Weekday => {
                let day = local.weekday();
                format!("{} {day}", day.number_from_monday())
            }
            Dimension::Returning => {
                let returning = match (touch, call) {
                    (_, Some(c)) => !c.first_time,
                    (Some(t), None) => t.returning,
                    (None, None) => return NONE.to_owned(),
                };
                if returning { "returning" } else { "first-time" }.to_owned()
            }
            Dimension::City => text(call.and_then(|c| c.place.city.as_ref())),
            Dimension::State => text(call.and_then(|c| c.place.state.as_ref())),
            Dimension::Country => text(call.and_then(|c| c.place.country.as_ref().or(c.number_region.as_ref()))),
            Dimension::Variable(_) | Dimension::MasterAd | Dimension::MasterPhrase => NONE.to_owned(),
        }
    }

    /// The ad: source, campaign and content, for grouping into master ads when read.
    fn ad(&self) -> String {
        match self.touch {
            Some(t) => cut(&[
                t.source.as_str(),
                t.campaign.as_deref().unwrap_or(""),
                t.content.as_deref().unwrap_or(""),
            ]
            .join(&AD_SEPARATOR.to_string())),
            None => NONE.to_owned(),
        }
    }
}

/// A landing page as reports group it: host and path, without scheme, `www.`, query or
/// fragment (`https://www.example.com/offer?utm_source=x` → `example.com/offer`).
pub fn page_key(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    format!("{host}/{path}")
}

fn cut(value: &str) -> String {
    value.trim().chars().take(MAX_VALUE).collect()
}

#[cfg(test)]
#[path = "rollup_tests.rs"]
mod tests;
