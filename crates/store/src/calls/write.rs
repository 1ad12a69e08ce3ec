//! The record ref counter, what a call tells about its lead, and the lead's status when its
//! calls end.

use crate::errors::{backend, classify};
use leadline_core::call::NewCall;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, E164};
use sqlx::AnyConnection;

/// Record refs start here, so that every ref is four digits or more and easy to say.
const FIRST_REF: i64 = 1000;

/// The next record ref of the business (the transaction's first statement: a write). Calls
/// and leads share the counter, so a ref names one call, one lead, or a call and the lead it
/// created.
pub(crate) async fn next_ref(conn: &mut AnyConnection, business: BusinessId) -> StoreResult<i64> {
    take_refs(conn, business, 1).await
}

/// Takes `count` consecutive record refs of the business at once; the first of them.
pub(super) async fn take_refs(conn: &mut AnyConnection, business: BusinessId, count: i64) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO business_refs (business_id, next_ref) VALUES ($1, $2)
         ON CONFLICT (business_id) DO UPDATE SET next_ref = business_refs.next_ref + $3
         RETURNING next_ref - $3",
    )
    .bind(business.0)
    .bind(FIRST_REF + count)
    .bind(count)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

/// Takes the business's ref counter row without taking a ref: a write (so it can open a
/// SQLite transaction) that also serialises lead matching per business on PostgreSQL.
/// `NotFound` for an unknown business.
pub(crate) async fn lock_refs(conn: &mut AnyConnection, business: BusinessId) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO business_refs (business_id, next_ref) VALUES ($1, $2)
         ON CONFLICT (business_id) DO UPDATE SET next_ref = business_refs.next_ref",
    )
    .bind(business.0)
    .bind(FIRST_REF)
    .execute(&mut *conn)
    .await
    .map_err(|e| classify(e, || "the record ref counter is taken".to_owned()))?;
    Ok(())
}

/// The visit a call came from, as its lead needs it.
#[derive(Clone)]
pub(super) struct CallVisit {
    pub(super) id: i64,
    pub(super) visitor_key: String,
    pub(super) source: String,
    pub(super) medium: String,
}

/// What a call tells about its lead.
pub(super) struct CallLead<'a> {
    pub(super) record_ref: i64,
    /// The caller, when it is an E.164 number (providers send words for hidden callers).
    pub(super) phone: Option<&'a str>,
    pub(super) visitor_key: Option<&'a str>,
    pub(super) source: Option<String>,
}

impl<'a> CallLead<'a> {
    pub(super) fn of(new: &'a NewCall, visit: Option<&'a CallVisit>, record_ref: i64) -> Self {
        let source = match visit {
            Some(v) => Some(format!("{} / {}", v.source, v.medium)),
            None => new.origin.source_label.clone(),
        };
        Self {
            record_ref,
            phone: new.caller.number().map(E164::as_str),
            visitor_key: visit.map(|v| v.visitor_key.as_str()),
            source,
        }
    }
}

/// When the lead's last call in progress has ended, gives it back the status it had before
/// (a status someone chose during the call is kept).
pub(super) async fn end_in_call(conn: &mut AnyConnection, lead: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE leads SET
             status = CASE WHEN status = 'in_call' THEN COALESCE(status_before_call, 'new') ELSE status END,
             status_before_call = NULL, updated_at = $2
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM calls WHERE lead_id = $1 AND ended_at IS NULL)",
    )
    .bind(lead)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Keeps the call's result (what the Activity list filters on) as the reports leave it.
pub(super) async fn set_result(conn: &mut AnyConnection, call: i64, result: &str) -> StoreResult<()> {
    sqlx::query("UPDATE calls SET result = $1 WHERE id = $2")
        .bind(result)
        .bind(call)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}
