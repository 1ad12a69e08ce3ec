//! Sample data of every kind of event, for the tests of this crate and of the crates that
//! deliver events (the `test-support` feature): one place that builds them, so that a change
//! of the contract changes one file of tests.

use super::{
    Authored, CallCompleted, CallConnected, CallDialed, CallInitiated, EventData, FormCompleted, LeadSnapshot,
    LeadUpdate, Note, Sale, StatusChange,
};
use crate::LeadId;
use crate::call::{CallOutcome, MatchedBy};
use crate::channel::Attribution;
use crate::form::{MessageId, SubmissionVia};
use crate::lead::{Author, LeadMatch, LeadStatus};
use crate::site::Currency;

/// A click on `call-now`.
pub fn initiated() -> EventData {
    EventData::CallInitiated(CallInitiated {
        element: "call-now".into(),
        page_url: "https://acme.example/contact".into(),
    })
}

/// A call from +1 202-555-0199 whose code named its visit.
pub fn dialed() -> EventData {
    EventData::CallDialed(CallDialed {
        caller: "+12025550199".into(),
        matched_by: MatchedBy::Code,
        source_label: None,
    })
}

/// +1 202-555-0111 answered.
pub fn connected() -> EventData {
    EventData::CallConnected(CallConnected {
        answered_by: Some("+12025550111".into()),
    })
}

/// A call that ended; +1 202-555-0111 answered it when `answered`.
pub fn completed(duration_seconds: u32, answered: bool, outcome: Option<CallOutcome>) -> EventData {
    EventData::CallCompleted(CallCompleted {
        answered,
        answered_by: answered.then(|| "+12025550111".into()),
        duration_seconds,
        outcome,
        voicemail: false,
        recording_path: None,
    })
}

/// A browser form that found its lead as `matched_by` says.
pub fn form(matched_by: LeadMatch) -> EventData {
    EventData::FormCompleted(FormCompleted {
        fields: vec![("message".into(), "Call me back".into())],
        matched_by,
        message_id: MessageId::parse("m_0123456789abcdefghijkl").expect("a well-formed message id"),
        page_url: Some("https://acme.example/contact".into()),
        via: SubmissionVia::Browser,
    })
}

/// Leadline moved the lead from one status to another.
pub fn status(from: LeadStatus, to: LeadStatus) -> EventData {
    EventData::LeadStatusChanged(Authored {
        author: Author::system(),
        change: StatusChange { from, to },
    })
}

/// A sale in `currency` (an ISO 4217 code) whose profit is revenue less cost.
pub fn sale(currency: &str, revenue_minor: i64, cost_minor: i64, call_ref: Option<u64>) -> EventData {
    EventData::SaleRecorded(Authored {
        author: Author::system(),
        change: Sale {
            call_ref,
            cost_basis: None,
            cost_minor,
            currency: Currency::parse(currency).expect("an ISO 4217 code"),
            form: None,
            profit_minor: revenue_minor - cost_minor,
            revenue_minor,
        },
    })
}

/// A note.
pub fn note(text: &str) -> EventData {
    EventData::NoteAdded(Authored {
        author: Author::system(),
        change: Note { text: text.into() },
    })
}

/// The tag `vip` added.
pub fn tagged() -> EventData {
    EventData::LeadUpdated(Authored {
        author: Author::system(),
        change: LeadUpdate::Tags {
            added: vec!["vip".into()],
            removed: vec![],
        },
    })
}

/// Lead 42 (ref 1040), Ada Lovelace, new, first come from `google / cpc`.
pub fn lead() -> LeadSnapshot {
    LeadSnapshot {
        id: LeadId(42),
        record_ref: 1040,
        status: "new".into(),
        name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        phone: None,
        company: None,
        source: Some("google / cpc".into()),
        tags: vec![],
    }
}

/// A visit from a Google Ads click.
pub fn google_cpc() -> Attribution {
    Attribution {
        source: "google".into(),
        medium: "cpc".into(),
        campaign: None,
        term: None,
        content: None,
    }
}
