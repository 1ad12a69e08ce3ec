//! The leads of a batch of new calls: found for all of them in a statement or two per
//! business, and written in two statements (the found ones given what they lack and set in a
//! call, the new ones inserted), as the one-call path does one call at a time (`write.rs`).

use super::bulk::{Planned, businesses_of, of_business};
use super::write::CallLead;
use crate::errors::backend;
use crate::params::Params;
use crate::reports::marks::StaleMarks;
use leadline_core::matching::{LeadLookup, PersonKeys, lead_lookups};
use leadline_core::store::{StoreError, StoreResult};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// Finds each planned call's lead: the oldest lead of the business for the first of
/// `core::matching::lead_lookups` (the order calls and forms share) that has one. One
/// statement per business and kind of key.
pub(super) async fn find(conn: &mut AnyConnection, planned: &mut [Planned<'_>]) -> StoreResult<()> {
    let lookups: Vec<Vec<LeadLookup>> = planned
        .iter()
        .map(|p| {
            lead_lookups(&PersonKeys {
                visitor_key: p.visit.as_ref().map(|v| v.visitor_key.as_str()),
                email: None,
                phone: p.new.caller.number(),
            })
        })
        .collect();
    for business in businesses_of(planned) {
        let mine: Vec<usize> = (0..planned.len())
            .filter(|&k| planned[k].new.business_id.0 == business)
            .collect();
        let mut oldest_by: HashMap<(&str, String), i64> = HashMap::new();
        let mut columns: Vec<&str> = mine
            .iter()
            .flat_map(|&k| lookups[k].iter().map(|l| l.key.column()))
            .collect();
        columns.sort_unstable();
        columns.dedup();
        for column in columns {
            let values: Vec<String> = mine
                .iter()
                .flat_map(|&k| lookups[k].iter().filter(|l| l.key.column() == column))
                .map(|l| l.value.clone())
                .collect();
            for (value, id) in oldest(conn, business, column, &values).await? {
                oldest_by.insert((column, value), id);
            }
        }
        for k in mine {
            planned[k].found = lookups[k]
                .iter()
                .find_map(|l| oldest_by.get(&(l.key.column(), l.value.clone())).copied());
        }
    }
    Ok(())
}

/// The oldest lead of the business for each of `values` in `column`.
async fn oldest(
    conn: &mut AnyConnection,
    business: i64,
    column: &str,
    values: &[String],
) -> StoreResult<HashMap<String, i64>> {
    if values.is_empty() {
        return Ok(HashMap::new());
    }
    let select = format!("{column}, MIN(id)");
    let sql = of_business(
        conn,
        &select,
        "leads",
        column,
        values.len(),
        &format!("GROUP BY {column}"),
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(business);
    for value in values {
        query = query.bind(value.as_str());
    }
    Ok(query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .collect())
}

/// Each planned call's lead, in the order planned: the found ones joined to their call, the
/// others written new, sharing their call's ref. Marks the found leads' days stale.
pub(super) async fn write(
    conn: &mut AnyConnection,
    planned: &[Planned<'_>],
    marks: &mut StaleMarks,
    now: i64,
) -> StoreResult<Vec<i64>> {
    let (mut found, mut again, mut new) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for (k, plan) in planned.iter().enumerate() {
        let lead = CallLead::of(plan.new, plan.visit.as_ref(), plan.record_ref);
        match plan.found {
            Some(id) => {
                // A lead two calls found joins the first in the statement and the second
                // after it, so the second sees what the first gave it.
                if seen.insert(id) {
                    found.push((k, lead));
                } else {
                    again.push((k, lead));
                }
            }
            None => new.push((k, lead)),
        }
    }
    for (site, created) in join_calls(conn, planned, &found, now).await? {
        *marks = std::mem::take(marks).at(site, created);
    }
    for one in again {
        for (site, created) in join_calls(conn, planned, &[one], now).await? {
            *marks = std::mem::take(marks).at(site, created);
        }
    }
    let inserted: HashMap<usize, i64> = insert(conn, planned, &new, now).await?.into_iter().collect();
    planned
        .iter()
        .enumerate()
        .map(|(k, plan)| {
            plan.found
                .or_else(|| inserted.get(&k).copied())
                .ok_or_else(|| StoreError::Backend("a call's lead was neither found nor written".into()))
        })
        .collect()
}

/// Gives found leads (each once) what they lack, keeping what they have, and sets them in a
/// call, as `fill_lead` and `mark_in_call` do; each lead's site and creation day, for the
/// report marks.
async fn join_calls(
    conn: &mut AnyConnection,
    planned: &[Planned<'_>],
    found: &[(usize, CallLead<'_>)],
    now: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::on(conn);
    let at = params.next();
    let rows: Vec<String> = found
        .iter()
        .map(|_| params.fill("(CAST({} AS BIGINT), {}, {}, CAST({} AS BIGINT), {})"))
        .collect();
    // A `VALUES` list's columns are column1, column2, … on both engines.
    let sql = format!(
        "UPDATE leads SET phone = COALESCE(leads.phone, v.column2),
             visitor_key = COALESCE(leads.visitor_key, v.column3),
             site_id = COALESCE(leads.site_id, v.column4), source = COALESCE(leads.source, v.column5),
             status_before_call = CASE WHEN leads.status = 'in_call' THEN leads.status_before_call
                                       ELSE leads.status END,
             status = 'in_call', updated_at = {at}
         FROM (VALUES {}) AS v
         WHERE leads.id = v.column1
         RETURNING leads.site_id, leads.created_at",
        rows.join(", ")
    );
    let mut query = sqlx::query_as::<_, (Option<i64>, i64)>(&sql).bind(now);
    for (k, lead) in found {
        let plan = &planned[*k];
        query = query
            .bind(plan.found)
            .bind(lead.phone)
            .bind(lead.visitor_key)
            .bind(plan.new.site_id.0)
            .bind(lead.source.as_deref());
    }
    let joined = query.fetch_all(&mut *conn).await.map_err(backend)?;
    if joined.len() != found.len() {
        return Err(StoreError::Backend(
            "a found lead was not there to join its call".into(),
        ));
    }
    Ok(joined
        .into_iter()
        .filter_map(|(site, created)| Some((site?, created)))
        .collect())
}

/// Writes new leads in one statement, each in a call from the start (its status before the
/// call `new`); (planned index, row id) of each.
async fn insert(
    conn: &mut AnyConnection,
    planned: &[Planned<'_>],
    new: &[(usize, CallLead<'_>)],
    now: i64,
) -> StoreResult<Vec<(usize, i64)>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::on(conn);
    let rows: Vec<String> = new
        .iter()
        .map(|_| params.fill("({}, {}, {}, {}, {}, {}, 'in_call', 'new', {}, {})"))
        .collect();
    let sql = format!(
        "INSERT INTO leads (business_id, record_ref, site_id, visitor_key, phone, source, status, status_before_call,
             created_at, updated_at)
         VALUES {} RETURNING id, business_id, record_ref",
        rows.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, i64, i64)>(&sql);
    for (k, lead) in new {
        let plan = &planned[*k];
        query = query
            .bind(plan.new.business_id.0)
            .bind(lead.record_ref)
            .bind(plan.new.site_id.0)
            .bind(lead.visitor_key)
            .bind(lead.phone)
            .bind(lead.source.as_deref())
            .bind(now)
            .bind(now);
    }
    let written: HashMap<(i64, i64), i64> = query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(id, business, record_ref)| ((business, record_ref), id))
        .collect();
    // RETURNING's order is not promised on either engine: the ref says which is which.
    new.iter()
        .map(|(k, lead)| {
            let id = written.get(&(planned[*k].new.business_id.0, lead.record_ref));
            let id = id.ok_or_else(|| StoreError::Backend("a lead was written without its row id".into()))?;
            Ok((*k, *id))
        })
        .collect()
}
