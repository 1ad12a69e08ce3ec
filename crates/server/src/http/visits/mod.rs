//! The public visit API: `POST /v1/visits` registers a visit and answers its extension;
//! `POST /v1/visits/{visit}/events` takes page views, heartbeats, variables and clicks.
//! Every refusal is a 4xx with a JSON error and stores nothing.

pub(crate) mod wire;

use crate::app::AppState;
use crate::app::visits::{self, Refusal, Screened};
use crate::web::client::{ClientIp, too_many};
use crate::web::error::ApiError;
use crate::web::visit_guard::{
    VisitRequest, allowed_origin, cors_headers, find_site, parse_json, read_body, visit_request,
};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use leadline_core::channel::{ClickIds, classify};
use leadline_core::form::TempId;
use leadline_core::tenant::Site;
use leadline_core::token::anonymous_digest;
use leadline_core::visit::NewVisit;
use leadline_core::visitor::{FirstPartyId, VisitorKey, is_bot};
use wire::{Consent, EventBody, RegisterBody, StateBody};

/// The visit API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/visits", post(register).options(preflight))
        .route("/v1/visits/{visit}/events", post(event).options(preflight))
}

/// A refusal of a registration, counted by reason.
struct Refused(Refusal, Response);

impl From<(Refusal, ApiError)> for Refused {
    fn from((reason, error): (Refusal, ApiError)) -> Self {
        Self(reason, error.into_response())
    }
}

async fn register(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    request: Request,
) -> Response {
    // Taken whole and split: a `HeaderMap` extractor copies every header.
    let (parts, body) = request.into_parts();
    match registration(&state, ip, &parts.headers, body).await {
        Ok(response) => response,
        Err(Refused(reason, response)) => {
            state.metrics.visit_registration(reason.as_str());
            response
        }
    }
}

