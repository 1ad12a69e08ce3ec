//! What is particular to each kind of event: one type per kind, the contract between the
//! store, which records events, and the adapters, which deliver them. The kind is the
//! variant, so the two cannot disagree. docs/outbox.md lists every kind's fields; a test
//! keeps it true.
//!
//! In JSON (the `data` column of `events`, the `data` of a webhook body) each is an object
//! with its keys in alphabetical order, as they have always been stored and sent: rows
//! written by earlier releases read, and a receiver sees the same bytes.

use super::EventKind;
use crate::Invalid;
use crate::call::{CallOutcome, MatchedBy};
use crate::form::{MessageId, SubmissionVia};
use crate::lead::{Author, LeadMatch, LeadStatus};
use crate::site::Currency;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Declares [`EventData`] with one variant per [`EventKind`] of the same name, and what
/// follows from that pairing.
macro_rules! event_data {
    ($($(#[$doc:meta])* $kind:ident($data:ty),)*) => {
        /// The data of an event: its variant is the event's kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventData {
            $($(#[$doc])* $kind($data),)*
        }

        impl EventData {
            /// The kind of event this is the data of.
            pub fn kind(&self) -> EventKind {
                match self {
                    $(Self::$kind(_) => EventKind::$kind,)*
                }
            }

            fn to_value(&self) -> serde_json::Result<Value> {
                match self {
                    $(Self::$kind(data) => serde_json::to_value(data),)*
                }
            }

            /// Reads the data of an event of `kind` (a stored row, a received body).
            pub fn from_json(kind: EventKind, data: Value) -> Result<Self, Invalid> {
                let read = match kind {
                    $(EventKind::$kind => serde_json::from_value(data).map(Self::$kind),)*
                };
                read.map_err(|e| Invalid::new("event data", format!("of {}: {e}", kind.as_str())))
            }
        }
    };
}

event_data! {
    /// A call element was clicked (click mode) and a code handed out.
    CallInitiated(CallInitiated),
    /// A call came in; the call record exists.
    CallDialed(CallDialed),
    /// An operator answered.
    CallConnected(CallConnected),
    /// The call ended.
    CallCompleted(CallCompleted),
    /// A form was submitted.
    FormCompleted(FormCompleted),
    /// The lead's status changed.
    LeadStatusChanged(Authored<StatusChange>),
    /// A sale was recorded.
    SaleRecorded(Authored<Sale>),
    /// A note was added.
    NoteAdded(Authored<Note>),
    /// Contact fields, custom fields or tags changed.
    LeadUpdated(Authored<LeadUpdate>),
    /// The person behind the lead was erased.
    LeadErased(LeadErased),
    /// A call or a form was marked as an ad conversion.
    ConversionMarked(Authored<ConversionMarked>),
    /// A call's or a form's conversion mark was removed.
    ConversionUnmarked(Authored<ConversionUnmarked>),
    /// A call was flagged spam, or cleared.
    CallSpamChanged(Authored<CallSpamChanged>),
}

impl EventData {
    /// The data as JSON: an object with its keys in alphabetical order.
    pub fn to_json(&self) -> Value {
        self.to_value()
            .expect("event data has only text keys, so it always becomes JSON")
    }

    /// Who made the change, for the events of a lead change.
    pub fn author(&self) -> Option<&Author> {
        match self {
            Self::LeadStatusChanged(change) => Some(&change.author),
            Self::SaleRecorded(change) => Some(&change.author),
            Self::NoteAdded(change) => Some(&change.author),
            Self::LeadUpdated(change) => Some(&change.author),
            Self::ConversionMarked(change) => Some(&change.author),
            Self::ConversionUnmarked(change) => Some(&change.author),
            Self::CallSpamChanged(change) => Some(&change.author),
            _ => None,
        }
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Through a JSON value, whose object keys are kept sorted.
        self.to_value().map_err(S::Error::custom)?.serialize(serializer)
    }
}

/// `call.initiated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInitiated {
    /// The element clicked, as the page named it.
    pub element: String,
    /// The page it was on.
    pub page_url: String,
}

/// `call.dialed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDialed {
    /// The caller as stored: an E.164 number, a client identity, or `anonymous`.
    pub caller: String,
    /// How the call found its origin.
    pub matched_by: MatchedBy,
    /// The offline source's label, for a reserved code.
    pub source_label: Option<String>,
}

/// `call.connected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallConnected {
    /// The number (or identity) that answered, when the provider said.
    pub answered_by: Option<String>,
}

