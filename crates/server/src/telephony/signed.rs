//! Provider requests: the form body, the tracking number it is about, and the check of its
//! `X-Twilio-Signature` over the public URL. A request that fails the check gets 403.

use super::form::Form;
use crate::app::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use leadline_core::E164;
use leadline_core::call::CallKey;
use leadline_core::provider::{CallSid, Caller, WebLink};
use leadline_core::store::StoreError;
use leadline_core::tenant::TrackingNumber;

/// Largest provider request read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A provider request whose signature checked out.
pub struct Signed {
    /// The tracking number whose auth token signed it.
    pub number: TrackingNumber,
    params: Form,
    query: Form,
}

impl Signed {
    /// A form parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// A query parameter of the URL Leadline gave the provider.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name)
    }

    /// The provider's id of the call (`CallSid`), when present and well-formed.
    pub fn call_sid(&self) -> Option<CallSid> {
        let raw = self.param("CallSid")?;
        CallSid::parse(raw)
            .inspect_err(|e| tracing::warn!(error = %e, "a provider request with an unusable CallSid"))
            .ok()
    }

    /// The key of the call this request is about: its `CallSid` on the signing number only.
    pub fn call_key<'a>(&self, sid: &'a CallSid) -> CallKey<'a> {
        CallKey::Provider {
            number: self.number.id,
            sid,
        }
    }

    /// A caller (or answerer) parameter, such as `From` or `To`.
    pub fn caller(&self, name: &str) -> Caller {
        Caller::parse(self.param(name).unwrap_or(""))
    }

    /// A link parameter (`RecordingUrl`): only https (or loopback http) links are kept.
    pub fn link(&self, name: &str) -> Option<WebLink> {
        let raw = self.param(name)?;
        WebLink::parse(raw)
            .inspect_err(|e| tracing::warn!(error = %e, param = name, "a provider link was refused"))
            .ok()
    }
}

/// Why a provider request is refused.
pub enum Refusal {
    /// Unsigned, wrongly signed, or about a number Leadline does not serve.
    Forbidden(&'static str),
    /// The database failed before the number was known: nothing can be verified.
    Unavailable,
}

impl Refusal {
    /// The answer: 403 for a bad request; for an unavailable database, TwiML that still
    /// connects the caller to `fallback` (the configured fallback number), never a 5xx.
    pub fn answer(self, fallback: Option<&E164>) -> Response {
        match self {
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, why).into_response(),
            Self::Unavailable => {
                super::twiml_response(&super::fallback_verbs(fallback.map(E164::to_string).into_iter()))
            }
        }
    }
}

/// Reads and verifies a provider request. The number is the one named by the `number` query
/// parameter of a URL Leadline generated, else the request's `To`. Takes the request whole:
/// extracting its headers apart would copy them.
pub async fn verify(state: &AppState, request: Request) -> Result<Signed, Refusal> {
    let (Parts { uri, headers, .. }, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Refusal::Forbidden("body too large"))?;
    let params = Form::parse(&bytes);
    let query = Form::parse(uri.query().unwrap_or("").as_bytes());
    let named = query
        .iter()
        .chain(params.iter().filter(|(k, _)| *k == "To"))
        .find(|(k, _)| *k == "number" || *k == "To");
    let number = named
        .and_then(|(_, v)| E164::parse(v).ok())
        .ok_or(Refusal::Forbidden("no tracking number"))?;
    let number = match state.store.number_by_e164(&number).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(Refusal::Forbidden("not a tracking number of this server")),
        Err(e) => {
            tracing::error!(error = %e, "cannot load the tracking number of a provider request");
            return Err(Refusal::Unavailable);
        }
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{path_and_query}", state.base_url);
    if !leadline_core::twilio::verify(number.auth_token.expose(), &url, &params.pairs(), signature) {
        tracing::warn!(url, "provider request with a missing or wrong signature refused");
        return Err(Refusal::Forbidden("bad signature"));
    }
    Ok(Signed { number, params, query })
}
