//! Daily rollups for reports: rebuilt from the raw records of the days a change marked stale
//! ([`marks`]), and summed over a range when a report is read.

mod facts;
pub(crate) mod marks;

use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::{col, now_millis};
use async_trait::async_trait;
use chrono::NaiveDate;
use leadline_core::SiteId;
use leadline_core::report::days::{day_number, day_of_number, local_days_of_utc_day};
use leadline_core::report::{DayRange, ReportStore, RollupRow, StaleDay, Tally, rollup, window};
use leadline_core::site::Timezone;
use leadline_core::store::{StoreError, StoreResult};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Rows written by one statement (23 parameters each, well under either engine's limit).
const ROWS_PER_INSERT: usize = 40;

/// The sums of every metric column, for a `GROUP BY` over rollup rows.
fn sums() -> String {
    Tally::COLUMNS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tally(row: &AnyRow) -> StoreResult<Tally> {
    let mut values = [0i64; 19];
    for (value, name) in values.iter_mut().zip(Tally::COLUMNS) {
        *value = col(row, name)?;
    }
    Ok(Tally::from_columns(values))
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn stale_report_days(&self, limit: u32) -> StoreResult<Vec<StaleDay>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT site_id, utc_day FROM report_dirty ORDER BY utc_day DESC, site_id LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(site, utc_day)| StaleDay {
                site: SiteId(site),
                utc_day,
            })
            .collect())
    }

    async fn rebuild_report_day(&self, stale: StaleDay) -> StoreResult<bool> {
        if self.engine == crate::Engine::Sqlite {
            return self.rebuild_from_snapshot(stale).await;
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // A row lock per site, taken first: several servers' rebuilds of a site run one at a
        // time, so an older rebuild can never land after a newer one.
        sqlx::query(
            "INSERT INTO report_rebuilds (site_id, at) VALUES ($1, $2)
             ON CONFLICT (site_id) DO UPDATE SET at = excluded.at",
        )
        .bind(stale.site.0)
        .bind(now_millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((version, counted)) = count_day(&mut tx, stale).await? else {
            tx.commit().await.map_err(backend)?;
            return Ok(false);
        };
        for (day, rows) in &counted {
            replace(&mut tx, stale.site, *day, rows).await?;
        }
        clear_mark(&mut tx, stale, version).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn stale_days_within(&self, site: SiteId, days: DayRange) -> StoreResult<u64> {
        // A local day touches the UTC days either side of it.
        let (from, to) = days.numbers();
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM report_dirty WHERE site_id = $1 AND utc_day >= $2 AND utc_day <= $3",
        )
        .bind(site.0)
        .bind(from - 1)
        .bind(to + 1)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(count.max(0) as u64)
    }

    async fn report_rows(&self, site: SiteId, key: &str, days: DayRange) -> StoreResult<Vec<(String, Tally)>> {
        let (from, to) = days.numbers();
        let sql = format!(
            "SELECT value, {} FROM report_days WHERE site_id = $1 AND dim = $2 AND day >= $3 AND day <= $4
             GROUP BY value ORDER BY value",
            sums()
        );
        let rows = sqlx::query(&sql)
            .bind(site.0)
            .bind(key)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| Ok((col(row, "value")?, tally(row)?))).collect()
    }

    async fn report_totals_by_day(&self, site: SiteId, days: DayRange) -> StoreResult<Vec<(NaiveDate, Tally)>> {
        let (from, to) = days.numbers();
        let sql = format!(
            "SELECT day, {} FROM report_days WHERE site_id = $1 AND dim = 'total' AND day >= $2 AND day <= $3
             GROUP BY day ORDER BY day",
            sums()
        );
        let rows = sqlx::query(&sql)
            .bind(site.0)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| Ok((day_of_number(col(row, "day")?), tally(row)?)))
            .collect()
    }

    async fn report_variables(&self, site: SiteId, days: DayRange) -> StoreResult<Vec<String>> {
        let (from, to) = days.numbers();
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT dim FROM report_days WHERE site_id = $1 AND dim LIKE 'var:%' AND day >= $2 AND day <= $3
             ORDER BY dim",
        )
        .bind(site.0)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(keys
            .into_iter()
            .filter_map(|k| k.strip_prefix("var:").map(str::to_owned))
            .collect())
    }

    async fn stored_report_day(&self, site: SiteId, day: NaiveDate) -> StoreResult<Vec<RollupRow>> {
        let sql = format!(
            "SELECT dim, value, {} FROM report_days WHERE site_id = $1 AND day = $2 GROUP BY dim, value
             ORDER BY dim, value",
            sums()
        );
        let rows = sqlx::query(&sql)
            .bind(site.0)
            .bind(day_number(day))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut rows: Vec<RollupRow> = rows
            .iter()
            .map(|row| {
                Ok(RollupRow {
                    key: col(row, "dim")?,
                    value: col(row, "value")?,
                    tally: tally(row)?,
                })
            })
            .collect::<StoreResult<_>>()?;
        // The engines' collations may order text differently; the rollup's own order is Rust's.
        rows.sort_by(|a, b| (&a.key, &a.value).cmp(&(&b.key, &b.value)));
        Ok(rows)
    }

    async fn recount_report_day(&self, site: SiteId, day: NaiveDate) -> StoreResult<Vec<RollupRow>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let (tz, currency) = site_zone(&mut conn, site).await?;
        recount(&mut conn, site, day, tz, &currency).await
    }
}

