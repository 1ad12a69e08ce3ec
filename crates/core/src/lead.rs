//! Leads: the people behind calls and forms, what operators do to them afterwards
//! (activities) and the money they bring (sales).

use crate::call::validate_tags;
use crate::fields::CustomValues;
use crate::net::Email;
use crate::{BusinessId, E164, Invalid, LeadId, SiteId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a lead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    InCall,
    Contacted,
    Qualified,
    Converted,
    Lost,
}

impl LeadStatus {
    /// Every status, in the order a lead usually moves through them.
    pub const ALL: [LeadStatus; 6] = [
        Self::New,
        Self::InCall,
        Self::Contacted,
        Self::Qualified,
        Self::Converted,
        Self::Lost,
    ];

    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InCall => "in_call",
            Self::Contacted => "contacted",
            Self::Qualified => "qualified",
            Self::Converted => "converted",
            Self::Lost => "lost",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                Invalid::new("lead status", format!("'{input}' is not one of {}", names.join(", ")))
            })
    }
}

/// Who made a change: shown on every activity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Author(String);

impl Author {
    /// A logged-in owner or operator.
    pub fn user(email: &Email) -> Self {
        Self(format!("user:{}", email.as_str()))
    }

    /// A program holding one of the business's API keys (named by its public prefix).
    pub fn api_key(prefix: &str) -> Self {
        Self(format!("api-key:{prefix}"))
    }

    /// Leadline itself (a call ending, a form arriving).
    pub fn system() -> Self {
        Self("system".into())
    }

    /// The business's rules on what was said, applied to a call's transcript.
    pub fn speech_rules() -> Self {
        Self("rules:speech".into())
    }

    /// Reads a stored author.
    pub fn from_stored(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The stored and wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's contact details; each may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<E164>,
    pub company: Option<String>,
}

/// The longest name or company, in characters.
pub const MAX_CONTACT_CHARS: usize = 200;

/// A name or company: trimmed, at most [`MAX_CONTACT_CHARS`], no control characters; empty
/// is `None`.
pub fn contact_text(what: &'static str, input: &str) -> Result<Option<String>, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_CONTACT_CHARS {
        return Err(Invalid::new(
            what,
            format!("longer than {MAX_CONTACT_CHARS} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(what, "contains control characters"));
    }
    Ok(Some(text.to_owned()))
}

/// Money of a lead in one currency, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: String,
    pub revenue_minor: i64,
    pub cost_minor: i64,
    pub profit_minor: i64,
}

/// A lead as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: LeadId,
    pub business_id: BusinessId,
    /// The short public handle (shared with the call that created the lead, if one did).
    pub record_ref: u64,
    /// The site the lead first came through, when known.
    pub site_id: Option<SiteId>,
    pub contact: Contact,
    pub status: LeadStatus,
    /// A sorted set.
    pub tags: Vec<String>,
    pub custom: CustomValues,
    /// The first channel the lead came through ("google / cpc", "print: Spring flyer").
    pub source: Option<String>,
    pub visitor_key: Option<String>,
    /// Sums of the lead's sales, one entry per currency.
    pub totals: Vec<Totals>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A sale to record on a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSale {
    pub currency: String,
    pub revenue_minor: i64,
    pub cost_minor: i64,
    /// Revenue minus cost unless given.
    pub profit_minor: i64,
    /// The call the sale came from, by record ref, when known.
    pub call_ref: Option<u64>,
    /// The form (submission) the sale came from, by message id, when known; a sale is for
    /// one call or one form, never both.
    pub form: Option<crate::form::MessageId>,
    /// How the cost was found, when Leadline computed it ("7 call minutes × 0.50").
    pub cost_basis: Option<String>,
}

/// One change to a lead, recorded as an activity.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadChange {
    /// Contact fields and custom fields; `None` leaves a field as it is, `Some(None)` clears it.
    Fields(FieldsPatch),
    Status(LeadStatus),
    Tags {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Note(String),
    Sale(NewSale),
}

/// Changed contact and custom fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldsPatch {
    pub name: Option<Option<String>>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<E164>>,
    pub company: Option<Option<String>>,
    /// Custom values to set; JSON null removes one.
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

impl LeadChange {
    /// Checks what can be checked without the stored lead.
    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            Self::Note(text) if text.trim().is_empty() => Err(Invalid::new("note", "is empty")),
            Self::Note(text) if text.chars().count() > MAX_NOTE_CHARS => {
                Err(Invalid::new("note", format!("longer than {MAX_NOTE_CHARS} characters")))
            }
            Self::Tags { add, remove } => {
                validate_tags(add)?;
                validate_tags(remove)
            }
            Self::Sale(sale) if sale.revenue_minor < 0 || sale.cost_minor < 0 => {
                Err(Invalid::new("sale", "revenue and cost cannot be negative"))
            }
            Self::Sale(sale) if sale.call_ref.is_some() && sale.form.is_some() => {
                Err(Invalid::new("sale", "is for one call or one form, not both"))
            }
            _ => Ok(()),
        }
    }

