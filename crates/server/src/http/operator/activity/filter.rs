//! The Activity list's query string: what the filter form sends, read into the store's
//! filter (dates in the zone of the site people read the list in), and the form shown again
//! with what was typed.

use crate::export::{Bound, parse_bound};
use crate::web::error::ApiError;
use leadline_core::SiteId;
use leadline_core::call::{MatchedBy, validate_tags};
use leadline_core::interaction::{
    CallResult, CallerHistory, InteractionCursor, InteractionFilter, InteractionKind, SpamView,
};
use leadline_core::site::Timezone;
use leadline_core::tenant::Site;

/// Every parameter the list takes.
pub const PARAMETERS: [&str; 17] = [
    "from", "to", "type", "site", "source", "medium", "campaign", "keyword", "outcome", "operator", "tag", "matched",
    "caller", "q", "spam", "cursor", "limit",
];

/// Entries on a page unless `limit` says otherwise; the CSV takes up to [`CSV_LIMIT`].
pub const PAGE: u32 = 50;
/// The most entries one page or download holds.
pub const CSV_LIMIT: u32 = 500;

/// The form's fields as typed (empty when absent), by parameter name.
#[derive(Default)]
pub struct FilterForm {
    values: Vec<(String, String)>,
}

impl FilterForm {
    /// The fields of `query`.
    pub fn from_query(query: &str) -> Self {
        let values = form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| PARAMETERS.contains(&name.as_ref()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { values }
    }

    /// What was typed for `name`.
    pub fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The query string of this filter without its cursor (for the CSV link and the next page).
    pub fn query_without_cursor(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.values {
            if name != "cursor" && !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

fn bad(parameter: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("{parameter}: {reason}"))
}

/// The zone dates are read in: the chosen site's, else the business's first site's, else UTC.
pub fn zone_of(sites: &[Site], chosen: Option<SiteId>) -> Timezone {
    chosen
        .and_then(|id| sites.iter().find(|s| s.id == id))
        .or_else(|| sites.first())
        .map(|s| s.timezone)
        .unwrap_or_else(|| Timezone::parse("UTC").expect("UTC is a zone"))
}

/// The filter `query` asks for, over the business's `sites`; unknown, repeated or malformed
/// parameters are a 400 naming the parameter. Empty values count as absent.
pub fn parse(query: &str, sites: &[Site], limit: u32) -> Result<InteractionFilter, ApiError> {
    let mut filter = InteractionFilter {
        limit,
        ..InteractionFilter::default()
    };
    let mut seen: Vec<String> = Vec::new();
    let mut dates: Vec<(String, String)> = Vec::new();
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
        let text = || -> Result<Option<String>, ApiError> {
            if value.chars().count() > 200 || value.chars().any(char::is_control) {
                return Err(bad(&name, "at most 200 printable characters"));
            }
            Ok(Some(value.to_owned()))
        };
        match name.as_ref() {
            "from" | "to" => dates.push((name.to_string(), value.to_owned())),
            "type" => filter.kind = Some(InteractionKind::parse(value).map_err(|e| bad("type", e.reason))?),
            "site" => filter.site = Some(site(value, sites)?),
            "source" => filter.source = text()?,
            "medium" => filter.medium = text()?,
            "campaign" => filter.campaign = text()?,
            "keyword" => filter.keyword = text()?,
            "operator" => filter.operator = text()?,
            "q" => filter.text = text()?,
            "outcome" => filter.result = Some(CallResult::parse(value).map_err(|e| bad("outcome", e.reason))?),
            "tag" => {
                validate_tags(&[value.to_owned()]).map_err(|e| bad("tag", e.reason))?;
                filter.tag = text()?;
            }
            "matched" => filter.matched_by = Some(MatchedBy::parse(value).map_err(|e| bad("matched", e.reason))?),
            "caller" => filter.caller = Some(caller(value)?),
            "spam" => filter.spam = SpamView::parse(value).map_err(|e| bad("spam", e.reason))?,
            "cursor" => filter.after = Some(InteractionCursor::parse(value).map_err(|e| bad("cursor", e.reason))?),
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=CSV_LIMIT).contains(n))
                    .ok_or_else(|| bad("limit", format!("'{value}' is not a number from 1 to {CSV_LIMIT}")))?;
            }
            _ => {}
        }
    }
    let zone = zone_of(sites, filter.site);
    for (name, value) in dates {
        let bound = if name == "from" { Bound::From } else { Bound::To };
        let at = parse_bound(&value, zone, bound).map_err(|e| bad(&name, e.reason))?;
        match bound {
            Bound::From => filter.from = Some(at),
            Bound::To => filter.to = Some(at),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(bad("to", "the end comes before the start"));
    }
    Ok(filter)
}

fn site(value: &str, sites: &[Site]) -> Result<SiteId, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .and_then(|id| sites.iter().find(|s| s.id.0 == id))
        .map(|s| s.id)
        .ok_or_else(|| bad("site", format!("'{value}' is not one of the business's sites")))
}

fn caller(value: &str) -> Result<CallerHistory, ApiError> {
    match value {
        "first_time" => Ok(CallerHistory::FirstTime),
        "returning" => Ok(CallerHistory::Returning),
        other => Err(bad("caller", format!("'{other}' is not first_time or returning"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parameter_is_read_and_a_bad_one_is_named() {
        let filter = parse(
            "type=call&outcome=missed&matched=reserved&caller=first_time&q=%2B1202&tag=vip&from=2026-01-02&to=2026-01-03",
            &[],
            PAGE,
        )
        .unwrap();
        assert_eq!(filter.kind, Some(InteractionKind::Call));
        assert_eq!(filter.result, Some(CallResult::Missed));
        assert_eq!(filter.matched_by, Some(MatchedBy::Reserved));
        assert_eq!(filter.caller, Some(CallerHistory::FirstTime));
        assert_eq!(filter.text.as_deref(), Some("+1202"));
        assert_eq!(
            filter.to.unwrap() - filter.from.unwrap(),
            chrono::Duration::days(2),
            "through the end of the last day"
        );
        for (query, named) in [
            ("outcome=lost", "outcome"),
            ("site=99", "site"),
            ("from=yesterday", "from"),
            ("from=2026-01-03&to=2026-01-02", "to"),
            ("colour=red", "colour"),
            ("q=a&q=b", "q"),
            ("limit=0", "limit"),
            ("cursor=abc", "cursor"),
        ] {
            match parse(query, &[], PAGE) {
                Err(ApiError::BadRequest(reason)) => assert!(reason.starts_with(named), "{query}: {reason}"),
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_form_keeps_what_was_typed_and_its_links_drop_the_cursor() {
        let form = FilterForm::from_query("q=a%20b&cursor=1.call.2&outcome=missed&colour=red");
        assert_eq!(form.get("q"), "a b");
        assert_eq!(form.get("colour"), "");
        assert_eq!(form.query_without_cursor(), "q=a+b&outcome=missed");
    }
}
