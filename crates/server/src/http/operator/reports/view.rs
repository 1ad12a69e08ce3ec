//! A report as the page and its CSV show it: formatted cells, sort links, chart tables.

use crate::app::reports::{Report, ReportRow};
use crate::export::Cell;
use leadline_core::money::format_minor;
use leadline_core::report::Metrics;

/// Column headings, in the order of [`Metrics::COLUMNS`].
pub const HEADINGS: [&str; 15] = [
    "Visits",
    "Calls",
    "Answered",
    "Missed",
    "Abandoned",
    "First-time callers",
    "Forms",
    "Leads",
    "Qualified",
    "Converted",
    "Revenue",
    "Cost",
    "Profit",
    "Visit → lead",
    "Revenue per visit",
];

/// A column heading with the link that sorts by it.
pub struct Column {
    pub label: &'static str,
    pub link: String,
    /// `ascending`, `descending`, or empty when the rows are not sorted by it.
    pub aria_sort: &'static str,
}

/// One cell: this period's figure and, when compared, the previous one's.
pub struct Figure {
    pub now: String,
    pub before: Option<String>,
}

/// One row as shown.
pub struct RowView {
    pub label: String,
    pub figures: Vec<Figure>,
}

/// The formatted figures of `m`, in the order of [`HEADINGS`].
pub fn figures(m: &Metrics, digits: u16) -> Vec<String> {
    let (c, o) = (m.counts, m.outcomes);
    let mut cells: Vec<String> = [
        c.visits,
        c.calls,
        c.answered,
        c.missed,
        c.abandoned,
        c.first_time_callers,
        c.forms,
        o.leads,
        o.qualified,
        o.converted,
    ]
    .iter()
    .map(i64::to_string)
    .collect();
    cells.extend([o.revenue, o.cost, o.profit].iter().map(|v| format_minor(*v, digits)));
    cells.push(
        m.visit_to_lead()
            .map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0)),
    );
    cells.push(
        m.revenue_per_visit()
            .map_or_else(|| "—".into(), |r| format_minor(r.round() as i64, digits)),
    );
    cells
}

/// `row` with its previous period beside each figure.
pub fn row_view(label: &str, now: &Metrics, before: Option<&Metrics>, digits: u16) -> RowView {
    let before = before.map(|b| figures(b, digits));
    RowView {
        label: label.to_owned(),
        figures: figures(now, digits)
            .into_iter()
            .enumerate()
            .map(|(i, now)| Figure {
                now,
                before: before.as_ref().map(|b| b[i].clone()),
            })
            .collect(),
    }
}

/// The headings with their sort links: `query` is the report's query string without sort.
pub fn columns(report: &Report, query: &str) -> (Column, Vec<Column>) {
    let sorted = report.sort.column_name();
    let link = |column: &str| {
        let dir = if column == sorted && report.sort.descending == (column != "value") {
            if column == "value" { "desc" } else { "asc" }
        } else if column == "value" {
            "asc"
        } else {
            "desc"
        };
        format!("/app/reports?{query}&sort={column}&dir={dir}")
    };
    let aria = |column: &str| match (column == sorted, report.sort.descending) {
        (false, _) => "",
        (true, true) => "descending",
        (true, false) => "ascending",
    };
    let value = Column {
        label: "",
        link: link("value"),
        aria_sort: aria("value"),
    };
    let metrics = Metrics::COLUMNS
        .iter()
        .zip(HEADINGS)
        .map(|(name, label)| Column {
            label,
            link: link(name),
            aria_sort: aria(name),
        })
        .collect();
    (value, metrics)
}

/// The CSV of a report: one line per row, the previous period's figures after this period's
/// when compared, then the total.
pub fn csv(report: &Report) -> Vec<u8> {
    let digits = report.site.currency.minor_digits();
    let label = report.dimension.label();
    let mut header: Vec<String> = vec![label];
    header.extend(HEADINGS.iter().map(|h| (*h).to_owned()));
    if report.previous.is_some() {
        header.extend(HEADINGS.iter().map(|h| format!("{h} (previous period)")));
    }
    let line = |label: &str, now: &Metrics, before: Option<&Metrics>| -> Vec<Cell> {
        let mut cells = vec![Cell::Text(label.to_owned())];
        cells.extend(figures(now, digits).into_iter().map(Cell::Text));
        if let Some(before) = before {
            cells.extend(figures(before, digits).into_iter().map(Cell::Text));
        }
        cells
    };
    let mut rows: Vec<Vec<Cell>> = report
        .rows
        .iter()
        .map(|r: &ReportRow| line(&r.label, &r.metrics, r.previous.as_ref()))
        .collect();
    rows.push(line("Total", &report.total, report.previous_total.as_ref()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    crate::export::csv_table(&header, &rows)
}

/// What the report covers, in words: "Source / medium, 2026-11-06 to 2026-12-05 (last touch)".
pub fn title(report: &Report) -> String {
    format!(
        "{}, {} to {}, leads credited by {}",
        report.dimension.label(),
        report.range.from(),
        report.range.to(),
        report.model.label()
    )
}
