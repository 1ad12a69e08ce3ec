//! The transcript of a sandbox call: what was asked, what the server answered, and how the
//! call ended. It is printed as JSON, for a person to read and a script to check.

use serde::Serialize;
use std::collections::BTreeMap;

/// What happened on the call, printed as JSON for people and scripts.
#[derive(Debug, Serialize)]
pub struct Transcript {
    pub call_sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub digits: Option<String>,
    pub steps: Vec<Step>,
    /// What the answering operator heard before being bridged.
    pub whisper: Option<String>,
    pub answered_by: Option<String>,
    pub outcome: Outcome,
    /// Whether the caller left a message (a `<Record>` ran).
    pub voicemail: bool,
    /// The call's recording, or the voicemail's.
    pub recording_url: Option<String>,
    /// Ring time, conversation and message, as reported in the final status callback.
    pub duration_seconds: u32,
}

/// How the call ended for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// An operator answered and was bridged.
    Answered,
    /// Operators were rung and none answered.
    NoAnswer,
    /// The call ended before any `<Dial>`.
    NotForwarded,
}

/// One request of the call and the answer it got.
#[derive(Debug, Serialize)]
pub struct Step {
    /// `POST /twilio/gather` (the path; the query is in the signed URL but not shown).
    pub request: String,
    /// What this request told the server beyond the call's usual parameters.
    pub sent: BTreeMap<String, String>,
    pub status: u16,
    /// The verbs of the answer, in order.
    pub verbs: Vec<String>,
    /// What the answer says (`<Say>`, also inside `<Gather>`).
    pub said: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
