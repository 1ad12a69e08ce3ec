//! The Activity list: every call, form submission and operator reply of a business in one
//! list, newest first, and what a call's result is (answered, voicemail, missed, abandoned).

#[cfg(test)]
use crate::call::CallOutcome;
use crate::call::MatchedBy;
use crate::store::StoreResult;
use crate::{BusinessId, Invalid, LeadId, SiteId};
use chrono::{DateTime, Utc};

/// An unanswered call shorter than this is abandoned (the caller gave up), not missed.
pub const ABANDONED_UNDER_SECONDS: u32 = 15;

/// What became of a call, as the Activity list shows and filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallResult {
    /// The provider has not said it ended.
    InCall,
    /// Someone answered.
    Answered,
    /// Nobody answered and the caller left a message.
    Voicemail,
    /// Nobody answered; the caller waited at least [`ABANDONED_UNDER_SECONDS`].
    Missed,
    /// Nobody answered and the caller hung up within [`ABANDONED_UNDER_SECONDS`].
    Abandoned,
}

/// What the provider has said about a call, as far as its result depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFacts {
    pub ended: bool,
    /// An operator picked up (the provider named who, or the dial ended answered).
    pub answered: bool,
    pub has_recording: bool,
    /// From the call's start to its end (ringing included), once it ended.
    pub length_seconds: Option<u32>,
}

impl CallResult {
    /// Every result, in the order the filter offers them.
    pub const ALL: [Self; 5] = [
        Self::InCall,
        Self::Answered,
        Self::Voicemail,
        Self::Missed,
        Self::Abandoned,
    ];

    /// The result of a call with these facts. An answered call is answered even before it
    /// ends (the operator is talking); a recording on an unanswered call is a voicemail; an
    /// unanswered call is abandoned when the caller hung up within
    /// [`ABANDONED_UNDER_SECONDS`] of calling (an unknown length counts as short).
    pub fn of(facts: CallFacts) -> Self {
        if facts.answered {
            return Self::Answered;
        }
        if !facts.ended {
            return Self::InCall;
        }
        if facts.has_recording {
            return Self::Voicemail;
        }
        match facts.length_seconds {
            Some(seconds) if seconds >= ABANDONED_UNDER_SECONDS => Self::Missed,
            _ => Self::Abandoned,
        }
    }

    /// The stored and query-string name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InCall => "in_call",
            Self::Answered => "answered",
            Self::Voicemail => "voicemail",
            Self::Missed => "missed",
            Self::Abandoned => "abandoned",
        }
    }

    /// How people read it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::InCall => "IN CALL",
            Self::Answered => "answered",
            Self::Voicemail => "voicemail",
            Self::Missed => "missed",
            Self::Abandoned => "abandoned",
        }
    }

    /// Parses a stored or query-string name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|r| r.as_str() == input).ok_or_else(|| {
            Invalid::new(
                "outcome",
                format!("'{input}' is not one of in_call, answered, voicemail, missed, abandoned"),
            )
        })
    }
}

/// What an entry of the Activity list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionKind {
    Call,
    Form,
    /// An operator's reply by SMS or e-mail (a note, a status, a sale).
    Reply,
}

impl InteractionKind {
    /// Every kind, in the order the filter offers them.
    pub const ALL: [Self; 3] = [Self::Call, Self::Form, Self::Reply];

    /// The query-string name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Form => "form",
            Self::Reply => "reply",
        }
    }

    /// Parses a query-string name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input)
            .ok_or_else(|| Invalid::new("type", format!("'{input}' is not one of call, form, reply")))
    }
}

/// Whether a caller had called the business before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerHistory {
    FirstTime,
    Returning,
}

/// Where an Activity page starts: after the entry with this time, kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InteractionCursor {
    pub at_ms: i64,
    pub kind: InteractionKind,
    pub id: i64,
}

impl InteractionCursor {
    /// The cursor as it travels in a link: `at.kind.id`.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.at_ms, self.kind.as_str(), self.id)
    }

    /// Parses [`InteractionCursor::encode`]'s form.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("cursor", format!("'{input}' is not a cursor from this list"));
        let mut parts = input.splitn(3, '.');
        let at_ms = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let kind = parts
            .next()
            .and_then(|p| InteractionKind::parse(p).ok())
            .ok_or_else(bad)?;
        let id = parts
            .next()
            .and_then(|p| p.parse().ok())
            .filter(|id| *id > 0)
            .ok_or_else(bad)?;
        Ok(Self { at_ms, kind, id })
    }
}

