//! Codes for many new visits of one site and pool in a few statements: a batch of
//! registrations (`batch.rs`) takes the smallest free codes together instead of one by one.
//! The rules are the ones of `allocation.rs`, which the batch still uses for the visits this
//! cannot serve (a returning visitor, a site at its cap).

use super::allocation::{Holder, LockedPool, code_digits};
use crate::errors::backend;
use crate::params::Params;
use leadline_core::store::StoreResult;
use leadline_core::visit::AllocationPolicy;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// The visitor keys among `keys` that hold a live page-load code of the site in the pool:
/// their visits adopt that code rather than take a new one. One probe of the visitor index
/// (site, visitor key) per key, however many codes the site holds: the statement names only
/// those two columns, so no planner, whatever its statistics (they lag a burst of
/// registrations), finds another index that serves it as well; the pool and the kind of code
/// are checked here. (Naming the pool too let PostgreSQL walk the site's codes by the
/// (site, pool) index for each key: 60 ms a batch at 20,000 live codes.)
pub(crate) async fn returning_visitors(
    conn: &mut AnyConnection,
    site_id: i64,
    pool: &LockedPool,
    keys: &[&str],
) -> StoreResult<HashSet<String>> {
    let sql = if conn.backend_name() == "SQLite" {
        format!(
            "SELECT visitor_key, pool_id, intent_id FROM live_codes WHERE site_id = ? AND visitor_key IN ({})",
            vec!["?"; keys.len()].join(", ")
        )
    } else {
        let mut params = Params::on(conn);
        let site = params.next();
        format!(
            "SELECT k.key, held.pool_id, held.intent_id FROM (VALUES {}) AS k (key) CROSS JOIN LATERAL (
                 SELECT lc.pool_id, lc.intent_id FROM live_codes lc
                 WHERE lc.site_id = {site} AND lc.visitor_key = k.key) AS held",
            params.rows(keys.len(), 1, "CAST({} AS TEXT)")
        )
    };
    let mut query = sqlx::query_as::<_, (String, i64, Option<i64>)>(&sql).bind(site_id);
    for key in keys {
        query = query.bind(*key);
    }
    let found = query.fetch_all(&mut *conn).await.map_err(backend)?;
    Ok(found
        .into_iter()
        .filter(|(_, pool_id, intent)| *pool_id == pool.id && intent.is_none())
        .map(|(key, _, _)| key)
        .collect())
}

/// How many codes the site holds now.
pub(crate) async fn live_count(conn: &mut AnyConnection, site_id: i64) -> StoreResult<i64> {
    let live: Option<i64> = sqlx::query_scalar("SELECT live FROM site_live_counts WHERE site_id = $1")
        .bind(site_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(live.unwrap_or(0))
}

/// Gives each holder (all of one site) one of the smallest free codes, in order, and records
/// them live. The caller has checked that the site's cap leaves room for all of them.
pub(crate) async fn allocate_many(
    conn: &mut AnyConnection,
    pool: &mut LockedPool,
    holders: &[Holder<'_>],
    policy: &AllocationPolicy,
    now: i64,
) -> StoreResult<Vec<i64>> {
    let Some(first) = holders.first() else {
        return Ok(Vec::new());
    };
    let mut codes = take_free(conn, pool, now - policy.quarantine_ms, holders.len()).await?;
    if codes.len() < holders.len() {
        let more = raise_high_water_by(conn, pool, holders.len() - codes.len()).await?;
        codes.extend(more);
    }
    insert_live(conn, pool, holders, &codes, now, now + policy.idle_ms).await?;
    sqlx::query(
        "INSERT INTO site_live_counts (site_id, live) VALUES ($1, $2)
         ON CONFLICT (site_id) DO UPDATE SET live = site_live_counts.live + $2",
    )
    .bind(first.site_id)
    .bind(i64::try_from(codes.len()).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(codes)
}

/// Takes up to `count` of the smallest freed codes that have rested past `rested_before` off
/// the free list, smallest first.
async fn take_free(
    conn: &mut AnyConnection,
    pool: &LockedPool,
    rested_before: i64,
    count: usize,
) -> StoreResult<Vec<i64>> {
    let mut codes: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM pool_free WHERE pool_id = $1 AND code IN (
             SELECT code FROM pool_free WHERE pool_id = $1 AND free_at <= $2 ORDER BY code LIMIT $3)
         RETURNING code",
    )
    .bind(pool.id)
    .bind(rested_before)
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    codes.sort_unstable();
    Ok(codes)
}

/// The next `count` never-used codes above the high-water mark, skipping reserved ones; the
/// mark moves past them.
async fn raise_high_water_by(conn: &mut AnyConnection, pool: &mut LockedPool, count: usize) -> StoreResult<Vec<i64>> {
    let mut codes = Vec::with_capacity(count);
    let mut mark = pool.high_water;
    while codes.len() < count {
        let end = mark + i64::try_from(count - codes.len()).unwrap_or(i64::MAX);
        let reserved: HashSet<i64> =
            sqlx::query_scalar("SELECT code FROM reserved_codes WHERE pool_id = $1 AND code > $2 AND code <= $3")
                .bind(pool.id)
                .bind(mark)
                .bind(end)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
        codes.extend((mark + 1..=end).filter(|code| !reserved.contains(code)));
        mark = end;
    }
    sqlx::query("UPDATE pools SET high_water = $1 WHERE id = $2")
        .bind(mark)
        .bind(pool.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    pool.grew |= code_digits(mark) > code_digits(pool.high_water);
    pool.high_water = mark;
    Ok(codes)
}

async fn insert_live(
    conn: &mut AnyConnection,
    pool: &LockedPool,
    holders: &[Holder<'_>],
    codes: &[i64],
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO live_codes (pool_id, code, site_id, visit_id, intent_id, visitor_key, last_activity_at, expires_at)
         VALUES {}",
        Params::on(conn).rows(holders.len(), 8, "{}")
    );
    let mut query = sqlx::query(&sql);
    for (holder, code) in holders.iter().zip(codes) {
        query = query
            .bind(pool.id)
            .bind(*code)
            .bind(holder.site_id)
            .bind(holder.visit_id)
            .bind(holder.intent_id)
            .bind(holder.visitor_key)
            .bind(now)
            .bind(expires_at);
    }
    query.execute(&mut *conn).await.map_err(backend)?;
    Ok(())
}
