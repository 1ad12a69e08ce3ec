//! GA4's documented Measurement Protocol limits, checked before anything is sent: GA4 answers
//! 2xx even to data it drops, so a payload that breaks a limit is never sent and its delivery
//! is dead with every violation listed.

use super::payload::Payload;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use std::fmt;

/// Events in one request.
pub const MAX_EVENTS: usize = 25;
/// Parameters of one event.
pub const MAX_PARAMS: usize = 25;
/// Characters of an event or parameter name.
pub const MAX_NAME_CHARS: usize = 40;
/// Characters of a parameter value.
pub const MAX_VALUE_CHARS: usize = 100;
/// Items of one event.
pub const MAX_ITEMS: usize = 200;
/// Bytes of the request body ("smaller than 130 kB", taken as 130,000 to be safe).
pub const MAX_BODY_BYTES: usize = 130_000;

/// How far back `timestamp_micros` may go.
pub fn backdating_window() -> TimeDelta {
    TimeDelta::hours(72)
}

/// Name prefixes GA4 reserves.
pub const RESERVED_PREFIXES: [&str; 4] = ["_", "firebase_", "ga_", "google_"];

/// Event names GA4 reserves.
pub const RESERVED_EVENT_NAMES: [&str; 33] = [
    "ad_activeview",
    "ad_click",
    "ad_exposure",
    "ad_impression",
    "ad_query",
    "ad_reward",
    "adunit_exposure",
    "app_background",
    "app_clear_data",
    "app_exception",
    "app_remove",
    "app_store_refund",
    "app_store_subscription_cancel",
    "app_store_subscription_convert",
    "app_store_subscription_renew",
    "app_update",
    "app_upgrade",
    "dynamic_link_app_open",
    "dynamic_link_app_update",
    "dynamic_link_first_open",
    "error",
    "first_open",
    "first_visit",
    "in_app_purchase",
    "notification_dismiss",
    "notification_foreground",
    "notification_open",
    "notification_receive",
    "os_update",
    "session_start",
    "session_start_with_rollout",
    "screen_view",
    "user_engagement",
];

/// One broken limit: where (`events[0].params.outcome`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub problem: Problem,
}

/// A limit a part of the payload breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoClientId,
    /// The event happened then, before the backdating window.
    TooOld(DateTime<Utc>),
    /// The event is stamped then, more than a minute ahead.
    InTheFuture(DateTime<Utc>),
    NotATime,
    NoEvents,
    TooManyEvents(usize),
    Name(NameProblem),
    TooManyParams(usize),
    /// A text value of this many characters.
    ValueTooLong(usize),
    NotAScalar,
    /// A currency that is not three capital letters.
    NotACurrency(String),
    NoCurrency,
    ItemsNotAList,
    TooManyItems(usize),
    ItemNotAnObject,
    ItemUnnamed,
    /// A body of this many bytes.
    BodyTooLarge(usize),
    Unserialisable(String),
}

/// What is wrong with an event or parameter name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    /// A name of this many characters.
    TooLong(usize),
    ReservedPrefix(&'static str),
    NotAName,
    ReservedEvent(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoClientId => f.write_str("a client id is required"),
            Self::TooOld(at) => write!(
                f,
                "the event happened at {at}, older than GA4's 72-hour backdating window"
            ),
            Self::InTheFuture(at) => write!(f, "{at} is in the future"),
            Self::NotATime => f.write_str("not a time"),
            Self::NoEvents => f.write_str("at least one event is required"),
            Self::TooManyEvents(n) => write!(f, "{n} events; at most {MAX_EVENTS}"),
            Self::Name(problem) => problem.fmt(f),
            Self::TooManyParams(n) => write!(f, "{n} parameters; at most {MAX_PARAMS}"),
            Self::ValueTooLong(chars) => write!(f, "the value has {chars} characters; at most {MAX_VALUE_CHARS}"),
            Self::NotAScalar => f.write_str("a value is text or a number"),
            Self::NotACurrency(c) => write!(f, "'{c}' is not a three-letter ISO 4217 code"),
            Self::NoCurrency => f.write_str("a currency is required when a value is set"),
            Self::ItemsNotAList => f.write_str("items is a list"),
            Self::TooManyItems(n) => write!(f, "{n} items; at most {MAX_ITEMS}"),
            Self::ItemNotAnObject => f.write_str("an item is an object"),
            Self::ItemUnnamed => f.write_str("an item needs item_id or item_name"),
            Self::BodyTooLarge(bytes) => write!(f, "{bytes} bytes; at most {MAX_BODY_BYTES}"),
            Self::Unserialisable(e) => write!(f, "does not serialise: {e}"),
        }
    }
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::TooLong(chars) => write!(f, "the name has {chars} characters; at most {MAX_NAME_CHARS}"),
            Self::ReservedPrefix(prefix) => write!(f, "the prefix '{prefix}' is reserved"),
            Self::NotAName => f.write_str("a name is a letter, then letters, digits or '_'"),
            Self::ReservedEvent(name) => write!(f, "'{name}' is a reserved event name"),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

