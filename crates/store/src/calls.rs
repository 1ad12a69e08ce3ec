//! Calls and their leads.

use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::reports::marks::StaleMarks;
use crate::rows::{col, now_millis, parsed, parsed_opt, time, time_opt};
use async_trait::async_trait;
use leadline_core::call::{Call, CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::channel::Attribution;
use leadline_core::matching::{PersonKeys, lead_lookups};
use leadline_core::provider::WebLink;
use leadline_core::store::{CallMeClaim, CallMeGrant, CallStore, CodeSpans, StoreError, StoreResult};
use leadline_core::visit::{PoolKey, Selector, VisitRef};
use leadline_core::{BusinessId, E164, IntentId, NumberId, SiteId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Record refs start here, so that every ref is four digits or more and easy to say.
const FIRST_REF: i64 = 1000;

/// The columns of a call with its visit's story; `call` reads a row of it.
pub(crate) const SELECT: &str =
    "SELECT c.*, v.public_id AS visit_public_id, v.source, v.medium, v.campaign, v.term, v.content
    FROM calls c LEFT JOIN visits v ON v.id = c.visit_id";

/// A row of [`SELECT`] as a call.
pub(crate) fn call(row: &AnyRow) -> StoreResult<Call> {
    let visit: Option<VisitRef> = parsed_opt(row, "visit_public_id", VisitRef::parse)?;
    let attribution = match visit {
        Some(_) => Some(Attribution {
            source: col(row, "source")?,
            medium: col(row, "medium")?,
            campaign: col(row, "campaign")?,
            term: col(row, "term")?,
            content: col(row, "content")?,
        }),
        None => None,
    };
    let selector: Option<String> = col(row, "pool_selector")?;
    Ok(Call {
        record_ref: u64::try_from(col::<i64>(row, "record_ref")?).unwrap_or_default(),
        business_id: BusinessId(col(row, "business_id")?),
        site_id: SiteId(col(row, "site_id")?),
        number_id: NumberId(col(row, "number_id")?),
        lead_id: col(row, "lead_id")?,
        origin: CallOrigin {
            matched_by: parsed(row, "matched_by", MatchedBy::parse)?,
            visit,
            intent: col::<Option<i64>>(row, "intent_id")?.map(IntentId),
            source_label: col(row, "source_label")?,
        },
        attribution,
        provider_call_sid: col(row, "provider_call_sid")?,
        caller: col(row, "caller")?,
        keyed: col(row, "keyed")?,
        code: col::<Option<i64>>(row, "code")?.and_then(|c| u64::try_from(c).ok()),
        selector: if selector.as_deref() == Some("*") {
            Selector::Star
        } else {
            Selector::Plain
        },
        extension: col(row, "extension")?,
        status: col(row, "status")?,
        outcome: parsed_opt(row, "outcome", CallOutcome::parse)?,
        answered_by: col(row, "answered_by")?,
        answered_by_name: col(row, "answered_by_name")?,
        duration_seconds: col::<Option<i64>>(row, "duration_seconds")?.and_then(|d| u32::try_from(d).ok()),
        recording_url: col(row, "recording_url")?,
        tags: stored_json(&col::<String>(row, "tags")?)?,
        started_at: time(row, "started_at")?,
        ended_at: time_opt(row, "ended_at")?,
    })
}

/// The next record ref of the business (the transaction's first statement: a write). Calls
/// and leads share the counter, so a ref names one call, one lead, or a call and the lead it
/// created.
pub(crate) async fn next_ref(conn: &mut AnyConnection, business: BusinessId) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO business_refs (business_id, next_ref) VALUES ($1, $2)
         ON CONFLICT (business_id) DO UPDATE SET next_ref = business_refs.next_ref + 1
         RETURNING next_ref - 1",
    )
    .bind(business.0)
    .bind(FIRST_REF + 1)
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
struct CallVisit {
    id: i64,
    visitor_key: String,
    source: String,
    medium: String,
}

/// What a call tells about its lead.
struct CallLead<'a> {
    record_ref: i64,
    /// The caller, when it is an E.164 number (providers send words for hidden callers).
    phone: Option<&'a str>,
    visitor_key: Option<&'a str>,
    source: Option<String>,
}

