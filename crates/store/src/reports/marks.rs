//! Marking the days whose rollups a change makes stale, inside the change's own transaction.
//!
//! Marks are written last in a transaction and in one order (site, then day), so two
//! transactions that mark the same days never wait on each other in a cycle.

use crate::errors::backend;
use leadline_core::store::StoreResult;
use sqlx::AnyConnection;

const DAY_MS: i64 = 86_400_000;

/// The UTC days a transaction has changed records on, by site.
#[derive(Debug, Default)]
pub(crate) struct StaleMarks(Vec<(i64, i64)>);

impl StaleMarks {
    /// The day of `at_ms` (UTC milliseconds) on `site`.
    pub(crate) fn at(mut self, site: i64, at_ms: i64) -> Self {
        self.0.push((site, at_ms.div_euclid(DAY_MS)));
        self
    }

    /// Adds the arrival day of the lead `lead` (a status or a sale counts on it).
    pub(crate) async fn lead(mut self, conn: &mut AnyConnection, lead: i64) -> StoreResult<Self> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as("SELECT site_id, created_at FROM leads WHERE id = $1")
            .bind(lead)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        if let Some((Some(site), created)) = row {
            self = self.at(site, created);
        }
        Ok(self)
    }

    /// Adds the start day of the visit with row id `visit`.
    pub(crate) async fn visit(mut self, conn: &mut AnyConnection, visit: i64) -> StoreResult<Self> {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT site_id, started_at FROM visits WHERE id = $1")
            .bind(visit)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        if let Some((site, started)) = row {
            self = self.at(site, started);
        }
        Ok(self)
    }

    /// Writes the marks (each day's version goes up by one) when `on`.
    pub(crate) async fn write(mut self, conn: &mut AnyConnection, on: bool) -> StoreResult<()> {
        if !on {
            return Ok(());
        }
        self.0.sort_unstable();
        self.0.dedup();
        for (site, day) in self.0 {
            sqlx::query(
                "INSERT INTO report_dirty (site_id, utc_day, version) VALUES ($1, $2, 1)
                 ON CONFLICT (site_id, utc_day) DO UPDATE SET version = report_dirty.version + 1",
            )
            .bind(site)
            .bind(day)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }
}

/// Drops every rollup of `site` and marks every day it has records on: its zone or currency
/// changed, so each of its days is counted again. Days its business's reports are frozen on
/// keep their rollups (their records may be pruned; the rebuild leaves them too).
pub(crate) async fn restate_site(conn: &mut AnyConnection, site: i64) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM report_days WHERE site_id = $1 AND day > (SELECT b.reports_frozen_before
             FROM sites s JOIN businesses b ON b.id = s.business_id WHERE s.id = $1)",
    )
    .bind(site)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(
        "INSERT INTO report_dirty (site_id, utc_day, version)
         SELECT $1, utc_day, 1 FROM (
             SELECT started_at / 86400000 AS utc_day FROM visits WHERE site_id = $1
             UNION SELECT started_at / 86400000 FROM calls WHERE site_id = $1
             UNION SELECT created_at / 86400000 FROM submissions WHERE site_id = $1
             UNION SELECT created_at / 86400000 FROM leads WHERE site_id = $1
         ) AS days WHERE true
         ON CONFLICT (site_id, utc_day) DO UPDATE SET version = report_dirty.version + 1",
    )
    .bind(site)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
