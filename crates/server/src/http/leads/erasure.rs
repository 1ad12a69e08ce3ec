//! Erasure of one person through the API: `POST /v1/leads/{ref}/erasure` erases them (GDPR
//! article 17, the CCPA's right to delete) and answers the record of it; `GET` on the same
//! path answers that record with each outside system's answer so far; `GET /v1/erasures`
//! lists the business's erasures. See docs/erasure.md.

use crate::app::{AppState, erasure};
use crate::web::api_key::{ApiCaller, BusinessKey};
use crate::web::error::ApiError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use leadline_core::erasure::Erasure;
use serde::Deserialize;
use serde_json::{Value, json};

/// `POST /v1/leads/{ref}/erasure`: 201 with the erasure; 409 when a call of the person is in
/// progress or they were erased already; 503 when a recording or file could not be deleted
/// (nothing changed: send it again).
pub async fn erase(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    let erased = erasure::erase_person(&state, caller.business, record_ref, &caller.author()).await?;
    Ok((StatusCode::CREATED, Json(erasure_json(&erased))))
}

/// `GET /v1/leads/{ref}/erasure`: the erasure of the lead, 404 when it was not erased.
pub async fn read(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(record_ref): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    let found = erasure::erasure_of(&state, business, record_ref).await?;
    Ok(Json(erasure_json(&found.ok_or(ApiError::NotFound)?)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<u32>,
}

/// `GET /v1/erasures?limit=N`: the business's erasures, newest first (at most 1000).
pub async fn list(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let erasures = erasure::erasures(&state, business, limit).await?;
    Ok(Json(
        json!({ "erasures": erasures.iter().map(erasure_json).collect::<Vec<_>>() }),
    ))
}

/// An erasure as the API answers it: the lead's ref, who asked, when, and each outside
/// system's answer (`pending`, `in_flight`, `delivered` once it confirmed, `dead`).
pub fn erasure_json(erasure: &Erasure) -> Value {
    json!({
        "lead_ref": erasure.record_ref,
        "erased_by": erasure.erased_by.as_str(),
        "erased_at": erasure.erased_at.to_rfc3339(),
        "systems": erasure.systems.iter().map(|s| json!({
            "integration_id": s.integration.0,
            "name": s.name,
            "kind": s.kind,
            "status": s.status.as_str(),
            "confirmed_at": s.confirmed_at.map(|t| t.to_rfc3339()),
            "error": s.last_error,
        })).collect::<Vec<_>>(),
    })
}
