//! Finding leads: by ref, id or visitor key, one filtered page of them, and what belongs to
//! one (its activities, calls and visits).

use super::rows::{self, ACTIVITY_COLUMNS, LEAD_COLUMNS};
use crate::calls;
use crate::errors::{backend, not_found_or_backend};
use crate::query::{Conditions, Param, bind_all, contains_pattern, has_tag, tag_element};
use crate::rows::col;
use crate::visits::records::visit_from;
use leadline_core::call::Call;
use leadline_core::interaction::SpamView;
use leadline_core::lead::{Activity, Lead, LeadFilter, LeadPage, LeadSummary, Totals};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visit::Visit;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// The most leads one page holds.
const MAX_PAGE: u32 = 200;

/// The first lead a query finds, with its totals; `NotFound` when there is none.
async fn one_lead(conn: &mut AnyConnection, row: Option<AnyRow>) -> StoreResult<Lead> {
    let row = row.ok_or(StoreError::NotFound)?;
    rows::leads_with_totals(conn, std::slice::from_ref(&row))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The business's lead with this id.
pub(crate) async fn by_id(conn: &mut AnyConnection, business: BusinessId, id: LeadId) -> StoreResult<Lead> {
    let row = sqlx::query(&format!(
        "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.id = $1 AND l.business_id = $2"
    ))
    .bind(id.0)
    .bind(business.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    one_lead(conn, row).await
}

/// The business's lead with this ref, or the lead of its call with this ref.
pub(crate) async fn by_ref(conn: &mut AnyConnection, business: BusinessId, record_ref: u64) -> StoreResult<Lead> {
    let record_ref = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
    let row = sqlx::query(&format!(
        "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.business_id = $1 AND (l.record_ref = $2
             OR l.id IN (SELECT c.lead_id FROM calls c WHERE c.business_id = $1 AND c.record_ref = $2))
         ORDER BY l.id LIMIT 1"
    ))
    .bind(business.0)
    .bind(record_ref)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    one_lead(conn, row).await
}

/// The oldest lead of this visitor key among the leads of the site's business.
pub(crate) async fn by_visitor(conn: &mut AnyConnection, site: SiteId, visitor_key: &str) -> StoreResult<Lead> {
    let row = sqlx::query(&format!(
        "SELECT {LEAD_COLUMNS} FROM leads l JOIN sites s ON s.business_id = l.business_id
         WHERE s.id = $1 AND l.visitor_key = $2 ORDER BY l.id LIMIT 1"
    ))
    .bind(site.0)
    .bind(visitor_key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    one_lead(conn, row).await
}

/// `NotFound` unless the lead is the business's.
pub(crate) async fn check_lead(conn: &mut AnyConnection, business: BusinessId, lead: LeadId) -> StoreResult<()> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM leads WHERE id = $1 AND business_id = $2")
        .bind(lead.0)
        .bind(business.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    Ok(())
}

/// The `WHERE` clause of the leads list.
fn conditions(business: BusinessId, filter: &LeadFilter) -> Conditions {
    let mut c = Conditions {
        sql: "l.business_id = $1".into(),
        params: vec![Param::Int(business.0)],
    };
    if let Some(status) = filter.status {
        c.and(Param::Text(status.as_str().into()), |n| format!("l.status = {n}"));
    }
    if let Some(source) = &filter.source {
        c.and(Param::Text(source.clone()), |n| format!("l.source = {n}"));
    }
    if let Some(tag) = &filter.tag {
        c.and(tag_element(tag), |n| has_tag("l.tags", n));
    }
    if let Some(from) = filter.from {
        c.and(Param::Int(from.timestamp_millis()), |n| format!("l.created_at >= {n}"));
    }
    if let Some(to) = filter.to {
        c.and(Param::Int(to.timestamp_millis()), |n| format!("l.created_at < {n}"));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        text_condition(&mut c, text);
    }
    if let Some(before) = filter.before {
        c.and(Param::Int(before.0), |n| format!("l.id < {n}"));
    }
    match filter.spam {
        SpamView::Hide => c.sql.push_str(&format!(" AND NOT {SPAM_ONLY}")),
        SpamView::Only => c.sql.push_str(&format!(" AND {SPAM_ONLY}")),
        SpamView::Include => {}
    }
    c
}

/// A lead whose only records are calls flagged spam (`core::spam`): a robocaller, not a lead.
const SPAM_ONLY: &str = "(EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = l.id AND c.spam <> 'cleared')
    AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = l.id AND (c.spam IS NULL OR c.spam = 'cleared'))
    AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.lead_id = l.id))";

