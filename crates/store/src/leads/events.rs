//! The events of leads: a change recorded as an activity is also an event for the outbox, in
//! the same transaction; so is a form submission.

use crate::outbox::enqueue::enqueue;
use leadline_core::LeadId;
use leadline_core::event::{Authored, EventData, FormCompleted, LeadUpdate, NewEvent, Note, Sale, StatusChange};
use leadline_core::form::NewSubmission;
use leadline_core::lead::{Author, Lead, LeadMatch};
use leadline_core::store::StoreResult;
use serde_json::Value;
use sqlx::AnyConnection;

/// What a lead change did: the detail of its activity and, with its author, its event.
pub(crate) enum Detail {
    Updated(LeadUpdate),
    Status(StatusChange),
    Note(Note),
    Sale(Sale),
}

impl Detail {
    /// The activity's detail as stored: the change's fields.
    pub(crate) fn to_json(&self) -> Value {
        let json = match self {
            Self::Updated(update) => serde_json::to_value(update),
            Self::Status(status) => serde_json::to_value(status),
            Self::Note(note) => serde_json::to_value(note),
            Self::Sale(sale) => serde_json::to_value(sale),
        };
        json.expect("a change's detail has only text keys, so it always becomes JSON")
    }

    /// The event's data: the change's fields and its author.
    fn by(self, author: &Author) -> EventData {
        let author = author.clone();
        match self {
            Self::Updated(change) => EventData::LeadUpdated(Authored { author, change }),
            Self::Status(change) => EventData::LeadStatusChanged(Authored { author, change }),
            Self::Note(change) => EventData::NoteAdded(Authored { author, change }),
            Self::Sale(change) => EventData::SaleRecorded(Authored { author, change }),
        }
    }
}

/// The event of a lead change that did `detail`.
pub(crate) async fn changed(
    conn: &mut AnyConnection,
    lead: &Lead,
    author: &Author,
    detail: Detail,
    now: i64,
) -> StoreResult<()> {
    let event = NewEvent {
        business_id: lead.business_id,
        site_id: lead.site_id,
        lead_id: Some(lead.id),
        call_id: None,
        submission_id: None,
        visit_id: None,
        data: detail.by(author),
    };
    enqueue(conn, &event, now).await
}

/// `form.completed` for a submission just recorded.
pub(crate) async fn submitted(
    conn: &mut AnyConnection,
    new: &NewSubmission,
    submission: i64,
    lead: i64,
    matched: LeadMatch,
    now: i64,
) -> StoreResult<()> {
    let event = NewEvent {
        business_id: new.business_id,
        site_id: Some(new.site_id),
        lead_id: Some(LeadId(lead)),
        call_id: None,
        submission_id: Some(submission),
        visit_id: None,
        data: EventData::FormCompleted(FormCompleted {
            fields: new.fields.clone(),
            matched_by: matched,
            message_id: new.message_id.clone(),
            page_url: new.page_url.clone(),
            via: new.via,
        }),
    };
    enqueue(conn, &event, now).await
}
