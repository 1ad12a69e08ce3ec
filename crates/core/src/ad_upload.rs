//! Conversions sent to ad platforms by API (Google Ads, Microsoft Advertising, Meta): which
//! records an integration sends ([`SendRule`]), what it does about a record given what it
//! sent before ([`decide`]), the checks that make a platform refuse an upload for good
//! ([`too_old`]), and the normalised, hashed contact details each platform matches people by.
//!
//! An ad integration hears of every change that can alter a record's conversion (a mark, an
//! unmark, a call ending, a form, a status, a sale) and reconciles: it compares the record as
//! it is now with what it last sent, and uploads, restates, retracts or does nothing. The
//! outcome does not depend on the order in which the changes are delivered.

pub use crate::ad_consent::{AdConsent, AdsPolicy, AdsRefused, ads_allowed, ads_decision};
use crate::conversion::{ConversionRecord, ConversionRow, ConversionValue};
use crate::event::{Event, EventData, EventKind};
use crate::form::MessageId;
use crate::lead::LeadStatus;
use crate::{Invalid, LeadId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which records an ad integration sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SendRule {
    /// Calls and forms an operator marked as conversions (the default); unmarking retracts.
    #[default]
    Marked,
    /// The first call or form of a lead once it reaches `status` (or a later one; `lost`
    /// never counts as reaching anything but `lost`).
    Status { status: LeadStatus },
    /// Calls that lasted at least `seconds`.
    CallLongerThan { seconds: u32 },
    /// Calls from a number that had never called the business before.
    FirstTimeCaller,
}

impl SendRule {
    /// The rule as the settings form and the command line write it: `marked`,
    /// `status:qualified`, `call-longer-than:60`, `first-time-caller`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let input = input.trim();
        let invalid = |why: String| Invalid::new("send rule", why);
        match input.split_once(':') {
            None if input == "marked" => Ok(Self::Marked),
            None if input == "first-time-caller" => Ok(Self::FirstTimeCaller),
            Some(("status", status)) => Ok(Self::Status {
                status: LeadStatus::parse(status)?,
            }),
            Some(("call-longer-than", seconds)) => {
                let seconds: u32 = seconds
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("'{seconds}' is not a number of seconds")))?;
                if seconds == 0 || seconds > 86_400 {
                    return Err(invalid("a call length is 1 to 86400 seconds".into()));
                }
                Ok(Self::CallLongerThan { seconds })
            }
            _ => Err(invalid(format!(
                "'{input}' is not one of marked, status:<status>, call-longer-than:<seconds>, first-time-caller"
            ))),
        }
    }

    /// The rule as [`SendRule::parse`] reads it.
    pub fn to_text(&self) -> String {
        match self {
            Self::Marked => "marked".into(),
            Self::Status { status } => format!("status:{}", status.as_str()),
            Self::CallLongerThan { seconds } => format!("call-longer-than:{seconds}"),
            Self::FirstTimeCaller => "first-time-caller".into(),
        }
    }

    /// The events that can change what the rule sends, which the integration hears of: the
    /// marks for `marked`, the status changes for a status rule, the calls' ends for the call
    /// rules; sales, which restate the value of what was sent; and a call's spam flag, which
    /// retracts it (or, cleared, lets it go again).
    pub fn events(&self) -> &'static [EventKind] {
        match self {
            Self::Marked => &[
                EventKind::ConversionMarked,
                EventKind::ConversionUnmarked,
                EventKind::SaleRecorded,
                EventKind::CallSpamChanged,
            ],
            Self::Status { .. } => &[
                EventKind::LeadStatusChanged,
                EventKind::SaleRecorded,
                EventKind::CallSpamChanged,
            ],
            Self::CallLongerThan { .. } | Self::FirstTimeCaller => &[
                EventKind::CallCompleted,
                EventKind::SaleRecorded,
                EventKind::CallSpamChanged,
            ],
        }
    }

    /// Whether the rule is about a lead's status, so a status change concerns the lead's
    /// first record rather than a record of its own.
    pub fn follows_status(&self) -> bool {
        matches!(self, Self::Status { .. })
    }
}

/// The record an ad integration looks at for a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdTarget {
    /// A call or a form of its own.
    Record(ConversionRecord),
    /// A lead's first call or form (a status change is about the lead).
    FirstOf(LeadId),
}

