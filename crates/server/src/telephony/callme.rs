//! Call-me: a visitor leaves their number on the page; Leadline calls them through the
//! provider's REST API and, once they answer, rings the operators and bridges the first to
//! answer, under the call's record ref.

use super::resolve::announcement;
use super::route::{Ringing, route};
use super::signed::{Signed, verify};
use super::twiml::Verb;
use super::voice::{destinations, ring_operators};
use super::{callback_url, twiml_response};
use crate::app::AppState;
use crate::provider_api::OutboundCall;
use crate::web::client::{ClientIp, too_many};
use crate::web::error::ApiError;
use crate::web::visit_guard::{VisitBody, VisitRequest, cors_headers, visit_request};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use leadline_core::E164;
use leadline_core::call::{Call, CallOrigin, MatchedBy, NewCall};
use leadline_core::callme::{Refusal, check_destination};
use leadline_core::provider::{CallSid, Caller};
use leadline_core::site::SiteKey;
use leadline_core::store::StoreError;
use leadline_core::store::{CallMeClaim, CallMeGrant};
use leadline_core::tenant::{Site, TrackingNumber};
use leadline_core::visit::{Selector, VisitRef};
use serde::Deserialize;
use serde_json::json;

/// The call-me routes: the visitor's request and the provider's webhook.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/visits/{visit}/call-me", post(request))
        .route("/twilio/call-me", post(answered))
}

#[derive(Debug, Deserialize)]
struct CallMeBody {
    site: String,
    token: String,
    phone: String,
}

async fn request(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(visit): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Every call-me costs a call: it shares the tight registration quota.
    if state.visit_limits.registration_from(ip).is_err() {
        return too_many(30);
    }
    match call_visitor(&state, &visit, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

impl VisitBody for CallMeBody {
    fn site(&self) -> &str {
        &self.site
    }
    fn token(&self) -> &str {
        &self.token
    }
}

async fn call_visitor(state: &AppState, visit: &str, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    let VisitRequest {
        visit,
        site,
        origin,
        body: request,
    } = visit_request::<CallMeBody>(state, visit, headers, body).await?;
    let phone = E164::parse(&request.phone).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state.store.visit(site.id, &visit).await?;
    let number = state.store.number_for_site(site.id).await?.ok_or(ApiError::NotFound)?;
    allow(state, &site, &visit, &phone, &number).await?;
    let outbound = OutboundCall {
        to: phone.as_str(),
        answer_url: &callback_url(
            state,
            "/twilio/call-me",
            &number.number,
            &[("visit", visit.as_str()), ("site", site.key.as_str())],
        ),
        status_callback: &callback_url(state, "/twilio/status", &number.number, &[]),
    };
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "call-me: the provider did not place the call");
        ApiError::Unavailable("the call could not be placed right now: please call us instead".into())
    };
    let placed = state
        .provider_api
        .place_call(&number, &outbound)
        .await
        .map_err(|e| unavailable(&e))?;
    let sid = CallSid::parse(&placed).map_err(|e| unavailable(&e))?;
    let call = open(state, &number, &site, &visit, sid, Caller::Number(phone)).await?;
    let body = json!({ "record_ref": call.record_ref, "status": "calling" });
    Ok((StatusCode::CREATED, cors_headers(&origin), Json(body)).into_response())
}

