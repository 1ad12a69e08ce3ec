//! Operators' replies by SMS and e-mail, read into commands (the patent's SMS and e-mail
//! embodiments). Two forms:
//!
//! **A note.** An SMS whose first word is a record ref makes the rest of the text a note on
//! that record: `1042 Wants blue velvet`. The ref word is digits, optionally with a `#` before
//! them and one of `:` `,` `-` (or a dash `–` `—`) after them (`#1042:`); a lone separator
//! after the ref on the same line is dropped too (`1042 - Wants blue velvet`). A ref with
//! nothing after it is refused ("add the note after the ref"). An e-mail takes the ref from
//! its subject and the note from its body (below).
//!
//! **A sale**, the keyword form: `[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500`.
//! - Keywords are a word of letters in square brackets, any case, whitespace (line breaks
//!   too) allowed around the word inside (`[ Sale ]`): `[PHONE]` (the caller's number), `[ID]`
//!   (a record ref), `[REVENUE]` or its synonym `[SALE]`, `[COST]`, `[PROFIT]`. Any order; each
//!   at most once (`[SALE]` and `[REVENUE]` together count as a repeat).
//! - A message with any bracketed word of 2 to 16 letters is in the keyword form, so a typo
//!   such as `[REVNUE]` is refused with the known keywords listed rather than saved as a note.
//!   (An e-mail *subject* is in the keyword form only with a known keyword: tags like
//!   `[Leadline]` or `[EXTERNAL]` stay tags.)
//! - The text between one keyword and the next is its value, trimmed, its lines joined by a
//!   space. After the last keyword the value is its first non-empty line; later lines (a
//!   signature, "Thanks") are left out.
//! - Nothing but whitespace may come before the first keyword.
//! - A sale needs a revenue and exactly one of `[PHONE]` and `[ID]` (both is refused). In an
//!   e-mail whose body has neither, the ref in the subject is the call.
//! - Amounts stay text, as written ("1,000", "$1,200.50", "USD 12"): the server reads them in
//!   the record's currency. Here an amount must have a digit and at most
//!   [`MAX_VALUE_CHARS`] characters; so must a phone number.
//!
//! **An e-mail** (`parse_email`): the note form takes the first ref in the subject: a number
//! after `Call`, `Ref`, `Lead` or `#` (`Re: Call 1042 from Google Ads`, `FW: Ref #1042`), else
//! the first number of 4 to 18 digits standing alone, not part of a phone number, a date or an
//! amount (`RE: [Leadline] 1042`, `Fwd: 1042`). The body is the note, less lines quoted with
//! `>`, less everything from an attribution line (`On <date>, <name> wrote:`, also wrapped
//! over two lines, and its French, German and Spanish forms), an `-----Original Message-----`
//! or forwarded-message line, an Outlook `From:`/`Sent:` header block or underscore rule, or a
//! `-- ` signature separator, and less a closing "Sent from my iPhone" line. If the body
//! (after that cut) or else the subject is in the keyword form, the e-mail is a sale. No ref
//! and no keywords: "no record ref in the subject".
//!
//! **Limits.** A text over [`MAX_REPLY_BYTES`] is refused, not cut; a ref over
//! [`MAX_REF_DIGITS`] digits is refused; CRLF and lone CR become LF, non-breaking and other
//! Unicode spaces become a space, control characters other than tab and newline, zero-width
//! characters and bidirectional overrides are removed. A note or value that still carries
//! U+FFFD (text that was not decoded), or an e-mail note that is HTML, raw MIME, base64 or
//! quoted-printable, is refused: the server's e-mail endpoint decodes MIME, and what reaches
//! here undecoded is a sign that it could not.
//!
//! Every error is an [`Invalid`] with `what = "reply"` and a reason written to be texted back
//! to the operator. [`Command::to_sms`] writes a command in the form [`parse_sms`] reads back.

mod clean;
mod keywords;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

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

/// The most digits a record ref may have (refs are stored as signed 64-bit integers).
pub const MAX_REF_DIGITS: usize = 18;

/// The most characters a keyword's value (an amount or a phone number) may have.
pub const MAX_VALUE_CHARS: usize = 40;

/// The keywords of the sale form, as an operator may be told them.
pub const KEYWORDS: &str = "[PHONE], [ID], [REVENUE] (or [SALE]), [COST] and [PROFIT]";

/// Reads an SMS body: a note (`1042 Wants blue velvet`) or a sale in the keyword form.
pub fn parse_sms(body: &str) -> Result<Command, Invalid> {
    let text = clean::normalize(body, "SMS")?;
    let command = if keywords::has_token(&text) {
        keywords::parse(&text, None)?
    } else {
        sms_note(&text)?
    };
    finish(command)
}