impl<'a> CallLead<'a> {
    fn of(new: &'a NewCall, visit: Option<&'a CallVisit>, record_ref: i64) -> Self {
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

/// The lead of this person (in the one order calls and forms share), else a new one sharing
/// the call's ref.
async fn lead_for(conn: &mut AnyConnection, new: &NewCall, lead: &CallLead<'_>, now: i64) -> StoreResult<i64> {
    let keys = PersonKeys {
        visitor_key: lead.visitor_key,
        email: None,
        phone: new.caller.number(),
    };
    match crate::leads::person::find(conn, new.business_id, &lead_lookups(&keys)).await? {
        Some((id, _)) => fill_lead(conn, id, new, lead, now).await.map(|()| id),
        None => insert_lead(conn, new, lead, now).await,
    }
}

/// Gives a found lead what it lacks; what it has is kept.
async fn fill_lead(conn: &mut AnyConnection, id: i64, new: &NewCall, lead: &CallLead<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE leads SET phone = COALESCE(phone, $1), visitor_key = COALESCE(visitor_key, $2),
             site_id = COALESCE(site_id, $3), source = COALESCE(source, $4), updated_at = $5
         WHERE id = $6",
    )
    .bind(lead.phone)
    .bind(lead.visitor_key)
    .bind(new.site_id.0)
    .bind(lead.source.as_deref())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// A new lead, sharing the call's ref.
async fn insert_lead(conn: &mut AnyConnection, new: &NewCall, lead: &CallLead<'_>, now: i64) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO leads (business_id, record_ref, site_id, visitor_key, phone, source, status, created_at,
             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $7) RETURNING id",
    )
    .bind(new.business_id.0)
    .bind(lead.record_ref)
    .bind(new.site_id.0)
    .bind(lead.visitor_key)
    .bind(lead.phone)
    .bind(lead.source.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

impl SqlStore {
    async fn insert_call(&self, new: &NewCall) -> StoreResult<()> {
        let now = now_millis();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let record_ref = next_ref(&mut tx, new.business_id).await?;
        let visit = call_visit(&mut tx, new).await?;
        let lead = lead_for(&mut tx, new, &CallLead::of(new, visit.as_ref(), record_ref), now).await?;
        let call_id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (business_id, record_ref, site_id, number_id, lead_id, visit_id, intent_id, source_label,
                 provider_call_sid, caller, keyed, code, pool_selector, matched_by, extension, status, started_at,
                 result, first_time, from_city, from_state, from_country)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'in_call', $16, 'in_call',
                 CASE WHEN $17 = 0 THEN NULL
                      WHEN EXISTS (SELECT 1 FROM calls e WHERE e.business_id = $1 AND e.caller = $10) THEN 0
                      ELSE 1 END, $18, $19, $20)
             RETURNING id",
        )
        .bind(new.business_id.0)
        .bind(record_ref)
        .bind(new.site_id.0)
        .bind(new.number_id.0)
        .bind(lead)
        .bind(visit.map(|v| v.id))
        .bind(new.origin.intent.map(|i| i.0))
        .bind(new.origin.source_label.as_deref())
        .bind(new.provider_call_sid.as_str())
        .bind(new.caller.as_stored())
        .bind(new.keyed.as_str())
        .bind(new.code.and_then(|c| i64::try_from(c).ok()))
        .bind(new.selector.as_str())
        .bind(new.origin.matched_by.as_str())
        .bind(new.extension.as_deref())
        .bind(now)
        .bind(i64::from(new.caller.number().is_some()))
        .bind(new.place.city.as_deref())
        .bind(new.place.state.as_deref())
        .bind(new.place.country.as_deref())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        crate::call_events::dialed(&mut tx, new, call_id, lead, now).await?;
        mark_in_call(&mut tx, lead, now).await?;
        crate::live::notify(&mut tx, self.engine_kind(), new.business_id.0, call_id).await?;
        let marks = StaleMarks::default().at(new.site_id.0, now).lead(&mut tx, lead).await?;
        marks.write(&mut tx, self.report_marks()).await?;
        tx.commit().await.map_err(backend)?;
        self.live.published(new.business_id.0, call_id);
        Ok(())
    }
}

/// Sets the lead `in_call` while a call is in progress, keeping the status it had (a lead
/// already in a call keeps the one it had before the first). No activity or event: the call's
/// own events say it.
async fn mark_in_call(conn: &mut AnyConnection, lead: i64, now: i64) -> StoreResult<()> {
    update_lead(
        conn,
        "UPDATE leads SET
             status_before_call = CASE WHEN status = 'in_call' THEN status_before_call ELSE status END,
             status = 'in_call', updated_at = $2
         WHERE id = $1",
        lead,
        now,
    )
    .await
}

/// When the lead's last call in progress has ended, gives it back the status it had before
/// (a status someone chose during the call is kept).
async fn end_in_call(conn: &mut AnyConnection, lead: i64, now: i64) -> StoreResult<()> {
    update_lead(
        conn,
        "UPDATE leads SET
             status = CASE WHEN status = 'in_call' THEN COALESCE(status_before_call, 'new') ELSE status END,
             status_before_call = NULL, updated_at = $2
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM calls WHERE lead_id = $1 AND ended_at IS NULL)",
        lead,
        now,
    )
    .await
}

