//! Conversion marks on calls and submissions, and the store's answers to the exports and the
//! ad integrations (the rows themselves are read in `conversion_rows`).

use crate::SqlStore;
use crate::conversion_rows::{calls, fill_default_values, has_ad_click, submissions};
use crate::errors::{backend, corrupt, not_found_or_backend};
use crate::outbox::enqueue::enqueue;
use crate::rows::{col, now_millis, parsed, time};
use async_trait::async_trait;
use leadline_core::ad_upload::{AdFacts, AdTarget, Uploaded};
use leadline_core::conversion::{
    Conversion, ConversionKind, ConversionMark, ConversionName, ConversionQuery, ConversionRecord, ConversionRow,
    ConversionStore, ConversionValue,
};
use leadline_core::event::{Authored, ConversionMarked, ConversionUnmarked, EventData, NewEvent};
use leadline_core::form::MessageId;
use leadline_core::lead::{ActivityKind, Author};
use leadline_core::outbox::IntegrationId;
use leadline_core::site::Currency;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::{BusinessId, LeadId, SiteId};
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};

/// The columns a mark is read back from.
const MARK_COLUMNS: &str = "name, value_minor, currency, marked_by, marked_at";

/// What the mark upserts set when the record is marked again.
const ON_CONFLICT_SET: &str = "DO UPDATE SET name = excluded.name, value_minor = excluded.value_minor,
         currency = excluded.currency, marked_by = excluded.marked_by, marked_at = excluded.marked_at";

