//! Spam and robocalls: which calls are flagged and why, what a blocked caller hears, and the
//! rule that flags very short unanswered calls repeated from one number. Flagged calls stay in
//! the log (hidden by default) and are left out of reports and ad conversions.

use crate::interaction::CallResult;
use crate::phone::E164;
use crate::store::StoreResult;
use crate::{BusinessId, Invalid};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// Why a call is spam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpamReason {
    /// The caller's number is one the business blocked.
    Blocked,
    /// The caller's number is on the business's list of known spam numbers.
    Listed,
    /// Very short unanswered calls repeated from the same number.
    Repeated,
    /// A person said so.
    Operator,
}

impl SpamReason {
    /// Every reason.
    pub const ALL: [SpamReason; 4] = [Self::Blocked, Self::Listed, Self::Repeated, Self::Operator];

    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Listed => "listed",
            Self::Repeated => "repeated",
            Self::Operator => "operator",
        }
    }

    /// What a person reads.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Blocked => "blocked number",
            Self::Listed => "known spam number",
            Self::Repeated => "repeated short calls",
            Self::Operator => "marked by a person",
        }
    }
}

/// What is known of a call's spam status: flagged for a reason, or cleared by a person (who
/// said it is not spam, so no rule flags it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpamMark {
    Flagged(SpamReason),
    Cleared,
}

impl SpamMark {
    /// The stored name: the reason, or `cleared`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Flagged(reason) => reason.as_str(),
            Self::Cleared => "cleared",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input == "cleared" {
            return Ok(Self::Cleared);
        }
        SpamReason::ALL
            .into_iter()
            .find(|r| r.as_str() == input)
            .map(Self::Flagged)
            .ok_or_else(|| {
                Invalid::new(
                    "spam",
                    format!("'{input}' is not one of blocked, listed, repeated, operator, cleared"),
                )
            })
    }

    /// Whether the mark makes the call spam.
    pub fn is_spam(mark: Option<SpamMark>) -> bool {
        matches!(mark, Some(SpamMark::Flagged(_)))
    }

    /// The reason the call is spam, if it is.
    pub fn reason(mark: Option<SpamMark>) -> Option<SpamReason> {
        match mark {
            Some(SpamMark::Flagged(reason)) => Some(reason),
            _ => None,
        }
    }
}

/// The longest message a blocked caller hears.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// What a caller whose number is blocked (or on the spam list) gets, before anyone is rung.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockedAnswer {
    /// The call is rejected: the caller hears a busy tone.
    Reject,
    /// The caller hears the message, then the call ends.
    Message(String),
}

impl BlockedAnswer {
    /// From the settings' kind (`reject` or `message`) and the message's text.
    pub fn parse(kind: &str, message: Option<&str>) -> Result<Self, Invalid> {
        match kind {
            "reject" => Ok(Self::Reject),
            "message" => {
                let text = message.map(str::trim).unwrap_or_default();
                if text.is_empty() {
                    return Err(Invalid::new("blocked message", "say what a blocked caller hears"));
                }
                if text.chars().count() > MAX_MESSAGE_CHARS || text.chars().any(char::is_control) {
                    return Err(Invalid::new(
                        "blocked message",
                        format!("at most {MAX_MESSAGE_CHARS} printable characters"),
                    ));
                }
                Ok(Self::Message(text.to_owned()))
            }
            other => Err(Invalid::new(
                "blocked answer",
                format!("'{other}' is not one of reject, message"),
            )),
        }
    }

    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::Message(_) => "message",
        }
    }
}

/// Flags a caller's very short unanswered calls once they repeat: `calls` such calls of at most
/// `max_seconds` each, within `within_hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatRule {
    pub calls: u32,
    pub max_seconds: u32,
    pub within_hours: u32,
}

impl RepeatRule {
    /// The rule a new business has: three calls of ten seconds or less within a day.
    pub const DEFAULT: RepeatRule = RepeatRule {
        calls: 3,
        max_seconds: 10,
        within_hours: 24,
    };

    /// Checks each bound: 2 to 20 calls, 1 to 120 seconds, 1 to 168 hours.
    pub fn new(calls: u32, max_seconds: u32, within_hours: u32) -> Result<Self, Invalid> {
        if !(2..=20).contains(&calls) {
            return Err(Invalid::new("repeated calls", "between 2 and 20 calls"));
        }
        if !(1..=120).contains(&max_seconds) {
            return Err(Invalid::new("repeated calls", "a short call lasts 1 to 120 seconds"));
        }
        if !(1..=168).contains(&within_hours) {
            return Err(Invalid::new("repeated calls", "within 1 to 168 hours"));
        }
        Ok(Self {
            calls,
            max_seconds,
            within_hours,
        })
    }

    /// How far back the rule looks from `now`.
    pub fn since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::hours(i64::from(self.within_hours))
    }
}

/// A business's spam settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamSettings {
    pub answer: BlockedAnswer,
    /// `None` turns the repeated-calls rule off.
    pub repeat: Option<RepeatRule>,
}

impl Default for SpamSettings {
    fn default() -> Self {
        Self {
            answer: BlockedAnswer::Reject,
            repeat: Some(RepeatRule::DEFAULT),
        }
    }
}

/// What the repeated-calls rule needs of one of a caller's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSpamFacts {
    pub record_ref: u64,
    pub started_at: DateTime<Utc>,
    pub result: CallResult,
    pub duration_seconds: Option<u32>,
    pub spam: Option<SpamMark>,
}

