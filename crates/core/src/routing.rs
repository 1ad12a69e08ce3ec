//! Per-site routing rules: which operators a call rings, chosen by where the caller came from
//! (channel, campaign, keyword), what the page set (a custom variable such as language), the
//! business extension keyed, and the site's business hours. The first rule that matches wins;
//! with none, every destination rings at once.

use crate::channel::Attribution;
use crate::{E164, Invalid};
use chrono::{NaiveTime, Weekday};
use std::collections::BTreeMap;

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The visit's source, e.g. `google` (case-insensitive).
    Source(String),
    /// The visit's medium, e.g. `cpc`.
    Medium(String),
    /// The visit's campaign.
    Campaign(String),
    /// The visit's keyword (term) contains this text.
    Keyword(String),
    /// A custom variable has this value, e.g. `language` = `es`.
    Var { name: String, value: String },
    /// The business extension keyed after `*`.
    Extension(String),
    /// The call comes in during these hours, in the site's time zone.
    Hours(Hours),
}

/// Days of the week and a time span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hours {
    /// Monday first.
    pub days: [bool; 7],
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Hours {
    /// Parses `mon-fri 09:00-17:00` (days: `mon`…`sun`, a range or a comma list).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("hours", format!("'{input}' is not like mon-fri 09:00-17:00"));
        let (days_text, span) = input.trim().split_once(' ').ok_or_else(invalid)?;
        let (from, to) = span.trim().split_once('-').ok_or_else(invalid)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| invalid());
        let mut days = [false; 7];
        for part in days_text.split(',') {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            let (first, last) = (day(first).ok_or_else(invalid)?, day(last).ok_or_else(invalid)?);
            if first > last {
                return Err(invalid());
            }
            days[first..=last].iter_mut().for_each(|d| *d = true);
        }
        let hours = Self {
            days,
            from: time(from)?,
            to: time(to)?,
        };
        if hours.from >= hours.to {
            return Err(invalid());
        }
        Ok(hours)
    }

    fn contains(&self, weekday: Weekday, time: NaiveTime) -> bool {
        self.days[weekday.num_days_from_monday() as usize] && self.from <= time && time < self.to
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day(text: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == text.trim().to_ascii_lowercase())
}

/// As [`Hours::parse`] reads it: runs of days as ranges, joined by commas
/// (`mon,wed-fri 08:30-12:00`).
impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut runs = Vec::new();
        let mut first = 0;
        while first < DAYS.len() {
            if !self.days[first] {
                first += 1;
                continue;
            }
            let last = (first..DAYS.len())
                .take_while(|&d| self.days[d])
                .last()
                .unwrap_or(first);
            runs.push(if first == last {
                DAYS[first].to_owned()
            } else {
                format!("{}-{}", DAYS[first], DAYS[last])
            });
            first = last + 1;
        }
        write!(
            f,
            "{} {}-{}",
            runs.join(","),
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}

/// A routing rule: when every condition holds, ring `destinations`, at once or in turn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub conditions: Vec<Condition>,
    pub destinations: Vec<E164>,
    /// Ring one after the other instead of all at once.
    pub in_turn: bool,
}

impl Rule {
    /// "when source=google and hours mon-fri 09:00-17:00, ring +1… then +1…".
    pub fn describe(&self) -> String {
        let conditions: Vec<String> = self
            .conditions
            .iter()
            .map(|c| match c {
                Condition::Source(v) => format!("source={v}"),
                Condition::Medium(v) => format!("medium={v}"),
                Condition::Campaign(v) => format!("campaign={v}"),
                Condition::Keyword(v) => format!("keyword~{v}"),
                Condition::Var { name, value } => format!("{name}={value}"),
                Condition::Extension(v) => format!("extension={v}"),
                Condition::Hours(h) => format!("hours {h}"),
            })
            .collect();
        let when = if conditions.is_empty() {
            "always".to_owned()
        } else {
            format!("when {}", conditions.join(" and "))
        };
        let numbers: Vec<String> = self.destinations.iter().map(ToString::to_string).collect();
        let joiner = if self.in_turn { " then " } else { " and " };
        format!("{when}, ring {}", numbers.join(joiner))
    }

    /// Checks that the rule rings someone (at most ten at once).
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.destinations.is_empty() || self.destinations.len() > 10 {
            return Err(Invalid::new("routing rule", "it must ring 1 to 10 destinations"));
        }
        Ok(())
    }
}

/// A rule as stored, with the id that names it within its business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    pub id: i64,
    /// The site whose calls it routes.
    pub site_id: crate::SiteId,
    pub rule: Rule,
}

/// Which way a rule moves in its site's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Tried one place sooner.
    Earlier,
    /// Tried one place later.
    Later,
}

/// What is known about a call when it is routed.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub attribution: Option<&'a Attribution>,
    pub custom: &'a BTreeMap<String, String>,
    pub extension: Option<&'a str>,
    pub weekday: Weekday,
    pub local_time: NaiveTime,
}

impl Condition {
    fn holds(&self, facts: &Facts<'_>) -> bool {
        let field = |f: fn(&Attribution) -> Option<&str>| facts.attribution.and_then(f).map(str::to_lowercase);
        match self {
            Self::Source(s) => field(|a| Some(&a.source)) == Some(s.to_lowercase()),
            Self::Medium(m) => field(|a| Some(&a.medium)) == Some(m.to_lowercase()),
            Self::Campaign(c) => field(|a| a.campaign.as_deref()) == Some(c.to_lowercase()),
            Self::Keyword(k) => field(|a| a.term.as_deref()).is_some_and(|term| term.contains(&k.to_lowercase())),
            Self::Var { name, value } => facts.custom.get(name).is_some_and(|v| v.eq_ignore_ascii_case(value)),
            Self::Extension(e) => facts.extension == Some(e.as_str()),
            Self::Hours(hours) => hours.contains(facts.weekday, facts.local_time),
        }
    }
}