async fn registration(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refused> {
    if state.visit_limits.registration_from(ip).is_err() {
        return Err(Refused(Refusal::RateAddress, too_many(10)));
    }
    let bytes = read_body(body).await.map_err(|e| (Refusal::Invalid, e))?;
    let request: RegisterBody = parse_json(&bytes).map_err(|e| (Refusal::Invalid, e))?;
    let refused = request.consent == Consent::Denied;
    let request = if refused {
        request.without_identifiers()
    } else {
        request
    };
    let site = find_site(state, &request.site)
        .await
        .map_err(|e| (Refusal::SiteKey, e))?;
    let origin = allowed_origin(headers, &site).map_err(|e| (Refusal::Origin, e))?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if is_bot(user_agent) {
        return Err((
            Refusal::Bot,
            ApiError::Forbidden("automated clients are not tracked".into()),
        )
            .into());
    }
    let landing = wire::page_url(&request.url).map_err(|e| (Refusal::Invalid, e))?;
    let temp_id = match request.temp.as_deref() {
        Some(temp) => Some(TempId::parse(temp).map_err(|e| (Refusal::Invalid, ApiError::BadRequest(e.to_string())))?),
        None => None,
    };
    // Refusing advertising changes nothing here: only ad platforms are told less.
    let ads_consent = wire::ads_consent(request.ads.as_deref()).map_err(|e| (Refusal::Invalid, e))?;
    let referrer = wire::referrer(request.referrer.as_deref());
    let (visitor_key, vid) = if refused {
        (
            VisitorKey::without_consent(&day_digest(state, &site, ip, user_agent)),
            None,
        )
    } else {
        visitor(state, &site, &request, ip, user_agent)
    };
    // Last, once the request is known good: a proof is spent only on a visit that is stored.
    let public_id = match &request.proof {
        Some(proof) => visits::accept_proof(state, &site, &proof.challenge, &proof.nonce.to_string())
            .await
            .map_err(|(reason, e)| Refused::from((reason, ApiError::from(e))))?,
        None => match visits::screen(state, &site) {
            Screened::Open(id) => id,
            Screened::Challenged { challenge, bits } => {
                let body = Json(wire::ChallengeBody { challenge, bits });
                return Ok((StatusCode::ACCEPTED, cors_headers(&origin), body).into_response());
            }
        },
    };
    let captured = ClickIds::from_url(&landing);
    visits::count_dropped_click_ids(state, &site, &captured.dropped, "the landing page");
    let new = NewVisit {
        site_id: site.id,
        public_id,
        visitor_key,
        attribution: classify(&landing, referrer.as_ref(), &site.domains),
        click_ids: captured.ids,
        landing_url: landing.into(),
        referrer: referrer.map(String::from),
        title: wire::title(request.title.as_deref()),
        ga_cookie: wire::cookie(request.ga.as_deref()),
        ga_streams: wire::ga_streams(&request.ga_streams),
        utma: wire::cookie(request.utma.as_deref()),
        device: wire::device(request.device.as_deref()),
        temp_id,
        ads_consent,
    };
    let (seen, token) = visits::register_visit(state, &site, &new)
        .await
        .map_err(|e| (Refusal::Internal, e.into()))?;
    let mut body = StateBody::new(&seen, &site);
    body.token = Some(token);
    body.vid = vid;
    // Nothing is kept on the device of a visitor who refused (the snippet keeps no cookie and
    // no session storage when told the visit is cookie-less).
    body.cookieless |= refused;
    Ok((StatusCode::CREATED, cors_headers(&origin), Json(body)).into_response())
}

/// The day's keyed digest of the address and browser: a visitor's key that nothing on the
/// device holds (a cookie-less site, a visitor who refused analytics).
fn day_digest(state: &AppState, site: &Site, ip: std::net::IpAddr, user_agent: &str) -> String {
    let day = leadline_core::clock::now().format("%Y-%m-%d").to_string();
    anonymous_digest(&state.secret, &site.key, &ip.to_string(), user_agent, &day)
}

/// The visitor key, and the first-party id to hand back for the snippet to store.
fn visitor(
    state: &AppState,
    site: &Site,
    request: &RegisterBody,
    ip: std::net::IpAddr,
    user_agent: &str,
) -> (VisitorKey, Option<String>) {
    let ga = wire::cookie(request.ga.as_deref());
    let utma = wire::cookie(request.utma.as_deref());
    if site.settings.cookieless {
        let key = VisitorKey::derive(ga.as_deref(), utma.as_deref(), None)
            .unwrap_or_else(|| VisitorKey::anonymous(&day_digest(state, site, ip, user_agent)));
        return (key, None);
    }
    let first_party = request
        .vid
        .as_deref()
        .and_then(|v| FirstPartyId::parse(v).ok())
        .unwrap_or_else(FirstPartyId::generate);
    let key = VisitorKey::derive(ga.as_deref(), utma.as_deref(), Some(&first_party))
        .expect("a first-party id always gives a key");
    (key, Some(first_party.as_str().to_owned()))
}

async fn event(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(visit): Path<String>,
    request: Request,
) -> Response {
    if state.visit_limits.event_from(ip).is_err() {
        return too_many(10);
    }
    let (parts, body) = request.into_parts();
    match handle_event(&state, &visit, &parts.headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle_event(state: &AppState, visit: &str, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    let VisitRequest {
        visit,
        site,
        origin,
        body: request,
    } = visit_request::<EventBody>(state, visit, headers, body).await?;
    let touch = wire::touch(&request)?;
    let batched = wire::page_clicks(&request)?;
    let seen = visits::record_event(state, &site, &visit, &touch, &batched).await?;
    Ok((cors_headers(&origin), Json(StateBody::new(&seen, &site))).into_response())
}

/// CORS preflight, for clients that send JSON content types: allowed when the origin is a
/// domain (or subdomain of a domain) of some site.
async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|o| url::Url::parse(o).ok());
    let Some(origin) = origin else {
        return ApiError::Forbidden("a preflight needs an Origin".into()).into_response();
    };
    let host = origin.host_str().unwrap_or_default();
    let mut candidate = Some(host);
    while let Some(name) = candidate {
        if let Ok(domain) = leadline_core::net::DomainName::parse(name)
            && state.store.site_by_domain(&domain).await.is_ok()
        {
            let allow = HeaderValue::from_str(&origin.origin().ascii_serialization())
                .unwrap_or(HeaderValue::from_static("null"));
            return (
                StatusCode::NO_CONTENT,
                cors_headers(&allow),
                [
                    (header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST")),
                    (
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        HeaderValue::from_static("content-type"),
                    ),
                    (header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600")),
                ],
            )
                .into_response();
        }
        candidate = name
            .split_once('.')
            .map(|(_, parent)| parent)
            .filter(|p| p.contains('.'));
    }
    ApiError::Forbidden(format!(
        "{} is not a domain of any site",
        origin.origin().ascii_serialization()
    ))
    .into_response()
}
