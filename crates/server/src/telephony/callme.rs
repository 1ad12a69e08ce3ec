//! Call-me: a visitor leaves their number on the page; Leadline calls them through the
//! provider's REST API and, once they answer, rings the operators and bridges the first to
//! answer, under the call's record ref.

use super::signed::{Signed, verify};
use super::twiml::{Heard, Verb};
use super::voice::{destinations, ring_operators};
use super::{callback_url, twiml_response};
use crate::app::call_me::{self, Callbacks};
use crate::app::routing::{Ringing, route};
use crate::app::{AppError, AppState};
use crate::web::client::{ClientIp, too_many};
use crate::web::error::ApiError;
use crate::web::visit_guard::{VisitBody, VisitRequest, cors_headers, visit_request};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use leadline_core::E164;
use leadline_core::call::Call;
use leadline_core::site::SiteKey;
use leadline_core::store::StoreError;
use leadline_core::tenant::{Site, TrackingNumber};
use leadline_core::visit::VisitRef;
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
    let callbacks = |number: &TrackingNumber| Callbacks {
        answer: callback_url(
            state,
            "/twilio/call-me",
            &number.number,
            &[("visit", visit.as_str()), ("site", site.key.as_str())],
        ),
        status: callback_url(state, "/twilio/status", &number.number, &[]),
    };
    let call = call_me::call_visitor(state, &site, &visit, phone, callbacks).await?;
    let body = json!({ "record_ref": call.record_ref, "status": "calling" });
    Ok((StatusCode::CREATED, cors_headers(&origin), Json(body)).into_response())
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
async fn answered(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    let operators = destinations(&state, &signed).await.unwrap_or_default();
    let call = async {
        let (site, visit) = named_visit(&state, &signed).await?;
        let sid = signed.call_sid().ok_or(AppError::NotFound)?;
        let store = state.store.as_ref();
        let call = call_me::open(store, &signed.number, &site, &visit, sid, signed.caller("To")).await?;
        Ok::<_, AppError>((call, site.settings))
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
        Ok((call, settings)) => {
            tracing::info!(record_ref = call.record_ref, announce = %call.announcement(), "call-me answered");
            let record = settings.record_calls;
            let disclosure = settings.calls.disclosure_if(record);
            let ringing = ringing(&state, &call, &operators).await;
            let mut verbs = vec![Verb::Say("Thank you for your request. Connecting you now.".into())];
            verbs.extend(disclosure.map(|prompt| Verb::Hear(Heard::of(&settings.calls, prompt))));
            verbs.push(ring_operators(&state, &signed.number.number, &call, &ringing, record));
            twiml_response(&verbs)
        }
        Err(e) => {
            tracing::error!(error = %e, "call-me: the call could not be tracked; connecting it untracked");
            twiml_response(&super::fallback_verbs(operators.into_iter()))
        }
    }
}

async fn ringing(state: &AppState, call: &Call, operators: &[String]) -> Ringing {
    route(state.store.as_ref(), call, operators).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "routing rules could not be read; ringing everyone");
        Ringing::all(operators)
    })
}