/// Reads an e-mail: the ref from the subject (`Re: Call 1042 …`) with the body as the
/// note, or the keyword form in the body (or the subject). Quoted earlier messages (lines
/// starting `>`, and everything from an "On … wrote:" line) are left out of the note.
pub fn parse_email(subject: &str, body: &str) -> Result<Command, Invalid> {
    let subject = clean::normalize(subject, "subject")?.replace(['\n', '\t'], " ");
    let body = clean::normalize(body, "e-mail")?;
    let note = clean::cut_quoted(&body);
    if let Some(problem) = clean::undecoded(&note) {
        return Err(invalid(problem));
    }
    let command = if keywords::has_token(&note) {
        let subject_ref = clean::subject_ref(&subject).ok().flatten();
        keywords::parse(&note, subject_ref)?
    } else if keywords::has_known_token(&subject) {
        keywords::parse(clean::strip_subject_prefix(&subject), None)?
    } else {
        let Some(record_ref) = clean::subject_ref(&subject)? else {
            return Err(invalid(
                "no record ref in the subject: reply to Leadline's e-mail about the call, or put \
                 the ref in the subject (\"1042\")",
            ));
        };
        if note.is_empty() {
            return Err(invalid(format!(
                "the e-mail has no note for {record_ref}: write it above the quoted message"
            )));
        }
        Command::Note { record_ref, text: note }
    };
    finish(command)
}

impl Command {
    /// The SMS that [`parse_sms`] reads back to this command: `1042 Wants blue velvet`, or
    /// `[ID] 1042 [REVENUE] 1,000 [COST] 200 [PROFIT] 800`. A note with a bracketed word in
    /// it (`[sic]`) has no SMS form: it would read as keywords.
    pub fn to_sms(&self) -> String {
        match self {
            Command::Note { record_ref, text } => {
                if clean::starts_with_separator(text) {
                    format!("{record_ref}\n{text}")
                } else {
                    format!("{record_ref} {text}")
                }
            }
            Command::Sale {
                target,
                revenue,
                cost,
                profit,
            } => {
                let mut sms = match target {
                    SaleTarget::Ref(record_ref) => format!("[ID] {record_ref}"),
                    SaleTarget::Phone(phone) => format!("[PHONE] {phone}"),
                };
                sms.push_str(" [REVENUE] ");
                sms.push_str(revenue);
                if let Some(cost) = cost {
                    sms.push_str(" [COST] ");
                    sms.push_str(cost);
                }
                if let Some(profit) = profit {
                    sms.push_str(" [PROFIT] ");
                    sms.push_str(profit);
                }
                sms
            }
        }
    }
}

/// The error of this module: `what = "reply"`.
fn invalid(reason: impl Into<String>) -> Invalid {
    Invalid::new("reply", reason)
}

/// `1042 Wants blue velvet` → the note "Wants blue velvet" on 1042.
fn sms_note(text: &str) -> Result<Command, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(
            "the SMS is empty: start it with the record ref and then the note (\"1042 Wants a call back\")",
        ));
    }
    let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (word, after) = text.split_at(word_end);
    let Some((record_ref, separated)) = clean::ref_word(word)? else {
        return Err(invalid(format!(
            "start the SMS with the record ref and then the note (\"1042 Wants a call back\"), or \
             record a sale with keywords (\"[ID] 1042 [REVENUE] 1,000\"); it starts with \"{}\"",
            clean::shown(word)
        )));
    };
    let rest = if separated {
        after
    } else {
        clean::strip_lone_separator(after)
    };
    let note = rest.trim();
    if note.is_empty() {
        return Err(invalid(format!(
            "add the note after the ref: \"{record_ref} Wants a call back\""
        )));
    }
    Ok(Command::Note {
        record_ref,
        text: note.to_owned(),
    })
}

/// The checks every command passes on its way out: no text that was never decoded.
fn finish(command: Command) -> Result<Command, Invalid> {
    let texts: Vec<&str> = match &command {
        Command::Note { text, .. } => vec![text],
        Command::Sale {
            target,
            revenue,
            cost,
            profit,
        } => {
            let mut texts = vec![revenue.as_str()];
            if let SaleTarget::Phone(phone) = target {
                texts.push(phone);
            }
            texts.extend(cost.as_deref());
            texts.extend(profit.as_deref());
            texts
        }
    };
    if texts.iter().any(|text| text.contains(char::REPLACEMENT_CHARACTER)) {
        return Err(invalid(
            "the message has characters that could not be read (shown as \u{FFFD}): send it again as plain text",
        ));
    }
    Ok(command)
}
