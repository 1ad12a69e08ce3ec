//! Recording an event inside the transaction of the change that causes it, with one
//! delivery per enabled integration of the business (and site) that subscribes to its kind.

use crate::errors::backend;
use leadline_core::event::{EventKind, NewEvent, new_event_id};
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, SiteId};
use sqlx::AnyConnection;

/// The enabled integrations of the event's business (and site) that take its kind.
const SUBSCRIBED: &str = "FROM integrations i
     WHERE i.business_id = $1 AND i.enabled = 1 AND (i.site_id IS NULL OR i.site_id = $2) AND i.events LIKE $3";

/// Whether an enabled integration of the business (and site) takes events of `kind`: when
/// none does, events of that kind are not written.
pub(crate) async fn subscribed(
    conn: &mut AnyConnection,
    business: BusinessId,
    site: Option<SiteId>,
    kind: EventKind,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!("SELECT i.id {SUBSCRIBED} LIMIT 1"))
        .bind(business.0)
        .bind(site.map(|s| s.0))
        .bind(pattern(kind))
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}

/// The `LIKE` pattern that finds `kind` in an integration's comma-wrapped list of kinds.
fn pattern(kind: EventKind) -> String {
    format!("%,{},%", kind.as_str())
}

/// Writes the event and its deliveries on `conn` (an open transaction). An event nothing
/// subscribes to is not written: it would only be read to be delivered, and this keeps the
/// telephony and visit paths to one indexed read when a business has no integrations.
pub(crate) async fn enqueue(conn: &mut AnyConnection, event: &NewEvent, now: i64) -> StoreResult<()> {
    if !subscribed(conn, event.business_id, event.site_id, event.kind()).await? {
        return Ok(());
    }
    write_subscribed(conn, event, now).await
}

/// Writes the event and its deliveries, once [`subscribed`] has said an integration takes
/// it (a batch asks once for many events of one site).
pub(crate) async fn write_subscribed(conn: &mut AnyConnection, event: &NewEvent, now: i64) -> StoreResult<()> {
    let kind = pattern(event.kind());
    let data = event.data.to_json().to_string();
    let event_id: i64 = sqlx::query_scalar(
        "INSERT INTO events (public_id, business_id, site_id, lead_id, call_id, submission_id, visit_id, kind, data,
             occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new_event_id())
    .bind(event.business_id.0)
    .bind(event.site_id.map(|s| s.0))
    .bind(event.lead_id.map(|l| l.0))
    .bind(event.call_id)
    .bind(event.submission_id)
    .bind(event.visit_id)
    .bind(event.kind().as_str())
    .bind(data)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(&format!(
        "INSERT INTO deliveries (event_id, integration_id, business_id, lead_id, status, attempts, next_attempt_at,
             created_at)
         SELECT $4, i.id, i.business_id, $5, 'pending', 0, $6, $6 {SUBSCRIBED}"
    ))
    .bind(event.business_id.0)
    .bind(event.site_id.map(|s| s.0))
    .bind(kind.as_str())
    .bind(event_id)
    .bind(event.lead_id.map(|l| l.0))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
