//! Extension allocation inside a transaction: the smallest free code of a pool that is
//! neither live nor reserved, found through an index (never by scanning live codes).
//!
//! Every function that changes a pool first takes its lock with [`lock_pool`]: a write to the
//! pool's row. On PostgreSQL that row lock serialises the pool; on SQLite the first write of a
//! transaction takes the database's write lock (waiting under the busy timeout), so the read
//! that follows can never race another writer.

use super::activity::{Ledger, write_beats_on};
use crate::errors::backend;
use leadline_core::store::StoreResult;
use leadline_core::visit::{AllocationPolicy, PoolKey};
use sqlx::AnyConnection;

/// A pool locked for this transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockedPool {
    pub id: i64,
    pub high_water: i64,
    /// Whether this transaction raised the high-water mark to a code with more digits: the
    /// voice webhook's cached code spans must be forgotten at commit (`calls.rs`).
    pub grew: bool,
}

/// How many digits `code` has (none for 0, the mark of a pool that never handed one out).
pub(crate) fn code_digits(code: i64) -> u32 {
    if code <= 0 { 0 } else { code.ilog10() + 1 }
}

/// Locks the pool for the rest of the transaction, creating it on first use. (The insert
/// comes only when the update finds nothing: on PostgreSQL every `ON CONFLICT` attempt would
/// spend an identity value.)
pub(crate) async fn lock_pool(conn: &mut AnyConnection, pool: PoolKey) -> StoreResult<LockedPool> {
    if let Some(locked) = update_pool(conn, pool).await? {
        return Ok(locked);
    }
    sqlx::query(
        "INSERT INTO pools (number_id, selector, high_water) VALUES ($1, $2, 0)
         ON CONFLICT (number_id, selector) DO NOTHING",
    )
    .bind(pool.number.0)
    .bind(pool.selector.as_str())
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    update_pool(conn, pool)
        .await?
        .ok_or(leadline_core::store::StoreError::NotFound)
}

async fn update_pool(conn: &mut AnyConnection, pool: PoolKey) -> StoreResult<Option<LockedPool>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE pools SET high_water = high_water WHERE number_id = $1 AND selector = $2 RETURNING id, high_water",
    )
    .bind(pool.number.0)
    .bind(pool.selector.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(row.map(|(id, high_water)| LockedPool {
        id,
        high_water,
        grew: false,
    }))
}

/// Locks a pool known by its row id (the sweep works from live codes).
pub(crate) async fn lock_pool_by_id(conn: &mut AnyConnection, pool_id: i64) -> StoreResult<LockedPool> {
    let (id, high_water): (i64, i64) =
        sqlx::query_as("UPDATE pools SET high_water = high_water WHERE id = $1 RETURNING id, high_water")
            .bind(pool_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    Ok(LockedPool {
        id,
        high_water,
        grew: false,
    })
}

/// Who a new live code is for.
#[derive(Clone, Copy)]
pub(crate) struct Holder<'a> {
    pub site_id: i64,
    pub visit_id: i64,
    pub intent_id: Option<i64>,
    pub visitor_key: &'a str,
}

