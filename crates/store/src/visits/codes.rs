//! Reading, refreshing and moving live codes, and reserving codes for offline sources.

use super::allocation::{Holder, LockedPool, ever_handed_out, is_reserved};
use crate::errors::{backend, not_found_or_backend};
use crate::rows::{col, time};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visit::{CodeRequest, LiveCode, PoolKey, VisitRef};
use leadline_core::{IntentId, SiteId};
use sqlx::{AnyConnection, AnyPool};

fn to_code(code: Option<i64>) -> Option<u64> {
    code.and_then(|c| u64::try_from(c).ok())
}

/// Moves a returning visitor's live page-load code (same site and visitor key, same pool)
/// to the new visit, refreshed.
pub(crate) async fn adopt_returning(
    conn: &mut AnyConnection,
    pool: &LockedPool,
    site_id: i64,
    visitor_key: &str,
    visit_id: i64,
    request: &CodeRequest,
    now: i64,
) -> StoreResult<Option<u64>> {
    let code: Option<i64> = sqlx::query_scalar(
        "UPDATE live_codes SET visit_id = $1, last_activity_at = $2, expires_at = $3
         WHERE pool_id = $4 AND code = (
             SELECT code FROM live_codes
             WHERE site_id = $5 AND visitor_key = $6 AND pool_id = $4 AND intent_id IS NULL
             ORDER BY last_activity_at DESC LIMIT 1)
         RETURNING code",
    )
    .bind(visit_id)
    .bind(now)
    .bind(now + request.policy.idle_ms)
    .bind(pool.id)
    .bind(site_id)
    .bind(visitor_key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(to_code(code))
}

/// Refreshes the visit's live page-load code; its pool's id and the code.
pub(crate) async fn refresh_visit_code(
    conn: &mut AnyConnection,
    visit_id: i64,
    request: &CodeRequest,
    now: i64,
) -> StoreResult<Option<(i64, i64)>> {
    sqlx::query_as(
        "UPDATE live_codes SET last_activity_at = $1, expires_at = $2
         WHERE visit_id = $3 AND intent_id IS NULL RETURNING pool_id, code",
    )
    .bind(now)
    .bind(now + request.policy.idle_ms)
    .bind(visit_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)
}

/// Moves the visit's live click code to the newest click, with a fresh idle time.
pub(crate) async fn move_click_code(
    conn: &mut AnyConnection,
    holder: &Holder<'_>,
    request: &CodeRequest,
    now: i64,
) -> StoreResult<Option<u64>> {
    let code: Option<i64> = sqlx::query_scalar(
        "UPDATE live_codes SET intent_id = $1, last_activity_at = $2, expires_at = $3
         WHERE visit_id = $4 AND intent_id IS NOT NULL RETURNING code",
    )
    .bind(holder.intent_id)
    .bind(now)
    .bind(now + request.policy.idle_ms)
    .bind(holder.visit_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(to_code(code))
}

/// The visit's live click code, untouched.
pub(crate) async fn click_code(conn: &mut AnyConnection, visit_id: i64) -> StoreResult<Option<u64>> {
    let code: Option<i64> =
        sqlx::query_scalar("SELECT code FROM live_codes WHERE visit_id = $1 AND intent_id IS NOT NULL")
            .bind(visit_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    Ok(to_code(code))
}

/// Who holds a live code.
pub(crate) async fn holder(pool: &AnyPool, key: PoolKey, code: u64) -> StoreResult<LiveCode> {
    let code = i64::try_from(code).map_err(|_| StoreError::NotFound)?;
    let row = sqlx::query(
        "SELECT lc.site_id, v.public_id, lc.intent_id, lc.expires_at
         FROM live_codes lc
         JOIN pools p ON p.id = lc.pool_id
         JOIN visits v ON v.id = lc.visit_id
         WHERE p.number_id = $1 AND p.selector = $2 AND lc.code = $3",
    )
    .bind(key.number.0)
    .bind(key.selector.as_str())
    .bind(code)
    .fetch_one(pool)
    .await
    .map_err(not_found_or_backend)?;
    Ok(LiveCode {
        site_id: SiteId(col(&row, "site_id")?),
        visit: VisitRef::parse(&col::<String>(&row, "public_id")?).map_err(|e| StoreError::Backend(Box::new(e)))?,
        intent: col::<Option<i64>>(&row, "intent_id")?.map(IntentId),
        expires_at: time(&row, "expires_at")?,
    })
}

/// Reserves a code that is not live: taken off the free list, or skipped when the
/// high-water mark reaches it.
pub(crate) async fn reserve(conn: &mut AnyConnection, pool: &LockedPool, code: i64, label: &str) -> StoreResult<()> {
    if code < 1 {
        return Err(StoreError::Conflict("reserved codes start at 1".to_owned()));
    }
    if is_reserved(conn, pool.id, code).await? {
        return Err(StoreError::Conflict(format!("code {code} is already reserved")));
    }
    if ever_handed_out(pool, code) {
        let freed = sqlx::query("DELETE FROM pool_free WHERE pool_id = $1 AND code = $2")
            .bind(pool.id)
            .bind(code)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        if freed.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "code {code} is live: reserve it once it is freed"
            )));
        }
    }
    sqlx::query("INSERT INTO reserved_codes (pool_id, code, label, created_at) VALUES ($1, $2, $3, $4)")
        .bind(pool.id)
        .bind(code)
        .bind(label)
        .bind(crate::rows::now_millis())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Gives a reserved code back to its pool: no longer reserved, and on the free list (free at
/// `now`, so the pool's quarantine counts from its release) when the high-water mark has
/// passed it; above the mark, the mark reaches it in turn. `false` when it was not reserved.
pub(crate) async fn unreserve(conn: &mut AnyConnection, pool: &LockedPool, code: i64, now: i64) -> StoreResult<bool> {
    let released = sqlx::query("DELETE FROM reserved_codes WHERE pool_id = $1 AND code = $2")
        .bind(pool.id)
        .bind(code)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if released.rows_affected() == 0 {
        return Ok(false);
    }
    if ever_handed_out(pool, code) {
        sqlx::query("INSERT INTO pool_free (pool_id, code, free_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(pool.id)
            .bind(code)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(true)
}
