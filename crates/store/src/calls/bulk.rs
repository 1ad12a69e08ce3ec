//! A batch of new calls written in one transaction, a few statements for all of them: the
//! businesses' ref counters once each, which calls exist already, their visits, their leads
//! found or written together, their rows, their events, announcements and report marks.
//!
//! Calls of one business that share a person (a caller number or a visitor key) with an
//! earlier call of the batch are written after the others, each as a batch of one, so each
//! finds the lead the earlier one left, as if each call had come alone.

use super::leads;
use super::write::{CallVisit, lock_refs, take_refs};
use crate::SqlStore;
use crate::errors::backend;
use crate::params::Params;
use crate::reports::marks::StaleMarks;
use leadline_core::BusinessId;
use leadline_core::call::NewCall;
use leadline_core::event::EventKind;
use leadline_core::store::{StoreError, StoreResult};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// What a batch did with one of its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opened {
    /// Written now, with this row id.
    New(i64),
    /// A call of the same number with the same provider id was already stored (a retry).
    Existing(i64),
    /// The same provider request as the batch's call at this index.
    SameAs(usize),
    /// The provider id is another number's call: not this number's to answer.
    Elsewhere,
}

/// A call the batch writes with the others: its ref, visit and lead found (if any).
pub(super) struct Planned<'a> {
    pub(super) new: &'a NewCall,
    pub(super) index: usize,
    pub(super) visit: Option<CallVisit>,
    pub(super) record_ref: i64,
    /// The person's lead, when the business has one.
    pub(super) found: Option<i64>,
}

impl SqlStore {
    /// Writes the batch on `conn` (an open transaction); what it did with each call.
    pub(super) async fn write_batch(
        &self,
        conn: &mut AnyConnection,
        news: &[&NewCall],
        now: i64,
    ) -> StoreResult<Vec<Opened>> {
        // The counters first, in one order: on SQLite the transaction's first statement must
        // write, and on PostgreSQL two servers' batches must not deadlock.
        let mut businesses: Vec<BusinessId> = news.iter().map(|n| n.business_id).collect();
        businesses.sort_unstable_by_key(|b| b.0);
        businesses.dedup();
        for business in &businesses {
            lock_refs(conn, *business).await?;
        }
        let mut opened = first_of_each(news, &existing_calls(conn, news).await?);
        let fresh: Vec<usize> = (0..news.len()).filter(|&i| opened[i].is_none()).collect();
        let mut visits = call_visits(conn, news, &fresh).await?;
        let (together, alone) = apart(news, &fresh, &visits);
        let mut planned = Vec::with_capacity(together.len());
        for business in &businesses {
            let mine: Vec<usize> = together
                .iter()
                .copied()
                .filter(|&i| news[i].business_id == *business)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let first = take_refs(conn, *business, i64::try_from(mine.len()).unwrap_or(i64::MAX)).await?;
            for (k, i) in mine.into_iter().enumerate() {
                planned.push(Planned {
                    new: news[i],
                    index: i,
                    visit: visits.remove(&i),
                    record_ref: first + i64::try_from(k).unwrap_or(i64::MAX),
                    found: None,
                });
            }
        }
        leads::find(conn, &mut planned).await?;
        let mut marks = StaleMarks::default();
        let leads = leads::write(conn, &planned, &mut marks, now).await?;
        let ids = insert_calls(conn, &planned, &leads, now).await?;
        for (plan, id) in planned.iter().zip(&ids) {
            opened[plan.index] = Some(Opened::New(*id));
            marks = marks.at(plan.new.site_id.0, now);
        }
        self.dialed_events(conn, &planned, &ids, &leads, now).await?;
        let changes: Vec<(i64, i64)> = planned
            .iter()
            .zip(&ids)
            .map(|(p, id)| (p.new.business_id.0, *id))
            .collect();
        crate::live::notify_many(conn, self.engine_kind(), &changes).await?;
        marks.write(conn, self.report_marks()).await?;
        for i in alone {
            // A batch of one: it finds the leads the calls above left.
            let written = Box::pin(self.write_batch(conn, &[news[i]], now)).await?;
            opened[i] = written.first().copied();
        }
        opened
            .into_iter()
            .map(|o| o.ok_or_else(|| StoreError::Backend("a call of the batch was not written".into())))
            .collect()
    }

