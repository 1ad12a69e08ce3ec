//! `GET /v1/leads/{ref}`: the lead and its whole story as one timeline, sorted by time:
//! visits (with their pages, attribution and click ids), calls, form submissions (with signed
//! links to their attachments) and activities.

use super::find_lead;
use super::wire::lead_json;
use crate::app::AppState;
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use leadline_core::call::Call;
use leadline_core::form::Submission;
use leadline_core::lead::{Activity, Lead};
use leadline_core::provider::WebLink;
use leadline_core::visit::Visit;
use leadline_core::{BusinessId, SiteId};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The most visits a timeline shows (the oldest first).
const MAX_VISITS: u32 = 50;

pub async fn read(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(record_ref): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, business, &record_ref).await?;
    Ok(Json(lead_document(&state, business, &lead).await?))
}

/// The lead with its whole timeline and its deliveries, as `GET /v1/leads/{ref}` answers it
/// (and a person's export holds it).
pub async fn lead_document(state: &AppState, business: BusinessId, lead: &Lead) -> Result<Value, ApiError> {
    let timeline = timeline(state, business, lead).await?;
    let mut body = lead_json(lead);
    body["timeline"] = Value::Array(timeline);
    let deliveries = state.store.lead_deliveries(business, lead.id).await?;
    body["deliveries"] = Value::Array(deliveries.iter().map(delivery_json).collect());
    Ok(body)
}

async fn timeline(state: &AppState, business: BusinessId, lead: &Lead) -> Result<Vec<Value>, ApiError> {
    let store = &state.store;
    let sites: HashMap<SiteId, String> = store
        .list_sites(business)
        .await?
        .into_iter()
        .map(|s| (s.id, s.key.to_string()))
        .collect();
    let site_key = |id: SiteId| sites.get(&id).cloned();
    let mut entries: Vec<(DateTime<Utc>, Value)> = Vec::new();
    for visit in store.lead_visits(business, lead.id, MAX_VISITS).await? {
        let pages = store.visit_pages(visit.site_id, &visit.public_id).await?;
        let pages: Vec<Value> = pages
            .iter()
            .map(|p| json!({ "url": p.url, "title": p.title, "at": p.at.to_rfc3339() }))
            .collect();
        entries.push((visit.started_at, visit_entry(&visit, site_key(visit.site_id), pages)));
    }
    for call in store.lead_calls(business, lead.id).await? {
        entries.push((call.started_at, call_entry(&call, site_key(call.site_id))));
    }
    for submission in store.lead_submissions(business, lead.id).await? {
        let entry = submission_entry(state, &submission, site_key(submission.site_id));
        entries.push((submission.created_at, entry));
    }
    for activity in store.lead_activities(business, lead.id).await? {
        entries.push((activity.at, activity_entry(&activity)));
    }
    // Stable: at one instant, visits come before calls, calls before submissions, and so on.
    entries.sort_by_key(|(at, _)| *at);
    Ok(entries.into_iter().map(|(_, entry)| entry).collect())
}

fn visit_entry(visit: &Visit, site: Option<String>, pages: Vec<Value>) -> Value {
    json!({
        "type": "visit",
        "at": visit.started_at.to_rfc3339(),
        "visit": visit.public_id.as_str(),
        "site": site,
        "visitor_key": visit.visitor_key.as_str(),
        "source": visit.attribution.source,
        "medium": visit.attribution.medium,
        "campaign": visit.attribution.campaign,
        "term": visit.attribution.term,
        "content": visit.attribution.content,
        "click_ids": visit.click_ids,
        "landing_url": visit.landing_url,
        "referrer": visit.referrer,
        "device": visit.device.as_str(),
        "custom": visit.custom,
        "last_seen_at": visit.last_seen_at.to_rfc3339(),
        "pages": pages,
    })
}

/// Where a call came from in words: the offline source's label, else the visit's
/// `source / medium`.
fn call_source(call: &Call) -> Option<String> {
    call.origin.source_label.clone().or_else(|| {
        call.attribution
            .as_ref()
            .map(|a| format!("{} / {}", a.source, a.medium))
    })
}

fn call_entry(call: &Call, site: Option<String>) -> Value {
    json!({
        "type": "call",
        "at": call.started_at.to_rfc3339(),
        "ref": call.record_ref,
        "site": site,
        "caller": call.caller,
        "status": call.status,
        "outcome": call.outcome.map(|o| o.as_str()),
        "duration_seconds": call.duration_seconds,
        "answered_by": call.answered_by,
        "recording_url": call.recording_url.as_deref().and_then(|u| WebLink::parse(u).ok()).map(|l| l.to_string()),
        "matched_by": call.origin.matched_by.as_str(),
        "confidence": call.origin.confidence,
        "source": call_source(call),
        "attribution": call.attribution,
        "visit": call.origin.visit.as_ref().map(|v| v.as_str()),
        "tags": call.tags,
        "ended_at": call.ended_at.map(|t| t.to_rfc3339()),
        "spam": leadline_core::spam::SpamMark::reason(call.spam).map(|r| r.as_str()),
    })
}

fn submission_entry(state: &AppState, submission: &Submission, site: Option<String>) -> Value {
    let fields: Vec<Value> = submission
        .fields
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect();
    let attachments: Vec<Value> = submission
        .attachments
        .iter()
        .map(|a| {
            json!({
                "name": a.original_name,
                "stored_name": a.stored_name.as_str(),
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "url": state.attachments.signed_link(&state.base_url, &a.stored_name, state.attachments.link_ttl()),
            })
        })
        .collect();
    json!({
        "type": "submission",
        "at": submission.created_at.to_rfc3339(),
        "message_id": submission.message_id.as_str(),
        "site": site,
        "via": submission.via.as_str(),
        "matched_by": submission.matched_by,
        "visit": submission.visit.as_ref().map(|v| v.as_str()),
        "page_url": submission.page_url,
        "click_ids": submission.identity.click_ids,
        "fields": fields,
        "attachments": attachments,
    })
}

fn activity_entry(activity: &Activity) -> Value {
    json!({
        "type": "activity",
        "at": activity.at.to_rfc3339(),
        "kind": activity.kind.as_str(),
        "author": activity.author.as_str(),
        "detail": activity.detail,
    })
}

/// A delivery of one of the lead's events to an outside system, as the API shows it.
pub fn delivery_json(d: &leadline_core::outbox::Delivery) -> Value {
    json!({
        "id": d.id,
        "target": d.integration_kind,
        "integration": d.integration_id.0,
        "event": d.event_kind.as_str(),
        "event_id": d.event_id,
        "idempotency_key": d.idempotency_key(),
        "status": d.status.as_str(),
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.to_rfc3339(),
        "last_error": d.last_error,
        "response": d.response,
        "created_at": d.created_at.to_rfc3339(),
        "delivered_at": d.delivered_at.map(|t| t.to_rfc3339()),
    })
}
