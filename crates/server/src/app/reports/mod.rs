//! Reports: a site's rolled-up days summed over a range, grouped by one dimension, with the
//! previous period beside them, the totals per day for the charts, and the share by source.
//! Reads only the rollups (`ReportStore`), never the raw records.

pub mod query;

pub use query::{ReportQuery, Sort, SortColumn};

use super::error::{AppError, AppResult};
use chrono::NaiveDate;
use leadline_core::adgroup::{AdGrouping, PhraseTable};
use leadline_core::report::{DayRange, Dimension, Metrics, Model, NONE, Tally};
use leadline_core::store::Store;
use leadline_core::tenant::Site;
use leadline_core::{BusinessId, SiteId};
use std::collections::BTreeMap;

/// The value a page variable's report shows for records that did not set it.
pub const NOT_SET: &str = "(not set)";

/// One row of a report: a value of the dimension and what it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The value as stored (what a filter or a link names).
    pub value: String,
    /// The value as shown.
    pub label: String,
    pub metrics: Metrics,
    /// The same value in the previous period, when compared.
    pub previous: Option<Metrics>,
}

/// One day of the totals, with the matching day of the previous period when compared.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub metrics: Metrics,
    pub previous: Option<Metrics>,
}

/// A report as every surface shows it.
#[derive(Debug, Clone)]
pub struct Report {
    pub site: Site,
    pub dimension: Dimension,
    pub model: Model,
    pub range: DayRange,
    /// The period compared with, when asked for.
    pub previous: Option<DayRange>,
    pub sort: Sort,
    pub rows: Vec<ReportRow>,
    pub total: Metrics,
    pub previous_total: Option<Metrics>,
    pub daily: Vec<DayPoint>,
    /// Rows by source / medium, for the share-by-source chart.
    pub by_source: Vec<ReportRow>,
    /// Page variables the range has values for (each is a dimension).
    pub variables: Vec<String>,
    /// Days in the range whose records changed since their rollup was built: the figures
    /// catch up within seconds.
    pub stale_days: u64,
}

/// The business's site `id`, or its first site when none is named (another business's site
/// is not found).
pub async fn chosen_site(store: &dyn Store, business: BusinessId, id: Option<SiteId>) -> AppResult<Site> {
    match id {
        Some(id) => Ok(store.site(business, id).await?),
        None => store
            .list_sites(business)
            .await?
            .into_iter()
            .find(|s| !s.removed)
            .ok_or_else(|| AppError::Invalid("this business has no site to report on yet".into())),
    }
}

/// The report `query` asks for, on one of `business`'s sites (another business's site is not
/// found).
pub async fn report(store: &dyn Store, business: BusinessId, query: &ReportQuery) -> AppResult<Report> {
    let site = chosen_site(store, business, query.site).await?;
    let range = query.range_in(&site);
    // Read before the rows: a day not stale now has every change committed so far in its
    // rollup, so the rows read next are at least as fresh as this count says.
    let stale_days = store.stale_days_within(site.id, range).await?;
    let previous = query.compare.then(|| range.previous());
    let rows = grouped(store, &site, &query.dimension, range, query.model).await?;
    let previous_rows = match previous {
        Some(p) => Some(grouped(store, &site, &query.dimension, p, query.model).await?),
        None => None,
    };
    let mut rows = joined(rows, previous_rows);
    query.sort.apply(&mut rows);
    let daily = daily(store, &site, range, previous, query.model).await?;
    let total = sum(daily.iter().map(|d| d.metrics));
    let previous_total = previous.map(|_| sum(daily.iter().filter_map(|d| d.previous)));
    let by_source = if query.dimension == Dimension::SourceMedium {
        rows.clone()
    } else {
        let source = grouped(store, &site, &Dimension::SourceMedium, range, query.model).await?;
        joined(source, None)
    };
    Ok(Report {
        variables: store.report_variables(site.id, range).await?,
        stale_days,
        site,
        dimension: query.dimension.clone(),
        model: query.model,
        range,
        previous,
        sort: query.sort,
        rows,
        total,
        previous_total,
        daily,
        by_source,
    })
}

fn sum(metrics: impl Iterator<Item = Metrics>) -> Metrics {
    metrics.fold(Metrics::default(), |mut acc, m| {
        acc += m;
        acc
    })
}

