//! One local day of a site's raw records, read for its rollup: visits, calls and forms that
//! began in the day's window, and leads that arrived in it with their touches, first call and
//! sales.

use crate::errors::backend;
use crate::rows::{col, time};
use chrono::{DateTime, Utc};
use leadline_core::E164;
use leadline_core::interaction::CallResult;
use leadline_core::lead::LeadStatus;
use leadline_core::provider::CallerPlace;
use leadline_core::report::{CallFact, DayFacts, FormFact, LeadFact, Touch, VisitFact};
use leadline_core::store::{StoreError, StoreResult};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};

/// The site, its currency and the day's window (UTC milliseconds, end excluded).
pub(crate) struct Window<'a> {
    pub site: i64,
    pub currency: &'a str,
    pub start: i64,
    pub end: i64,
}

/// A visit's columns as a touch, from the visit aliased `v` (all NULL when there is none).
const TOUCH: &str = "v.id AS v_id, v.source AS v_source, v.medium AS v_medium, v.campaign AS v_campaign,
    v.term AS v_term, v.content AS v_content, v.landing_url AS v_landing, v.device AS v_device,
    v.custom AS v_custom, v.started_at AS v_started,
    CASE WHEN v.id IS NOT NULL AND EXISTS (SELECT 1 FROM visits p WHERE p.site_id = v.site_id
        AND p.visitor_key = v.visitor_key AND p.started_at < v.started_at) THEN 1 ELSE 0 END AS v_returning,
    (SELECT ci.element FROM call_intents ci WHERE ci.visit_id = v.id ORDER BY ci.id LIMIT 1) AS v_element";

/// A call's own columns, from the call aliased `c` and its click `ci`.
const CALL: &str = "c.started_at AS c_at, c.result AS c_result, c.first_time AS c_first_time,
    c.answered_by_name AS c_operator, c.source_label AS c_label, c.from_city AS c_city,
    c.from_state AS c_state, c.from_country AS c_country, c.caller AS c_caller, ci.element AS c_element";

/// The rows of one window, as read; [`Rows::facts`] turns them into the day's facts, which
/// is computing to do off the runtime ([`off_runtime`]).
pub(crate) struct Rows {
    visits: Vec<AnyRow>,
    calls: Vec<AnyRow>,
    forms: Vec<AnyRow>,
    lead_visits: Vec<AnyRow>,
    lead_calls: Vec<AnyRow>,
    leads: Vec<AnyRow>,
}

/// Reads every record of the window.
pub(crate) async fn read(conn: &mut AnyConnection, w: &Window<'_>) -> StoreResult<Rows> {
    Ok(Rows {
        visits: fetch(conn, &format!("SELECT {TOUCH} {VISITS_FROM}"), w).await?,
        calls: fetch(conn, &format!("SELECT {CALL}, {TOUCH} {CALLS_FROM}"), w).await?,
        forms: fetch(conn, &format!("SELECT s.created_at AS s_at, {TOUCH} {FORMS_FROM}"), w).await?,
        lead_visits: fetch(conn, &LEAD_VISITS.replace("{TOUCH}", TOUCH), w).await?,
        lead_calls: fetch(conn, &LEAD_CALLS.replace("{CALL}", CALL), w).await?,
        leads: fetch(conn, LEADS, w).await?,
    })
}

impl Rows {
    /// The day's facts.
    pub(crate) fn facts(self) -> StoreResult<DayFacts> {
        Ok(DayFacts {
            visits: visits(&self.visits)?,
            calls: self
                .calls
                .iter()
                .map(|row| call(row, touch(row)?))
                .collect::<StoreResult<_>>()?,
            forms: forms(&self.forms)?,
            leads: leads(&self.lead_visits, &self.lead_calls, &self.leads)?,
        })
    }
}

/// Runs `work` on a thread of its own: a busy day's facts and rollup are hundreds of
/// milliseconds of computing with no await in them, which on the runtime's threads would hold
/// every request queued behind them (the voice webhook's p99 went from 10 ms to 490 ms while
/// a day of 120,000 visits was recounted).
pub(crate) async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))
}

