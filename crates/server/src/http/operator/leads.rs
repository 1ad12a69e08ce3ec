//! The leads list: the business's leads, newest first, filtered and searched with the leads
//! API's own filter, a page at a time, with the totals of the whole filtered list (count, and
//! revenue, cost and profit in each currency) and its download as CSV.

use super::session::Operator;
use super::shell::{Header, Section, local_time};
use super::view::{self, render};
use crate::app::AppState;
use crate::export::{Cell, csv_table};
use crate::http::leads::{MAX_LIMIT, cursor, parse_filter};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use leadline_core::lead::{Lead, LeadFilter, LeadPage, LeadStatus, LeadSummary};
use leadline_core::money::{format_minor, minor_digits};
use leadline_core::tenant::Site;

/// The most leads one CSV holds (the newest of the filter).
pub const CSV_LIMIT: usize = 10_000;

/// One lead as a row of the list.
struct Row {
    record_ref: u64,
    name: String,
    status: &'static str,
    source: String,
    tags: String,
    created: String,
    revenue: String,
}

/// The filter form's fields as the user typed them, to show them again.
#[derive(Default)]
struct FilterForm {
    q: String,
    status: String,
    source: String,
    tag: String,
    from: String,
    to: String,
    spam: String,
}

impl FilterForm {
    fn from_query(query: &str) -> Self {
        let mut form = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let field = match name.as_ref() {
                "q" => &mut form.q,
                "status" => &mut form.status,
                "source" => &mut form.source,
                "tag" => &mut form.tag,
                "from" => &mut form.from,
                "to" => &mut form.to,
                "spam" => &mut form.spam,
                _ => continue,
            };
            *field = value.into_owned();
        }
        form
    }
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    header: Header,
    filter: FilterForm,
    /// (status, whether the filter chose it).
    statuses: Vec<(&'static str, bool)>,
    rows: Vec<Row>,
    /// The link to the next, older page.
    next: Option<String>,
    /// How many leads the whole filter finds.
    count: u64,
    /// (currency, revenue, cost, profit) of the whole filter, one line per currency.
    totals: Vec<(String, String, String, String)>,
    /// The CSV of the same filter.
    csv: String,
    error: Option<String>,
}

/// `GET /app/leads`.
pub async fn list(
    State(state): State<AppState>,
    operator: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query.unwrap_or_default();
    let form = FilterForm::from_query(&query);
    let (filter, error) = match parse_filter(&query) {
        Ok(filter) => (Some(filter), None),
        Err(ApiError::BadRequest(reason)) => (None, Some(reason)),
        Err(e) => return Err(e),
    };
    let business = operator.business;
    let (page, summary) = match &filter {
        Some(filter) => (
            state.store.list_leads(business, filter).await?,
            state.store.lead_summary(business, filter).await?,
        ),
        None => (
            LeadPage {
                leads: Vec::new(),
                next: None,
            },
            LeadSummary::default(),
        ),
    };
    let sites = state.store.list_sites(business).await?;
    let site_currency = sites.first().map_or("USD", |s| s.currency.code());
    let page = LeadsPage {
        header: Header::of(&state, &operator, Section::Leads).await?,
        statuses: LeadStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.as_str() == form.status))
            .collect(),
        rows: page.leads.iter().map(|lead| row(lead, &sites)).collect(),
        next: page.next.map(|last| next_link(&query, &cursor(last))),
        count: summary.count,
        totals: money_lines(&summary, site_currency),
        csv: csv_link(&query),
        filter: form,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

fn row(lead: &Lead, sites: &[Site]) -> Row {
    let site = lead.site_id.and_then(|id| sites.iter().find(|s| s.id == id));
    Row {
        record_ref: lead.record_ref,
        name: lead
            .contact
            .name
            .clone()
            .or_else(|| lead.contact.email.as_ref().map(|e| e.as_str().to_owned()))
            .or_else(|| lead.contact.phone.as_ref().map(|p| p.as_str().to_owned()))
            .unwrap_or_default(),
        status: lead.status.as_str(),
        source: lead.source.clone().unwrap_or_default(),
        tags: lead.tags.join(", "),
        created: local_time(lead.created_at, site),
        revenue: view::revenue(lead),
    }
}

/// The summary's money, one line per currency; without sales, zeros in the site's currency.
fn money_lines(summary: &LeadSummary, site_currency: &str) -> Vec<(String, String, String, String)> {
    if summary.totals.is_empty() {
        let zero = format_minor(0, minor_digits(site_currency));
        return vec![(site_currency.to_owned(), zero.clone(), zero.clone(), zero)];
    }
    summary
        .totals
        .iter()
        .map(|t| {
            let amount = |minor| format_minor(minor, minor_digits(&t.currency));
            (
                t.currency.clone(),
                amount(t.revenue_minor),
                amount(t.cost_minor),
                amount(t.profit_minor),
            )
        })
        .collect()
}