/// The record `event` concerns for an integration sending under `rule`: the call or form it
/// names, or for a status rule (and a sale tied to no record) the lead's first one. `None`
/// when it names neither.
pub fn target_of(event: &Event, rule: &SendRule) -> Option<AdTarget> {
    let lead = event.lead.as_ref().map(|l| AdTarget::FirstOf(l.id));
    if rule.follows_status() {
        return lead;
    }
    let call = |record_ref: u64| Some(AdTarget::Record(ConversionRecord::Call { record_ref }));
    let form = |message_id: &MessageId| {
        Some(AdTarget::Record(ConversionRecord::Submission {
            message_id: message_id.clone(),
        }))
    };
    let named = |call_ref: Option<u64>, message_id: Option<&MessageId>| match (call_ref, message_id) {
        (Some(record_ref), _) => call(record_ref),
        (None, Some(message_id)) => form(message_id),
        (None, None) => None,
    };
    match &event.data {
        EventData::ConversionMarked(m) => named(m.change.call_ref, m.change.message_id.as_ref()),
        EventData::ConversionUnmarked(u) => named(u.change.call_ref, u.change.message_id.as_ref()),
        EventData::CallCompleted(_) | EventData::CallSpamChanged(_) => event.record_ref.and_then(call),
        EventData::FormCompleted(f) => form(&f.message_id),
        EventData::SaleRecorded(sale) => named(sale.change.call_ref, sale.change.form.as_ref()).or(lead),
        EventData::LeadStatusChanged(_) => lead,
        _ => None,
    }
}

/// What a record is when an ad integration looks at it: the export's row, and what the rules
/// read besides.
#[derive(Debug, Clone, PartialEq)]
pub struct AdFacts {
    pub row: ConversionRow,
    pub lead_id: LeadId,
    pub lead_status: LeadStatus,
    /// How long the call lasted (calls that ended only).
    pub call_seconds: Option<u32>,
    /// Whether the call was the first from its number to the business.
    pub first_time_caller: bool,
    /// Whether the call is flagged spam (`crate::spam`): never on a platform.
    pub spam: bool,
    /// When the visitor clicked the ad: the visit's start.
    pub clicked_at: Option<DateTime<Utc>>,
    /// The advertising consent signal of the record's visit (unknown without a visit).
    pub ads_consent: AdConsent,
    /// The site's *Ad platforms* setting.
    pub ads_policy: AdsPolicy,
}

/// A conversion to have on the platform: its record, time and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub record: ConversionRecord,
    pub order_id: String,
    pub conversion_time: DateTime<Utc>,
    pub value: Option<ConversionValue>,
}

/// Why a record is not to be on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWanted {
    /// It was, and no longer is (the operator unmarked it): retract what was sent.
    Withdrawn(String),
    /// It does not meet the rule (yet): nothing to do.
    NotYet(String),
}

/// Whether `facts`' record is to be on the platform under `rule`.
pub fn wanted(rule: &SendRule, facts: &AdFacts) -> Result<Wanted, NotWanted> {
    let is_call = matches!(facts.row.record, ConversionRecord::Call { .. });
    if facts.spam {
        return Err(NotWanted::Withdrawn("the call is flagged spam".into()));
    }
    match rule {
        SendRule::Marked if !facts.row.marked => {
            return Err(NotWanted::Withdrawn("not marked as a conversion".into()));
        }
        SendRule::Marked => {}
        SendRule::Status { status } if !reached(facts.lead_status, *status) => {
            return Err(NotWanted::NotYet(format!(
                "the lead is {}, not yet {}",
                facts.lead_status.as_str(),
                status.as_str()
            )));
        }
        SendRule::Status { .. } => {}
        SendRule::CallLongerThan { seconds } => match facts.call_seconds {
            Some(lasted) if is_call && lasted >= *seconds => {}
            Some(lasted) if is_call => {
                return Err(NotWanted::NotYet(format!(
                    "the call lasted {lasted} s, less than {seconds} s"
                )));
            }
            _ if is_call => return Err(NotWanted::NotYet("the call has not ended".into())),
            _ => return Err(NotWanted::NotYet("only calls count under this rule".into())),
        },
        SendRule::FirstTimeCaller if !(is_call && facts.first_time_caller) => {
            return Err(NotWanted::NotYet("not a first-time caller's call".into()));
        }
        SendRule::FirstTimeCaller => {}
    }
    Ok(Wanted {
        order_id: order_id(&facts.row.record),
        record: facts.row.record.clone(),
        conversion_time: facts.row.conversion_time,
        value: facts.row.value,
    })
}

