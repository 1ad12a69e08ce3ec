//! Conversion marks on calls and submissions, and the rows of ad platform exports.

use crate::SqlStore;
use crate::calls::stored_json;
use crate::errors::{backend, corrupt, not_found_or_backend};
use crate::outbox::enqueue::enqueue;
use crate::rows::{col, now_millis, parsed, time, time_opt};
use async_trait::async_trait;
use leadline_core::ad_upload::{AdFacts, AdTarget, Uploaded};
use leadline_core::channel::ClickIds;
use leadline_core::click_id::ClickKind;
use leadline_core::conversion::{
    Conversion, ConversionKind, ConversionMark, ConversionName, ConversionQuery, ConversionRecord, ConversionRow,
    ConversionStore, ConversionValue, default_value,
};
use leadline_core::event::{Authored, ConversionMarked, ConversionUnmarked, EventData, NewEvent};
use leadline_core::form::MessageId;
use leadline_core::lead::{ActivityKind, Author};
use leadline_core::outbox::IntegrationId;
use leadline_core::site::{Currency, Timezone};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::{BusinessId, LeadId, SiteId};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};
use std::collections::BTreeMap;

/// The columns a mark is read back from.
const MARK_COLUMNS: &str = "name, value_minor, currency, marked_by, marked_at";

/// What the mark upserts set when the record is marked again.
const ON_CONFLICT_SET: &str = "DO UPDATE SET name = excluded.name, value_minor = excluded.value_minor,
         currency = excluded.currency, marked_by = excluded.marked_by, marked_at = excluded.marked_at";

/// Lead ids per sales query, well below either engine's limit on parameters.
const LEADS_PER_QUERY: usize = 500;

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
fn stored_value(row: &AnyRow, minor: &str, currency: &str) -> StoreResult<Option<ConversionValue>> {
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

/// A row being built, with what it needs until its value is known.
pub(crate) struct Found {
    pub(crate) row: ConversionRow,
    /// Calls before submissions at the same time.
    order: u8,
    /// The call's or submission's row id.
    id: i64,
    pub(crate) lead_id: i64,
    site_currency: Currency,
    /// A mark without a value: it takes one from the lead's sales.
    pub(crate) needs_value: bool,
    /// How long the call lasted, once it ended.
    pub(crate) call_seconds: Option<u32>,
    pub(crate) first_time_caller: bool,
    /// When the record's visit began: the ad click.
    pub(crate) clicked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) ads_refused: bool,
}

/// The time bounds and extra conditions shared by both queries.
struct Filter {
    from: i64,
    to: i64,
    site: String,
    marked: &'static str,
}

/// One record (or one lead's records) rather than a window: an ad integration's look at the
/// record a change concerns, marked or not. The condition is on row ids, never on text.
#[derive(Clone, Copy)]
pub(crate) enum Only {
    /// The call or submission with this row id.
    Row(i64),
    /// The records of the lead with this row id.
    Lead(i64),
}

impl Only {
    fn condition(only: Option<Only>, alias: &str) -> String {
        match only {
            None => String::new(),
            Some(Only::Row(id)) => format!(" AND {alias}.id = {id}"),
            Some(Only::Lead(id)) => format!(" AND {alias}.lead_id = {id}"),
        }
    }
}

impl Filter {
    fn new(query: &ConversionQuery, alias: &str) -> Self {
        Self {
            from: query.from.map_or(i64::MIN, |t| t.timestamp_millis()),
            to: query.to.map_or(i64::MAX, |t| t.timestamp_millis()),
            site: query
                .site
                .map(|s| format!(" AND {alias}.site_id = {}", s.0))
                .unwrap_or_default(),
            marked: if query.include_unmarked {
                ""
            } else {
                " AND k.id IS NOT NULL"
            },
        }
    }
}

