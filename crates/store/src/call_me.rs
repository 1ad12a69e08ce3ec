//! Call-me's caps and the codes a number can be keyed with: the two facts the telephony
//! webhooks ask of the store besides the call itself.

use crate::errors::backend;
use crate::visits::allocation::code_digits;
use leadline_core::NumberId;
use leadline_core::keypad::CodeSpan;
use leadline_core::store::{CallMeClaim, CallMeGrant, CodeSpans, StoreResult};
use sqlx::AnyPool;

/// A pool's selector and high-water mark, then its smallest and largest live code, then
/// reserved code.
type PoolSpanRow = (String, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// The smallest and largest live or reserved code of each of the number's pools, and whether
/// the spans are exact: whether each pool's largest code has as many digits as any code it
/// can hand out without raising its high-water mark (a freed longer code can come back from
/// the free list), so that only a raise past a power of ten, or a reservation, can make a
/// code the spans do not cover. Only exact spans may be kept in memory.
pub(crate) async fn keyable_code_spans(pool: &AnyPool, number: NumberId) -> StoreResult<(CodeSpans, bool)> {
    // Scalar subqueries, so each MIN and MAX is one step down a (pool_id, code) key.
    let rows: Vec<PoolSpanRow> = sqlx::query_as(
        "SELECT p.selector, p.high_water,
             (SELECT MIN(code) FROM live_codes WHERE pool_id = p.id),
             (SELECT MAX(code) FROM live_codes WHERE pool_id = p.id),
             (SELECT MIN(code) FROM reserved_codes WHERE pool_id = p.id),
             (SELECT MAX(code) FROM reserved_codes WHERE pool_id = p.id)
         FROM pools p WHERE p.number_id = $1",
    )
    .bind(number.0)
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    let mut spans = CodeSpans::default();
    let mut exact = true;
    for (selector, high_water, live_low, live_high, reserved_low, reserved_high) in rows {
        let low = live_low.into_iter().chain(reserved_low).min();
        let high = live_high.into_iter().chain(reserved_high).max();
        let could_be = high_water.max(reserved_high.unwrap_or(0));
        exact &= code_digits(high.unwrap_or(0)) == code_digits(could_be);
        let span = low.zip(high).map(|(low, high)| CodeSpan {
            low: u64::try_from(low).unwrap_or(0),
            high: u64::try_from(high).unwrap_or(0),
        });
        match selector.as_str() {
            "*" => spans.star = span,
            _ => spans.plain = span,
        }
    }
    Ok((spans, exact))
}

/// Takes a call-me place from the visit and from the site's day, both or neither.
pub(crate) async fn claim(pool: &AnyPool, claim: &CallMeClaim<'_>) -> StoreResult<CallMeGrant> {
    let mut tx = pool.begin().await.map_err(backend)?;
    // Conditional increments: two requests cannot both take the last place.
    let visit: Option<i64> = sqlx::query_scalar(
        "UPDATE visits SET call_me_count = call_me_count + 1
         WHERE site_id = $1 AND public_id = $2 AND call_me_count < $3 RETURNING call_me_count",
    )
    .bind(claim.site.0)
    .bind(claim.visit.as_str())
    .bind(i64::from(claim.per_visit))
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    if visit.is_none() {
        return Ok(CallMeGrant::VisitCapReached);
    }
    let day: Option<i64> = sqlx::query_scalar(
        "INSERT INTO call_me_days (site_id, day, placed) SELECT $1, $2, 1 WHERE $3 > 0
         ON CONFLICT (site_id, day) DO UPDATE SET placed = call_me_days.placed + 1
             WHERE call_me_days.placed < $3
         RETURNING placed",
    )
    .bind(claim.site.0)
    .bind(claim.day)
    .bind(i64::from(claim.per_day))
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    if day.is_none() {
        return Ok(CallMeGrant::DayCapReached);
    }
    tx.commit().await.map_err(backend)?;
    Ok(CallMeGrant::Granted)
}
