//! The capable-entity API: a business's own phone system (a PBX, a contact centre) collects
//! the digits itself and asks Leadline what they mean, then reports the call's events. JSON,
//! authenticated with one of the business's API keys. See docs/pbx.md.

use crate::app::AppState;
use crate::app::calls::{self, Incoming};
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use crate::web::visit_guard::MAX_BODY_BYTES;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use leadline_core::E164;
use leadline_core::call::{Call, CallKey, CallOutcome, CallReport};
use leadline_core::provider::{CallSid, Caller, CallerPlace, WebLink};
use leadline_core::site::SiteKey;
use leadline_core::store::StoreError;
use leadline_core::tenant::Site;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The PBX routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/pbx/lookup", post(lookup))
        .route("/v1/pbx/calls/{record_ref}/events", post(event))
}

#[derive(Debug, Deserialize)]
struct LookupBody {
    /// The tracking number dialled (E.164).
    number: String,
    /// What the caller keyed: `CODE[*EXTENSION]`.
    #[serde(default)]
    digits: String,
    /// The caller's number.
    caller: String,
    /// The PBX's own id of the call: a retried lookup with it answers the same record.
    call_id: String,
    /// The site, where the number serves several.
    #[serde(default)]
    site: Option<String>,
}

#[derive(Debug, Serialize)]
struct LookupAnswer {
    record_ref: u64,
    matched_by: &'static str,
    announce: String,
    source_label: Option<String>,
    visit: Option<Value>,
    routing: Value,
}

async fn body<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    crate::web::json::read(body, MAX_BODY_BYTES).await
}

/// The site of the business that the number serves (the one named, else the first).
async fn business_site(
    state: &AppState,
    business: BusinessKey,
    sites: &[leadline_core::SiteId],
    named: Option<&str>,
) -> Result<Site, ApiError> {
    let wanted = named
        .map(SiteKey::parse)
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    for id in sites {
        let site = state.store.site_by_id(*id).await?;
        if site.business_id == business.0 && wanted.as_ref().is_none_or(|key| *key == site.key) {
            return Ok(site);
        }
    }
    Err(ApiError::NotFound)
}

async fn lookup(
    State(state): State<AppState>,
    business: BusinessKey,
    request: Body,
) -> Result<Json<LookupAnswer>, ApiError> {
    let request: LookupBody = body(request).await?;
    let number = E164::parse(&request.number).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let caller = Caller::parse(&request.caller);
    if request.call_id.is_empty() || request.call_id.len() > 100 {
        return Err(ApiError::BadRequest("call_id must be 1 to 100 characters".into()));
    }
    let number = match state.store.number_by_e164(&number).await {
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        other => other?,
    };
    let site = business_site(&state, business, &number.site_ids, request.site.as_deref()).await?;
    let incoming = Incoming {
        number: &number,
        site,
        digits: &request.digits,
        caller,
        call_id: CallSid::for_pbx(&state.secret, business.0, &request.call_id),
        place: CallerPlace::default(),
    };
    let call = calls::open_call(state.store.as_ref(), incoming).await?;
    let destinations = state.store.list_destinations(business.0).await?;
    Ok(Json(LookupAnswer {
        record_ref: call.record_ref,
        matched_by: call.origin.matched_by.as_str(),
        announce: call.announcement(),
        source_label: call.origin.source_label.clone(),
        visit: story(&state, &call).await?,
        routing: json!({
            "destinations": leadline_core::routing::ringable(&destinations).into_iter().take(10).collect::<Vec<_>>(),
            "send_digits": call.extension,
        }),
    }))
}

/// The visit's story: where it came from, its pages, the element clicked, its variables.
async fn story(state: &AppState, call: &Call) -> Result<Option<Value>, ApiError> {
    let Some(visit_ref) = &call.origin.visit else {
        return Ok(None);
    };
    let visit = state.store.visit(call.site_id, visit_ref).await?;
    let pages = state.store.visit_pages(call.site_id, visit_ref).await?;
    let clicks = state.store.visit_clicks(call.site_id, visit_ref).await?;
    let clicked = call
        .origin
        .intent
        .and_then(|id| clicks.iter().find(|c| c.id == id))
        .map(|c| c.element.clone());
    Ok(Some(json!({
        "visit": visit.public_id.as_str(),
        "source": visit.attribution.source,
        "medium": visit.attribution.medium,
        "campaign": visit.attribution.campaign,
        "term": visit.attribution.term,
        "content": visit.attribution.content,
        "landing_url": visit.landing_url,
        "referrer": visit.referrer,
        "click_ids": visit.click_ids,
        "device": visit.device.as_str(),
        "custom": visit.custom,
        "pages": pages.iter().map(|p| json!({ "url": p.url, "title": p.title, "at": p.at.to_rfc3339() })).collect::<Vec<_>>(),
        "clicked_element": clicked,
    })))
}

#[derive(Debug, Deserialize)]
struct EventBody {
    /// `answered` or `ended`.
    event: String,
    #[serde(default)]
    answered_by: Option<String>,
    /// `answered`, `busy`, `no-answer`, `failed` or `canceled` (with `ended`).
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    duration_seconds: Option<u32>,
    #[serde(default)]
    recording_url: Option<String>,
    /// Labels for the call, added to those it has.
    #[serde(default)]
    tags: Vec<String>,
}

async fn event(
    State(state): State<AppState>,
    business: BusinessKey,
    Path(record_ref): Path<u64>,
    request: Body,
) -> Result<Json<Value>, ApiError> {
    let request: EventBody = body(request).await?;
    let outcome = match request.outcome.as_deref() {
        None => None,
        Some(o) => Some(CallOutcome::from_provider(o).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "outcome '{o}' is not one of answered, busy, no-answer, failed, canceled"
            ))
        })?),
    };
    let recording_url = request
        .recording_url
        .map(|u| WebLink::parse(&u))
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("recording_url: {}", e.reason)))?;
    let answered_by = request
        .answered_by
        .map(|n| E164::parse(&n).map(|n| n.to_string()))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = match request.event.as_str() {
        "answered" => CallReport {
            answered_by,
            recording_url,
            tags: request.tags,
            ..CallReport::default()
        },
        "ended" => CallReport {
            outcome: outcome.or(Some(CallOutcome::Answered)),
            answered_by,
            duration_seconds: request.duration_seconds,
            recording_url,
            ended: true,
            tags: request.tags,
        },
        other => {
            return Err(ApiError::BadRequest(format!(
                "event '{other}' is neither answered nor ended"
            )));
        }
    };
    let key = CallKey::Ref {
        business: business.0,
        record_ref,
    };
    let updated = calls::report_call(state.store.as_ref(), key, &report).await?;
    Ok(Json(json!({
        "record_ref": updated.record_ref,
        "status": updated.status,
        "outcome": updated.outcome.map(|o| o.as_str()),
        "answered_by": updated.answered_by,
        "duration_seconds": updated.duration_seconds,
        "recording_url": updated.recording_url,
        "tags": updated.tags,
    })))
}
