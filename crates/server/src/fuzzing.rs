//! Entry points for the fuzz targets in `crates/server/fuzz` (see docs/fuzzing.md): the
//! parsers that are bound to HTTP (form bodies read through axum's multipart reader, the
//! visit API's JSON bodies) run exactly as the handlers run them, without a server. Not an
//! API: hidden from the docs and free to change with the targets.

use crate::http::forms::identity;
use crate::http::forms::payload::{FileLimits, Payload};
use crate::http::visits::wire;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use leadline_core::ad_consent::AdConsent;
use leadline_core::form::TempId;
use leadline_core::visitor::{Device, VisitorKey};
use std::collections::BTreeMap;

pub use crate::http::forms::payload::{MAX_FIELDS, MAX_NAME_BYTES, MAX_TEXT_BYTES};
pub use crate::http::visits::wire::{EventBody, RegisterBody};
pub use leadline_core::visit::Touch;

/// A form body as read: its fields, its files (cleaned name and size), and what the snippet's
/// hidden fields said (`Err` with the refusal when they were refused).
#[derive(Debug)]
pub struct FormRead {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, usize)>,
    pub hidden: Result<HiddenRead, String>,
}

/// The snippet's hidden fields that carry identifiers.
#[derive(Debug)]
pub struct HiddenRead {
    pub ga_client_id: Option<String>,
    pub visitor: Option<String>,
    pub page: Option<String>,
}

/// Reads `body` as a form posted with `content_type` (urlencoded, multipart or JSON), under
/// the given file limits, as `POST /v1/forms` does; then splits off the hidden fields.
pub fn read_form(content_type: &str, body: Vec<u8>, max_files: usize, max_file_bytes: u64) -> Result<FormRead, String> {
    let limits = FileLimits {
        max_files,
        max_file_bytes,
    };
    let request = Request::builder()
        .method("POST")
        .uri("/v1/forms")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .map_err(|e| format!("not a request: {e}"))?;
    // The body is in memory, so the reader never waits: polling it on this thread is enough.
    let payload = futures::executor::block_on(Payload::read(request, limits)).map_err(|e| e.to_string())?;
    let files = payload.files.iter().map(|f| (f.name.clone(), f.bytes.len())).collect();
    let hidden = identity::split(payload.fields.clone())
        .map(|(hidden, _)| HiddenRead {
            ga_client_id: hidden.ga_client_id,
            visitor: hidden.visitor,
            page: hidden.page,
        })
        .map_err(|e| e.to_string());
    Ok(FormRead {
        fields: payload.fields,
        files,
        hidden,
    })
}

/// Parses a `POST /v1/visits` body as the handler does.
pub fn register_body(bytes: &[u8]) -> Result<RegisterBody, String> {
    crate::web::json::parse(bytes).map_err(|e| e.to_string())
}

/// Parses a `POST /v1/visits/{visit}/events` body as the handler does.
pub fn event_body(bytes: &[u8]) -> Result<EventBody, String> {
    crate::web::json::parse(bytes).map_err(|e| e.to_string())
}

/// What a registration keeps of its body, each value checked as the handler checks it.
#[derive(Debug)]
pub struct Registration {
    pub landing: Result<url::Url, String>,
    pub referrer: Option<url::Url>,
    pub title: Option<String>,
    pub ga: Option<String>,
    pub utma: Option<String>,
    pub ga_streams: BTreeMap<String, String>,
    pub device: Device,
    pub temp: Option<Result<TempId, String>>,
    /// The visitor key of a cookie-less site (no first-party id).
    pub visitor_key: Option<VisitorKey>,
    /// The advertising consent signal, or why it was refused.
    pub ads: Result<AdConsent, String>,
}

/// Checks a registration body's values as `POST /v1/visits` does.
pub fn registration(body: &RegisterBody) -> Registration {
    let ga = wire::cookie(body.ga.as_deref());
    let utma = wire::cookie(body.utma.as_deref());
    Registration {
        landing: wire::page_url(&body.url).map_err(|e| e.to_string()),
        referrer: wire::referrer(body.referrer.as_deref()),
        title: wire::title(body.title.as_deref()),
        visitor_key: VisitorKey::derive(ga.as_deref(), utma.as_deref(), None),
        ga,
        utma,
        ga_streams: wire::ga_streams(&body.ga_streams),
        device: wire::device(body.device.as_deref()),
        temp: body
            .temp
            .as_deref()
            .map(|t| TempId::parse(t).map_err(|e| e.to_string())),
        ads: wire::ads_consent(body.ads.as_deref()).map_err(|e| e.to_string()),
    }
}

/// The touch an event body describes, as `POST /v1/visits/{visit}/events` reads it.
pub fn touch(body: &EventBody) -> Result<Touch, String> {
    wire::touch(body).map_err(|e| e.to_string())
}