impl CallSpamFacts {
    /// An ended call nobody answered that lasted at most `max_seconds` (unknown counts as 0).
    fn short_unanswered(&self, max_seconds: u32) -> bool {
        matches!(self.result, CallResult::Missed | CallResult::Abandoned)
            && self.duration_seconds.unwrap_or(0) <= max_seconds
    }
}

/// Which of a caller's calls the repeated-calls rule flags, given their calls since
/// `rule.since(now)`: none until `rule.calls` short unanswered calls fall within the window,
/// then every one of them that is neither flagged already nor cleared by a person.
pub fn repeated(rule: &RepeatRule, now: DateTime<Utc>, calls: &[CallSpamFacts]) -> Vec<u64> {
    let since = rule.since(now);
    let short: Vec<&CallSpamFacts> = calls
        .iter()
        .filter(|c| c.started_at >= since && c.started_at <= now && c.short_unanswered(rule.max_seconds))
        .collect();
    if (short.len() as u64) < u64::from(rule.calls) {
        return Vec::new();
    }
    let mut refs: Vec<u64> = short
        .iter()
        .filter(|c| c.spam.is_none())
        .map(|c| c.record_ref)
        .collect();
    refs.sort_unstable();
    refs
}

/// Where an entry of the block list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockSource {
    /// A person blocked the number (Settings, the lead page, the CLI).
    Operator,
    /// The business's uploaded list of known spam numbers (replaced as a whole on each upload).
    List,
}

impl BlockSource {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::List => "list",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input {
            "operator" => Ok(Self::Operator),
            "list" => Ok(Self::List),
            other => Err(Invalid::new(
                "block source",
                format!("'{other}' is not one of operator, list"),
            )),
        }
    }

    /// The reason a call from a number of this source is spam.
    pub fn reason(&self) -> SpamReason {
        match self {
            Self::Operator => SpamReason::Blocked,
            Self::List => SpamReason::Listed,
        }
    }
}

/// A number on a business's block list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedNumber {
    pub number: E164,
    pub source: BlockSource,
    pub created_at: DateTime<Utc>,
}

/// The most numbers an uploaded list may hold.
pub const MAX_LIST_NUMBERS: usize = 10_000;

/// Reads an uploaded list of spam numbers: one per line (or separated by commas or
/// semicolons), `#` starts a comment, blank lines are skipped; a number without `+` is read as
/// a national number of `like`'s country. Refused as a whole, naming the line, when one entry
/// is not a number; duplicates are kept once.
pub fn parse_list(text: &str, like: Option<&E164>) -> Result<Vec<E164>, Invalid> {
    let mut numbers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        for entry in line.split([',', ';', '\t']).map(str::trim).filter(|e| !e.is_empty()) {
            let parsed = match like {
                Some(like) => E164::parse_like(entry, like),
                None => E164::parse(entry),
            };
            let number = parsed.map_err(|_| {
                Invalid::new(
                    "spam list",
                    format!("line {}: '{}' is not a phone number", index + 1, shorten(entry)),
                )
            })?;
            numbers.push(number);
            if numbers.len() > MAX_LIST_NUMBERS {
                return Err(Invalid::new(
                    "spam list",
                    format!("at most {MAX_LIST_NUMBERS} numbers at a time"),
                ));
            }
        }
    }
    numbers.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    numbers.dedup();
    Ok(numbers)
}

fn shorten(entry: &str) -> String {
    entry.chars().take(30).collect()
}

/// The block list, the settings and the calls' spam marks.
#[async_trait]
pub trait SpamStore {
    /// Why a call from `caller` to the business is spam before it rings: blocked by a person
    /// (first) or on the uploaded list; `None` when the number is on neither.
    async fn blocked_reason(&self, business: BusinessId, caller: &str) -> StoreResult<Option<SpamReason>>;
    /// Adds a number to the business's block list (again is no change).
    async fn block_number(&self, business: BusinessId, number: &E164, source: BlockSource) -> StoreResult<()>;
    /// Takes a number a person blocked off the list; `NotFound` when it was not on it.
    async fn unblock_number(&self, business: BusinessId, number: &E164) -> StoreResult<()>;
    /// Replaces the business's uploaded list with `numbers`, in one transaction; answers how
    /// many are on it.
    async fn replace_spam_list(&self, business: BusinessId, numbers: &[E164]) -> StoreResult<u64>;
    /// The business's block list, numbers a person blocked first, each in number order.
    async fn blocked_numbers(&self, business: BusinessId) -> StoreResult<Vec<BlockedNumber>>;
    /// The business's settings (the defaults until an owner changes them).
    async fn spam_settings(&self, business: BusinessId) -> StoreResult<SpamSettings>;
    /// Changes the business's settings.
    async fn set_spam_settings(&self, business: BusinessId, settings: &SpamSettings) -> StoreResult<()>;
    /// The business's calls from `caller` started at or after `since`, oldest first.
    async fn caller_calls_since(
        &self,
        business: BusinessId,
        caller: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<CallSpamFacts>>;
    /// Sets (or with `None` removes) the spam mark of the business's calls with these refs as
    /// `author`, marks their days for the reports and writes `call.spam_changed` for each call
    /// that changed, in one transaction; answers how many changed. A call of another business
    /// is not changed.
    async fn mark_calls_spam(
        &self,
        business: BusinessId,
        refs: &[u64],
        mark: Option<SpamMark>,
        author: &crate::lead::Author,
    ) -> StoreResult<u64>;
}

#[cfg(test)]
#[path = "spam_tests.rs"]
mod tests;
