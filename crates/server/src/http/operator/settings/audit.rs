//! `/app/settings/audit`: the business's audit log, newest first, a page at a time, optionally
//! of one action. Owners only (others get 404, like every settings page); times are shown in
//! the business's zone (its first site's, else UTC).

use crate::app::AppState;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadline_core::audit::{AuditAction, AuditQuery};
use leadline_core::site::Timezone;

/// The page's path.
pub const PATH: &str = "/app/settings/audit";

/// Entries one page shows.
const PAGE: u32 = 50;

/// One entry as the page shows it.
struct Row {
    time: String,
    actor: String,
    address: String,
    action: &'static str,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "settings_audit.html")]
struct AuditPage {
    header: Header,
    zone: &'static str,
    /// Every action: its wire name and whether it is the one shown.
    actions: Vec<(&'static str, bool)>,
    /// Whether one action is chosen.
    filtered: bool,
    rows: Vec<Row>,
    /// The link to the next (older) page.
    older: Option<String>,
    error: Option<String>,
}

/// The query the page was asked for: `action` and `before`, both optional; anything else,
/// repeated or malformed is refused with the reason.
fn parse(raw: &[(String, String)]) -> Result<AuditQuery, String> {
    let mut query = AuditQuery::newest(PAGE);
    let mut seen = Vec::new();
    for (key, value) in raw {
        if seen.contains(&key.as_str()) {
            return Err(format!("{key} is given twice"));
        }
        seen.push(key.as_str());
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "action" => query.action = Some(AuditAction::parse(value).map_err(|e| e.reason)?),
            "before" => {
                let before = value.parse::<i64>().ok().filter(|n| *n > 0);
                query.before = Some(before.ok_or_else(|| format!("'{value}' is not a page of this log"))?);
            }
            other => return Err(format!("{other} is not a filter of this page")),
        }
    }
    Ok(query)
}

/// `GET /app/settings/audit?action=&before=`.
pub async fn show(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let sites = state.store.list_sites(owner.business).await?;
    let zone = sites
        .first()
        .map(|s| s.timezone)
        .unwrap_or_else(|| Timezone::parse("UTC").expect("UTC is a zone"));
    let (query, error) = match parse(&raw) {
        Ok(query) => (query, None),
        Err(why) => (AuditQuery::newest(PAGE), Some(why)),
    };
    let page = state.store.audit_log(owner.business, &query).await?;
    let rows = page
        .entries
        .into_iter()
        .map(|e| Row {
            time: e.at.with_timezone(&zone.tz()).format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor.as_str().to_owned(),
            address: e.address.map(|a| a.to_string()).unwrap_or_default(),
            action: e.action.as_str(),
            subject: e.subject.as_str().to_owned(),
            detail: e.detail.as_str().to_owned(),
        })
        .collect();
    let older = page.next.map(|next| match query.action {
        Some(action) => format!("{PATH}?action={action}&before={next}"),
        None => format!("{PATH}?before={next}"),
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        header: Header::of(&state, &owner, Section::Settings).await?,
        zone: zone.name(),
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.as_str(), query.action == Some(*a)))
            .collect(),
        filtered: query.action.is_some(),
        rows,
        older,
        error,
    };
    Ok((status, render(&page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_page_reads_its_filter_and_refuses_what_it_does_not_know() {
        let query = parse(&pairs(&[("action", "site.updated"), ("before", "42")])).unwrap();
        assert_eq!(query.action, Some(AuditAction::SiteUpdated));
        assert_eq!(query.before, Some(42));
        assert_eq!(parse(&pairs(&[("action", "")])).unwrap(), AuditQuery::newest(PAGE));
        for bad in [
            pairs(&[("action", "site.exploded")]),
            pairs(&[("before", "-1")]),
            pairs(&[("before", "x")]),
            pairs(&[("who", "ann")]),
            pairs(&[("before", "1"), ("before", "2")]),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }
}
