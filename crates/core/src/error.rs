//! The one validation error of the domain: what was wrong, said so a person can fix it.

/// Input that does not make a valid domain value. `what` names the field ("phone number"),
/// `reason` says what is wrong with it, including the offending value where that helps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct Invalid {
    /// The kind of value, e.g. "phone number" or "time zone".
    pub what: &'static str,
    /// What is wrong, e.g. "'+1 555' is not a number in use in its country".
    pub reason: String,
}

impl Invalid {
    /// Builds the error for field `what` with an explanation.
    pub fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self {
            what,
            reason: reason.into(),
        }
    }
}