    /// `call.dialed` for the planned calls of each business and site that an integration
    /// takes it for; one question per site when none does.
    async fn dialed_events(
        &self,
        conn: &mut AnyConnection,
        planned: &[Planned<'_>],
        ids: &[i64],
        leads: &[i64],
        now: i64,
    ) -> StoreResult<()> {
        let mut asked: HashMap<(i64, i64), bool> = HashMap::new();
        for (k, plan) in planned.iter().enumerate() {
            let (business, site) = (plan.new.business_id, plan.new.site_id);
            let subscribed = match asked.get(&(business.0, site.0)) {
                Some(known) => *known,
                None => {
                    let known =
                        crate::outbox::enqueue::subscribed(conn, business, Some(site), EventKind::CallDialed).await?;
                    asked.insert((business.0, site.0), known);
                    known
                }
            };
            if subscribed {
                crate::call_events::dialed(conn, plan.new, ids[k], leads[k], now).await?;
            }
        }
        Ok(())
    }
}

/// The calls whose provider id is stored already: id → (row id, number).
async fn existing_calls(conn: &mut AnyConnection, news: &[&NewCall]) -> StoreResult<HashMap<String, (i64, i64)>> {
    let sql = format!(
        "SELECT provider_call_sid, id, number_id FROM calls WHERE provider_call_sid IN ({})",
        Params::on(conn).list(news.len(), "{}")
    );
    let mut query = sqlx::query_as::<_, (String, i64, i64)>(&sql);
    for new in news {
        query = query.bind(new.provider_call_sid.as_str());
    }
    Ok(query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(sid, id, number)| (sid, (id, number)))
        .collect())
}

/// What to do with each call before writing any: a stored one is answered as it is (or not
/// at all, on another number), a repeat within the batch as its first; `None` for the rest,
/// to be written.
fn first_of_each(news: &[&NewCall], existing: &HashMap<String, (i64, i64)>) -> Vec<Option<Opened>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    news.iter()
        .enumerate()
        .map(|(i, new)| {
            let sid = new.provider_call_sid.as_str();
            if let Some(&(id, number)) = existing.get(sid) {
                return Some(if number == new.number_id.0 {
                    Opened::Existing(id)
                } else {
                    Opened::Elsewhere
                });
            }
            match first.get(sid) {
                Some(&at) if news[at].number_id == new.number_id => Some(Opened::SameAs(at)),
                Some(_) => Some(Opened::Elsewhere),
                None => {
                    first.insert(sid, i);
                    None
                }
            }
        })
        .collect()
}

/// The visits the calls at `fresh` name, when each is of its call's site, by call index.
async fn call_visits(
    conn: &mut AnyConnection,
    news: &[&NewCall],
    fresh: &[usize],
) -> StoreResult<HashMap<usize, CallVisit>> {
    let named: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|&i| news[i].origin.visit.is_some())
        .collect();
    if named.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT public_id, site_id, id, visitor_key, source, medium FROM visits WHERE public_id IN ({})",
        Params::on(conn).list(named.len(), "{}")
    );
    let mut query = sqlx::query_as::<_, (String, i64, i64, String, String, String)>(&sql);
    for &i in &named {
        query = query.bind(news[i].origin.visit.as_ref().map(|v| v.as_str()));
    }
    let rows: HashMap<String, (i64, CallVisit)> = query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(public_id, site, id, visitor_key, source, medium)| {
            let visit = CallVisit {
                id,
                visitor_key,
                source,
                medium,
            };
            (public_id, (site, visit))
        })
        .collect();
    let mut found = HashMap::new();
    for i in named {
        let public_id = news[i].origin.visit.as_ref().map(|v| v.as_str()).unwrap_or_default();
        if let Some((_, visit)) = rows.get(public_id).filter(|(site, _)| *site == news[i].site_id.0) {
            found.insert(i, visit.clone());
        }
    }
    Ok(found)
}

/// The calls at `fresh` split in two, in order: those written together, and those that share
/// a caller number or visitor key with an earlier call of their business in the batch.
fn apart(news: &[&NewCall], fresh: &[usize], visits: &HashMap<usize, CallVisit>) -> (Vec<usize>, Vec<usize>) {
    let mut seen: HashSet<(i64, bool, &str)> = HashSet::new();
    let (mut together, mut alone) = (Vec::new(), Vec::new());
    for &i in fresh {
        let business = news[i].business_id.0;
        let mut keys: Vec<(i64, bool, &str)> = Vec::with_capacity(2);
        if let Some(visit) = visits.get(&i) {
            keys.push((business, true, visit.visitor_key.as_str()));
        }
        if let Some(phone) = news[i].caller.number() {
            keys.push((business, false, phone.as_str()));
        }
        let shared = keys.iter().any(|key| seen.contains(key));
        seen.extend(keys);
        if shared { alone.push(i) } else { together.push(i) }
    }
    (together, alone)
}

