//! Activity: the business's calls, form submissions and operators' replies in one list,
//! newest first, filtered, a page at a time, downloadable as CSV; calls in progress in a live
//! panel above it (kept current by `live.js` through `/app/live`).

pub mod filter;
pub mod row;

use super::session::Operator;
use super::shell::{Header, Section};
use super::view::render;
use crate::app::AppState;
use crate::export::csv_table;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use filter::{CSV_LIMIT, FilterForm, PAGE};
use leadline_core::call::MatchedBy;
use leadline_core::interaction::{CallResult, InteractionFilter, InteractionKind, InteractionPage, SpamView};
use leadline_core::tenant::Site;
use row::Row;

/// A choice of a select: (value, label, chosen).
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    header: Header,
    filter: FilterForm,
    sites: Vec<Choice>,
    types: Vec<Choice>,
    outcomes: Vec<Choice>,
    matches: Vec<Choice>,
    callers: Vec<Choice>,
    spam: Vec<Choice>,
    /// Calls in progress, for the live panel.
    live: Vec<Row>,
    rows: Vec<Row>,
    /// The link to the next, older page.
    next: Option<String>,
    csv: String,
    error: Option<String>,
}

fn choices(values: impl IntoIterator<Item = (&'static str, &'static str)>, typed: &str) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| (value.to_owned(), label.to_owned(), value == typed))
        .collect()
}

/// How the list names each way a call was matched.
pub fn matched_label(matched: MatchedBy) -> &'static str {
    match matched {
        MatchedBy::Code => "code",
        MatchedBy::Click => "click",
        MatchedBy::Reserved => "offline source",
        MatchedBy::Caller => "caller number",
        MatchedBy::CallMe => "call-me",
        MatchedBy::ClickIntent => "click to call (likely)",
        MatchedBy::Redial => "redial",
        MatchedBy::RestedCode => "code after the visit",
        MatchedBy::Pool => "pool number",
        MatchedBy::None => "none",
    }
}

/// `GET /app/activity`.
pub async fn list(
    State(state): State<AppState>,
    operator: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query.unwrap_or_default();
    let form = FilterForm::from_query(&query);
    let sites = state.store.list_sites(operator.business).await?;
    let (page, error) = match filter::parse(&query, &sites, PAGE) {
        Ok(filter) => (state.store.interactions(operator.business, &filter).await?, None),
        Err(ApiError::BadRequest(reason)) => (empty(), Some(reason)),
        Err(e) => return Err(e),
    };
    let in_progress = InteractionFilter {
        result: Some(CallResult::InCall),
        limit: 20,
        ..InteractionFilter::default()
    };
    let live = state.store.interactions(operator.business, &in_progress).await?;
    let rows = |page: &InteractionPage| -> Vec<Row> {
        page.items.iter().map(|entry| Row::of(&state, entry, &sites)).collect()
    };
    let base = form.query_without_cursor();
    let page_view = ActivityPage {
        header: Header::of(&state, &operator, Section::Activity).await?,
        sites: site_choices(&sites, form.get("site")),
        types: choices(InteractionKind::ALL.map(|k| (k.as_str(), k.as_str())), form.get("type")),
        outcomes: choices(CallResult::ALL.map(|r| (r.as_str(), r.label())), form.get("outcome")),
        matches: choices(
            [
                MatchedBy::Code,
                MatchedBy::Click,
                MatchedBy::Caller,
                MatchedBy::Reserved,
                MatchedBy::CallMe,
                MatchedBy::ClickIntent,
                MatchedBy::Redial,
                MatchedBy::RestedCode,
                MatchedBy::Pool,
                MatchedBy::None,
            ]
            .map(|m| (m.as_str(), matched_label(m))),
            form.get("matched"),
        ),
        callers: choices(
            [("first_time", "first-time"), ("returning", "returning")],
            form.get("caller"),
        ),
        spam: choices(SpamView::ALL.map(|v| (v.as_str(), v.label())), form.get("spam")),
        live: rows(&live),
        rows: rows(&page),
        next: page
            .next
            .map(|cursor| link("/app/activity", &base, Some(&cursor.encode()))),
        csv: link("/app/activity.csv", &base, None),
        filter: form,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page_view)).into_response())
}

/// `GET /app/activity.csv`: the filtered list (up to [`CSV_LIMIT`] entries from the cursor).
pub async fn download(
    State(state): State<AppState>,
    operator: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query.unwrap_or_default();
    let sites = state.store.list_sites(operator.business).await?;
    let filter = filter::parse(&query, &sites, CSV_LIMIT)?;
    let page = state.store.interactions(operator.business, &filter).await?;
    let rows: Vec<_> = page
        .items
        .iter()
        .map(|entry| Row::of(&state, entry, &sites).cells())
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"activity.csv\""),
        ],
        csv_table(&Row::HEADER, &rows),
    )
        .into_response())
}

fn empty() -> InteractionPage {
    InteractionPage {
        items: Vec::new(),
        next: None,
    }
}

fn site_choices(sites: &[Site], typed: &str) -> Vec<Choice> {
    sites
        .iter()
        .map(|s| (s.id.0.to_string(), s.name.to_string(), s.id.0.to_string() == typed))
        .collect()
}

/// `path` with the filter's query and, for the next page, its cursor.
fn link(path: &str, query: &str, cursor: Option<&str>) -> String {
    let mut full = query.to_owned();
    if let Some(cursor) = cursor {
        if !full.is_empty() {
            full.push('&');
        }
        full.push_str("cursor=");
        full.extend(form_urlencoded::byte_serialize(cursor.as_bytes()));
    }
    if full.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{full}")
    }
}