/// Runs `sql` with the site and window as `$1` to `$3` (and the currency as `$4` when it names it).
async fn fetch(conn: &mut AnyConnection, sql: &str, w: &Window<'_>) -> StoreResult<Vec<AnyRow>> {
    let query = sqlx::query(sql).bind(w.site).bind(w.start).bind(w.end);
    let query = if sql.contains("$4") {
        query.bind(w.currency)
    } else {
        query
    };
    query.fetch_all(&mut *conn).await.map_err(backend)
}

const VISITS_FROM: &str = "FROM visits v WHERE v.site_id = $1 AND v.started_at >= $2 AND v.started_at < $3";

// Calls flagged spam (`core::spam`) are left out everywhere here: they stay in the log only,
// and a lead whose only records are spam calls is not counted.
const CALLS_FROM: &str = "FROM calls c LEFT JOIN visits v ON v.id = c.visit_id
    LEFT JOIN call_intents ci ON ci.id = c.intent_id
    WHERE c.site_id = $1 AND c.started_at >= $2 AND c.started_at < $3 AND (c.spam IS NULL OR c.spam = 'cleared')";

const FORMS_FROM: &str = "FROM submissions s LEFT JOIN visits v ON v.id = s.visit_id
    WHERE s.site_id = $1 AND s.created_at >= $2 AND s.created_at < $3";

fn visits(rows: &[AnyRow]) -> StoreResult<Vec<VisitFact>> {
    let mut facts = Vec::new();
    for row in rows {
        if let Some(touch) = touch(row)? {
            facts.push(VisitFact {
                at: time(row, "v_started")?,
                touch,
            });
        }
    }
    Ok(facts)
}

fn forms(rows: &[AnyRow]) -> StoreResult<Vec<FormFact>> {
    rows.iter()
        .map(|row| {
            Ok(FormFact {
                at: time(row, "s_at")?,
                touch: touch(row)?,
            })
        })
        .collect()
}

/// Leads of the window, each with its status and its sales in the site's currency.
const LEADS: &str = "SELECT l.id, l.created_at, l.status,
    CAST((SELECT COALESCE(SUM(s.revenue_minor), 0) FROM sales s WHERE s.lead_id = l.id AND s.currency = $4) AS BIGINT) AS revenue,
    CAST((SELECT COALESCE(SUM(s.cost_minor), 0) FROM sales s WHERE s.lead_id = l.id AND s.currency = $4) AS BIGINT) AS cost,
    CAST((SELECT COALESCE(SUM(s.profit_minor), 0) FROM sales s WHERE s.lead_id = l.id AND s.currency = $4) AS BIGINT) AS profit
    FROM leads l WHERE l.site_id = $1 AND l.created_at >= $2 AND l.created_at < $3
    AND NOT (EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = l.id AND c.spam <> 'cleared')
        AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = l.id AND (c.spam IS NULL OR c.spam = 'cleared'))
        AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.lead_id = l.id))";

/// Every visit of each lead of the window: its visitor's visits on the site, and the visits its
/// calls and forms were matched to. `CROSS JOIN` keeps SQLite's planner starting from the
/// window's few leads (it reorders no other join); PostgreSQL plans it as an inner join.
const LEAD_VISITS: &str = "SELECT x.lead_id AS lead_id, {TOUCH} FROM (
        SELECT l.id AS lead_id, lv.id AS visit_id FROM leads l CROSS JOIN visits lv
            WHERE l.site_id = $1 AND l.created_at >= $2 AND l.created_at < $3
            AND lv.site_id = l.site_id AND lv.visitor_key = l.visitor_key
        UNION SELECT c.lead_id, c.visit_id FROM leads l CROSS JOIN calls c
            WHERE l.site_id = $1 AND l.created_at >= $2 AND l.created_at < $3 AND c.lead_id = l.id
            AND c.visit_id IS NOT NULL AND (c.spam IS NULL OR c.spam = 'cleared')
        UNION SELECT s.lead_id, s.visit_id FROM leads l CROSS JOIN submissions s
            WHERE l.site_id = $1 AND l.created_at >= $2 AND l.created_at < $3 AND s.lead_id = l.id
            AND s.visit_id IS NOT NULL
    ) x CROSS JOIN visits v WHERE v.id = x.visit_id";

/// The calls of each lead of the window (the first one names the lead's operator and place).
const LEAD_CALLS: &str = "SELECT c.lead_id AS lead_id, c.id AS c_id, {CALL} FROM leads l
    CROSS JOIN calls c LEFT JOIN call_intents ci ON ci.id = c.intent_id
    WHERE l.site_id = $1 AND l.created_at >= $2 AND l.created_at < $3 AND c.lead_id = l.id AND (c.spam IS NULL OR c.spam = 'cleared')";

