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
            "caller": new.caller,
            "source_label": new.origin.source_label,
        }),
    };
    enqueue(conn, &event, now).await
}

/// `call.connected` and `call.completed` when the call has reached them and they were not
/// recorded yet.
pub(crate) async fn progressed(conn: &mut AnyConnection, provider_call_sid: &str, now: i64) -> StoreResult<()> {
    let connected = "UPDATE calls SET connected_event_at = $1
         WHERE provider_call_sid = $2 AND connected_event_at IS NULL
           AND (answered_by IS NOT NULL OR outcome = 'answered')
         RETURNING id, business_id, site_id, lead_id, outcome, answered_by, duration_seconds";
    if let Some(row) = transition(conn, connected, provider_call_sid, now).await? {
        let data = json!({ "answered_by": row.answered_by });
        enqueue(conn, &row.event(EventKind::CallConnected, data), now).await?;
    }
    let completed = "UPDATE calls SET completed_event_at = $1
         WHERE provider_call_sid = $2 AND completed_event_at IS NULL AND ended_at IS NOT NULL
         RETURNING id, business_id, site_id, lead_id, outcome, answered_by, duration_seconds";
    if let Some(row) = transition(conn, completed, provider_call_sid, now).await? {
        let answered = row.outcome.as_deref() == Some("answered") || row.answered_by.is_some();
        let data = json!({
            "duration_seconds": row.duration_seconds.unwrap_or(0),
            "answered": answered,
            "outcome": row.outcome,
            "answered_by": row.answered_by,
        });
        enqueue(conn, &row.event(EventKind::CallCompleted, data), now).await?;
    }
    Ok(())
}

/// The call as a transition found it.
#[derive(sqlx::FromRow)]
struct Reached {
    id: i64,
    business_id: i64,
    site_id: i64,
    lead_id: i64,
    outcome: Option<String>,
    answered_by: Option<String>,
    duration_seconds: Option<i64>,
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

async fn transition(conn: &mut AnyConnection, sql: &str, sid: &str, now: i64) -> StoreResult<Option<Reached>> {
    sqlx::query_as(sql)
        .bind(now)
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)
}