/// The CSV's address: the same filter, from the newest lead (no cursor).
fn csv_link(query: &str) -> String {
    let mut link = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "cursor" && name != "limit" {
            link.append_pair(&name, &value);
        }
    }
    let query = link.finish();
    if query.is_empty() {
        "/app/leads.csv".to_owned()
    } else {
        format!("/app/leads.csv?{query}")
    }
}

/// The CSV's columns, in the order of [`csv_rows`].
const CSV_HEADER: [&str; 14] = [
    "Ref",
    "Name",
    "E-mail",
    "Phone",
    "Company",
    "Status",
    "Source",
    "Tags",
    "First seen",
    "Site",
    "Currency",
    "Revenue",
    "Cost",
    "Profit",
];

/// `GET /app/leads.csv`: the filtered list, newest first (up to [`CSV_LIMIT`] leads), times in
/// each lead's site's zone. A lead with sales in several currencies has one row per currency,
/// so that a column never adds one currency to another.
pub async fn download(
    State(state): State<AppState>,
    operator: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut filter = parse_filter(query.as_deref().unwrap_or(""))?;
    filter.before = None;
    filter.limit = MAX_LIMIT;
    let sites = state.store.list_sites(operator.business).await?;
    let leads = all_leads(&state, &operator, filter).await?;
    let rows: Vec<Vec<Cell>> = leads.iter().flat_map(|lead| csv_rows(lead, &sites)).collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"leads.csv\""),
        ],
        csv_table(&CSV_HEADER, &rows),
    )
        .into_response())
}

/// Every lead of the filter, page after page, up to [`CSV_LIMIT`].
async fn all_leads(state: &AppState, operator: &Operator, mut filter: LeadFilter) -> Result<Vec<Lead>, ApiError> {
    let mut leads = Vec::new();
    loop {
        let page = state.store.list_leads(operator.business, &filter).await?;
        leads.extend(page.leads);
        match page.next {
            Some(next) if leads.len() < CSV_LIMIT => filter.before = Some(next),
            _ => break,
        }
    }
    leads.truncate(CSV_LIMIT);
    Ok(leads)
}

/// A lead's rows of the CSV: one per currency of its sales (one without money if none).
fn csv_rows(lead: &Lead, sites: &[Site]) -> Vec<Vec<Cell>> {
    let site = lead.site_id.and_then(|id| sites.iter().find(|s| s.id == id));
    let c = &lead.contact;
    let text = |t: Option<&str>| Cell::Text(t.unwrap_or_default().to_owned());
    let base = vec![
        Cell::Text(lead.record_ref.to_string()),
        text(c.name.as_deref()),
        text(c.email.as_ref().map(|e| e.as_str())),
        c.phone.clone().map_or(Cell::Text(String::new()), Cell::Phone),
        text(c.company.as_deref()),
        Cell::Text(lead.status.as_str().to_owned()),
        text(lead.source.as_deref()),
        Cell::Text(lead.tags.join(", ")),
        Cell::Text(local_time(lead.created_at, site)),
        Cell::Text(site.map(|s| s.name.to_string()).unwrap_or_default()),
    ];
    if lead.totals.is_empty() {
        let mut row = base;
        row.extend((0..4).map(|_| Cell::Text(String::new())));
        return vec![row];
    }
    lead.totals
        .iter()
        .map(|t| {
            let digits = minor_digits(&t.currency);
            let amount = |minor| Cell::Amount {
                text: format_minor(minor, digits),
                digits,
            };
            let mut row = base.clone();
            row.push(Cell::Text(t.currency.clone()));
            row.extend([amount(t.revenue_minor), amount(t.cost_minor), amount(t.profit_minor)]);
            row
        })
        .collect()
}

/// The list's address with the same filter, starting after `cursor`.
fn next_link(query: &str, cursor: &str) -> String {
    let mut next = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "cursor" {
            next.append_pair(&name, &value);
        }
    }
    next.append_pair("cursor", cursor);
    format!("/app/leads?{}", next.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_the_filter_and_replaces_the_cursor() {
        let link = next_link("q=ann&status=new&cursor=c9", "c5");
        assert_eq!(link, "/app/leads?q=ann&status=new&cursor=c5");
        assert_eq!(
            parse_filter("q=ann&status=new&cursor=c5").unwrap().text.as_deref(),
            Some("ann")
        );
    }

    #[test]
    fn the_csv_link_keeps_the_filter_but_not_the_page() {
        assert_eq!(
            csv_link("q=ann&cursor=c5&limit=10&tag=vip"),
            "/app/leads.csv?q=ann&tag=vip"
        );
        assert_eq!(csv_link(""), "/app/leads.csv");
    }

    #[test]
    fn the_form_shows_what_was_typed_even_when_it_is_refused() {
        let form = FilterForm::from_query("from=yesterday&q=a%20b");
        assert_eq!(form.from, "yesterday");
        assert_eq!(form.q, "a b");
    }
}