/// Keeps the call's result (what the Activity list filters on) as the reports leave it.
async fn set_result(conn: &mut AnyConnection, call: i64, result: &str) -> StoreResult<()> {
    sqlx::query("UPDATE calls SET result = $1 WHERE id = $2")
        .bind(result)
        .bind(call)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Runs an update of the lead `$1` at time `$2`.
async fn update_lead(conn: &mut AnyConnection, sql: &str, lead: i64, now: i64) -> StoreResult<()> {
    sqlx::query(sql)
        .bind(lead)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The call's visit, when it names one of the call's site.
async fn call_visit(conn: &mut AnyConnection, new: &NewCall) -> StoreResult<Option<CallVisit>> {
    let Some(visit) = &new.origin.visit else {
        return Ok(None);
    };
    let found: Option<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, visitor_key, source, medium FROM visits WHERE public_id = $1 AND site_id = $2")
            .bind(visit.as_str())
            .bind(new.site_id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    Ok(found.map(|(id, visitor_key, source, medium)| CallVisit {
        id,
        visitor_key,
        source,
        medium,
    }))
}

#[async_trait]
impl CallStore for SqlStore {
    async fn open_call(&self, new: &NewCall) -> StoreResult<Call> {
        let key = CallKey::Provider {
            number: new.number_id,
            sid: &new.provider_call_sid,
        };
        match self.call(key).await {
            Err(StoreError::NotFound) => {}
            other => return other,
        }
        match self.insert_call(new).await {
            // A retry of the same request raced this one and won: answer its call. (An id
            // taken on another number stays NotFound: that call is not this number's.)
            Err(StoreError::Backend(e)) if is_unique_violation(e.as_ref()) => self.call(key).await,
            Err(e) => Err(e),
            Ok(()) => self.call(key).await,
        }
    }

    async fn call(&self, key: CallKey<'_>) -> StoreResult<Call> {
        let sql = format!("{SELECT} WHERE c.id = {}", key_subquery(&key, 1));
        let row = bind_key(sqlx::query(&sql), key)?
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        call(&row)
    }

    async fn report_call(&self, key: CallKey<'_>, report: &CallReport) -> StoreResult<Call> {
        leadline_core::call::validate_tags(&report.tags)?;
        let now = now_millis();
        let ended = report.ended || report.outcome.is_some();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // One statement finds and updates the call, so SQLite takes its write lock at once.
        let sql = format!(
            "UPDATE calls SET
                 outcome = COALESCE($1, outcome),
                 answered_by = COALESCE($2, answered_by),
                 answered_by_name = COALESCE((SELECT d.name FROM destinations d
                     WHERE d.business_id = calls.business_id AND d.number = $2), answered_by_name),
                 duration_seconds = COALESCE($3, duration_seconds),
                 recording_url = COALESCE($4, recording_url),
                 status = CASE WHEN $5 = 1 THEN 'completed' ELSE status END,
                 ended_at = CASE WHEN $5 = 1 THEN COALESCE(ended_at, $6) ELSE ended_at END
             WHERE id = {}
             RETURNING id, business_id, site_id, lead_id, outcome, answered_by, duration_seconds, ended_at,
                 connected_event_at, completed_event_at, recording_url, started_at, result",
            key_subquery(&key, 7)
        );
        let query = sqlx::query_as::<_, crate::call_events::Reached>(&sql)
            .bind(report.outcome.map(|o| o.as_str()))
            .bind(report.answered_by.as_deref())
            .bind(report.duration_seconds.map(i64::from))
            .bind(report.recording_url.as_ref().map(WebLink::as_str))
            .bind(i64::from(ended))
            .bind(now);
        let query = match key {
            CallKey::Provider { number, sid } => query.bind(number.0).bind(sid.as_str().to_owned()),
            CallKey::Ref { business, record_ref } => query.bind(business.0).bind(ref_param(record_ref)?),
        };
        let Some(reached) = query.fetch_optional(&mut *tx).await.map_err(backend)? else {
            return Err(StoreError::NotFound);
        };
        if !report.tags.is_empty() {
            merge_tags(&mut tx, reached.id, &report.tags).await?;
        }
        let result = reached.call_result().as_str();
        if reached.result.as_deref() != Some(result) {
            set_result(&mut tx, reached.id, result).await?;
        }
        // Only the first report of the end gives the lead its status back: a late recording
        // or a retried status callback leaves the lead as it is.
        let first_end = reached.ended_at.is_some() && reached.completed_event_at.is_none();
        crate::call_events::progressed(&mut tx, &reached, now).await?;
        if first_end {
            end_in_call(&mut tx, reached.lead_id, now).await?;
        }
        crate::live::notify(&mut tx, self.engine_kind(), reached.business_id, reached.id).await?;
        let marks = StaleMarks::default().at(reached.site_id, reached.started_at);
        marks
            .lead(&mut tx, reached.lead_id)
            .await?
            .write(&mut tx, self.report_marks())
            .await?;
        tx.commit().await.map_err(backend)?;
        self.live.published(reached.business_id, reached.id);
        self.call_by_id(reached.id).await
    }

    async fn recent_calls(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<Call>> {
        sqlx::query(&format!(
            "{SELECT} WHERE c.business_id = $1 ORDER BY c.started_at DESC, c.id DESC LIMIT $2"
        ))
        .bind(business.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(call)
        .collect()
    }

    async fn recent_visit_of_caller(&self, site: SiteId, caller: &str, since_ms: i64) -> StoreResult<Option<VisitRef>> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT v.public_id FROM calls c JOIN visits v ON v.id = c.visit_id
             WHERE c.site_id = $1 AND c.caller = $2 AND c.started_at >= $3
             ORDER BY c.started_at DESC LIMIT 1",
        )
        .bind(site.0)
        .bind(caller)
        .bind(since_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        found
            .map(|v| VisitRef::parse(&v).map_err(|e| StoreError::Backend(Box::new(e))))
            .transpose()
    }

    async fn reserved_label(&self, pool: PoolKey, code: u64) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT r.label FROM reserved_codes r JOIN pools p ON p.id = r.pool_id
             WHERE p.number_id = $1 AND p.selector = $2 AND r.code = $3",
        )
        .bind(pool.number.0)
        .bind(pool.selector.as_str())
        .bind(i64::try_from(code).map_err(|_| StoreError::NotFound)?)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn keyable_code_spans(&self, number: NumberId) -> StoreResult<CodeSpans> {
        // Served from memory only while exact: then no code can be keyed beyond them until a
        // pool's high-water mark gains a digit or a code is reserved, and both forget them
        // here at commit and, on PostgreSQL, on every server (`codes_grew_in`, `tenant_write`).
        // A span kept too long at its low end only makes a caller wait for the gather's end.
        let load = crate::call_me::keyable_code_spans(&self.pool, number);
        self.cached_when(|t| &t.code_spans, number.0, load).await
    }

    async fn claim_call_me(&self, claim: &CallMeClaim<'_>) -> StoreResult<CallMeGrant> {
        crate::call_me::claim(&self.pool, claim).await
    }
}

/// Adds `tags` to the call's, as a sorted set (the row is already locked by this transaction).
async fn merge_tags(conn: &mut AnyConnection, call: i64, tags: &[String]) -> StoreResult<()> {
    let stored: String = sqlx::query_scalar("SELECT tags FROM calls WHERE id = $1")
        .bind(call)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    let mut merged: std::collections::BTreeSet<String> = stored_json(&stored)?;
    merged.extend(tags.iter().map(|t| t.trim().to_owned()));
    let json = serde_json::to_string(&merged).unwrap_or_else(|_| "[]".into());
    sqlx::query("UPDATE calls SET tags = $1 WHERE id = $2")
        .bind(json)
        .bind(call)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The id of the call `key` names, as a subquery over the statement's parameters `$first` and
/// `$first + 1` (bound by [`bind_key`] or in the same order).
fn key_subquery(key: &CallKey<'_>, first: usize) -> String {
    let second = first + 1;
    match key {
        CallKey::Provider { .. } => {
            format!("(SELECT id FROM calls WHERE number_id = ${first} AND provider_call_sid = ${second})")
        }
        CallKey::Ref { .. } => {
            format!("(SELECT id FROM calls WHERE business_id = ${first} AND record_ref = ${second})")
        }
    }
}

/// Binds `key`'s two parameters to a query built with [`key_subquery`].
fn bind_key<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: CallKey<'_>,
) -> StoreResult<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>> {
    Ok(match key {
        CallKey::Provider { number, sid } => query.bind(number.0).bind(sid.as_str().to_owned()),
        CallKey::Ref { business, record_ref } => query.bind(business.0).bind(ref_param(record_ref)?),
    })
}

/// A record ref as an SQL integer; refs past `i64::MAX` name no call.
fn ref_param(record_ref: u64) -> StoreResult<i64> {
    i64::try_from(record_ref).map_err(|_| StoreError::NotFound)
}

impl SqlStore {
    /// The call with this row id.
    async fn call_by_id(&self, id: i64) -> StoreResult<Call> {
        let row = sqlx::query(&format!("{SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        call(&row)
    }
}

/// A stored JSON column; unreadable content is reported, never taken as empty.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| crate::errors::corrupt(leadline_core::Invalid::new("stored JSON", e.to_string())))
}

fn is_unique_violation(err: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    err.downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .is_some_and(|db| db.is_unique_violation())
}
