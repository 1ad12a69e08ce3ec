//! The events of a call, recorded in the call's own transactions: dialed when the record is
//! created, connected when an operator answers, completed when it ends. Each is recorded
//! once: the call row remembers it, so retried or reordered callbacks add nothing.

use crate::errors::{backend, corrupt};
use crate::outbox::enqueue::{enqueue, write_subscribed};
use leadline_core::call::{CallOutcome, NewCall};
use leadline_core::event::{CallCompleted, CallConnected, CallDialed, EventData, NewEvent, recording_path};
use leadline_core::interaction::CallResult;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::AnyConnection;

/// `call.dialed` for a call just created, on a site that an integration takes it for
/// (`enqueue::subscribed`, asked once per site by the batch).
pub(crate) async fn dialed(
    conn: &mut AnyConnection,
    new: &NewCall,
    call_id: i64,
    lead: i64,
    now: i64,
) -> StoreResult<()> {
    let event = NewEvent {
        business_id: new.business_id,
        site_id: Some(new.site_id),
        lead_id: Some(LeadId(lead)),
        call_id: Some(call_id),
        submission_id: None,
        visit_id: None,
        data: EventData::CallDialed(CallDialed {
            caller: new.caller.as_stored().to_owned(),
            matched_by: new.origin.matched_by,
            source_label: new.origin.source_label.clone(),
        }),
    };
    write_subscribed(conn, &event, now).await
}

/// `call.connected` and `call.completed` when the call (as the report left it) has reached
/// them and they were not recorded yet. Most reports reach neither, and cost nothing more.
pub(crate) async fn progressed(conn: &mut AnyConnection, call: &Reached, now: i64) -> StoreResult<()> {
    let outcome = call
        .outcome
        .as_deref()
        .map(CallOutcome::parse)
        .transpose()
        .map_err(corrupt)?;
    let answered = call.answered_by.is_some() || outcome == Some(CallOutcome::Answered);
    if answered && call.connected_event_at.is_none() && mark(conn, "connected_event_at", call.id, now).await? {
        let data = EventData::CallConnected(CallConnected {
            answered_by: call.answered_by.clone(),
        });
        enqueue(conn, &call.event(data), now).await?;
    }
    if call.ended_at.is_some()
        && call.completed_event_at.is_none()
        && mark(conn, "completed_event_at", call.id, now).await?
    {
        let data = EventData::CallCompleted(CallCompleted {
            answered,
            answered_by: call.answered_by.clone(),
            duration_seconds: call.duration_seconds.and_then(|d| u32::try_from(d).ok()).unwrap_or(0),
            outcome,
            voicemail: call.call_result() == CallResult::Voicemail,
            recording_path: call
                .recording_url
                .is_some()
                .then(|| recording_path(u64::try_from(call.record_ref).unwrap_or_default())),
        });
        enqueue(conn, &call.event(data), now).await?;
    }
    Ok(())
}

/// The call as a report left it (the `RETURNING` of its update).
#[derive(sqlx::FromRow)]
pub(crate) struct Reached {
    pub(crate) id: i64,
    pub(crate) business_id: i64,
    pub(crate) record_ref: i64,
    pub(crate) site_id: i64,
    pub(crate) lead_id: i64,
    outcome: Option<String>,
    answered_by: Option<String>,
    duration_seconds: Option<i64>,
    pub(crate) ended_at: Option<i64>,
    connected_event_at: Option<i64>,
    pub(crate) completed_event_at: Option<i64>,
    pub(crate) recording_url: Option<String>,
    pub(crate) started_at: i64,
    pub(crate) result: Option<String>,
}

impl Reached {
    /// What became of the call, as the report left it.
    pub(crate) fn call_result(&self) -> leadline_core::interaction::CallResult {
        let answered = self.answered_by.is_some() || self.outcome.as_deref() == Some(CallOutcome::Answered.as_str());
        leadline_core::interaction::CallResult::of(leadline_core::interaction::CallFacts {
            ended: self.ended_at.is_some(),
            answered,
            has_recording: self.recording_url.is_some(),
            length_seconds: self
                .ended_at
                .map(|end| u32::try_from((end - self.started_at).max(0) / 1000).unwrap_or(u32::MAX)),
        })
    }
}

impl Reached {
    fn event(&self, data: EventData) -> NewEvent {
        NewEvent {
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
