//! The leads list: the business's leads, newest first, filtered and searched with the leads
//! API's own filter, a page at a time.

use super::session::Operator;
use super::shell::{Header, Section, local_time};
use super::view::{self, render};
use crate::app::AppState;
use crate::http::leads::{cursor, parse_filter};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadline_core::lead::{Lead, LeadPage, LeadStatus};
use leadline_core::tenant::Site;

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
    let page = match &filter {
        Some(filter) => state.store.list_leads(business, filter).await?,
        None => LeadPage {
            leads: Vec::new(),
            next: None,
        },
    };
    let sites = state.store.list_sites(business).await?;
    let page = LeadsPage {
        header: Header::of(&state, &operator, Section::Leads).await?,
        statuses: LeadStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.as_str() == form.status))
            .collect(),
        rows: page.leads.iter().map(|lead| row(lead, &sites)).collect(),
        next: page.next.map(|last| next_link(&query, &cursor(last))),
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
    fn the_form_shows_what_was_typed_even_when_it_is_refused() {
        let form = FilterForm::from_query("from=yesterday&q=a%20b");
        assert_eq!(form.from, "yesterday");
        assert_eq!(form.q, "a b");
    }
}