/// Name, e-mail or phone containing `text` (ignoring case), or the record ref it spells.
fn text_condition(c: &mut Conditions, text: &str) {
    let like = c.bind(Param::Text(contains_pattern(&text.to_lowercase())));
    let mut any = ["name", "email", "phone"]
        .map(|column| format!("LOWER(l.{column}) LIKE {like} ESCAPE '\\'"))
        .join(" OR ");
    let as_ref = text.trim_start_matches('#').parse::<u64>().ok();
    if let Some(record_ref) = as_ref.and_then(|r| i64::try_from(r).ok()) {
        let n = c.bind(Param::Int(record_ref));
        any.push_str(&format!(" OR l.record_ref = {n}"));
    }
    c.sql.push_str(&format!(" AND ({any})"));
}

/// One page of the business's leads, newest first.
pub(crate) async fn list(conn: &mut AnyConnection, business: BusinessId, filter: &LeadFilter) -> StoreResult<LeadPage> {
    let limit = filter.limit.clamp(1, MAX_PAGE);
    let mut c = conditions(business, filter);
    let n = c.bind(Param::Int(i64::from(limit) + 1));
    let sql = format!(
        "SELECT {LEAD_COLUMNS} FROM leads l WHERE {} ORDER BY l.id DESC LIMIT {n}",
        c.sql
    );
    let mut found = bind_all(sqlx::query(&sql), c.params)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let leads = rows::leads_with_totals(conn, &found).await?;
    let next = if more { leads.last().map(|l| l.id) } else { None };
    Ok(LeadPage { leads, next })
}

/// How many leads the whole filter finds (every page), and their sales per currency.
pub(crate) async fn summary(
    conn: &mut AnyConnection,
    business: BusinessId,
    filter: &LeadFilter,
) -> StoreResult<LeadSummary> {
    let whole = LeadFilter {
        before: None,
        ..filter.clone()
    };
    let c = conditions(business, &whole);
    let counted = bind_all(
        sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM leads l WHERE {}",
            c.sql
        )),
        c.params.clone(),
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    let count: i64 = col(&counted, "n")?;
    let sql = format!(
        "SELECT x.currency, CAST(SUM(x.revenue_minor) AS BIGINT) AS revenue,
             CAST(SUM(x.cost_minor) AS BIGINT) AS cost, CAST(SUM(x.profit_minor) AS BIGINT) AS profit
         FROM sales x JOIN leads l ON l.id = x.lead_id WHERE {} GROUP BY x.currency ORDER BY x.currency",
        c.sql
    );
    let totals = bind_all(sqlx::query(&sql), c.params)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| {
            Ok(Totals {
                currency: col(row, "currency")?,
                revenue_minor: col(row, "revenue")?,
                cost_minor: col(row, "cost")?,
                profit_minor: col(row, "profit")?,
            })
        })
        .collect::<StoreResult<Vec<Totals>>>()?;
    Ok(LeadSummary {
        count: u64::try_from(count).unwrap_or(0),
        totals,
    })
}

/// The lead's activities, oldest first.
pub(crate) async fn activities(
    conn: &mut AnyConnection,
    business: BusinessId,
    lead: LeadId,
) -> StoreResult<Vec<Activity>> {
    check_lead(conn, business, lead).await?;
    sqlx::query(&format!(
        "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE business_id = $1 AND lead_id = $2 ORDER BY id"
    ))
    .bind(business.0)
    .bind(lead.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?
    .iter()
    .map(rows::activity)
    .collect()
}

/// The lead's calls, oldest first.
pub(crate) async fn lead_calls(conn: &mut AnyConnection, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Call>> {
    check_lead(conn, business, lead).await?;
    sqlx::query(&format!(
        "{} WHERE c.business_id = $1 AND c.lead_id = $2 ORDER BY c.started_at, c.id",
        calls::SELECT
    ))
    .bind(business.0)
    .bind(lead.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?
    .iter()
    .map(calls::call)
    .collect()
}

/// The visits of the lead's visitor key on the business's sites, and those its calls and
/// submissions came from; oldest first, at most `limit`.
pub(crate) async fn lead_visits(
    conn: &mut AnyConnection,
    business: BusinessId,
    lead: LeadId,
    limit: u32,
) -> StoreResult<Vec<Visit>> {
    check_lead(conn, business, lead).await?;
    sqlx::query(
        "SELECT v.* FROM visits v JOIN sites s ON s.id = v.site_id
         WHERE s.business_id = $1 AND (
             v.visitor_key = (SELECT l.visitor_key FROM leads l WHERE l.id = $2 AND l.business_id = $1)
             OR v.id IN (SELECT c.visit_id FROM calls c WHERE c.lead_id = $2 AND c.business_id = $1)
             OR v.id IN (SELECT m.visit_id FROM submissions m WHERE m.lead_id = $2 AND m.business_id = $1))
         ORDER BY v.started_at, v.id LIMIT $3",
    )
    .bind(business.0)
    .bind(lead.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?
    .iter()
    .map(visit_from)
    .collect()
}