/// The violations, as one message for the delivery's error.
pub fn describe(violations: &[Violation]) -> String {
    let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("not sent: the payload breaks GA4's limits: {}", list.join("; "))
}

/// What is wrong with a name (of an event when `event` is set, else of a parameter).
pub fn name_problem(name: &str, event: bool) -> Option<NameProblem> {
    let chars = name.chars().count();
    if chars == 0 {
        return Some(NameProblem::Empty);
    }
    if chars > MAX_NAME_CHARS {
        return Some(NameProblem::TooLong(chars));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        return Some(NameProblem::ReservedPrefix(prefix));
    }
    let mut bytes = name.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    if !first_is_letter || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Some(NameProblem::NotAName);
    }
    if event && RESERVED_EVENT_NAMES.contains(&name) {
        return Some(NameProblem::ReservedEvent(name.to_owned()));
    }
    None
}

/// Every limit `payload` breaks as of `now`; empty when it may be sent.
pub fn validate(payload: &Payload, now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut flag = |path: String, problem: Problem| out.push(Violation { path, problem });

    if payload.client_id.trim().is_empty() {
        flag("client_id".into(), Problem::NoClientId);
    }
    if let Some(micros) = payload.timestamp_micros {
        match DateTime::<Utc>::from_timestamp_micros(micros) {
            Some(at) if now.signed_duration_since(at) > backdating_window() => {
                flag("timestamp_micros".into(), Problem::TooOld(at))
            }
            Some(at) if at.signed_duration_since(now) > TimeDelta::minutes(1) => {
                flag("timestamp_micros".into(), Problem::InTheFuture(at))
            }
            Some(_) => {}
            None => flag("timestamp_micros".into(), Problem::NotATime),
        }
    }
    match payload.events.len() {
        0 => flag("events".into(), Problem::NoEvents),
        n if n > MAX_EVENTS => flag("events".into(), Problem::TooManyEvents(n)),
        _ => {}
    }
    for (i, event) in payload.events.iter().enumerate() {
        let at = format!("events[{i}]");
        if let Some(problem) = name_problem(&event.name, true) {
            flag(format!("{at}.name"), Problem::Name(problem));
        }
        if event.params.len() > MAX_PARAMS {
            flag(format!("{at}.params"), Problem::TooManyParams(event.params.len()));
        }
        for (name, value) in &event.params {
            let path = format!("{at}.params.{name}");
            if let Some(problem) = name_problem(name, false) {
                flag(path.clone(), Problem::Name(problem));
            }
            if name == "items" {
                check_items(&path, value, &mut flag);
            } else {
                check_scalar(&path, value, &mut flag);
            }
        }
        if event.params.contains_key("value") {
            match event.params.get("currency").and_then(Value::as_str) {
                Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => {}
                Some(c) => flag(format!("{at}.params.currency"), Problem::NotACurrency(c.to_owned())),
                None => flag(format!("{at}.params.currency"), Problem::NoCurrency),
            }
        }
    }
    match serde_json::to_vec(payload) {
        Ok(body) if body.len() > MAX_BODY_BYTES => flag("body".into(), Problem::BodyTooLarge(body.len())),
        Ok(_) => {}
        Err(e) => flag("body".into(), Problem::Unserialisable(e.to_string())),
    }
    out
}

/// A parameter value: text of at most 100 characters or a number.
fn check_scalar(path: &str, value: &Value, flag: &mut impl FnMut(String, Problem)) {
    match value {
        Value::String(s) if s.chars().count() > MAX_VALUE_CHARS => {
            flag(path.into(), Problem::ValueTooLong(s.chars().count()))
        }
        Value::String(_) | Value::Number(_) => {}
        _ => flag(path.into(), Problem::NotAScalar),
    }
}