/// The business's calls converted in the window (a call converts when it ends).
pub(crate) async fn calls(
    conn: &mut AnyConnection,
    query: &ConversionQuery,
    only: Option<Only>,
) -> StoreResult<Vec<Found>> {
    let filter = Filter::new(query, "c");
    let narrowed = Only::condition(only, "c");
    // Unmarked calls count for click exports only with an ad click id.
    let clicked = if query.kind == ConversionKind::Click && query.include_unmarked && only.is_none() {
        " AND (k.id IS NOT NULL OR v.gclid IS NOT NULL OR v.gbraid IS NOT NULL OR v.wbraid IS NOT NULL
             OR v.msclkid IS NOT NULL)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.id, c.record_ref, c.site_id, c.lead_id, c.caller, c.started_at,
             COALESCE(c.ended_at, c.started_at) AS converted_at, c.duration_seconds, c.first_time,
             v.started_at AS clicked_at, COALESCE(v.ads_refused, 0) AS ads_refused,
             v.gclid, v.gbraid, v.wbraid, v.msclkid, st.timezone, st.currency AS site_currency,
             k.id AS mark_id, k.name AS mark_name, k.value_minor, k.currency AS mark_currency
         FROM calls c
         JOIN sites st ON st.id = c.site_id
         LEFT JOIN visits v ON v.id = c.visit_id
         LEFT JOIN conversions k ON k.call_id = c.id
         WHERE c.business_id = $1 AND c.started_at < $3
             AND COALESCE(c.ended_at, c.started_at) >= $2 AND COALESCE(c.ended_at, c.started_at) < $3
             {}{}{clicked}{narrowed}",
        filter.site, filter.marked
    );
    let rows = sqlx::query(&sql)
        .bind(query.business.0)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|row| {
            let record_ref = u64::try_from(col::<i64>(row, "record_ref")?).unwrap_or_default();
            let record = ConversionRecord::Call { record_ref };
            let mut found = found(row, record, visit_click_ids(row)?)?;
            found.row.caller = Some(col(row, "caller")?);
            found.row.call_started_at = Some(time(row, "started_at")?);
            found.order = 0;
            found.call_seconds = col::<Option<i64>>(row, "duration_seconds")?.and_then(|s| u32::try_from(s).ok());
            found.first_time_caller = col::<Option<i64>>(row, "first_time")? == Some(1);
            Ok(found)
        })
        .collect()
}

/// The business's submissions that arrived in the window.
pub(crate) async fn submissions(
    conn: &mut AnyConnection,
    query: &ConversionQuery,
    only: Option<Only>,
) -> StoreResult<Vec<Found>> {
    let filter = Filter::new(query, "s");
    let narrowed = Only::condition(only, "s");
    let sql = format!(
        "SELECT s.id, s.message_id, s.site_id, s.lead_id, s.identity, s.created_at AS converted_at,
             v.started_at AS clicked_at, COALESCE(v.ads_refused, 0) AS ads_refused, v.gclid, v.gbraid, v.wbraid, v.msclkid, st.timezone, st.currency AS site_currency,
             k.id AS mark_id, k.name AS mark_name, k.value_minor, k.currency AS mark_currency
         FROM submissions s
         JOIN sites st ON st.id = s.site_id
         LEFT JOIN visits v ON v.id = s.visit_id
         LEFT JOIN conversions k ON k.submission_id = s.id
         WHERE s.business_id = $1 AND s.created_at >= $2 AND s.created_at < $3{}{}{narrowed}",
        filter.site, filter.marked
    );
    let rows = sqlx::query(&sql)
        .bind(query.business.0)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|row| {
            let record = ConversionRecord::Submission {
                message_id: parsed(row, "message_id", MessageId::parse)?,
            };
            // The visit's click ids; the ones the form carried where the visit has none.
            let identity: StoredIdentity = stored_json(&col::<String>(row, "identity")?)?;
            let visit = visit_click_ids(row)?;
            let form = identity.click_ids;
            let click_ids = ClickIds {
                gclid: visit.gclid.or(form.gclid),
                gbraid: visit.gbraid.or(form.gbraid),
                wbraid: visit.wbraid.or(form.wbraid),
                msclkid: visit.msclkid.or(form.msclkid),
                fbclid: None,
            };
            let mut found = found(row, record, click_ids)?;
            found.order = 1;
            Ok(found)
        })
        .collect()
}

/// The click ids kept in a submission's identity JSON (its other keys are not needed here).
#[derive(Deserialize)]
struct StoredIdentity {
    #[serde(default)]
    click_ids: ClickIds,
}