/// Whether a lead at `now` has reached `target` in the usual order of statuses; `lost` is
/// reached only by being lost.
fn reached(now: LeadStatus, target: LeadStatus) -> bool {
    if now == LeadStatus::Lost || target == LeadStatus::Lost {
        return now == target;
    }
    let rank = |s: LeadStatus| LeadStatus::ALL.iter().position(|x| *x == s).unwrap_or(0);
    rank(now) >= rank(target)
}

/// The id a record's conversion has on every platform, so a second upload of it is an
/// adjustment or a duplicate, never a second conversion: `call-1042`, `form-<message id>`.
pub fn order_id(record: &ConversionRecord) -> String {
    match record {
        ConversionRecord::Call { record_ref } => format!("call-{record_ref}"),
        ConversionRecord::Submission { message_id } => format!("form-{}", message_id.as_str()),
    }
}

/// What an integration last did about a record on its platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub order_id: String,
    /// The conversion time it was sent with (adjustments name the conversion by it).
    pub conversion_time: DateTime<Utc>,
    pub value: Option<ConversionValue>,
    /// It was retracted afterwards.
    pub retracted: bool,
    /// When it was last sent, restated or retracted (a later adjustment must be later still).
    pub updated_at: DateTime<Utc>,
}

/// What to do about a record on the platform.
#[derive(Debug, Clone, PartialEq)]
pub enum AdAction {
    /// Send the conversion.
    Upload(Wanted),
    /// Change the value of the conversion sent before.
    Restate { wanted: Wanted, before: Uploaded },
    /// Take back the conversion sent before.
    Retract(Uploaded),
    /// Nothing to send, and why.
    Nothing(String),
}

/// What to do, given what is wanted now and what was sent before: the reconciliation that
/// makes the outcome independent of the order changes are delivered in.
pub fn decide(wanted: Result<Wanted, NotWanted>, before: Option<Uploaded>) -> AdAction {
    match (wanted, before) {
        (Ok(wanted), None) => AdAction::Upload(wanted),
        (Ok(_), Some(before)) if before.retracted => AdAction::Nothing(format!(
            "{} was retracted; a retracted conversion is not sent again",
            before.order_id
        )),
        (Ok(wanted), Some(before)) if wanted.value != before.value => AdAction::Restate { wanted, before },
        (Ok(wanted), Some(_)) => AdAction::Nothing(format!("{} was sent already", wanted.order_id)),
        (Err(NotWanted::Withdrawn(_)), Some(before)) if !before.retracted => AdAction::Retract(before),
        (Err(NotWanted::Withdrawn(why) | NotWanted::NotYet(why)), _) => AdAction::Nothing(why),
    }
}

/// Whether a conversion at `conversion_time` is older than a platform accepts (`days`), at
/// `now`: retrying cannot help, so the delivery is dead with the platform's reason.
pub fn too_old(conversion_time: DateTime<Utc>, now: DateTime<Utc>, days: i64) -> bool {
    now - conversion_time > Duration::days(days)
}

/// Whether an ad click at `clicked_at` is outside a click-through window of `days` at the
/// conversion's time.
pub fn click_expired(clicked_at: Option<DateTime<Utc>>, conversion_time: DateTime<Utc>, days: i64) -> bool {
    clicked_at.is_some_and(|clicked| conversion_time - clicked > Duration::days(days))
}

/// A value in its currency's major units, as the platforms' JSON writes money (`250.5`).
pub fn major_units(value: &ConversionValue) -> f64 {
    let digits = i32::from(value.currency.minor_digits());
    value.minor as f64 / 10f64.powi(digits)
}

/// SHA-256 of `text`'s UTF-8 bytes, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An e-mail address as Google normalises it before hashing: trimmed, lowercase, and for
/// `gmail.com` / `googlemail.com` without the dots before the `@`.
pub fn google_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.rsplit_once('@') {
        Some((local, domain)) if domain == "gmail.com" || domain == "googlemail.com" => {
            format!("{}@{domain}", local.replace('.', ""))
        }
        _ => email,
    }
}

/// A phone number as Google hashes it: E.164 with the leading `+`.
pub fn google_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

/// An e-mail address as Meta normalises it before hashing: trimmed and lowercase.
pub fn meta_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone number as Meta hashes it: digits only, country code first, no `+`, no leading
/// zeros.
pub fn meta_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').to_owned()
}

#[cfg(test)]
#[path = "ad_upload_tests.rs"]
mod tests;
