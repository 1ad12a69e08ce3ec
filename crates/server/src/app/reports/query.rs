//! What a report is asked for, read once from a page's or the API's query string.

use super::ReportRow;
use crate::app::error::{AppError, AppResult};
use leadline_core::SiteId;
use leadline_core::report::days::local_day;
use leadline_core::report::{DayRange, Dimension, Metrics, Model};
use leadline_core::tenant::Site;
use serde::Deserialize;

/// The days a report covers when none are asked for: the last 30, today included.
pub const DEFAULT_DAYS: u64 = 30;

/// The query string of a report, as sent (every part optional).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawReportQuery {
    pub site: Option<String>,
    pub dimension: Option<String>,
    pub variable: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub compare: Option<String>,
    pub model: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
}

/// A report asked for: which site, grouped how, over which days, credited how, sorted how.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// The business's site; its first site when none is named.
    pub site: Option<SiteId>,
    pub dimension: Dimension,
    /// The days, in the site's zone; the last [`DEFAULT_DAYS`] when none are named.
    pub range: Option<DayRange>,
    pub compare: bool,
    pub model: Model,
    pub sort: Sort,
}

impl ReportQuery {
    /// Reads a query string; `dimension` from the path overrides the query's. Each mistake is
    /// refused with what was wrong.
    pub fn parse(raw: &RawReportQuery, dimension: Option<&str>) -> AppResult<Self> {
        let invalid = |e: leadline_core::Invalid| AppError::Invalid(e.to_string());
        let site = site_id(&raw.site)?;
        let name = dimension.or(raw.dimension.as_deref()).unwrap_or("source");
        let dimension = Dimension::parse(name, raw.variable.as_deref()).map_err(invalid)?;
        let range = day_range(&raw.from, &raw.to)?;
        let compare = match given(&raw.compare).as_deref() {
            None | Some("0" | "false" | "off" | "no") => false,
            Some("1" | "true" | "on" | "yes") => true,
            Some(other) => {
                return Err(AppError::Invalid(format!(
                    "compare must be true or false, not '{other}'"
                )));
            }
        };
        let model = match given(&raw.model) {
            Some(m) => Model::parse(&m).map_err(invalid)?,
            None => Model::default(),
        };
        let sort = Sort::parse(given(&raw.sort).as_deref(), given(&raw.dir).as_deref(), &dimension)?;
        Ok(Self {
            site,
            dimension,
            range,
            compare,
            model,
            sort,
        })
    }

    /// The days the report covers for `site`.
    pub fn range_in(&self, site: &Site) -> DayRange {
        self.range.unwrap_or_else(|| last_days(site))
    }
}

/// A query parameter as sent, trimmed; `None` when absent or empty.
pub fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The site a query names by its number, if it names one.
pub fn site_id(raw: &Option<String>) -> AppResult<Option<SiteId>> {
    given(raw)
        .map(|text| {
            text.parse()
                .map(SiteId)
                .map_err(|_| AppError::Invalid(format!("site must be a site's number, not '{text}'")))
        })
        .transpose()
}

/// The days a query names with `from` and `to`: both or neither.
pub fn day_range(from: &Option<String>, to: &Option<String>) -> AppResult<Option<DayRange>> {
    match (given(from), given(to)) {
        (Some(from), Some(to)) => DayRange::parse(&from, &to)
            .map(Some)
            .map_err(|e| AppError::Invalid(e.to_string())),
        (None, None) => Ok(None),
        _ => Err(AppError::Invalid(
            "date range: give both 'from' and 'to', or neither".into(),
        )),
    }
}

/// The last [`DEFAULT_DAYS`] in the site's zone, today included.
pub fn last_days(site: &Site) -> DayRange {
    DayRange::last(local_day(leadline_core::clock::now(), site.timezone.tz()), DEFAULT_DAYS)
}

/// What rows are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// The dimension's value.
    Value,
    /// A metric, by its name in [`Metrics::COLUMNS`].
    Metric(&'static str),
}

/// How rows are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Sort {
    /// Reads `sort` (a metric or `value`) and `dir` (`asc` or `desc`); by default hours and
    /// weekdays run in order, a caller's dimensions by calls, the rest by visits, most first.
    pub fn parse(column: Option<&str>, dir: Option<&str>, dimension: &Dimension) -> AppResult<Self> {
        let column = match column {
            Some("value") => SortColumn::Value,
            Some(name) => SortColumn::Metric(Metrics::COLUMNS.into_iter().find(|c| *c == name).ok_or_else(|| {
                AppError::Invalid(format!(
                    "sort must be value or one of {}, not '{name}'",
                    Metrics::COLUMNS.join(", ")
                ))
            })?),
            None => match dimension {
                Dimension::Hour | Dimension::Weekday => SortColumn::Value,
                Dimension::Operator | Dimension::City | Dimension::State | Dimension::Country => {
                    SortColumn::Metric("calls")
                }
                _ => SortColumn::Metric("visits"),
            },
        };
        let descending = match dir {
            Some("asc") => false,
            Some("desc") => true,
            None => column != SortColumn::Value,
            Some(other) => return Err(AppError::Invalid(format!("dir must be asc or desc, not '{other}'"))),
        };
        Ok(Self { column, descending })
    }

    /// The wire name of the column.
    pub fn column_name(&self) -> &'static str {
        match self.column {
            SortColumn::Value => "value",
            SortColumn::Metric(name) => name,
        }
    }

    /// Sorts `rows`; ties go by value, so the order is always the same.
    pub fn apply(&self, rows: &mut [ReportRow]) {
        rows.sort_by(|a, b| {
            let ordering = match self.column {
                SortColumn::Value => a.value.cmp(&b.value),
                SortColumn::Metric(name) => a.metrics.sort_key(name).cmp(&b.metrics.sort_key(name)),
            };
            let ordering = if self.descending { ordering.reverse() } else { ordering };
            ordering.then_with(|| a.value.cmp(&b.value))
        });
    }
}