#[async_trait]
impl ConversionStore for SqlStore {
    async fn mark_call_conversion(
        &self,
        business: BusinessId,
        record_ref: u64,
        mark: &ConversionMark,
        author: &Author,
    ) -> StoreResult<Conversion> {
        let record_ref_i64 = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
        // The upsert writes first, so SQLite takes its write lock at once; no call of this
        // business, no row.
        let sql = format!(
            "INSERT INTO conversions (business_id, call_id, name, value_minor, currency, marked_by, marked_at)
             SELECT c.business_id, c.id, $3, $4, $5, $6, $7 FROM calls c
             WHERE c.business_id = $1 AND c.record_ref = $2
             ON CONFLICT (call_id) {ON_CONFLICT_SET}
             RETURNING {MARK_COLUMNS}, call_id"
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = bind_mark(sqlx::query(&sql).bind(business.0).bind(record_ref_i64), mark, author)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        let marked = conversion(&row, ConversionRecord::Call { record_ref })?;
        let call: i64 = col(&row, "call_id")?;
        record_activity(&mut tx, "calls", call, author, &mark_detail(&marked)).await?;
        conversion_event(&mut tx, "calls", call, marked_event(&marked, author)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(marked)
    }

    async fn mark_submission_conversion(
        &self,
        business: BusinessId,
        message: &MessageId,
        mark: &ConversionMark,
        author: &Author,
    ) -> StoreResult<Conversion> {
        let sql = format!(
            "INSERT INTO conversions (business_id, submission_id, name, value_minor, currency, marked_by, marked_at)
             SELECT s.business_id, s.id, $3, $4, $5, $6, $7 FROM submissions s
             WHERE s.business_id = $1 AND s.message_id = $2
             ON CONFLICT (submission_id) {ON_CONFLICT_SET}
             RETURNING {MARK_COLUMNS}, submission_id"
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = bind_mark(sqlx::query(&sql).bind(business.0).bind(message.as_str()), mark, author)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        let record = ConversionRecord::Submission {
            message_id: message.clone(),
        };
        let marked = conversion(&row, record)?;
        let submission: i64 = col(&row, "submission_id")?;
        record_activity(&mut tx, "submissions", submission, author, &mark_detail(&marked)).await?;
        conversion_event(&mut tx, "submissions", submission, marked_event(&marked, author)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(marked)
    }

    async fn unmark_call_conversion(
        &self,
        business: BusinessId,
        record_ref: u64,
        author: &Author,
    ) -> StoreResult<bool> {
        let ref_i64 = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE business_id = $1 AND record_ref = $2")
            .bind(business.0)
            .bind(ref_i64)
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        let detail = json!({ "record": format!("call:{record_ref}"), "unmarked": true });
        let record = ConversionRecord::Call { record_ref };
        unmark(&self.pool, ("calls", "call_id", id), author, &detail, &record).await
    }

    async fn unmark_submission_conversion(
        &self,
        business: BusinessId,
        message: &MessageId,
        author: &Author,
    ) -> StoreResult<bool> {
        let id: i64 = sqlx::query_scalar("SELECT id FROM submissions WHERE business_id = $1 AND message_id = $2")
            .bind(business.0)
            .bind(message.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        let detail = json!({ "record": format!("submission:{}", message.as_str()), "unmarked": true });
        let record = ConversionRecord::Submission {
            message_id: message.clone(),
        };
        unmark(
            &self.pool,
            ("submissions", "submission_id", id),
            author,
            &detail,
            &record,
        )
        .await
    }

    async fn conversion_rows(&self, query: &ConversionQuery) -> StoreResult<Vec<ConversionRow>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        if let Some(site) = query.site {
            check_site(&mut conn, query.business, site).await?;
        }
        let mut found = calls(&mut conn, query, None).await?;
        if query.kind == ConversionKind::Click {
            found.extend(submissions(&mut conn, query, None).await?);
        }
        if query.kind == ConversionKind::Click && query.include_unmarked {
            found.retain(|f| f.row.marked || has_ad_click(&f.row.click_ids));
        }
        fill_default_values(&mut conn, query.business, &mut found).await?;
        found.sort_by_key(|f| (f.row.conversion_time, f.order, f.id));
        Ok(found.into_iter().map(|f| f.row).collect())
    }

    async fn ad_facts(&self, business: BusinessId, target: &AdTarget) -> StoreResult<Option<AdFacts>> {
        crate::ad_uploads::facts(&self.pool, business, target).await
    }

    async fn ad_upload(&self, integration: IntegrationId, order_id: &str) -> StoreResult<Option<Uploaded>> {
        crate::ad_uploads::last(&self.pool, integration, order_id).await
    }

    async fn record_ad_upload(
        &self,
        business: BusinessId,
        integration: IntegrationId,
        uploaded: &Uploaded,
    ) -> StoreResult<()> {
        crate::ad_uploads::record(&self.pool, business, integration, uploaded).await
    }
}

/// Binds a mark's `$3`…`$7`: name, value, currency, author, time.
fn bind_mark<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    mark: &'q ConversionMark,
    author: &'q Author,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(mark.name.as_str())
        .bind(mark.value.map(|v| v.minor))
        .bind(mark.value.map(|v| v.currency.code()))
        .bind(author.as_str())
        .bind(now_millis())
}

/// A row of [`MARK_COLUMNS`] as the mark of `record`.
fn conversion(row: &AnyRow, record: ConversionRecord) -> StoreResult<Conversion> {
    Ok(Conversion {
        record,
        name: parsed(row, "name", ConversionName::parse)?,
        value: stored_value(row, "value_minor", "currency")?,
        marked_by: Author::from_stored(&col::<String>(row, "marked_by")?),
        marked_at: time(row, "marked_at")?,
    })
}

/// A stored value and currency, both set or both empty.
pub(crate) fn stored_value(row: &AnyRow, minor: &str, currency: &str) -> StoreResult<Option<ConversionValue>> {
    let minor: Option<i64> = col(row, minor)?;
    let currency: Option<String> = col(row, currency)?;
    match (minor, currency) {
        (Some(minor), Some(code)) => {
            let currency = Currency::parse(&code).map_err(corrupt)?;
            ConversionValue::new(minor, currency).map(Some).map_err(corrupt)
        }
        _ => Ok(None),
    }
}

/// Removes the mark of the record (`table`'s row `id`, named by `column` in conversions) and,
/// when there was one, records the unmarking on the record's lead, in one transaction.
async fn unmark(
    pool: &AnyPool,
    (table, column, id): (&'static str, &'static str, i64),
    author: &Author,
    detail: &Value,
    record: &ConversionRecord,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let deleted = sqlx::query(&format!("DELETE FROM conversions WHERE {column} = $1"))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let had_mark = deleted.rows_affected() > 0;
    if had_mark {
        record_activity(&mut tx, table, id, author, detail).await?;
        let (call_ref, message_id) = record_keys(record);
        let data = EventData::ConversionUnmarked(Authored {
            author: author.clone(),
            change: ConversionUnmarked { call_ref, message_id },
        });
        conversion_event(&mut tx, table, id, data).await?;
    }
    tx.commit().await.map_err(backend)?;
    Ok(had_mark)
}

/// A call's ref or a form's message id, as conversion events name the record.
fn record_keys(record: &ConversionRecord) -> (Option<u64>, Option<MessageId>) {
    match record {
        ConversionRecord::Call { record_ref } => (Some(*record_ref), None),
        ConversionRecord::Submission { message_id } => (None, Some(message_id.clone())),
    }
}

/// `conversion.marked` for a mark just made.
fn marked_event(marked: &Conversion, author: &Author) -> EventData {
    let (call_ref, message_id) = record_keys(&marked.record);
    EventData::ConversionMarked(Authored {
        author: author.clone(),
        change: ConversionMarked {
            call_ref,
            currency: marked.value.map(|v| v.currency),
            message_id,
            name: marked.name.as_str().to_owned(),
            value_minor: marked.value.map(|v| v.minor),
        },
    })
}

/// Queues `data` as the event of `table`'s row `id` (a call or a submission), in the
/// transaction of the mark, so the ad platform integrations hear of it.
async fn conversion_event(conn: &mut AnyConnection, table: &'static str, id: i64, data: EventData) -> StoreResult<()> {
    let row = sqlx::query(&format!(
        "SELECT business_id, site_id, lead_id FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    let is_call = table == "calls";
    let event = NewEvent {
        business_id: BusinessId(col(&row, "business_id")?),
        site_id: Some(SiteId(col(&row, "site_id")?)),
        lead_id: Some(LeadId(col(&row, "lead_id")?)),
        call_id: is_call.then_some(id),
        submission_id: (!is_call).then_some(id),
        visit_id: None,
        data,
    };
    enqueue(conn, &event, now_millis()).await
}

/// What a mark's activity says: the record, the conversion's name, and its value if set.
fn mark_detail(marked: &Conversion) -> Value {
    let record = match &marked.record {
        ConversionRecord::Call { record_ref } => format!("call:{record_ref}"),
        ConversionRecord::Submission { message_id } => format!("submission:{}", message_id.as_str()),
    };
    json!({
        "record": record,
        "name": marked.name.as_str(),
        "value_minor": marked.value.map(|v| v.minor),
        "currency": marked.value.map(|v| v.currency.code()),
    })
}

/// Records a conversion activity on the lead of `table`'s row `id` (a call or a submission).
async fn record_activity(
    conn: &mut AnyConnection,
    table: &'static str,
    id: i64,
    author: &Author,
    detail: &Value,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO activities (business_id, lead_id, kind, author, detail, created_at)
         SELECT business_id, lead_id, $1, $2, $3, $4 FROM {table} WHERE id = $5"
    ))
    .bind(ActivityKind::Conversion.as_str())
    .bind(author.as_str())
    .bind(detail.to_string())
    .bind(now_millis())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// `NotFound` unless the site is the business's.
async fn check_site(conn: &mut AnyConnection, business: BusinessId, site: SiteId) -> StoreResult<()> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM sites WHERE id = $1 AND business_id = $2")
        .bind(site.0)
        .bind(business.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    Ok(())
}
