//! The events of a call, recorded in the call's own transactions: dialed when the record is
//! created, connected when an operator answers, completed when it ends. Each is recorded
//! once: the call row remembers it, so retried or reordered callbacks add nothing.

use crate::errors::backend;
use crate::outbox::enqueue::enqueue;
use leadline_core::call::NewCall;
use leadline_core::event::{EventKind, NewEvent};
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, LeadId, SiteId};
use serde_json::json;
use sqlx::AnyConnection;

/// `call.dialed` for a call just created.
pub(crate) async fn dialed(
    conn: &mut AnyConnection,
    new: &NewCall,
    call_id: i64,
    lead: i64,
    now: i64,
) -> StoreResult<()> {
    let event = NewEvent {
        kind: EventKind::CallDialed,
        business_id: new.business_id,
        site_id: Some(new.site_id),
        lead_id: Some(LeadId(lead)),
        call_id: Some(call_id),
        submission_id: None,
        visit_id: None,
        data: json!({
            "matched_by": new.origin.matched_by.as_str(),
            "caller": new.caller.as_stored(),
            "source_label": new.origin.source_label,
        }),
    };
    enqueue(conn, &event, now).await
}

/// `call.connected` and `call.completed` when the call (as the report left it) has reached
/// them and they were not recorded yet. Most reports reach neither, and cost nothing more.
pub(crate) async fn progressed(conn: &mut AnyConnection, call: &Reached, now: i64) -> StoreResult<()> {
    let answered = call.answered_by.is_some() || call.outcome.as_deref() == Some("answered");
    if answered && call.connected_event_at.is_none() && mark(conn, "connected_event_at", call.id, now).await? {
        let data = json!({ "answered_by": call.answered_by });
        enqueue(conn, &call.event(EventKind::CallConnected, data), now).await?;
    }
    if call.ended_at.is_some()
        && call.completed_event_at.is_none()
        && mark(conn, "completed_event_at", call.id, now).await?
    {
        let data = json!({
            "duration_seconds": call.duration_seconds.unwrap_or(0),
            "answered": answered,
            "outcome": call.outcome,
            "answered_by": call.answered_by,
        });
        enqueue(conn, &call.event(EventKind::CallCompleted, data), now).await?;
    }
    Ok(())
}

/// The call as a report left it (the `RETURNING` of its update).
#[derive(sqlx::FromRow)]
pub(crate) struct Reached {
    pub(crate) id: i64,
    business_id: i64,
    site_id: i64,
    pub(crate) lead_id: i64,
    outcome: Option<String>,
    answered_by: Option<String>,
    duration_seconds: Option<i64>,
    pub(crate) ended_at: Option<i64>,
    connected_event_at: Option<i64>,
    completed_event_at: Option<i64>,
}

impl Reached {
    fn event(&self, kind: EventKind, data: serde_json::Value) -> NewEvent {
        NewEvent {
            kind,
            business_id: BusinessId(self.business_id),
            site_id: Some(SiteId(self.site_id)),
            lead_id: Some(LeadId(self.lead_id)),
            call_id: Some(self.id),
            submission_id: None,
            visit_id: None,
            data,
        }
    }
}

/// Records that an event of the call was written; `false` when a concurrent report did it first.
async fn mark(conn: &mut AnyConnection, column: &str, call: i64, now: i64) -> StoreResult<bool> {
    let sql = format!("UPDATE calls SET {column} = $1 WHERE id = $2 AND {column} IS NULL");
    let updated = sqlx::query(&sql)
        .bind(now)
        .bind(call)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(updated.rows_affected() == 1)
}
