//! The rows of ad platform exports and of ad integrations' looks at a record: the business's
//! calls and submissions with their visit's click ids and their mark, and the value a mark
//! without one takes from the lead's sales.

use crate::calls::stored_json;
use crate::conversions::stored_value;
use crate::errors::{backend, corrupt};
use crate::rows::{col, parsed, parsed_opt, time, time_opt};
use leadline_core::ad_consent::AdConsent;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::ClickKind;
use leadline_core::conversion::{
    ConversionKind, ConversionName, ConversionQuery, ConversionRecord, ConversionRow, default_value,
};
use leadline_core::form::MessageId;
use leadline_core::site::{Currency, Timezone};
use leadline_core::spam::SpamMark;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, SiteId};
use serde::Deserialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// Lead ids per sales query, well below either engine's limit on parameters.
const LEADS_PER_QUERY: usize = 500;

/// A row being built, with what it needs until its value is known.
pub(crate) struct Found {
    pub(crate) row: ConversionRow,
    /// Calls before submissions at the same time.
    pub(crate) order: u8,
    /// The call's or submission's row id.
    pub(crate) id: i64,
    pub(crate) lead_id: i64,
    site_currency: Currency,
    /// A mark without a value: it takes one from the lead's sales.
    pub(crate) needs_value: bool,
    /// How long the call lasted, once it ended.
    pub(crate) call_seconds: Option<u32>,
    pub(crate) first_time_caller: bool,
    /// When the record's visit began: the ad click.
    pub(crate) clicked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The visit's advertising consent signal (unknown without a visit).
    pub(crate) ads_consent: AdConsent,
    /// The call is flagged spam.
    pub(crate) spam: bool,
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
    // Spam calls are never exported; an ad integration's look at one record sees its flag (and
    // retracts what was sent).
    let counted = if only.is_none() {
        " AND (c.spam IS NULL OR c.spam = 'cleared')"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.id, c.record_ref, c.site_id, c.lead_id, c.caller, c.started_at, c.spam,
             COALESCE(c.ended_at, c.started_at) AS converted_at, c.duration_seconds, c.first_time,
             v.started_at AS clicked_at, v.ads_consent,
             v.gclid, v.gbraid, v.wbraid, v.msclkid, st.timezone, st.currency AS site_currency,
             k.id AS mark_id, k.name AS mark_name, k.value_minor, k.currency AS mark_currency
         FROM calls c
         JOIN sites st ON st.id = c.site_id
         LEFT JOIN visits v ON v.id = c.visit_id
         LEFT JOIN conversions k ON k.call_id = c.id
         WHERE c.business_id = $1 AND c.started_at < $3
             AND COALESCE(c.ended_at, c.started_at) >= $2 AND COALESCE(c.ended_at, c.started_at) < $3
             {}{}{clicked}{counted}{narrowed}",
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
            found.spam = SpamMark::is_spam(parsed_opt(row, "spam", SpamMark::parse)?);
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
             v.started_at AS clicked_at, v.ads_consent, v.gclid, v.gbraid, v.wbraid, v.msclkid, st.timezone, st.currency AS site_currency,
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
pub(crate) fn has_ad_click(ids: &ClickIds) -> bool {
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
        spam: false,
        clicked_at,
        ads_consent: parsed_opt(row, "ads_consent", AdConsent::parse)?.unwrap_or_default(),
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
