//! Calls: how a call found its visit, and what the provider later reports about it.

use crate::channel::Attribution;
use crate::provider::{CallSid, Caller, WebLink};
use crate::visit::{Selector, VisitRef};
use crate::{BusinessId, IntentId, Invalid, NumberId, SiteId};
use chrono::{DateTime, Utc};

/// How a call was tied to its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// A live page-load code named the visit.
    Code,
    /// A live click code named the click (and its visit).
    Click,
    /// A reserved code named an offline source.
    Reserved,
    /// No usable code; the caller's recent call named the visit.
    Caller,
    /// The visitor asked to be called back from the page (call-me).
    CallMe,
    /// No usable code; the one visitor who clicked a call element or `tel:` link of the site
    /// in the last half minute, and has not called since, named the visit (a likelihood, with a
    /// confidence).
    ClickIntent,
    /// The caller keyed the same code as their own earlier call (a redial from the phone's
    /// call log): that call's visit.
    Redial,
    /// The keyed code is no longer live and nobody has held it since its last visit, which it
    /// names (a caller who noted the code and called after leaving).
    RestedCode,
    /// A number of a site's pool (DNI) named the visit holding it when the call came.
    Pool,
    /// Nothing: the call is unattributed.
    None,
}

impl MatchedBy {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Click => "click",
            Self::Reserved => "reserved",
            Self::Caller => "caller",
            Self::CallMe => "call_me",
            Self::ClickIntent => "click_intent",
            Self::Redial => "redial",
            Self::RestedCode => "rested_code",
            Self::Pool => "pool",
            Self::None => "none",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Ok(match input {
            "code" => Self::Code,
            "click" => Self::Click,
            "reserved" => Self::Reserved,
            "caller" => Self::Caller,
            "call_me" => Self::CallMe,
            "click_intent" => Self::ClickIntent,
            "redial" => Self::Redial,
            "rested_code" => Self::RestedCode,
            "pool" => Self::Pool,
            "none" => Self::None,
            other => return Err(Invalid::new("match", format!("'{other}' is not a way of matching"))),
        })
    }
}

/// How the forwarded leg ended, from the provider's `DialCallStatus` or `CallStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Answered,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl CallOutcome {
    /// Parses a provider status; `None` for statuses that are not an outcome (ringing, …).
    pub fn from_provider(status: &str) -> Option<Self> {
        Some(match status {
            "completed" | "answered" => Self::Answered,
            "busy" => Self::Busy,
            "no-answer" => Self::NoAnswer,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::from_provider(input).ok_or_else(|| Invalid::new("call outcome", format!("'{input}' is not an outcome")))
    }
}

/// Where a call came from, as resolved when the code was keyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOrigin {
    pub matched_by: MatchedBy,
    pub visit: Option<VisitRef>,
    pub intent: Option<IntentId>,
    /// The offline source's label for a reserved code.
    pub source_label: Option<String>,
    /// How likely (in percent) an inferred match names the right visit; `None` for the
    /// matches that are facts (a keyed code, a printed code, call-me).
    pub confidence: Option<u8>,
}

/// A call the moment its code resolves.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub number_id: NumberId,
    pub provider_call_sid: CallSid,
    pub caller: Caller,
    pub keyed: String,
    pub code: Option<u64>,
    pub selector: Selector,
    pub extension: Option<String>,
    pub origin: CallOrigin,
    /// Where the caller is, as the provider says (for reports by location).
    pub place: crate::provider::CallerPlace,
}

/// Names one call, always inside the tenant that asks: a provider request can reach only the
/// calls of the tracking number whose token signed it, a business only its own calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKey<'a> {
    /// The provider's call id, on the tracking number that signed the request.
    Provider { number: NumberId, sid: &'a CallSid },
    /// A record ref of a business (the PBX API, operators, replies).
    Ref { business: BusinessId, record_ref: u64 },
}

/// A call record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub record_ref: u64,
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub number_id: NumberId,
    pub lead_id: i64,
    pub origin: CallOrigin,
    /// The visit's attribution, when the call has a visit.
    pub attribution: Option<Attribution>,
    pub provider_call_sid: String,
    pub caller: String,
    pub keyed: String,
    pub code: Option<u64>,
    pub selector: Selector,
    pub extension: Option<String>,
    /// `in_call` until the provider says the call ended, then `completed`.
    pub status: String,
    pub outcome: Option<CallOutcome>,
    pub answered_by: Option<String>,
    /// The name of the destination that answered, kept on the call when it answered (so that
    /// it stays when the destination is renamed or removed).
    pub answered_by_name: Option<String>,
    pub duration_seconds: Option<u32>,
    pub recording_url: Option<String>,
    /// Labels put on the call (by a PBX, later by operators), each once, sorted.
    pub tags: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Flagged spam (and why), cleared by a person, or neither (`crate::spam`).
    pub spam: Option<crate::spam::SpamMark>,
}

impl Call {
    /// What the answering operator hears before the caller is bridged: "Call 1042 from
    /// google cpc, keyword sofa upholstery." (the record ref, then the source).
    pub fn announcement(&self) -> String {
        let call = self;
        let mut text = format!("Call {}", call.record_ref);
        match (&call.attribution, &call.origin.source_label) {
            (Some(a), _) => {
                text.push_str(&format!(" from {} {}", a.source, a.medium));
                if let Some(campaign) = &a.campaign {
                    text.push_str(&format!(", campaign {campaign}"));
                }
                if let Some(term) = &a.term {
                    text.push_str(&format!(", keyword {term}"));
                }
            }
            (None, Some(label)) => text.push_str(&format!(" from {label}")),
            (None, None) => text.push_str(", source unknown"),
        }
        text.push('.');
        text
    }
}

/// What the provider reports after the forwarded leg: every field optional, since callbacks
/// arrive in any order and more than once; what is known is never overwritten by nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallReport {
    pub outcome: Option<CallOutcome>,
    /// The operator's number (or client identity) that answered.
    pub answered_by: Option<String>,
    pub duration_seconds: Option<u32>,
    pub recording_url: Option<WebLink>,
    /// The call as a whole has ended.
    pub ended: bool,
    /// Tags to add (tags already on the call are kept).
    pub tags: Vec<String>,
}

/// Checks tags: at most 20, each 1 to 40 printable characters.
pub fn validate_tags(tags: &[String]) -> Result<(), Invalid> {
    if tags.len() > 20 {
        return Err(Invalid::new("tags", "at most 20 at a time"));
    }
    match tags
        .iter()
        .find(|t| t.trim().is_empty() || t.chars().count() > 40 || t.chars().any(char::is_control))
    {
        Some(bad) => Err(Invalid::new(
            "tags",
            format!("'{bad}' is not a tag (1 to 40 printable characters)"),
        )),
        None => Ok(()),
    }
}