/// `items`: a list of objects with an `item_id` or `item_name`, each value a scalar.
fn check_items(path: &str, value: &Value, flag: &mut impl FnMut(String, Problem)) {
    let Some(items) = value.as_array() else {
        return flag(path.into(), Problem::ItemsNotAList);
    };
    if items.len() > MAX_ITEMS {
        flag(path.into(), Problem::TooManyItems(items.len()));
    }
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(fields) = item.as_object() else {
            flag(at, Problem::ItemNotAnObject);
            continue;
        };
        if !fields.contains_key("item_id") && !fields.contains_key("item_name") {
            flag(at.clone(), Problem::ItemUnnamed);
        }
        for (name, value) in fields {
            let path = format!("{at}.{name}");
            if let Some(problem) = name_problem(name, false) {
                flag(path.clone(), Problem::Name(problem));
            }
            check_scalar(&path, value, flag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::ga4::payload::tests::{at, event};
    use crate::outbox::ga4::payload::{Built, Ga4Event, build};
    use leadline_core::call::CallOutcome;
    use leadline_core::event::samples as data;
    use leadline_core::lead::{LeadMatch, LeadStatus};
    use serde_json::{Map, json};

    fn now() -> DateTime<Utc> {
        at("2026-03-02T11:00:00Z")
    }

    fn one(name: &str, params: Value) -> Payload {
        Payload {
            client_id: "1.2".into(),
            timestamp_micros: Some(now().timestamp_micros()),
            events: vec![Ga4Event {
                name: name.into(),
                params: params.as_object().cloned().unwrap_or_default(),
            }],
        }
    }

    fn problems(payload: &Payload) -> Vec<String> {
        validate(payload, now()).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_event_the_builder_makes_is_valid() {
        let mut long_source = event(data::form(LeadMatch::New));
        if let Some(lead) = long_source.lead.as_mut() {
            lead.source = Some("x".repeat(500));
        }
        let cases = [
            event(data::initiated()),
            event(data::dialed()),
            event(data::connected()),
            event(data::completed(5, true, Some(CallOutcome::Answered))),
            long_source,
            event(data::status(LeadStatus::New, LeadStatus::Converted)),
            event(data::sale("EUR", 999, 1, None)),
        ];
        for event in cases {
            let kind = event.kind();
            let Built::Send(payload) = build(&event, "ev_x.1", "G-ABC123", now()) else {
                panic!("{kind:?} sends");
            };
            assert_eq!(problems(&payload), Vec::<String>::new(), "{kind:?}");
        }
    }

    #[test]
    fn events_are_1_to_25() {
        let mut p = one("call_completed", json!({}));
        p.events = vec![p.events[0].clone(); 26];
        assert_eq!(problems(&p), ["events: 26 events; at most 25"]);
        p.events.truncate(25);
        assert!(problems(&p).is_empty());
        p.events.clear();
        assert_eq!(problems(&p), ["events: at least one event is required"]);
    }

    #[test]
    fn an_event_has_at_most_25_params() {
        let params: Map<String, Value> = (0..26).map(|i| (format!("p{i}"), json!(i))).collect();
        let mut p = one("call_completed", Value::Object(params));
        assert_eq!(problems(&p), ["events[0].params: 26 parameters; at most 25"]);
        p.events[0].params.remove("p0");
        assert!(problems(&p).is_empty());
    }

    #[test]
    fn names_are_short_letter_first_and_not_reserved() {
        let forty = format!("a{}", "b".repeat(39));
        assert_eq!(name_problem(&forty, true), None);
        assert_eq!(name_problem(&format!("{forty}c"), true), Some(NameProblem::TooLong(41)));
        assert_eq!(
            NameProblem::TooLong(41).to_string(),
            "the name has 41 characters; at most 40"
        );
        assert_eq!(name_problem("1call", true), Some(NameProblem::NotAName));
        assert_eq!(name_problem("call-completed", true), Some(NameProblem::NotAName));
        assert_eq!(name_problem("call completed", false), Some(NameProblem::NotAName));
        assert_eq!(name_problem("", false), Some(NameProblem::Empty));
        for (reserved, prefix) in [
            ("_x", "_"),
            ("firebase_x", "firebase_"),
            ("ga_x", "ga_"),
            ("google_x", "google_"),
        ] {
            assert_eq!(
                name_problem(reserved, false),
                Some(NameProblem::ReservedPrefix(prefix)),
                "{reserved}"
            );
        }
        for reserved in [
            "session_start",
            "first_visit",
            "user_engagement",
            "screen_view",
            "error",
        ] {
            assert_eq!(
                name_problem(reserved, true),
                Some(NameProblem::ReservedEvent(reserved.into()))
            );
            assert_eq!(name_problem(reserved, false), None, "only event names are reserved");
        }
        let p = one("session_start", json!({"ga_thing": 1}));
        assert_eq!(
            problems(&p),
            [
                "events[0].name: 'session_start' is a reserved event name",
                "events[0].params.ga_thing: the prefix 'ga_' is reserved",
            ]
        );
    }

    #[test]
    fn values_are_at_most_100_characters_of_text_or_numbers() {
        assert!(problems(&one("e", json!({"note": "é".repeat(100)}))).is_empty());
        assert_eq!(
            problems(&one("e", json!({"note": "é".repeat(101)}))),
            ["events[0].params.note: the value has 101 characters; at most 100"]
        );
        assert_eq!(
            problems(&one("e", json!({"flag": true, "nested": {"a": 1}}))),
            [
                "events[0].params.flag: a value is text or a number",
                "events[0].params.nested: a value is text or a number",
            ]
        );
    }

    #[test]
    fn a_value_needs_a_currency() {
        assert_eq!(
            problems(&one("purchase", json!({"value": 1.5}))),
            ["events[0].params.currency: a currency is required when a value is set"]
        );
        assert_eq!(
            problems(&one("purchase", json!({"value": 1.5, "currency": "usd"}))),
            ["events[0].params.currency: 'usd' is not a three-letter ISO 4217 code"]
        );
        assert!(problems(&one("purchase", json!({"value": 1.5, "currency": "USD"}))).is_empty());
    }

    #[test]
    fn items_are_checked_like_params() {
        let p = one(
            "purchase",
            json!({"value": 1, "currency": "USD",
                   "items": [{"price": 1}, {"item_id": "x".repeat(101)}, "bare"]}),
        );
        assert_eq!(
            problems(&p),
            [
                "events[0].params.items[0]: an item needs item_id or item_name",
                "events[0].params.items[1].item_id: the value has 101 characters; at most 100",
                "events[0].params.items[2]: an item is an object",
            ]
        );
    }

    #[test]
    fn the_body_is_at_most_130_kb() {
        let events: Vec<Ga4Event> = (0..25)
            .map(|i| Ga4Event {
                name: format!("e{i}"),
                params: (0..25).map(|j| (format!("p{j}"), json!("x".repeat(100)))).collect(),
            })
            .collect();
        let mut p = one("e", json!({}));
        p.events = events;
        assert!(problems(&p).is_empty(), "25 × 25 × 100 characters fit");
        let mut big = p.clone();
        big.client_id = "1".repeat(MAX_BODY_BYTES);
        assert_eq!(problems(&big).len(), 1);
        assert!(problems(&big)[0].starts_with("body: "));
    }

    #[test]
    fn an_event_more_than_72_hours_old_cannot_be_backdated() {
        let mut p = one("call_completed", json!({}));
        p.timestamp_micros = Some((now() - TimeDelta::hours(72)).timestamp_micros());
        assert!(problems(&p).is_empty());
        p.timestamp_micros = Some((now() - TimeDelta::hours(72) - TimeDelta::seconds(1)).timestamp_micros());
        let problems = problems(&p);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("older than GA4's 72-hour backdating window"),
            "{problems:?}"
        );
        p.timestamp_micros = Some((now() + TimeDelta::hours(1)).timestamp_micros());
        assert!(matches!(validate(&p, now())[0].problem, Problem::InTheFuture(_)));
    }

    #[test]
    fn the_message_lists_every_violation() {
        let p = one("_bad", json!({"value": 1}));
        let message = describe(&validate(&p, now()));
        assert!(message.starts_with("not sent: the payload breaks GA4's limits: "));
        assert!(message.contains("events[0].name: the prefix '_' is reserved"));
        assert!(message.contains("; events[0].params.currency"));
    }
}
