//! The audit log API (a business's API key): `GET /v1/audit?before=&limit=&action=`, the
//! business's entries newest first, a page at a time. See docs/security.md.

use crate::app::AppState;
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use axum::extract::{Query, State};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use leadline_core::audit::{AuditAction, AuditEntry, AuditQuery, MAX_PAGE};
use serde_json::{Value, json};

/// Every route of this module with its path (a test checks each is in the OpenAPI document).
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![("/v1/audit", get(list))]
}

/// The audit log API routes.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
}

/// Entries a page holds unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 50;

fn bad(parameter: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("{parameter}: {reason}"))
}

/// The query string as an [`AuditQuery`]; unknown, repeated or malformed parameters are a 400
/// naming the parameter, empty values count as absent.
fn parse(raw: &[(String, String)]) -> Result<AuditQuery, ApiError> {
    let mut query = AuditQuery::newest(DEFAULT_LIMIT);
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in raw {
        if seen.contains(&key.as_str()) {
            return Err(bad(key, "given twice"));
        }
        seen.push(key);
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "before" => {
                let before = value.parse::<i64>().ok().filter(|n| *n > 0);
                query.before =
                    Some(before.ok_or_else(|| bad("before", format!("'{value}' is not a cursor this API gave")))?);
            }
            "limit" => {
                let limit = value.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n));
                query.limit = limit.ok_or_else(|| bad("limit", format!("'{value}': 1 to {MAX_PAGE}")))?;
            }
            "action" => query.action = Some(AuditAction::parse(value).map_err(|e| bad("action", e.reason))?),
            other => return Err(bad(other, "not a parameter of /v1/audit")),
        }
    }
    Ok(query)
}

fn entry_json(entry: &AuditEntry) -> Value {
    json!({
        "id": entry.id,
        "at": entry.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actor": entry.actor.as_str(),
        "address": entry.address.map(|a| a.to_string()),
        "action": entry.action.as_str(),
        "subject": entry.subject.as_str(),
        "detail": entry.detail.as_str(),
    })
}

/// `GET /v1/audit`.
async fn list(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let query = parse(&raw)?;
    let page = state.store.audit_log(business, &query).await?;
    Ok(Json(json!({
        "entries": page.entries.iter().map(entry_json).collect::<Vec<_>>(),
        "next_before": page.next.map(|n| n.to_string()),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: Value = serde_json::from_str(crate::http::leads::OPENAPI).unwrap();
        for (path, _) in routes() {
            assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
        }
    }

    #[test]
    fn the_query_is_read_once_and_bad_parameters_are_named() {
        let query = parse(&pairs(&[
            ("before", "9"),
            ("limit", "5"),
            ("action", "api_key.created"),
        ]))
        .unwrap();
        assert_eq!(query.before, Some(9));
        assert_eq!(query.limit, 5);
        assert_eq!(query.action, Some(AuditAction::ApiKeyCreated));
        for (raw, names) in [
            (pairs(&[("limit", "0")]), "limit"),
            (pairs(&[("limit", "201")]), "limit"),
            (pairs(&[("before", "abc")]), "before"),
            (pairs(&[("action", "lead.eaten")]), "action"),
            (pairs(&[("actor", "x")]), "actor"),
            (pairs(&[("limit", "1"), ("limit", "2")]), "limit"),
        ] {
            let err = parse(&raw).unwrap_err().to_string();
            assert!(err.contains(names), "{err}");
        }
    }
}
