//! Calls and their leads: reading them (here), opening them in batches (`batch.rs`,
//! `bulk.rs`) or one at a time (`write.rs`), and reports from the provider.

mod batch;
mod bulk;
mod leads;
mod write;

use crate::SqlStore;
use crate::errors::{backend, not_found_or_backend};
use crate::reports::marks::StaleMarks;
use crate::rows::{col, now_millis, parsed, parsed_opt, time, time_opt};
use async_trait::async_trait;
use leadline_core::call::{Call, CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::channel::Attribution;
use leadline_core::matching::PendingClick;
use leadline_core::provider::WebLink;
use leadline_core::spam::SpamMark;
use leadline_core::store::{CallMeClaim, CallMeGrant, CallStore, CodeSpans, StoreError, StoreResult};
use leadline_core::visit::{PoolKey, Selector, VisitRef};
use leadline_core::{BusinessId, IntentId, NumberId, SiteId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use write::{end_in_call, set_result};

pub(crate) use batch::NewCalls;
pub(crate) use write::{lock_refs, next_ref};

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
            confidence: col::<Option<i64>>(row, "match_confidence")?.and_then(|c| u8::try_from(c).ok()),
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
        spam: parsed_opt(row, "spam", SpamMark::parse)?,
    })
}

#[async_trait]
impl CallStore for SqlStore {
    async fn open_call(&self, new: &NewCall) -> StoreResult<Call> {
        self.open_in_batch(new).await
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
             RETURNING id, business_id, record_ref, site_id, lead_id, outcome, answered_by, duration_seconds, ended_at,
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
        if report.recording_url.is_some() {
            crate::transcripts::queue_in(&mut tx, reached.business_id, reached.id, now).await?;
        }
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

    async fn redial_visit(
        &self,
        site: SiteId,
        caller: &str,
        pool: PoolKey,
        code: u64,
        since_ms: i64,
    ) -> StoreResult<Option<VisitRef>> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT v.public_id FROM calls c JOIN visits v ON v.id = c.visit_id
             WHERE c.site_id = $1 AND c.caller = $2 AND c.code = $3 AND c.started_at >= $4
               AND c.number_id = $5 AND c.pool_selector = $6
             ORDER BY c.started_at DESC LIMIT 1",
        )
        .bind(site.0)
        .bind(caller)
        .bind(i64::try_from(code).map_err(|_| StoreError::NotFound)?)
        .bind(since_ms)
        .bind(pool.number.0)
        .bind(pool.selector.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        found
            .map(|v| VisitRef::parse(&v).map_err(crate::errors::corrupt))
            .transpose()
    }

    async fn rested_code(&self, pool: PoolKey, code: u64, since_ms: i64) -> StoreResult<Option<(SiteId, VisitRef)>> {
        let found: Option<(i64, String)> = sqlx::query_as(
            "SELECT v.site_id, v.public_id FROM pool_free f
             JOIN pools p ON p.id = f.pool_id
             JOIN visits v ON v.id = f.visit_id
             WHERE p.number_id = $1 AND p.selector = $2 AND f.code = $3 AND f.free_at >= $4",
        )
        .bind(pool.number.0)
        .bind(pool.selector.as_str())
        .bind(i64::try_from(code).map_err(|_| StoreError::NotFound)?)
        .bind(since_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        found
            .map(|(site, visit)| Ok((SiteId(site), VisitRef::parse(&visit).map_err(crate::errors::corrupt)?)))
            .transpose()
    }

    async fn pending_clicks(&self, number: NumberId, since_ms: i64) -> StoreResult<Vec<PendingClick>> {
        // A click is pending while no call of its visit started at or after it; two visitors
        // are enough to know the answer is not one.
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT ci.site_id, v.public_id, MAX(ci.at) AS at
             FROM number_sites ns
             JOIN call_intents ci ON ci.site_id = ns.site_id AND ci.at >= $2
             JOIN visits v ON v.id = ci.visit_id
             WHERE ns.number_id = $1
               AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.visit_id = ci.visit_id AND c.started_at >= ci.at)
             GROUP BY ci.site_id, v.public_id
             ORDER BY at DESC
             LIMIT 2",
        )
        .bind(number.0)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(site, visit, at_ms)| {
                Ok(PendingClick {
                    site_id: SiteId(site),
                    visit: VisitRef::parse(&visit).map_err(crate::errors::corrupt)?,
                    at_ms,
                })
            })
            .collect()
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