/// Whether the Activity list shows calls flagged spam (`crate::spam`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SpamView {
    /// Leave them out (the default: they stay in the log, out of sight).
    #[default]
    Hide,
    /// Show them among the rest.
    Include,
    /// Only them.
    Only,
}

impl SpamView {
    /// Every choice, in the order the filter offers them.
    pub const ALL: [Self; 3] = [Self::Hide, Self::Include, Self::Only];

    /// The query-string name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Hide => "hide",
            Self::Include => "include",
            Self::Only => "only",
        }
    }

    /// What a person reads.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Hide => "Hide spam",
            Self::Include => "Include spam",
            Self::Only => "Spam only",
        }
    }

    /// Parses a query-string name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == input)
            .ok_or_else(|| Invalid::new("spam", format!("'{input}' is not one of hide, include, only")))
    }
}

/// The Activity list's filters; every one is optional. A filter only calls have (outcome,
/// operator, matched by, caller history) leaves forms and replies out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InteractionFilter {
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    pub kind: Option<InteractionKind>,
    pub site: Option<SiteId>,
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub keyword: Option<String>,
    pub result: Option<CallResult>,
    /// The name (or number) of the operator who answered.
    pub operator: Option<String>,
    pub tag: Option<String>,
    pub matched_by: Option<MatchedBy>,
    pub caller: Option<CallerHistory>,
    /// Case-insensitive text over the caller's number, the lead's name and e-mail, the words said on
    /// a call (its transcript), and the ref.
    pub text: Option<String>,
    /// Calls flagged spam: hidden unless asked for.
    pub spam: SpamView,
    /// At most this many.
    pub limit: u32,
    pub after: Option<InteractionCursor>,
}

impl InteractionFilter {
    /// Whether only calls can match.
    pub fn calls_only(&self) -> bool {
        self.kind == Some(InteractionKind::Call)
            || self.result.is_some()
            || self.operator.is_some()
            || self.matched_by.is_some()
            || self.caller.is_some()
            || self.spam == SpamView::Only
    }

    /// Whether entries of `kind` can match.
    pub fn admits(&self, kind: InteractionKind) -> bool {
        match self.kind {
            Some(only) if only != kind => false,
            _ => kind == InteractionKind::Call || !self.calls_only(),
        }
    }
}

/// What a call entry adds to an interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDetails {
    pub caller: String,
    pub matched_by: MatchedBy,
    pub result: CallResult,
    pub talk_seconds: Option<u32>,
    /// The operator's name (kept on the call), else the number that answered.
    pub answered_by: Option<String>,
    pub has_recording: bool,
    pub first_time: Option<bool>,
    /// An offline source's label.
    pub source_label: Option<String>,
    /// Why the call is spam, when it is flagged.
    pub spam: Option<crate::spam::SpamReason>,
}

/// One entry of the Activity list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub kind: InteractionKind,
    /// The row id within its kind (with the kind, the cursor's tie-break).
    pub id: i64,
    pub business_id: BusinessId,
    pub site_id: Option<SiteId>,
    /// The call's ref, or the lead's for a form or reply.
    pub record_ref: u64,
    pub at: DateTime<Utc>,
    pub lead_id: LeadId,
    pub lead_ref: u64,
    pub lead_name: Option<String>,
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub keyword: Option<String>,
    pub landing_page: Option<String>,
    pub tags: Vec<String>,
    /// For calls.
    pub call: Option<CallDetails>,
    /// For a reply: what the operator did ("note", "status", "sale") and its author.
    pub summary: Option<String>,
}

/// A call that was opened or changed (answered, ended, recorded): what the live panel hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallChanged {
    pub business: BusinessId,
    /// The call's row id (read back with the business, never alone).
    pub call: i64,
}

/// What a subscriber to call changes receives next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    Changed(CallChanged),
    /// Changes were missed (the subscriber fell behind or the feed reconnected): read the
    /// calls in progress again.
    Missed,
}

/// A subscription to every server's call changes.
#[async_trait::async_trait]
pub trait CallFeed: Send {
    /// The next change; `None` once the store is closed.
    async fn next(&mut self) -> Option<LiveEvent>;
}