/// The numbers a call may ring, in the business's order: its destinations that are not
/// disabled (a departed employee's phone stays quiet). Rules that name a destination left
/// out here skip it.
pub fn ringable(destinations: &[crate::tenant::Destination]) -> Vec<String> {
    destinations
        .iter()
        .filter(|d| !d.disabled)
        .map(|d| d.number.to_string())
        .collect()
}

/// The first rule whose conditions all hold.
pub fn choose<'r>(rules: &'r [Rule], facts: &Facts<'_>) -> Option<&'r Rule> {
    rules.iter().find(|rule| rule.conditions.iter().all(|c| c.holds(facts)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(day: Weekday, time: &str) -> (Weekday, NaiveTime) {
        (day, NaiveTime::parse_from_str(time, "%H:%M").unwrap())
    }

    fn rule(conditions: Vec<Condition>, number: &str) -> Rule {
        Rule {
            conditions,
            destinations: vec![E164::parse(number).unwrap()],
            in_turn: false,
        }
    }

    #[test]
    fn a_disabled_destination_is_never_rung() {
        let destination = |number: &str, disabled: bool| crate::tenant::Destination {
            id: crate::DestinationId(1),
            business_id: crate::BusinessId(1),
            name: crate::names::Name::parse_as("name", "Desk").unwrap(),
            number: E164::parse(number).unwrap(),
            department: None,
            user_id: None,
            disabled,
            created_at: chrono::Utc::now(),
        };
        let all = [
            destination("+12025550111", false),
            destination("+12025550112", true),
            destination("+12025550113", false),
        ];
        assert_eq!(ringable(&all), vec!["+12025550111", "+12025550113"]);
        assert!(ringable(&all[1..2]).is_empty());
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let google = Attribution {
            source: "Google".into(),
            medium: "cpc".into(),
            campaign: None,
            term: Some("sofa upholstery".into()),
            content: None,
        };
        let custom = BTreeMap::from([("language".to_owned(), "ES".to_owned())]);
        let (weekday, local_time) = at(Weekday::Tue, "10:30");
        let facts = Facts {
            attribution: Some(&google),
            custom: &custom,
            extension: None,
            weekday,
            local_time,
        };
        let rules = vec![
            rule(
                vec![Condition::Var {
                    name: "language".into(),
                    value: "es".into(),
                }],
                "+12025550111",
            ),
            rule(vec![Condition::Source("google".into())], "+12025550112"),
        ];
        assert_eq!(choose(&rules, &facts).unwrap().destinations[0].as_str(), "+12025550111");
        let english = BTreeMap::new();
        let facts = Facts {
            custom: &english,
            ..facts
        };
        assert_eq!(choose(&rules, &facts).unwrap().destinations[0].as_str(), "+12025550112");
        let keyword = vec![rule(
            vec![Condition::Keyword("Upholstery".into()), Condition::Medium("CPC".into())],
            "+12025550113",
        )];
        assert!(choose(&keyword, &facts).is_some());
        let none = Facts {
            attribution: None,
            ..facts
        };
        assert!(
            choose(&keyword, &none).is_none(),
            "an unattributed call matches no channel rule"
        );
    }

    #[test]
    fn business_hours_are_read_and_applied() {
        let hours = Hours::parse("mon-fri 09:00-17:00").unwrap();
        let open = |d, t| {
            let (weekday, time) = at(d, t);
            hours.contains(weekday, time)
        };
        assert!(open(Weekday::Mon, "09:00"));
        assert!(!open(Weekday::Fri, "17:00"));
        assert!(!open(Weekday::Sat, "12:00"));
        assert!(Hours::parse("sat,sun 10:00-14:00").unwrap().days[5]);
        for bad in ["weekdays 9-5", "mon-fri", "fri-mon 09:00-17:00", "mon 17:00-09:00"] {
            assert!(Hours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hours_are_written_as_they_are_read() {
        for text in [
            "mon-sat 07:00-19:00",
            "sat-sun 10:00-14:00",
            "mon,wed-fri 08:30-12:00",
            "sun 00:00-23:59",
        ] {
            assert_eq!(Hours::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Hours::parse("sat,sun 10:00-14:00").unwrap().to_string(),
            "sat-sun 10:00-14:00"
        );
    }

    proptest! {
        #[test]
        fn written_hours_read_back_the_same(
            days in proptest::array::uniform7(any::<bool>()).prop_filter("at least one day", |d| d.contains(&true)),
            from in 0u32..1439,
            length in 1u32..1440,
        ) {
            let minute = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap();
            let hours = Hours { days, from: minute(from), to: minute((from + length).min(1439)) };
            prop_assume!(hours.from < hours.to);
            prop_assert_eq!(Hours::parse(&hours.to_string()).unwrap(), hours);
        }
    }

    #[test]
    fn a_rule_rings_one_to_ten_numbers() {
        assert!(
            Rule {
                conditions: vec![],
                destinations: vec![],
                in_turn: true
            }
            .validate()
            .is_err()
        );
        assert!(rule(vec![], "+12025550111").validate().is_ok());
    }
}