/// The site's zone and currency.
async fn site_zone(conn: &mut AnyConnection, site: SiteId) -> StoreResult<(Timezone, String)> {
    let (zone, currency, _) = site_reporting(conn, site).await?;
    Ok((zone, currency))
}

/// The site's zone, currency, and the UTC day before which its business's reports are frozen
/// (retention may have pruned records they were counted from).
async fn site_reporting(conn: &mut AnyConnection, site: SiteId) -> StoreResult<(Timezone, String, i64)> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT s.timezone, s.currency, b.reports_frozen_before
         FROM sites s JOIN businesses b ON b.id = s.business_id WHERE s.id = $1",
    )
    .bind(site.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    let (zone, currency, frozen) = row.ok_or(StoreError::NotFound)?;
    Ok((Timezone::parse(&zone).map_err(corrupt)?, currency, frozen))
}

/// What one local day's records add up to now.
async fn recount(
    conn: &mut AnyConnection,
    site: SiteId,
    day: NaiveDate,
    tz: Timezone,
    currency: &str,
) -> StoreResult<Vec<RollupRow>> {
    let (start, end) = window(day, tz.tz());
    let rows = facts::read(
        conn,
        &facts::Window {
            site: site.0,
            currency,
            start,
            end,
        },
    )
    .await?;
    let tz = tz.tz();
    // The facts and their rollup in one trip off the runtime.
    facts::off_runtime(move || rows.facts().map(|facts| rollup(&facts, tz))).await?
}

/// Replaces the stored rows of one local day with `rows`.
async fn replace(conn: &mut AnyConnection, site: SiteId, day: NaiveDate, rows: &[RollupRow]) -> StoreResult<()> {
    let day = day_number(day);
    sqlx::query("DELETE FROM report_days WHERE site_id = $1 AND day = $2")
        .bind(site.0)
        .bind(day)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let columns = Tally::COLUMNS.join(", ");
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut placeholders = Vec::with_capacity(chunk.len());
        for i in 0..chunk.len() {
            let base = i * 23;
            let params: Vec<String> = (1..=23).map(|n| format!("${}", base + n)).collect();
            placeholders.push(format!("({})", params.join(", ")));
        }
        let sql = format!(
            "INSERT INTO report_days (site_id, day, dim, value, {columns}) VALUES {}",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(site.0)
                .bind(day)
                .bind(row.key.as_str())
                .bind(row.value.as_str());
            for value in row.tally.columns() {
                query = query.bind(value);
            }
        }
        query.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

impl SqlStore {
    /// SQLite's rebuild: the day is counted in a read transaction (a snapshot; registrations
    /// and calls go on writing) and written in a short one. SQLite has one writer, and a busy
    /// day's recount inside a write transaction held it for as long as the recount took: every
    /// registration waited behind it. One server's rebuilds run one at a time, so a count is
    /// never written over a newer one; the mark goes only if nothing changed since the snapshot.
    async fn rebuild_from_snapshot(&self, stale: StaleDay) -> StoreResult<bool> {
        let mut read = self.pool.begin().await.map_err(backend)?;
        let counted = count_day(&mut read, stale).await?;
        read.commit().await.map_err(backend)?;
        let Some((version, counted)) = counted else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await.map_err(backend)?;
        clear_mark(&mut tx, stale, version).await?;
        for (day, rows) in &counted {
            replace(&mut tx, stale.site, *day, rows).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}

/// The stale day's mark version and its rollup rows, local day by local day, counted on
/// `conn`; `None` when the day is no longer marked. The version is read first, so in a
/// snapshot it agrees with the records counted.
async fn count_day(
    conn: &mut AnyConnection,
    stale: StaleDay,
) -> StoreResult<Option<(i64, Vec<(NaiveDate, Vec<RollupRow>)>)>> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM report_dirty WHERE site_id = $1 AND utc_day = $2")
            .bind(stale.site.0)
            .bind(stale.utc_day)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let Some(version) = version else {
        return Ok(None);
    };
    let (tz, currency, frozen) = site_reporting(conn, stale.site).await?;
    let mut counted = Vec::new();
    // A local day on or before the frozen day may overlap records the retention sweep
    // pruned (a local day spans at most the UTC days either side): its rollup stays as it is.
    let counted_days = local_days_of_utc_day(stale.utc_day, tz.tz())
        .into_iter()
        .filter(|day| day_number(*day) > frozen);
    for day in counted_days {
        counted.push((day, recount(conn, stale.site, day, tz, &currency).await?));
    }
    Ok(Some((version, counted)))
}

/// Clears the day's mark if it is still at `version`: a change committed since the version
/// was read bumped it, and the mark stays for the next rebuild.
async fn clear_mark(conn: &mut AnyConnection, stale: StaleDay, version: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM report_dirty WHERE site_id = $1 AND utc_day = $2 AND version = $3")
        .bind(stale.site.0)
        .bind(stale.utc_day)
        .bind(version)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}
