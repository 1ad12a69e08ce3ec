//! `GET /v1/leads`: one page of the business's leads, newest first, with filters.

use super::wire::lead_json;
use crate::app::AppState;
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, Days, NaiveDate, Utc};
use leadline_core::LeadId;
use leadline_core::call::validate_tags;
use leadline_core::interaction::SpamView;
use leadline_core::lead::{LeadFilter, LeadStatus};
use serde_json::{Value, json};

/// Leads a page holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most leads one page may hold.
pub const MAX_LIMIT: u32 = 200;
/// The longest `q`, `source` or `tag`, in characters.
const MAX_TEXT_CHARS: usize = 200;

const PARAMETERS: [&str; 9] = ["status", "source", "tag", "from", "to", "q", "spam", "limit", "cursor"];

pub async fn list(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let filter = parse_filter(query.as_deref().unwrap_or(""))?;
    let page = state.store.list_leads(business, &filter).await?;
    Ok(Json(json!({
        "leads": page.leads.iter().map(lead_json).collect::<Vec<_>>(),
        "next_cursor": page.next.map(cursor),
    })))
}

/// The cursor text of the page that starts after `last` (opaque to clients).
pub fn cursor(last: LeadId) -> String {
    format!("c{}", last.0)
}

fn bad(parameter: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("parameter {parameter}: {reason}"))
}

/// The filter a query string asks for; unknown, repeated or malformed parameters are a 400
/// naming the parameter. Empty values count as absent.
pub fn parse_filter(query: &str) -> Result<LeadFilter, ApiError> {
    let mut filter = LeadFilter {
        limit: DEFAULT_LIMIT,
        ..LeadFilter::default()
    };
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !PARAMETERS.contains(&name.as_ref()) {
            return Err(bad(&name, format!("unknown (known: {})", PARAMETERS.join(", "))));
        }
        if seen.iter().any(|s| *s == name) {
            return Err(bad(&name, "given more than once"));
        }
        seen.push(name.to_string());
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "status" => filter.status = Some(LeadStatus::parse(value).map_err(|e| bad("status", e.reason))?),
            "source" => filter.source = Some(text("source", value)?),
            "tag" => {
                let tag = text("tag", value)?;
                validate_tags(std::slice::from_ref(&tag)).map_err(|e| bad("tag", e.reason))?;
                filter.tag = Some(tag);
            }
            "q" => filter.text = Some(text("q", value)?),
            "spam" => filter.spam = SpamView::parse(value).map_err(|e| bad("spam", e.reason))?,
            "from" => filter.from = Some(time("from", value, false)?),
            "to" => filter.to = Some(time("to", value, true)?),
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad("limit", format!("'{value}' is not a number from 1 to {MAX_LIMIT}")))?;
            }
            "cursor" => {
                let id = value
                    .strip_prefix('c')
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad("cursor", format!("'{value}' is not a cursor this API gave")))?;
                filter.before = Some(LeadId(id));
            }
            _ => unreachable!("checked against PARAMETERS above"),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(bad("to", "must be after from"));
    }
    Ok(filter)
}

fn text(parameter: &str, value: &str) -> Result<String, ApiError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(bad(parameter, format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(parameter, "contains control characters"));
    }
    Ok(value.to_owned())
}

/// An RFC 3339 time, or a UTC date: `from` takes the start of the day, `to` (`end_of_day`)
/// the start of the next one, so that a date range includes its last day.
fn time(parameter: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    let wrong = || {
        bad(
            parameter,
            format!("'{value}' is not an RFC 3339 time (2026-01-31T09:00:00Z) or a date (2026-01-31)"),
        )
    };
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| wrong())?;
    let date = if end_of_day {
        date.checked_add_days(Days::new(1)).ok_or_else(wrong)?
    } else {
        date
    };
    Ok(date.and_hms_opt(0, 0, 0).ok_or_else(wrong)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(query: &str) -> String {
        parse_filter(query).unwrap_err().to_string()
    }

    #[test]
    fn every_filter_is_read() {
        let filter = parse_filter(
            "status=qualified&source=google+%2F+cpc&tag=vip&from=2026-01-01&to=2026-01-31&q=ann&limit=10&cursor=c42",
        )
        .unwrap();
        assert_eq!(filter.status, Some(LeadStatus::Qualified));
        assert_eq!(filter.source.as_deref(), Some("google / cpc"));
        assert_eq!(filter.tag.as_deref(), Some("vip"));
        assert_eq!(filter.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(filter.to.unwrap().to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert_eq!(filter.text.as_deref(), Some("ann"));
        assert_eq!((filter.limit, filter.before), (10, Some(LeadId(42))));
    }

    #[test]
    fn defaults_apply_and_empty_values_are_absent() {
        let filter = parse_filter("status=&q=").unwrap();
        assert_eq!(filter.limit, DEFAULT_LIMIT);
        assert_eq!((filter.status, filter.text), (None, None));
    }

    #[test]
    fn times_may_carry_an_offset() {
        let filter = parse_filter("from=2026-01-01T09:00:00%2B02:00").unwrap();
        assert_eq!(filter.from.unwrap().to_rfc3339(), "2026-01-01T07:00:00+00:00");
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (query, named) in [
            ("status=won", "parameter status"),
            ("from=yesterday", "parameter from"),
            ("to=2026-13-01", "parameter to"),
            ("limit=0", "parameter limit"),
            ("limit=201", "parameter limit"),
            ("cursor=abc", "parameter cursor"),
            ("colour=red", "parameter colour"),
            ("q=a&q=b", "parameter q"),
            ("from=2026-02-01&to=2026-01-01", "parameter to"),
        ] {
            let err = message(query);
            assert!(err.starts_with(named), "{query}: {err}");
        }
    }
}