/// Takes the smallest free code for `holder` (evicting the site's longest idle code first
/// when the site is at its cap) and records it live. Returns the code and the code evicted,
/// if one was.
pub(crate) async fn allocate(
    conn: &mut AnyConnection,
    pool: &mut LockedPool,
    holder: &Holder<'_>,
    policy: &AllocationPolicy,
    now: i64,
    ledger: &Ledger,
) -> StoreResult<(u64, Option<i64>)> {
    let evicted = evict_if_full(conn, pool, holder.site_id, policy, now, ledger).await?;
    let code = match smallest_free(conn, pool, now - policy.quarantine_ms).await? {
        Some(code) => code,
        None => raise_high_water(conn, pool).await?,
    };
    sqlx::query(
        "INSERT INTO live_codes (pool_id, code, site_id, visit_id, intent_id, visitor_key, last_activity_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(pool.id)
    .bind(code)
    .bind(holder.site_id)
    .bind(holder.visit_id)
    .bind(holder.intent_id)
    .bind(holder.visitor_key)
    .bind(now)
    .bind(now + policy.idle_ms)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(
        "INSERT INTO site_live_counts (site_id, live) VALUES ($1, 1)
         ON CONFLICT (site_id) DO UPDATE SET live = site_live_counts.live + 1",
    )
    .bind(holder.site_id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok((u64::try_from(code).unwrap_or_default(), evicted))
}

async fn evict_if_full(
    conn: &mut AnyConnection,
    pool: &LockedPool,
    site_id: i64,
    policy: &AllocationPolicy,
    now: i64,
    ledger: &Ledger,
) -> StoreResult<Option<i64>> {
    let live: Option<i64> = sqlx::query_scalar("SELECT live FROM site_live_counts WHERE site_id = $1")
        .bind(site_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    if live.unwrap_or(0) < i64::from(policy.max_live) {
        return Ok(None);
    }
    // A visit whose beat this server answered from memory is not idle: its beat is written
    // before the idlest is chosen.
    write_beats_on(conn, &ledger.pending_now(site_id)).await?;
    let idlest: Option<i64> = sqlx::query_scalar(
        "SELECT code FROM live_codes WHERE site_id = $1 AND pool_id = $2 ORDER BY last_activity_at, code LIMIT 1",
    )
    .bind(site_id)
    .bind(pool.id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    match idlest {
        Some(code) if release(conn, pool, code, now, Only::Any).await? => Ok(Some(code)),
        _ => Ok(None),
    }
}

/// The smallest freed code that has rested past `rested_before`, taken off the free list.
async fn smallest_free(conn: &mut AnyConnection, pool: &LockedPool, rested_before: i64) -> StoreResult<Option<i64>> {
    let code: Option<i64> = sqlx::query_scalar("SELECT MIN(code) FROM pool_free WHERE pool_id = $1 AND free_at <= $2")
        .bind(pool.id)
        .bind(rested_before)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    if let Some(code) = code {
        sqlx::query("DELETE FROM pool_free WHERE pool_id = $1 AND code = $2")
            .bind(pool.id)
            .bind(code)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(code)
}

/// The next never-used code above the high-water mark, skipping reserved ones.
async fn raise_high_water(conn: &mut AnyConnection, pool: &mut LockedPool) -> StoreResult<i64> {
    let mut next = pool.high_water + 1;
    while is_reserved(conn, pool.id, next).await? {
        next += 1;
    }
    sqlx::query("UPDATE pools SET high_water = $1 WHERE id = $2")
        .bind(next)
        .bind(pool.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    pool.grew |= code_digits(next) > code_digits(pool.high_water);
    pool.high_water = next;
    Ok(next)
}

pub(crate) async fn is_reserved(conn: &mut AnyConnection, pool_id: i64, code: i64) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT code FROM reserved_codes WHERE pool_id = $1 AND code = $2")
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}

/// Which live code a release may free.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Only<'a> {
    /// Whoever holds it.
    Any,
    /// Only if its idle time had passed by then (a heartbeat may have refreshed it since the
    /// sweep looked).
    ExpiredBy(i64),
    /// Only if this visit (public id) still holds it.
    HeldBy(&'a str),
}

/// Frees a live code, on the condition given. Returns whether it was freed.
pub(crate) async fn release(
    conn: &mut AnyConnection,
    pool: &LockedPool,
    code: i64,
    now: i64,
    only: Only<'_>,
) -> StoreResult<bool> {
    const ANY: &str = "DELETE FROM live_codes WHERE pool_id = $1 AND code = $2 RETURNING site_id, visit_id";
    const EXPIRED: &str =
        "DELETE FROM live_codes WHERE pool_id = $1 AND code = $2 AND expires_at <= $3 RETURNING site_id, visit_id";
    const HELD: &str = "DELETE FROM live_codes WHERE pool_id = $1 AND code = $2
         AND visit_id = (SELECT id FROM visits WHERE public_id = $3) RETURNING site_id, visit_id";
    let deleted = match only {
        Only::Any => sqlx::query_as(ANY).bind(pool.id).bind(code),
        Only::ExpiredBy(limit) => sqlx::query_as(EXPIRED).bind(pool.id).bind(code).bind(limit),
        Only::HeldBy(visit) => sqlx::query_as(HELD).bind(pool.id).bind(code).bind(visit),
    };
    let held: Option<(i64, i64)> = deleted.fetch_optional(&mut *conn).await.map_err(backend)?;
    let Some((site, visit)) = held else {
        return Ok(false);
    };
    // The code remembers its visit while it rests (`rested_code`).
    sqlx::query("INSERT INTO pool_free (pool_id, code, free_at, visit_id) VALUES ($1, $2, $3, $4)")
        .bind(pool.id)
        .bind(code)
        .bind(now)
        .bind(visit)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    sqlx::query("UPDATE site_live_counts SET live = live - 1 WHERE site_id = $1")
        .bind(site)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(true)
}

/// Whether `code` is at or below the pool's high-water mark (it may be live or free).
pub(crate) fn ever_handed_out(pool: &LockedPool, code: i64) -> bool {
    code <= pool.high_water
}