    /// The activity kind this change is recorded as.
    pub fn kind(&self) -> ActivityKind {
        match self {
            Self::Fields(_) => ActivityKind::Fields,
            Self::Status(_) => ActivityKind::Status,
            Self::Tags { .. } => ActivityKind::Tags,
            Self::Note(_) => ActivityKind::Note,
            Self::Sale(_) => ActivityKind::Sale,
        }
    }
}

/// What kind of thing happened to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Note,
    Status,
    Sale,
    Fields,
    Tags,
    /// One of the lead's calls or forms was marked (or unmarked) as an ad conversion.
    Conversion,
}

impl ActivityKind {
    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Status => "status",
            Self::Sale => "sale",
            Self::Fields => "fields",
            Self::Tags => "tags",
            Self::Conversion => "conversion",
        }
    }

    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        [
            Self::Note,
            Self::Status,
            Self::Sale,
            Self::Fields,
            Self::Tags,
            Self::Conversion,
        ]
        .into_iter()
        .find(|k| k.as_str() == input)
        .ok_or_else(|| Invalid::new("activity kind", format!("'{input}' is unknown")))
    }
}

/// Something done on a lead, with its author and time. `detail` holds what changed, e.g.
/// `{"from":"new","to":"qualified"}` or `{"text":"Wants a quote"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: i64,
    pub lead_id: LeadId,
    pub kind: ActivityKind,
    pub author: Author,
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// How a submission or call found its lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadMatch {
    VisitorKey,
    Email,
    Phone,
    New,
}

impl LeadMatch {
    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::VisitorKey => "visitor_key",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::New => "new",
        }
    }
}

/// Filters for listing leads; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    /// Matches the lead's source exactly.
    pub source: Option<String>,
    pub tag: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Case-insensitive text over name, e-mail, phone and record ref.
    pub text: Option<String>,
    /// Leads whose only records are calls flagged spam: hidden unless asked for.
    pub spam: crate::interaction::SpamView,
    /// At most this many (1..=200).
    pub limit: u32,
    /// Only leads older than this one (the previous page's cursor).
    pub before: Option<LeadId>,
}

/// What a filter finds over all its pages: how many leads, and their sales summed in each
/// currency (never converted or added across currencies), sorted by currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadSummary {
    pub count: u64,
    pub totals: Vec<Totals>,
}

/// One page of leads, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next: Option<LeadId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_matches_are_named_as_they_are_serialised() {
        for matched in [
            LeadMatch::VisitorKey,
            LeadMatch::Email,
            LeadMatch::Phone,
            LeadMatch::New,
        ] {
            assert_eq!(serde_json::to_value(matched).unwrap(), matched.as_str());
        }
    }

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_named() {
        for status in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(status.as_str()).unwrap(), status);
        }
        let err = LeadStatus::parse("won").unwrap_err().to_string();
        assert!(err.contains("'won'") && err.contains("converted"), "{err}");
    }

    #[test]
    fn empty_or_huge_notes_are_refused() {
        assert!(LeadChange::Note("  ".into()).validate().is_err());
        assert!(LeadChange::Note("x".repeat(MAX_NOTE_CHARS + 1)).validate().is_err());
        assert!(LeadChange::Note("Wants a quote".into()).validate().is_ok());
    }

    #[test]
    fn contact_text_is_trimmed_and_checked() {
        assert_eq!(contact_text("name", "  Ann  ").unwrap().as_deref(), Some("Ann"));
        assert_eq!(contact_text("name", " ").unwrap(), None);
        assert!(contact_text("name", "a\u{0}b").is_err());
        assert!(contact_text("company", &"c".repeat(201)).is_err());
    }

    #[test]
    fn negative_money_is_refused() {
        let sale = NewSale {
            currency: "USD".into(),
            revenue_minor: -1,
            cost_minor: 0,
            profit_minor: -1,
            call_ref: None,
            form: None,
            cost_basis: None,
        };
        assert!(LeadChange::Sale(sale.clone()).validate().is_err());
        let both = NewSale {
            revenue_minor: 1,
            profit_minor: 1,
            call_ref: Some(1000),
            form: Some(crate::form::MessageId::generate()),
            ..sale
        };
        let refused = LeadChange::Sale(both).validate().unwrap_err().to_string();
        assert!(refused.contains("one call or one form"), "{refused}");
    }
}
