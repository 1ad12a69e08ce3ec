//! Alerts: each member of a business chooses which happenings they hear of at once (a new
//! form, a missed call or voicemail, a first-time caller), by which channels (e-mail to their
//! login, SMS to a number they give), and their quiet hours on their own clock. An alert that
//! falls in quiet hours waits until they end; it is never dropped.

use crate::event::{Event, EventData};
use crate::site::Timezone;
use crate::store::StoreResult;
use crate::summary::{SummaryFrequency, SummaryRecipient};
use crate::{BusinessId, E164, Invalid, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

/// Minutes in a day.
const DAY: u16 = 24 * 60;

/// What a member can be alerted of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// A form was submitted (with its fields and source).
    NewForm,
    /// A call ended unanswered, or in voicemail (with the caller, source and lead link).
    MissedCall,
    /// A number that never called before called.
    FirstTimeCaller,
}

impl AlertKind {
    /// Every kind, in the order the settings page lists them.
    pub const ALL: [AlertKind; 3] = [Self::NewForm, Self::MissedCall, Self::FirstTimeCaller];

    /// The stored and form name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NewForm => "new_form",
            Self::MissedCall => "missed_call",
            Self::FirstTimeCaller => "first_time_caller",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|k| k.as_str() == input).ok_or_else(|| {
            Invalid::new(
                "alert kind",
                format!("'{input}' is not one of new_form, missed_call, first_time_caller"),
            )
        })
    }

    /// What a person reads.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NewForm => "A new form submission",
            Self::MissedCall => "A missed call or voicemail",
            Self::FirstTimeCaller => "A first-time caller",
        }
    }
}

/// How an alert reaches its member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertChannel {
    /// An e-mail to the member's login address through the SMTP relay.
    Email,
    /// An SMS to the member's alert number through the provider's REST API.
    Sms,
    /// A notification in each browser the member subscribed (Web Push).
    Push,
}

impl AlertChannel {
    /// Every channel.
    pub const ALL: [AlertChannel; 3] = [Self::Email, Self::Sms, Self::Push];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or_else(|| Invalid::new("alert channel", format!("'{input}' is not one of email, sms, push")))
    }
}

/// A local time of day, to the minute (`22:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Parses `HH:MM` (24-hour).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("time of day", format!("'{}' is not a time such as 22:00", input.trim()));
        let (h, m) = input.trim().split_once(':').ok_or_else(bad)?;
        if !(1..=2).contains(&h.len()) || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h >= 24 || m >= 60 {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }

    /// The time `minutes` after midnight; `Invalid` from 1440 on.
    pub fn from_minutes(minutes: u16) -> Result<Self, Invalid> {
        if minutes >= DAY {
            return Err(Invalid::new(
                "time of day",
                format!("{minutes} minutes is past the day's end"),
            ));
        }
        Ok(Self(minutes))
    }

    /// Minutes after midnight.
    pub fn minutes(&self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// Quiet hours: from `start` until `end` on the member's clock; an `end` not after `start`
/// runs past midnight (`22:00` to `07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuietHours {
    start: ClockTime,
    end: ClockTime,
}

impl QuietHours {
    /// Quiet from `start` to `end`; the same time twice is refused (it would mean never, or
    /// always).
    pub fn new(start: ClockTime, end: ClockTime) -> Result<Self, Invalid> {
        if start == end {
            return Err(Invalid::new(
                "quiet hours",
                "they start and end at the same time; leave both empty for none",
            ));
        }
        Ok(Self { start, end })
    }

    /// When they start.
    pub fn start(&self) -> ClockTime {
        self.start
    }

    /// When they end.
    pub fn end(&self) -> ClockTime {
        self.end
    }

    /// Whether minute-of-day `minute` is inside them.
    pub fn holds(&self, minute: u16) -> bool {
        let (start, end) = (self.start.0, self.end.0);
        if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        }
    }
}

/// When an alert happening at `at` may go to a member with `quiet` hours on the clock of
/// `zone`: at once outside them, else at the first instant their end is reached on that
/// clock. An end that a daylight-saving jump skips is reached when the clock jumps past it;
/// an end the clock passes twice is reached the first time it comes after `at`.
pub fn release_at(quiet: Option<QuietHours>, zone: chrono_tz::Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let Some(quiet) = quiet else { return at };
    let local = at.with_timezone(&zone);
    let minute = (local.hour() * 60 + local.minute()) as u16;
    if !quiet.holds(minute) {
        return at;
    }
    let end = quiet.end.0;
    let mut date = local.date_naive();
    if minute >= end {
        date = date.succ_opt().unwrap_or(date);
    }
    let end_time = NaiveTime::from_hms_opt(u32::from(end / 60), u32::from(end % 60), 0).unwrap_or_default();
    let mut wall = date.and_time(end_time);
    // A skipped wall time (spring forward) exists again at most a few hours later; the first
    // minute that exists is when the clock has passed the end.
    for _ in 0..=(6 * 60) {
        match zone.from_local_datetime(&wall) {
            LocalResult::Single(t) => return t.with_timezone(&Utc).max(at),
            // The second pass when the alert came during it, after the first had gone by.
            LocalResult::Ambiguous(first, second) => {
                let first = first.with_timezone(&Utc);
                return if first >= at {
                    first
                } else {
                    second.with_timezone(&Utc).max(at)
                };
            }
            LocalResult::None => wall += Duration::minutes(1),
        }
    }
    at
}

/// What one member chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertChoices {
    /// What they are alerted of; empty for nothing.
    pub kinds: Vec<AlertKind>,
    /// Alerts by e-mail to their login address.
    pub email: bool,
    /// Alerts by SMS to this number; `None` for no SMS.
    pub sms: Option<E164>,
    /// When alerts wait; `None` for never.
    pub quiet: Option<QuietHours>,
    /// The member's own clock, for quiet hours and the summary's periods.
    pub zone: Timezone,
    /// The summary e-mail, for owners: `None` for none.
    pub summary: Option<SummaryFrequency>,
}

