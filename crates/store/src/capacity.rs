//! A site's history for capacity planning, read as aggregates so a site with millions of
//! visits answers a few hundred rows: visits per clock hour, visits by length in whole
//! minutes, and the calls tied to those visits by minutes after the visit's last activity.

use crate::SqlStore;
use crate::errors::backend;
use crate::rows::col;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::capacity::{Bucket, CapacityStore, DELAY_CAP_MINUTES, History, HourCount, LENGTH_CAP_MINUTES};
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, SiteId};
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// The visits of one business's site started in `[$3, $4)`.
const VISITS_OF_SITE: &str = "FROM visits v JOIN sites s ON s.id = v.site_id
     WHERE v.site_id = $1 AND s.business_id = $2 AND v.started_at >= $3 AND v.started_at < $4";

static HOURS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT v.started_at / 3600000 AS hour, COUNT(*) AS n {VISITS_OF_SITE} GROUP BY v.started_at / 3600000")
});

/// Lengths in whole minutes, the longest together in the last bucket; and their exact sum.
static LENGTHS_SQL: LazyLock<String> = LazyLock::new(|| {
    let cap_ms = i64::from(LENGTH_CAP_MINUTES) * 60_000;
    format!(
        "SELECT CASE WHEN v.last_seen_at - v.started_at >= {cap_ms} THEN {LENGTH_CAP_MINUTES}
                     WHEN v.last_seen_at < v.started_at THEN 0
                     ELSE (v.last_seen_at - v.started_at) / 60000 END AS minutes,
                COUNT(*) AS n,
                CAST(SUM(CASE WHEN v.last_seen_at > v.started_at THEN v.last_seen_at - v.started_at
                              ELSE 0 END) AS BIGINT) AS total_ms
         {VISITS_OF_SITE} GROUP BY 1"
    )
});

/// The calls of those visits by whole minutes after the visit's last activity (a call
/// during the visit is 0), the latest together in the last bucket.
static DELAYS_SQL: LazyLock<String> = LazyLock::new(|| {
    let cap_ms = i64::from(DELAY_CAP_MINUTES) * 60_000;
    format!(
        "SELECT CASE WHEN c.started_at <= v.last_seen_at THEN 0
                     WHEN c.started_at - v.last_seen_at >= {cap_ms} THEN {DELAY_CAP_MINUTES}
                     ELSE (c.started_at - v.last_seen_at) / 60000 END AS minutes,
                COUNT(*) AS n
         FROM calls c JOIN visits v ON v.id = c.visit_id JOIN sites s ON s.id = v.site_id
         WHERE v.site_id = $1 AND s.business_id = $2 AND c.business_id = $2
           AND v.started_at >= $3 AND v.started_at < $4
         GROUP BY 1"
    )
});

#[async_trait]
impl CapacityStore for SqlStore {
    async fn capacity_history(
        &self,
        business: BusinessId,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<History> {
        let run = |sql: &'static str| {
            sqlx::query(sql)
                .bind(site.0)
                .bind(business.0)
                .bind(from.timestamp_millis())
                .bind(to.timestamp_millis())
                .fetch_all(&self.pool)
        };
        let hours = run(&HOURS_SQL).await.map_err(backend)?;
        let lengths = run(&LENGTHS_SQL).await.map_err(backend)?;
        let delays = run(&DELAYS_SQL).await.map_err(backend)?;
        let mut history = History {
            hours: hours
                .iter()
                .map(|row| {
                    Ok(HourCount {
                        start_ms: col::<i64>(row, "hour")? * 3_600_000,
                        visits: count(row)?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            lengths: lengths.iter().map(bucket).collect::<StoreResult<_>>()?,
            length_ms: 0,
            call_delays: delays.iter().map(bucket).collect::<StoreResult<_>>()?,
        };
        for row in &lengths {
            history.length_ms += col::<Option<i64>>(row, "total_ms")?.unwrap_or(0);
        }
        history.hours.sort_by_key(|h| h.start_ms);
        history.lengths.sort_by_key(|b| b.minutes);
        history.call_delays.sort_by_key(|b| b.minutes);
        Ok(history)
    }
}

fn count(row: &AnyRow) -> StoreResult<u64> {
    Ok(u64::try_from(col::<i64>(row, "n")?).unwrap_or(0))
}

fn bucket(row: &AnyRow) -> StoreResult<Bucket> {
    Ok(Bucket {
        minutes: u32::try_from(col::<i64>(row, "minutes")?).unwrap_or(0),
        count: count(row)?,
    })
}
