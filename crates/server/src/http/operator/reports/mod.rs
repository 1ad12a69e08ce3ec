//! `GET /app/reports` and `/app/reports.csv`: a site's visits, calls, forms, leads and revenue
//! grouped by one dimension over days in its zone, with charts and the previous period.
//! Owners and operators alike; a query it cannot read is a 400 page that says what was wrong.

pub(crate) mod charts;
pub mod heatmap;
mod view;

use super::session::Operator;
use super::shell::{Header, Section};
use super::view::render;
use crate::app::reports::query::RawReportQuery;
use crate::app::reports::{self, Report, ReportQuery};
use crate::app::{AppError, AppState};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use leadline_core::money::format_minor;
use leadline_core::report::{Dimension, Model};
use view::{Column, RowView, row_view};

/// Sources named in the share chart; the rest are summed.
const SHARE_SHOWN: usize = 8;

/// The choices of the report's form, as sent back.
struct Choices {
    sites: Vec<(i64, String, bool)>,
    dimensions: Vec<(&'static str, String, bool)>,
    variables: Vec<(String, bool)>,
    from: String,
    to: String,
    compare: bool,
    first_touch: bool,
}

/// One day of the daily chart's table: the day, calls, forms and leads, and the previous
/// period's calls, forms and leads when compared.
type DailyRow = (String, String, String, String, Option<(String, String, String)>);

/// A chart, the id of its caption, and the rows of the table beside it.
struct Chart {
    svg: String,
    caption_id: &'static str,
    caption: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    header: Header,
    choices: Choices,
    error: Option<String>,
    report: Option<ReportView>,
}

struct ReportView {
    title: String,
    value_label: String,
    value_column: Column,
    columns: Vec<Column>,
    rows: Vec<RowView>,
    total: RowView,
    compared: Option<String>,
    stale_days: u64,
    csv: String,
    /// The call-element heatmap of the same site and days.
    heatmap: String,
    daily: Chart,
    /// (day, calls, forms, leads, and the previous period's when compared)
    daily_rows: Vec<DailyRow>,
    funnel: Chart,
    funnel_rows: Vec<(String, String)>,
    share: Chart,
    share_rows: Vec<(String, String)>,
}

/// `GET /app/reports`.
pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Query(raw): Query<RawReportQuery>,
) -> Result<Response, ApiError> {
    let header = Header::of(&state, &operator, Section::Reports).await?;
    let sites = state.store.list_sites(operator.business).await?;
    let built = match ReportQuery::parse(&raw, None) {
        Ok(query) => reports::report(state.store.as_ref(), operator.business, &query)
            .await
            .map(|r| (query, r)),
        Err(e) => Err(e),
    };
    let (status, error, report) = shown(built.map(|(_, report)| report))?;
    let choices = choices(&raw, &sites, report.as_ref());
    let page = ReportsPage {
        header,
        choices,
        error,
        report: report.as_ref().map(report_view),
    };
    Ok((status, render(&page)).into_response())
}