/// The leads of [`LEADS`] rows, with their visits ([`LEAD_VISITS`]) and calls ([`LEAD_CALLS`]).
fn leads(lead_visits: &[AnyRow], lead_calls: &[AnyRow], lead_rows: &[AnyRow]) -> StoreResult<Vec<LeadFact>> {
    let mut touches: HashMap<i64, Vec<(DateTime<Utc>, Touch)>> = HashMap::new();
    for row in lead_visits {
        if let Some(touch) = touch(row)? {
            touches
                .entry(col(row, "lead_id")?)
                .or_default()
                .push((time(row, "v_started")?, touch));
        }
    }
    let mut first_calls: HashMap<i64, ((i64, i64), CallFact)> = HashMap::new();
    for row in lead_calls {
        let order = (col::<i64>(row, "c_at")?, col::<i64>(row, "c_id")?);
        let fact = call(row, None)?;
        let entry = first_calls.entry(col(row, "lead_id")?).or_insert((order, fact.clone()));
        if order < entry.0 {
            *entry = (order, fact);
        }
    }
    let mut leads = Vec::new();
    for row in lead_rows {
        let id: i64 = col(row, "id")?;
        let at = time(row, "created_at")?;
        let mut visits = touches.remove(&id).unwrap_or_default();
        visits.sort_by_key(|(started, t)| (*started, t.landing_url.clone()));
        let first_touch = visits.first().map(|(_, t)| t.clone());
        let last_touch = visits
            .iter()
            .rev()
            .find(|(started, _)| *started <= at)
            .or(visits.first())
            .map(|(_, t)| t.clone());
        let status: String = col(row, "status")?;
        leads.push(LeadFact {
            at,
            status: LeadStatus::parse(&status).unwrap_or(LeadStatus::New),
            first_touch,
            last_touch,
            first_call: first_calls.remove(&id).map(|(_, call)| call),
            revenue: col(row, "revenue")?,
            cost: col(row, "cost")?,
            profit: col(row, "profit")?,
        });
    }
    Ok(leads)
}

/// The touch of a row read with [`TOUCH`]; `None` when the record had no visit.
fn touch(row: &AnyRow) -> StoreResult<Option<Touch>> {
    let id: Option<i64> = col(row, "v_id")?;
    if id.is_none() {
        return Ok(None);
    }
    let custom: String = col(row, "v_custom")?;
    let variables: BTreeMap<String, String> = serde_json::from_str(&custom).unwrap_or_default();
    let returning: i64 = col(row, "v_returning")?;
    Ok(Some(Touch {
        source: col(row, "v_source")?,
        medium: col(row, "v_medium")?,
        campaign: col(row, "v_campaign")?,
        term: col(row, "v_term")?,
        content: col(row, "v_content")?,
        landing_url: col(row, "v_landing")?,
        device: col(row, "v_device")?,
        variables,
        returning: returning != 0,
        element: col(row, "v_element")?,
    }))
}

/// The call of a row read with [`CALL`].
fn call(row: &AnyRow, touch: Option<Touch>) -> StoreResult<CallFact> {
    let result: Option<String> = col(row, "c_result")?;
    let first_time: Option<i64> = col(row, "c_first_time")?;
    let caller: String = col(row, "c_caller")?;
    let country: Option<String> = col(row, "c_country")?;
    // The number's region is the rollup's fallback for a call whose provider named no country,
    // and finding it runs the numbering plan's regexes: read only when it is needed (it took
    // half of a busy day's recount).
    let number_region = match country {
        Some(_) => None,
        None => E164::from_stored(&caller).ok().and_then(|n| n.region()),
    };
    Ok(CallFact {
        at: time(row, "c_at")?,
        touch,
        source_label: col(row, "c_label")?,
        result: result
            .as_deref()
            .and_then(|r| CallResult::parse(r).ok())
            .unwrap_or(CallResult::InCall),
        first_time: first_time == Some(1),
        operator: col(row, "c_operator")?,
        element: col(row, "c_element")?,
        place: CallerPlace {
            city: col(row, "c_city")?,
            state: col(row, "c_state")?,
            country,
        },
        number_region,
    })
}