/// The click ids of the row's visit (none without a visit).
fn visit_click_ids(row: &AnyRow) -> StoreResult<ClickIds> {
    ClickIds::from_stored(|kind| match kind {
        ClickKind::Fbclid => Ok(None),
        other => col(row, other.param()),
    })
}

/// Whether the record came from an ad click a platform can import.
fn has_ad_click(ids: &ClickIds) -> bool {
    ids.gclid.is_some() || ids.gbraid.is_some() || ids.wbraid.is_some() || ids.msclkid.is_some()
}

/// The parts of a row both queries share.
fn found(row: &AnyRow, record: ConversionRecord, click_ids: ClickIds) -> StoreResult<Found> {
    let marked = col::<Option<i64>>(row, "mark_id")?.is_some();
    let name = match col::<Option<String>>(row, "mark_name")? {
        Some(name) if marked => ConversionName::parse(&name).map_err(corrupt)?,
        _ => ConversionName::default_for(&record),
    };
    let value = stored_value(row, "value_minor", "mark_currency")?;
    let clicked_at = time_opt(row, "clicked_at")?;
    Ok(Found {
        needs_value: marked && value.is_none(),
        call_seconds: None,
        first_time_caller: false,
        clicked_at,
        ads_refused: col::<i64>(row, "ads_refused")? == 1,
        order: 0,
        id: col(row, "id")?,
        lead_id: col(row, "lead_id")?,
        site_currency: parsed(row, "site_currency", Currency::parse)?,
        row: ConversionRow {
            record,
            site_id: SiteId(col(row, "site_id")?),
            timezone: parsed(row, "timezone", Timezone::parse)?,
            click_ids,
            caller: None,
            call_started_at: None,
            conversion_time: time(row, "converted_at")?,
            name,
            value,
            marked,
        },
    })
}

/// Revenue sums of a lead's sales: per call (`None`: tied to no call) and currency.
type LeadSales = BTreeMap<(Option<i64>, String), i64>;

/// Gives each mark made without a value the value of its lead's sales.
pub(crate) async fn fill_default_values(
    conn: &mut AnyConnection,
    business: BusinessId,
    found: &mut [Found],
) -> StoreResult<()> {
    let mut leads: Vec<i64> = found.iter().filter(|f| f.needs_value).map(|f| f.lead_id).collect();
    leads.sort_unstable();
    leads.dedup();
    let mut sales: BTreeMap<i64, LeadSales> = BTreeMap::new();
    for chunk in leads.chunks(LEADS_PER_QUERY) {
        let params: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT lead_id, call_id, currency, CAST(SUM(revenue_minor) AS BIGINT) AS revenue
             FROM sales WHERE business_id = $1 AND lead_id IN ({}) GROUP BY lead_id, call_id, currency",
            params.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(business.0);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await.map_err(backend)? {
            let key = (col::<Option<i64>>(&row, "call_id")?, col::<String>(&row, "currency")?);
            sales
                .entry(col(&row, "lead_id")?)
                .or_default()
                .insert(key, col(&row, "revenue")?);
        }
    }
    for f in found.iter_mut().filter(|f| f.needs_value) {
        let Some(of_lead) = sales.get(&f.lead_id) else {
            continue;
        };
        let call_id = matches!(f.row.record, ConversionRecord::Call { .. }).then_some(f.id);
        let mut tied: BTreeMap<&str, (Currency, i64)> = BTreeMap::new();
        let mut totals: BTreeMap<&str, (Currency, i64)> = BTreeMap::new();
        for ((call, code), revenue) in of_lead {
            let currency = Currency::parse(code).map_err(corrupt)?;
            if call_id.is_some() && *call == call_id {
                let sum = tied.entry(currency.code()).or_insert((currency, 0));
                sum.1 = sum.1.saturating_add(*revenue);
            }
            let sum = totals.entry(currency.code()).or_insert((currency, 0));
            sum.1 = sum.1.saturating_add(*revenue);
        }
        let tied: Vec<(Currency, i64)> = tied.into_values().collect();
        let totals: Vec<(Currency, i64)> = totals.into_values().collect();
        f.row.value = default_value(&tied, &totals, f.site_currency);
    }
    Ok(())
}
