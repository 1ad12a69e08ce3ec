//! The events of leads: a change recorded as an activity is also an event for the outbox, in
//! the same transaction; so is a form submission.

use crate::outbox::enqueue::enqueue;
use leadline_core::LeadId;
use leadline_core::event::{EventKind, NewEvent};
use leadline_core::form::NewSubmission;
use leadline_core::lead::{Author, Lead, LeadChange, LeadMatch};
use leadline_core::store::StoreResult;
use serde_json::{Value, json};
use sqlx::AnyConnection;

/// The event of a lead change whose activity detail is `detail`.
pub(crate) async fn changed(
    conn: &mut AnyConnection,
    lead: &Lead,
    author: &Author,
    change: &LeadChange,
    detail: &Value,
    now: i64,
) -> StoreResult<()> {
    let kind = match change {
        LeadChange::Fields(_) | LeadChange::Tags { .. } => EventKind::LeadUpdated,
        LeadChange::Status(_) => EventKind::LeadStatusChanged,
        LeadChange::Note(_) => EventKind::NoteAdded,
        LeadChange::Sale(_) => EventKind::SaleRecorded,
    };
    let mut data = detail.clone();
    if let Value::Object(map) = &mut data {
        map.insert("author".into(), json!(author.as_str()));
    }
    let event = NewEvent {
        kind,
        business_id: lead.business_id,
        site_id: lead.site_id,
        lead_id: Some(lead.id),
        call_id: None,
        submission_id: None,
        visit_id: None,
        data,
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
        kind: EventKind::FormCompleted,
        business_id: new.business_id,
        site_id: Some(new.site_id),
        lead_id: Some(LeadId(lead)),
        call_id: None,
        submission_id: Some(submission),
        visit_id: None,
        data: json!({
            "message_id": new.message_id.as_str(),
            "matched_by": matched,
            "via": new.via.as_str(),
            "page_url": new.page_url,
            "fields": new.fields,
        }),
    };
    enqueue(conn, &event, now).await
}