/// `call.completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCompleted {
    /// Whether an operator answered (someone answered, or the outcome says so).
    pub answered: bool,
    pub answered_by: Option<String>,
    /// How long the call lasted; 0 when the provider did not say.
    pub duration_seconds: u32,
    pub outcome: Option<CallOutcome>,
    /// Nobody answered and the caller left a message (the call has a recording).
    #[serde(default)]
    pub voicemail: bool,
    /// Where the call's recording is played through Leadline, to a signed-in member of the
    /// business: a path on the server's address (`/app/calls/1042/recording`, never the
    /// provider's link, which needs its credentials); null while there is none.
    #[serde(default)]
    pub recording_path: Option<String>,
}

/// The path on which Leadline plays call `record_ref`'s recording to a member of its business.
pub fn recording_path(record_ref: u64) -> String {
    format!("/app/calls/{record_ref}/recording")
}

/// `form.completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormCompleted {
    /// Every field as submitted, in order, as `[name, value]` pairs.
    pub fields: Vec<(String, String)>,
    /// How the submission found its lead (`new` for a new lead).
    pub matched_by: LeadMatch,
    pub message_id: MessageId,
    pub page_url: Option<String>,
    pub via: SubmissionVia,
}

/// A change to a lead and who made it: the change's fields with `author` beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authored<T> {
    pub author: Author,
    #[serde(flatten)]
    pub change: T,
}

/// `lead.status_changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub from: LeadStatus,
    pub to: LeadStatus,
}

/// `sale.recorded`, in the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// The call the sale came from, by record ref.
    pub call_ref: Option<u64>,
    /// How Leadline found the cost, when it did ("7 call minutes × 0.50").
    pub cost_basis: Option<String>,
    pub cost_minor: i64,
    pub currency: Currency,
    /// The form the sale came from, by message id (absent in events recorded before sales
    /// could name one); written only when there is one, so a sale without keeps its bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<MessageId>,
    pub profit_minor: i64,
    pub revenue_minor: i64,
}

/// `note.added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

/// `lead.updated`: the fields that changed, or the tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LeadUpdate {
    /// Contact fields by name (`name`, `email`, `phone`, `company`) and custom fields as
    /// `custom.<name>`, each with its value before and after (`null` for none).
    Fields {
        changed: BTreeMap<String, FieldChange>,
    },
    Tags {
        added: Vec<String>,
        removed: Vec<String>,
    },
}

impl LeadUpdate {
    /// The contact and custom fields that changed (none for tags).
    pub fn changed_fields(&self) -> Vec<&str> {
        match self {
            Self::Fields { changed } => changed.keys().map(String::as_str).collect(),
            Self::Tags { .. } => Vec::new(),
        }
    }
}

/// A field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub from: Option<Value>,
    pub to: Option<Value>,
}

/// Types carried in event data by their stored names (`as_str`, `parse`).
macro_rules! by_stored_name {
    ($($ty:ty => $name:ident, $parse:path;)*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$name())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $parse(&text).map_err(D::Error::custom)
            }
        }
    )*};
}

by_stored_name! {
    MatchedBy => as_str, MatchedBy::parse;
    CallOutcome => as_str, CallOutcome::parse;
    Currency => code, Currency::parse;
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;

/// `lead.erased`: nothing but the lead's ref (on the event) goes out. The identifiers an
/// outside system erases by are the delivery's own, read when it is claimed and forgotten once
/// the system has answered, so they are never part of what is stored with the event or sent to
/// a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadErased {
    /// The erased lead's ref: the lead itself is empty now.
    pub record_ref: u64,
    #[serde(skip)]
    pub subjects: Vec<crate::erasure::Subject>,
}

/// `conversion.marked`: the record (a call by ref, or a form by message id), the conversion's
/// name and the value the operator gave (none: the value comes from the lead's sales).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionMarked {
    #[serde(default)]
    pub call_ref: Option<u64>,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub message_id: Option<MessageId>,
    pub name: String,
    #[serde(default)]
    pub value_minor: Option<i64>,
}

/// `conversion.unmarked`: the record whose mark was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionUnmarked {
    #[serde(default)]
    pub call_ref: Option<u64>,
    #[serde(default)]
    pub message_id: Option<MessageId>,
}

/// `call.spam_changed`: the call (the event's `record_ref`) is now spam for this reason, or
/// (null) a person said it is not. Reports and ad platforms leave spam calls out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSpamChanged {
    pub spam: Option<crate::spam::SpamReason>,
}
