//! Operators' replies by SMS and e-mail, read into commands: a record ref as the first word
//! of an SMS (or in an e-mail's subject) makes the rest a note on that record; the keyword
//! form `[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500` (also `[SALE]`, `[COST]`,
//! `[ID]`, in any order) records a sale on the call found by caller number or ref.
//!
//! PLACEHOLDER (issue 7): the parser is being written; the types are the contract.

use crate::Invalid;

/// How a sale names its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleTarget {
    /// `[ID] 1042`: a record ref (a call's or a lead's).
    Ref(u64),
    /// `[PHONE] 202-555-0169`: the caller's number as the operator wrote it (national or
    /// international; the server reads it in the tracking number's country).
    Phone(String),
}

/// What an operator's reply asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A note on the record with this ref.
    Note { record_ref: u64, text: String },
    /// A sale; the amounts as written ("1,000", "$1,200.50"), read later in the record's
    /// currency. `cost` absent: the server computes it from call minutes when the site has a
    /// rate. `profit` absent: revenue − cost.
    Sale {
        target: SaleTarget,
        revenue: String,
        cost: Option<String>,
        profit: Option<String>,
    },
}

/// The longest text a reply may carry, in bytes; more is refused, not cut.
pub const MAX_REPLY_BYTES: usize = 10_000;

/// Reads an SMS body.
pub fn parse_sms(body: &str) -> Result<Command, Invalid> {
    let _ = body;
    Err(Invalid::new("reply", "not built yet"))
}

/// Reads an e-mail: the ref from the subject (`Re: Call 1042 …`) with the body as the
/// note, or the keyword form in the body (or the subject). Quoted earlier messages (lines
/// starting `>`, and everything from an "On … wrote:" line) are left out of the note.
pub fn parse_email(subject: &str, body: &str) -> Result<Command, Invalid> {
    let _ = (subject, body);
    Err(Invalid::new("reply", "not built yet"))
}