/// The dimension's values over `range` under `model`, as (value, label, metrics), grouped
/// where the dimension groups stored values (a page variable's unset records, master ads and
/// phrases).
async fn grouped(
    store: &dyn Store,
    site: &Site,
    dimension: &Dimension,
    range: DayRange,
    model: Model,
) -> AppResult<BTreeMap<String, Metrics>> {
    let stored = store.report_rows(site.id, &dimension.stored_key(), range).await?;
    let grouping = match dimension {
        Dimension::MasterAd | Dimension::MasterPhrase => store.ad_grouping(site.business_id).await?,
        _ => AdGrouping::default(),
    };
    let phrases = grouping.phrase_table();
    let mut rows: BTreeMap<String, Metrics> = BTreeMap::new();
    for (value, tally) in &stored {
        *rows.entry(regroup(dimension, value, &grouping, &phrases)).or_default() += tally.metrics(model);
    }
    if let Dimension::Variable(_) = dimension {
        let total: Tally = store
            .report_rows(site.id, leadline_core::report::dimension::TOTAL_KEY, range)
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .fold(Tally::default(), |mut acc, t| {
                acc += t;
                acc
            });
        let set = sum(stored.iter().map(|(_, t)| t.metrics(model)));
        let unset = difference(total.metrics(model), set);
        if unset != Metrics::default() {
            rows.insert(NOT_SET.to_owned(), unset);
        }
    }
    Ok(rows)
}

/// The value a stored value is reported under: an ad under its master ad (an ad no rule
/// catches under itself), a keyword under its master phrase (else its normalised spelling).
fn regroup(dimension: &Dimension, value: &str, grouping: &AdGrouping, phrases: &PhraseTable<'_>) -> String {
    match dimension {
        Dimension::MasterAd => match grouping.master_ad_of_stored(value) {
            Some(ad) => ad.name.as_str().to_owned(),
            None => ad_label(value),
        },
        Dimension::MasterPhrase if value != NONE => phrases.master_phrase(value),
        _ => value.to_owned(),
    }
}

/// An ad's stored value (source, campaign and content) as people read it.
pub fn ad_label(value: &str) -> String {
    let parts: Vec<&str> = value
        .split(leadline_core::report::dimension::AD_SEPARATOR)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        NONE.to_owned()
    } else {
        parts.join(" / ")
    }
}

fn difference(total: Metrics, set: Metrics) -> Metrics {
    let a = Tally {
        counts: total.counts,
        last: total.outcomes,
        first: Default::default(),
    }
    .columns();
    let b = Tally {
        counts: set.counts,
        last: set.outcomes,
        first: Default::default(),
    }
    .columns();
    let mut d = [0i64; 19];
    for i in 0..19 {
        d[i] = a[i] - b[i];
    }
    let t = Tally::from_columns(d);
    Metrics {
        counts: t.counts,
        outcomes: t.last,
    }
}

/// The rows of the period beside those of the previous one (a value seen only before shows
/// with zeros now).
fn joined(rows: BTreeMap<String, Metrics>, previous: Option<BTreeMap<String, Metrics>>) -> Vec<ReportRow> {
    let mut values: Vec<String> = rows.keys().cloned().collect();
    if let Some(previous) = &previous {
        values.extend(previous.keys().filter(|k| !rows.contains_key(*k)).cloned());
    }
    values
        .into_iter()
        .map(|value| ReportRow {
            label: label(&value),
            metrics: rows.get(&value).copied().unwrap_or_default(),
            previous: previous.as_ref().map(|p| p.get(&value).copied().unwrap_or_default()),
            value,
        })
        .collect()
}

/// A stored value as shown: weekdays lose the number that orders them.
fn label(value: &str) -> String {
    match value.split_once(' ') {
        Some((n, day)) if n.len() == 1 && n.chars().all(|c| ('1'..='7').contains(&c)) => day.to_owned(),
        _ => value.to_owned(),
    }
}

/// Every day of the range with its totals (zero where nothing happened), beside the same
/// day's position in the previous period.
async fn daily(
    store: &dyn Store,
    site: &Site,
    range: DayRange,
    previous: Option<DayRange>,
    model: Model,
) -> AppResult<Vec<DayPoint>> {
    let now: BTreeMap<NaiveDate, Tally> = store.report_totals_by_day(site.id, range).await?.into_iter().collect();
    let before: Option<BTreeMap<NaiveDate, Tally>> = match previous {
        Some(p) => Some(store.report_totals_by_day(site.id, p).await?.into_iter().collect()),
        None => None,
    };
    let before_days: Vec<NaiveDate> = previous.map(|p| p.days().collect()).unwrap_or_default();
    Ok(range
        .days()
        .enumerate()
        .map(|(i, day)| DayPoint {
            day,
            metrics: now.get(&day).copied().unwrap_or_default().metrics(model),
            previous: before.as_ref().map(|b| {
                before_days
                    .get(i)
                    .and_then(|d| b.get(d))
                    .copied()
                    .unwrap_or_default()
                    .metrics(model)
            }),
        })
        .collect())
}