impl AlertChoices {
    /// Nothing chosen, on UTC's clock.
    pub fn none() -> Self {
        Self {
            kinds: Vec::new(),
            email: false,
            sms: None,
            quiet: None,
            zone: Timezone::parse("UTC").expect("UTC is a zone"),
            summary: None,
        }
    }

    /// Whether they want alerts of `kind`.
    pub fn wants(&self, kind: AlertKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The channels they chose, e-mail first.
    pub fn channels(&self) -> Vec<AlertChannel> {
        let mut channels = Vec::new();
        if self.email {
            channels.push(AlertChannel::Email);
        }
        if self.sms.is_some() {
            channels.push(AlertChannel::Sms);
        }
        channels
    }
}

/// A member to alert: who, their login address, and their choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecipient {
    pub user_id: UserId,
    /// Their login address, where e-mail alerts go.
    pub email: String,
    pub choices: AlertChoices,
}

/// Which alert an event is, before asking whether the caller is new: a form is a new form; a
/// completed call nobody answered is a missed call; a dialed call may be a first-time caller's
/// (the store knows).
pub fn alert_kind(data: &EventData) -> Option<AlertKind> {
    match data {
        EventData::FormCompleted(_) => Some(AlertKind::NewForm),
        EventData::CallCompleted(c) if !c.answered => Some(AlertKind::MissedCall),
        EventData::CallDialed(_) => Some(AlertKind::FirstTimeCaller),
        _ => None,
    }
}

/// What an alert says: a subject (an e-mail's) and a body (the e-mail's, the SMS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMessage {
    pub subject: String,
    pub body: String,
}

/// The alert of `kind` for `event`; `lead_url` is the lead's page, `settings_url` the page
/// where the member changes their alerts (every alert says how to change them).
pub fn alert_message(kind: AlertKind, event: &Event, lead_url: &str, settings_url: &str) -> AlertMessage {
    let reference = event.record_ref.map(|r| r.to_string()).unwrap_or_else(|| "?".into());
    let source = event
        .visitor
        .attribution
        .as_ref()
        .map(|a| format!("{} / {}", a.source, a.medium))
        .or_else(|| event.lead.as_ref().and_then(|l| l.source.clone()))
        .unwrap_or_else(|| "direct or unknown".into());
    let caller = match &event.data {
        EventData::CallDialed(d) => Some(d.caller.clone()),
        _ => event.lead.as_ref().and_then(|l| l.phone.clone()),
    }
    .unwrap_or_else(|| "an unknown number".into());
    let (subject, mut body) = match (&event.data, kind) {
        (EventData::FormCompleted(form), _) => {
            let fields = form
                .fields
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect::<Vec<_>>()
                .join("\n");
            (
                format!("New form {reference} from {source}"),
                format!("New form {reference} from {source}.\n{fields}\nLead: {lead_url}"),
            )
        }
        (EventData::CallCompleted(call), AlertKind::MissedCall) if call.voicemail => (
            format!("Voicemail {reference} from {caller}"),
            format!("Voicemail {reference} from {caller}, source {source}. Listen on the lead's page: {lead_url}"),
        ),
        (_, AlertKind::FirstTimeCaller) => (
            format!("First-time caller {caller} ({source})"),
            format!("First-time caller {caller} on call {reference}, from {source}. Lead: {lead_url}"),
        ),
        _ => (
            format!("Missed call {reference} from {caller}"),
            format!("Missed call {reference} from {caller}, source {source}. Lead: {lead_url}"),
        ),
    };
    body.push_str(&format!("\nChange your alerts: {settings_url}"));
    AlertMessage { subject, body }
}

/// Members' alert choices, and which alerts went out.
#[async_trait]
pub trait AlertStore {
    /// What `user` chose in `business`; `None` when they never chose.
    async fn alert_choices(&self, business: BusinessId, user: UserId) -> StoreResult<Option<AlertChoices>>;
    /// Keeps `user`'s choices in `business`; `NotFound` when they are not a member of it.
    async fn set_alert_choices(&self, business: BusinessId, user: UserId, choices: &AlertChoices) -> StoreResult<()>;
    /// The members of `business` who chose at least one kind and one channel.
    async fn alert_recipients(&self, business: BusinessId) -> StoreResult<Vec<AlertRecipient>>;
    /// Whether the call `record_ref` of `business` is its lead's first call.
    async fn first_call_of_lead(&self, business: BusinessId, record_ref: u64) -> StoreResult<bool>;
    /// The (member, channel) pairs event `event_id` was already sent to.
    async fn alerts_sent(&self, business: BusinessId, event_id: &str) -> StoreResult<Vec<(UserId, AlertChannel)>>;
    /// Records that event `event_id` went to `user` by `channel`; `false` when it was already.
    async fn record_alert_sent(
        &self,
        business: BusinessId,
        event_id: &str,
        user: UserId,
        channel: AlertChannel,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Every owner, of every business, who chose a summary e-mail.
    async fn summary_recipients(&self) -> StoreResult<Vec<SummaryRecipient>>;
    /// Whether `user`'s summary of `frequency` for the period from `from` went out.
    async fn summary_sent(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
    ) -> StoreResult<bool>;
    /// Claims that summary for mailing until `until`; `false` when it went out already or
    /// another claim has not run out (another server is mailing it).
    async fn claim_summary(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Lets the claim go (the mail failed): the next round may claim it at once.
    async fn release_summary(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
    ) -> StoreResult<()>;
    /// Records that the claimed summary went out.
    async fn record_summary_sent(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