/// The businesses of the planned calls, each once.
pub(super) fn businesses_of(planned: &[Planned<'_>]) -> Vec<i64> {
    let mut businesses: Vec<i64> = planned.iter().map(|p| p.new.business_id.0).collect();
    businesses.sort_unstable();
    businesses.dedup();
    businesses
}

/// `SELECT {select} FROM {table} WHERE business_id = ? AND {column} IN (…)` with `count`
/// values, then `tail`: the business is bound first, then the values.
pub(super) fn of_business(
    conn: &AnyConnection,
    select: &str,
    table: &str,
    column: &str,
    count: usize,
    tail: &str,
) -> String {
    let mut params = Params::on(conn);
    let business = params.next();
    let values = params.list(count, "{}");
    format!("SELECT {select} FROM {table} WHERE business_id = {business} AND {column} IN ({values}) {tail}")
}

/// Which of `values` some row of `table` of the business has in `column`.
async fn with_values(
    conn: &mut AnyConnection,
    business: i64,
    table: &str,
    column: &str,
    values: &[String],
) -> StoreResult<Vec<String>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let sql = of_business(conn, &format!("DISTINCT {column}"), table, column, values.len(), "");
    let mut query = sqlx::query_scalar::<_, String>(&sql).bind(business);
    for value in values {
        query = query.bind(value.as_str());
    }
    query.fetch_all(&mut *conn).await.map_err(backend)
}

/// The numbers among the planned calls' callers that their business has had calls from, as
/// (business, number): one statement per business.
async fn callers_known(conn: &mut AnyConnection, planned: &[Planned<'_>]) -> StoreResult<HashSet<(i64, String)>> {
    let mut known = HashSet::new();
    for business in businesses_of(planned) {
        let numbers: Vec<String> = planned
            .iter()
            .filter(|p| p.new.business_id.0 == business)
            .filter_map(|p| Some(p.new.caller.number()?.as_str().to_owned()))
            .collect();
        for number in with_values(conn, business, "calls", "caller", &numbers).await? {
            known.insert((business, number));
        }
    }
    Ok(known)
}

/// A call's first-time flag: unknown for a hidden caller, else whether its business had no
/// call from the number before (no two calls of a batch written together share one:
/// `apart`).
fn first_time(called: &HashSet<(i64, String)>, new: &NewCall) -> Option<i64> {
    let number = new.caller.number()?;
    Some(i64::from(
        !called.contains(&(new.business_id.0, number.as_str().to_owned())),
    ))
}

/// Writes the planned calls' rows in one statement; their row ids, in the order planned.
async fn insert_calls(
    conn: &mut AnyConnection,
    planned: &[Planned<'_>],
    leads: &[i64],
    now: i64,
) -> StoreResult<Vec<i64>> {
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let called = callers_known(conn, planned).await?;
    let row =
        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'in_call', {}, 'in_call', {}, {}, {}, {})";
    let mut params = Params::on(conn);
    let rows: Vec<String> = planned.iter().map(|_| params.fill(row)).collect();
    let sql = format!(
        "INSERT INTO calls (business_id, record_ref, site_id, number_id, lead_id, visit_id, intent_id, source_label,
             provider_call_sid, caller, keyed, code, pool_selector, matched_by, match_confidence, extension, status, started_at,
             result, first_time, from_city, from_state, from_country)
         VALUES {} RETURNING id, provider_call_sid",
        rows.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for (plan, lead) in planned.iter().zip(leads) {
        let new = plan.new;
        query = query
            .bind(new.business_id.0)
            .bind(plan.record_ref)
            .bind(new.site_id.0)
            .bind(new.number_id.0)
            .bind(*lead)
            .bind(plan.visit.as_ref().map(|v| v.id))
            .bind(new.origin.intent.map(|i| i.0))
            .bind(new.origin.source_label.as_deref())
            .bind(new.provider_call_sid.as_str())
            .bind(new.caller.as_stored())
            .bind(new.keyed.as_str())
            .bind(new.code.and_then(|c| i64::try_from(c).ok()))
            .bind(new.selector.as_str())
            .bind(new.origin.matched_by.as_str())
            .bind(new.origin.confidence.map(i64::from))
            .bind(new.extension.as_deref())
            .bind(now)
            .bind(first_time(&called, new))
            .bind(new.place.city.as_deref())
            .bind(new.place.state.as_deref())
            .bind(new.place.country.as_deref());
    }
    let written: HashMap<String, i64> = query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(id, sid)| (sid, id))
        .collect();
    planned
        .iter()
        .map(|plan| {
            written
                .get(plan.new.provider_call_sid.as_str())
                .copied()
                .ok_or_else(|| StoreError::Backend("a call was written without its row id".into()))
        })
        .collect()
}
