//! Form submissions: posted by the visitor's browser (`POST /v1/forms`, with the hidden
//! fields the snippet added) or forwarded by the site's own form processor
//! (`POST /v1/submissions`, with the business's API key). Both become a submission on a lead.

pub(crate) mod identity;
pub(crate) mod payload;

use crate::app::AppState;
use crate::app::submissions;
use crate::web::api_key::BusinessKey;
use crate::web::client::{ClientIp, too_many};
use crate::web::error::ApiError;
use crate::web::visit_guard::{allowed_origin, cors_headers};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use identity::Hidden;
use leadline_core::channel::host_matches;
use leadline_core::form::{Submission, SubmissionVia};
use leadline_core::tenant::Site;
use leadline_core::token::verify_visit_token;
use leadline_core::visit::VisitRef;
use payload::{FileLimits, Payload};
use serde_json::json;

/// The form routes. They take bodies up to the attachment limits, so [`crate::http::finish`]
/// gives them their own body limit instead of the small global one.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/forms", post(browser_post))
        .route("/v1/submissions", post(processor_post))
}

/// The largest body a form route reads: every file at its limit, and the text.
pub fn max_body_bytes(state: &AppState) -> usize {
    limits(state).max_body_bytes()
}

fn limits(state: &AppState) -> FileLimits {
    FileLimits {
        max_files: state.attachments.max_files(),
        max_file_bytes: state.attachments.max_file_bytes(),
    }
}

/// `POST /v1/forms`: the browser posts the form itself (a plain HTML post, or `fetch`).
async fn browser_post(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    // Form posts share the per-address quota of visit registrations.
    if state.visit_limits.registration_from(ip).is_err() {
        return too_many(60);
    }
    match receive_from_browser(&state, &headers, request).await {
        Ok((submission, site, hidden, origin)) => {
            let mut response = browser_answer(&headers, &submission, &site, &hidden);
            response.headers_mut().extend(cors_headers(&origin));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn receive_from_browser(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<(Submission, Site, Hidden, HeaderValue), ApiError> {
    let payload = Payload::read(request, limits(state)).await?;
    let (hidden, fields) = identity::split(payload.fields)?;
    let key = hidden
        .site
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("the form carries no leadline_site field".into()))?;
    let site = crate::web::visit_guard::find_site(state, key).await?;
    let origin = allowed_origin(headers, &site)?;
    let visit = vouched_visit(state, &site, &hidden);
    let form = hidden.form(site.clone(), SubmissionVia::Browser, visit, fields, payload.files);
    let submission = submissions::record_submission(state, form).await?;
    Ok((submission, site, hidden, origin))
}

/// The visit the form names, when its token proves the browser registered it. A missing or
/// wrong token does not refuse the form (a person's message is never dropped for it); the
/// submission is then tied by its temporary id, or not at all.
fn vouched_visit(state: &AppState, site: &Site, hidden: &Hidden) -> Option<VisitRef> {
    let (visit, token) = (hidden.visit.as_ref()?, hidden.token.as_deref()?);
    if verify_visit_token(&state.secret, &site.key, visit, token) {
        Some(visit.clone())
    } else {
        tracing::warn!(site = %site.key.as_str(), "a form named a visit with a token that does not match; not linked");
        None
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

fn receipt(submission: &Submission, lead_ref: u64) -> serde_json::Value {
    json!({
        "message_id": submission.message_id.as_str(),
        "lead": lead_ref,
        "matched_by": submission.matched_by,
        "attachments": submission.attachments.iter().map(|a| json!({
            "name": a.original_name,
            "stored_name": a.stored_name.as_str(),
            "content_type": a.content_type,
            "size_bytes": a.size_bytes,
        })).collect::<Vec<_>>(),
    })
}

/// JSON for `fetch`; for a plain HTML post, a redirect to `leadline_next` when it is on the
/// site's domains, else a short thank-you page.
fn browser_answer(headers: &HeaderMap, submission: &Submission, site: &Site, hidden: &Hidden) -> Response {
    // Only the message id: which lead a form joined (or whether an e-mail is already known)
    // is the business's to know, not the browser's.
    if wants_json(headers) {
        let body = json!({ "message_id": submission.message_id.as_str() });
        return (StatusCode::CREATED, Json(body)).into_response();
    }
    match hidden.next.as_deref().filter(|next| on_site(next, site)) {
        Some(next) => Redirect::to(next).into_response(),
        None => thank_you(hidden.page.as_deref().filter(|page| on_site(page, site))),
    }
}

fn on_site(link: &str, site: &Site) -> bool {
    url::Url::parse(link).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url
                .host_str()
                .is_some_and(|host| site.domains.iter().any(|domain| host_matches(host, domain)))
    })
}

fn thank_you(back: Option<&str>) -> Response {
    let back = back
        .map(|page| format!(r#"<p><a href="{}">Back to the page</a></p>"#, escape(page)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Thank you</title><h1>Thank you</h1><p>Your message was sent.</p>{back}"
    ))
    .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `POST /v1/submissions`: the site's own form processor forwards what it received
/// (including the snippet's hidden fields), authenticated by the business's API key.
async fn processor_post(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    request: Request,
) -> Result<Response, ApiError> {
    let payload = Payload::read(request, limits(&state)).await?;
    let (hidden, fields) = identity::split(payload.fields)?;
    let key = hidden
        .site
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("name the site: a 'site' key (JSON) or a leadline_site field".into()))?;
    let site = crate::web::visit_guard::find_site(&state, key).await?;
    if site.business_id != business {
        return Err(ApiError::NotFound);
    }
    let visit = hidden.visit.clone();
    let form = hidden.form(site, SubmissionVia::Processor, visit, fields, payload.files);
    let submission = submissions::record_submission(&state, form).await?;
    let lead = state.store.lead_by_id(business, submission.lead_id).await?;
    Ok((StatusCode::CREATED, Json(receipt(&submission, lead.record_ref))).into_response())
}