/// What a reports page shows of a use case's answer: the answer (200), or the reason a query
/// was refused (400) or its site not found (404); anything else is the page's error.
fn shown<T>(answer: Result<T, AppError>) -> Result<(StatusCode, Option<String>, Option<T>), ApiError> {
    match answer {
        Ok(found) => Ok((StatusCode::OK, None, Some(found))),
        Err(AppError::Invalid(reason)) => Ok((StatusCode::BAD_REQUEST, Some(reason), None)),
        Err(AppError::NotFound) => Ok((
            StatusCode::NOT_FOUND,
            Some("There is no such site in this business.".into()),
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /app/reports.csv`: the same report as CSV.
pub async fn download(
    State(state): State<AppState>,
    operator: Operator,
    Query(raw): Query<RawReportQuery>,
) -> Result<Response, ApiError> {
    let query = ReportQuery::parse(&raw, None)?;
    let report = reports::report(state.store.as_ref(), operator.business, &query).await?;
    let name = format!(
        "report-{}-{}-{}.csv",
        report.dimension.name(),
        report.range.from(),
        report.range.to()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        view::csv(&report),
    )
        .into_response())
}

/// The report's query string as the page links it (sort left out: the headings add theirs).
fn query_of(report: &Report) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("site", &report.site.id.0.to_string());
    query.append_pair("dimension", report.dimension.name());
    if let Dimension::Variable(name) = &report.dimension {
        query.append_pair("variable", name.as_str());
    }
    query.append_pair("from", &report.range.from().to_string());
    query.append_pair("to", &report.range.to().to_string());
    if report.previous.is_some() {
        query.append_pair("compare", "on");
    }
    query.append_pair("model", report.model.name());
    query.finish()
}

fn report_view(report: &Report) -> ReportView {
    let digits = report.site.currency.minor_digits();
    let query = query_of(report);
    let (value_column, columns) = view::columns(report, &query);
    let revenue = format!(
        "{} {}",
        format_minor(report.total.outcomes.revenue, digits),
        report.site.currency.code()
    );
    let funnel = charts::funnel(&report.total, &revenue);
    let share = charts::share(&report.by_source, SHARE_SHOWN);
    let sort = format!(
        "&sort={}&dir={}",
        report.sort.column_name(),
        if report.sort.descending { "desc" } else { "asc" }
    );
    ReportView {
        title: view::title(report),
        value_label: report.dimension.label(),
        value_column,
        columns,
        rows: report
            .rows
            .iter()
            .map(|r| row_view(&r.label, &r.metrics, r.previous.as_ref(), digits))
            .collect(),
        total: row_view("Total", &report.total, report.previous_total.as_ref(), digits),
        compared: report.previous.map(|p| format!("{} to {}", p.from(), p.to())),
        stale_days: report.stale_days,
        csv: format!("/app/reports.csv?{query}{sort}"),
        heatmap: format!(
            "/app/reports/heatmap?site={}&from={}&to={}",
            report.site.id.0,
            report.range.from(),
            report.range.to()
        ),
        daily: Chart {
            svg: charts::daily(&report.daily, "daily-caption"),
            caption_id: "daily-caption",
            caption: if report.previous.is_some() {
                "Calls, forms and leads per day (the previous period in lighter lines)".into()
            } else {
                "Calls, forms and leads per day".into()
            },
        },
        daily_rows: report
            .daily
            .iter()
            .map(|d| {
                let (m, p) = (&d.metrics, d.previous.as_ref());
                (
                    d.day.to_string(),
                    m.counts.calls.to_string(),
                    m.counts.forms.to_string(),
                    m.outcomes.leads.to_string(),
                    p.map(|p| {
                        (
                            p.counts.calls.to_string(),
                            p.counts.forms.to_string(),
                            p.outcomes.leads.to_string(),
                        )
                    }),
                )
            })
            .collect(),
        funnel: Chart {
            svg: charts::bars(&funnel, "funnel-caption"),
            caption_id: "funnel-caption",
            caption: format!("From visit to sale: {revenue} of revenue"),
        },
        funnel_rows: funnel.into_iter().map(|b| (b.label, b.shown)).collect(),
        share: Chart {
            svg: charts::bars(&share, "share-caption"),
            caption_id: "share-caption",
            caption: "Calls and forms by source".into(),
        },
        share_rows: share.into_iter().map(|b| (b.label, b.shown)).collect(),
    }
}

/// The business's sites for a form's select: (id, name, chosen), removed sites left out.
fn site_options(sites: &[leadline_core::tenant::Site], chosen: Option<i64>) -> Vec<(i64, String, bool)> {
    sites
        .iter()
        .filter(|s| !s.removed)
        .map(|s| (s.id.0, s.name.as_str().to_owned(), Some(s.id.0) == chosen))
        .collect()
}

/// The form's choices: what was asked, else what the report used.
fn choices(raw: &RawReportQuery, sites: &[leadline_core::tenant::Site], report: Option<&Report>) -> Choices {
    let site = report
        .map(|r| r.site.id.0)
        .or_else(|| raw.site.as_deref().and_then(|s| s.trim().parse().ok()));
    let dimension = report.map_or_else(
        || raw.dimension.clone().unwrap_or_default(),
        |r| r.dimension.name().to_owned(),
    );
    let variable = match report.map(|r| &r.dimension) {
        Some(Dimension::Variable(name)) => name.as_str().to_owned(),
        _ => raw.variable.clone().unwrap_or_default(),
    };
    let mut variables: Vec<(String, bool)> = report
        .map(|r| r.variables.iter().map(|v| (v.clone(), *v == variable)).collect())
        .unwrap_or_default();
    if !variable.is_empty() && !variables.iter().any(|(v, _)| *v == variable) {
        variables.push((variable.clone(), true));
    }
    Choices {
        sites: site_options(sites, site),
        dimensions: Dimension::FIXED
            .iter()
            .map(|d| (d.name(), d.label(), d.name() == dimension))
            .chain(std::iter::once((
                "variable",
                "Page variable".to_owned(),
                dimension == "variable",
            )))
            .collect(),
        variables,
        from: report.map_or_else(|| raw.from.clone().unwrap_or_default(), |r| r.range.from().to_string()),
        to: report.map_or_else(|| raw.to.clone().unwrap_or_default(), |r| r.range.to().to_string()),
        compare: report.is_some_and(|r| r.previous.is_some()),
        first_touch: report.is_some_and(|r| r.model == Model::FirstTouch),
    }
}
