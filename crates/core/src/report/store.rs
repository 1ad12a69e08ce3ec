//! The port reports read and keep their rollups through.

use super::{DayRange, RollupRow, Tally};
use crate::SiteId;
use crate::store::StoreResult;
use async_trait::async_trait;
use chrono::NaiveDate;

/// A UTC day of one site whose records changed since its rollup was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleDay {
    pub site: SiteId,
    /// Days since 1970-01-01, in UTC.
    pub utc_day: i64,
}

/// Daily rollups: kept up to date from the records, and summed for reports.
///
/// Every transaction that adds or changes a visit, call, form, lead or sale marks the UTC day
/// of the records it touched (the lead's arrival day for a status or a sale) as stale, in the
/// same transaction. [`ReportStore::rebuild_report_day`] rebuilds the local days a stale UTC day
/// touches from the raw records and clears the mark unless a change came meanwhile.
#[async_trait]
pub trait ReportStore {
    /// Up to `limit` stale days, the most recent first.
    async fn stale_report_days(&self, limit: u32) -> StoreResult<Vec<StaleDay>>;
    /// Rebuilds the rollups of the local days `stale` touches, in its site's zone; false when
    /// the day was no longer stale.
    async fn rebuild_report_day(&self, stale: StaleDay) -> StoreResult<bool>;
    /// How many stale days of `site` fall inside `days` (the report is that far behind).
    async fn stale_days_within(&self, site: SiteId, days: DayRange) -> StoreResult<u64>;
    /// Each value of the dimension stored under `key`, summed over `days`.
    async fn report_rows(&self, site: SiteId, key: &str, days: DayRange) -> StoreResult<Vec<(String, Tally)>>;
    /// Each day's total over `days` (days without records are absent).
    async fn report_totals_by_day(&self, site: SiteId, days: DayRange) -> StoreResult<Vec<(NaiveDate, Tally)>>;
    /// The page variables with rollups in `days`, by name.
    async fn report_variables(&self, site: SiteId, days: DayRange) -> StoreResult<Vec<String>>;
    /// The rows stored for one local day, sorted by key and value (for checking rollups).
    async fn stored_report_day(&self, site: SiteId, day: NaiveDate) -> StoreResult<Vec<RollupRow>>;
    /// The rows one local day's raw records add up to now, sorted as stored; writes nothing.
    async fn recount_report_day(&self, site: SiteId, day: NaiveDate) -> StoreResult<Vec<RollupRow>>;
}