/// One page of the Activity list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionPage {
    pub items: Vec<Interaction>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<InteractionCursor>,
}

/// The Activity list and the live panel's storage.
#[async_trait::async_trait]
pub trait InteractionStore {
    /// A page of the business's calls, forms and replies, newest first.
    async fn interactions(&self, business: BusinessId, filter: &InteractionFilter) -> StoreResult<InteractionPage>;
    /// One call of the business as an entry of the list (`NotFound` for another business's).
    async fn call_interaction(&self, business: BusinessId, call: i64) -> StoreResult<Interaction>;
    /// Every call change from now on, on whichever server it happened.
    fn subscribe_calls(&self) -> Box<dyn CallFeed>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(ended: bool, outcome: Option<CallOutcome>, has_recording: bool, seconds: Option<u32>) -> CallFacts {
        CallFacts {
            ended,
            answered: outcome == Some(CallOutcome::Answered),
            has_recording,
            length_seconds: seconds,
        }
    }

    #[test]
    fn a_call_is_answered_missed_voicemail_or_abandoned_by_what_the_provider_said() {
        use CallOutcome::*;
        assert_eq!(CallResult::of(facts(false, None, false, None)), CallResult::InCall);
        assert_eq!(
            CallResult::of(facts(false, Some(Answered), false, None)),
            CallResult::Answered
        );
        assert_eq!(
            CallResult::of(facts(true, Some(Answered), true, Some(3))),
            CallResult::Answered
        );
        assert_eq!(
            CallResult::of(facts(true, Some(NoAnswer), true, Some(40))),
            CallResult::Voicemail
        );
        assert_eq!(
            CallResult::of(facts(true, Some(NoAnswer), false, Some(40))),
            CallResult::Missed
        );
        assert_eq!(
            CallResult::of(facts(true, Some(Busy), false, Some(15))),
            CallResult::Missed
        );
        assert_eq!(
            CallResult::of(facts(true, Some(Canceled), false, Some(14))),
            CallResult::Abandoned
        );
        assert_eq!(CallResult::of(facts(true, None, false, None)), CallResult::Abandoned);
    }

    #[test]
    fn filters_only_calls_have_leave_forms_and_replies_out() {
        let filter = InteractionFilter {
            result: Some(CallResult::Missed),
            ..InteractionFilter::default()
        };
        assert!(filter.admits(InteractionKind::Call));
        assert!(!filter.admits(InteractionKind::Form) && !filter.admits(InteractionKind::Reply));
        let forms = InteractionFilter {
            kind: Some(InteractionKind::Form),
            ..InteractionFilter::default()
        };
        assert!(!forms.admits(InteractionKind::Call) && forms.admits(InteractionKind::Form));
        assert!(InteractionFilter::default().admits(InteractionKind::Reply));
    }

    #[test]
    fn a_cursor_that_was_not_made_by_the_list_is_refused() {
        for bad in ["", "12", "12.call", "12.visit.3", "x.call.3", "12.call.0", "12.call.-4"] {
            assert!(InteractionCursor::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn a_cursor_reads_back_as_it_was_written(at in any::<i64>(), kind in 0usize..3, id in 1i64..) {
            let cursor = InteractionCursor { at_ms: at, kind: InteractionKind::ALL[kind], id };
            prop_assert_eq!(InteractionCursor::parse(&cursor.encode()).unwrap(), cursor);
        }

        #[test]
        fn only_an_answered_call_is_answered_and_only_an_ended_one_is_missed_or_abandoned(
            ended: bool, outcome in 0usize..6, has_recording: bool, seconds in proptest::option::of(0u32..4000),
        ) {
            let outcome = [None, Some(CallOutcome::Answered), Some(CallOutcome::Busy), Some(CallOutcome::NoAnswer),
                Some(CallOutcome::Failed), Some(CallOutcome::Canceled)][outcome];
            let result = CallResult::of(facts(ended, outcome, has_recording, seconds));
            prop_assert_eq!(result == CallResult::Answered, outcome == Some(CallOutcome::Answered));
            if matches!(result, CallResult::Missed | CallResult::Abandoned | CallResult::Voicemail) {
                prop_assert!(ended);
            }
            prop_assert_eq!(CallResult::parse(result.as_str()).unwrap(), result);
        }
    }
}
