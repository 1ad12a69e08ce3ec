//! A report as JSON: money as decimal text in the site's currency beside its minor units,
//! rates as fractions (null without visits).

use crate::app::reports::{DayPoint, Report, ReportRow};
use leadline_core::money::format_minor;
use leadline_core::report::{Dimension, Metrics};
use serde::Serialize;

/// One row's figures.
#[derive(Debug, Serialize)]
pub struct MetricsBody {
    pub visits: i64,
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub abandoned: i64,
    pub first_time_callers: i64,
    pub forms: i64,
    pub leads: i64,
    pub qualified: i64,
    pub converted: i64,
    pub revenue: String,
    pub cost: String,
    pub profit: String,
    pub revenue_minor: i64,
    pub cost_minor: i64,
    pub profit_minor: i64,
    pub visit_to_lead: Option<f64>,
    pub revenue_per_visit: Option<String>,
}

impl MetricsBody {
    /// `m` with money in a currency of `digits` minor digits.
    pub fn of(m: &Metrics, digits: u16) -> Self {
        let (c, o) = (m.counts, m.outcomes);
        Self {
            visits: c.visits,
            calls: c.calls,
            answered: c.answered,
            missed: c.missed,
            abandoned: c.abandoned,
            first_time_callers: c.first_time_callers,
            forms: c.forms,
            leads: o.leads,
            qualified: o.qualified,
            converted: o.converted,
            revenue: format_minor(o.revenue, digits),
            cost: format_minor(o.cost, digits),
            profit: format_minor(o.profit, digits),
            revenue_minor: o.revenue,
            cost_minor: o.cost,
            profit_minor: o.profit,
            visit_to_lead: m.visit_to_lead(),
            revenue_per_visit: m.revenue_per_visit().map(|r| format_minor(r.round() as i64, digits)),
        }
    }
}

#[derive(Debug, Serialize)]
struct RangeBody {
    from: String,
    to: String,
}

#[derive(Debug, Serialize)]
struct SiteBody {
    id: i64,
    name: String,
    timezone: &'static str,
    currency: &'static str,
}

#[derive(Debug, Serialize)]
struct RowBody {
    value: String,
    label: String,
    metrics: MetricsBody,
    previous: Option<MetricsBody>,
}

#[derive(Debug, Serialize)]
struct DayBody {
    day: String,
    metrics: MetricsBody,
    previous: Option<MetricsBody>,
}

#[derive(Debug, Serialize)]
struct SortBody {
    column: &'static str,
    dir: &'static str,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct ReportBody {
    site: SiteBody,
    dimension: &'static str,
    variable: Option<String>,
    /// `last` or `first`: which of a lead's visits is credited with it.
    model: &'static str,
    range: RangeBody,
    compared_with: Option<RangeBody>,
    sort: SortBody,
    /// Days in the range whose figures are still being brought up to date (seconds behind).
    stale_days: u64,
    rows: Vec<RowBody>,
    total: MetricsBody,
    previous_total: Option<MetricsBody>,
    daily: Vec<DayBody>,
}

impl ReportBody {
    /// The body of `report`.
    pub fn of(report: &Report) -> Self {
        let digits = report.site.currency.minor_digits();
        let metrics = |m: &Metrics| MetricsBody::of(m, digits);
        let row = |r: &ReportRow| RowBody {
            value: r.value.clone(),
            label: r.label.clone(),
            metrics: metrics(&r.metrics),
            previous: r.previous.as_ref().map(metrics),
        };
        let day = |d: &DayPoint| DayBody {
            day: d.day.to_string(),
            metrics: metrics(&d.metrics),
            previous: d.previous.as_ref().map(metrics),
        };
        Self {
            site: SiteBody {
                id: report.site.id.0,
                name: report.site.name.as_str().to_owned(),
                timezone: report.site.timezone.name(),
                currency: report.site.currency.code(),
            },
            dimension: report.dimension.name(),
            variable: match &report.dimension {
                Dimension::Variable(name) => Some(name.as_str().to_owned()),
                _ => None,
            },
            model: report.model.name(),
            range: RangeBody {
                from: report.range.from().to_string(),
                to: report.range.to().to_string(),
            },
            compared_with: report.previous.map(|p| RangeBody {
                from: p.from().to_string(),
                to: p.to().to_string(),
            }),
            sort: SortBody {
                column: report.sort.column_name(),
                dir: if report.sort.descending { "desc" } else { "asc" },
            },
            stale_days: report.stale_days,
            rows: report.rows.iter().map(row).collect(),
            total: metrics(&report.total),
            previous_total: report.previous_total.as_ref().map(metrics),
            daily: report.daily.iter().map(day).collect(),
        }
    }
}