/// The toll-fraud rules: the number must be a landline or mobile in a country the site calls,
/// and the visit and the site's day must have call-me calls left (taken here, atomically).
/// Each refusal is counted in `leadline_call_me_refusals`.
async fn allow(
    state: &AppState,
    site: &Site,
    visit: &VisitRef,
    phone: &E164,
    number: &TrackingNumber,
) -> Result<(), ApiError> {
    let refused = |refusal: Refusal| {
        state.metrics.call_me_refused(refusal.reason());
        tracing::info!(reason = refusal.reason(), site = %site.key, "call-me refused");
        refusal
    };
    check_destination(phone, &site.settings.call_me_countries, &number.number)
        .map_err(|r| ApiError::BadRequest(refused(r).message()))?;
    let day = chrono::Utc::now()
        .with_timezone(&site.timezone.tz())
        .format("%Y-%m-%d")
        .to_string();
    let claim = CallMeClaim {
        site: site.id,
        visit,
        day: &day,
        per_visit: site.settings.call_me_per_visit,
        per_day: site.settings.call_me_per_day,
    };
    let refusal = match state.store.claim_call_me(&claim).await? {
        CallMeGrant::Granted => return Ok(()),
        CallMeGrant::VisitCapReached => Refusal::VisitCap(claim.per_visit),
        CallMeGrant::DayCapReached => Refusal::DayCap(claim.per_day),
    };
    Err(ApiError::Forbidden(refused(refusal).message()))
}

/// Records the call-me call (once per provider call id).
async fn open(
    state: &AppState,
    number: &TrackingNumber,
    site: &Site,
    visit: &VisitRef,
    sid: CallSid,
    phone: Caller,
) -> Result<Call, StoreError> {
    state
        .store
        .open_call(&NewCall {
            business_id: site.business_id,
            site_id: site.id,
            number_id: number.id,
            provider_call_sid: sid,
            caller: phone,
            keyed: String::new(),
            code: None,
            selector: Selector::Plain,
            extension: None,
            origin: CallOrigin {
                matched_by: MatchedBy::CallMe,
                visit: Some(visit.clone()),
                intent: None,
                source_label: None,
            },
        })
        .await
}

/// The site and visit a call-me answer names, when the signing number serves that site and
/// the visit is the site's: another tenant's signed request reaches nothing.
async fn named_visit(state: &AppState, signed: &Signed) -> Result<(Site, VisitRef), StoreError> {
    let key = SiteKey::parse(signed.query("site").unwrap_or("")).map_err(|_| StoreError::NotFound)?;
    let site = state.store.site_by_key(&key).await?;
    if !signed.number.site_ids.contains(&site.id) {
        tracing::warn!(site = %site.key, "call-me: a number signed for a site it does not serve");
        return Err(StoreError::NotFound);
    }
    let visit = VisitRef::parse(signed.query("visit").unwrap_or("")).map_err(|_| StoreError::NotFound)?;
    state.store.visit(site.id, &visit).await?;
    Ok((site, visit))
}

/// `POST /twilio/call-me`: the visitor answered; ring the operators and bridge the first.
async fn answered(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let signed = match verify(&state, &uri, &headers, body).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    let operators = destinations(&state, &signed).await.unwrap_or_default();
    let call = async {
        let (site, visit) = named_visit(&state, &signed).await?;
        let sid = signed.call_sid().ok_or(StoreError::NotFound)?;
        let call = open(&state, &signed.number, &site, &visit, sid, signed.caller("To")).await?;
        Ok::<_, StoreError>((call, site.settings.record_calls))
    };
    match call.await {
        Ok((call, _)) if operators.is_empty() => {
            tracing::warn!(
                record_ref = call.record_ref,
                "call-me: the business has no destinations"
            );
            twiml_response(&[
                Verb::Say("Sorry, nobody can take your call right now.".into()),
                Verb::Hangup,
            ])
        }
        Ok((call, record)) => {
            tracing::info!(record_ref = call.record_ref, announce = %announcement(&call), "call-me answered");
            twiml_response(&[
                Verb::Say("Thank you for your request. Connecting you now.".into()),
                ring_operators(
                    &state,
                    &signed.number.number,
                    &call,
                    &ringing(&state, &call, &operators).await,
                    record,
                ),
            ])
        }
        Err(e) => {
            tracing::error!(error = %e, "call-me: the call could not be tracked; connecting it untracked");
            twiml_response(&super::fallback_verbs(operators.into_iter()))
        }
    }
}

async fn ringing(state: &AppState, call: &Call, operators: &[String]) -> Ringing {
    route(state, call, operators).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "routing rules could not be read; ringing everyone");
        Ringing::all(operators)
    })
}
