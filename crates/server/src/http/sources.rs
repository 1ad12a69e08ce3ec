//! Click-to-call for offline and foreign-domain sources: `GET /c/{key}` checks the referrer
//! against the source's domain, creates the visit, click and code, and sends the phone to the
//! `tel:` link; `/c/{key}/qr.svg` and `/qr.png` print that URL as a QR code ("scan to call").

use crate::app::AppState;
use crate::app::visits;
use crate::http::visits::wire::StateBody;
use crate::web::client::{ClientIp, too_many};
use crate::web::error::ApiError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use leadline_core::ad_consent::AdConsent;
use leadline_core::channel::{ClickIds, host_matches};
use leadline_core::source::{Source, SourceKey};
use leadline_core::store::StoreError;
use leadline_core::token::anonymous_digest;
use leadline_core::visit::{NewVisit, Touch, VisitRef};
use leadline_core::visitor::{Device, VisitorKey, is_bot};
use qrcode::QrCode;
use std::collections::BTreeMap;

/// The source routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{key}", get(click_to_call))
        .route("/c/{key}/qr.svg", get(qr_svg))
        .route("/c/{key}/qr.png", get(qr_png))
}

async fn find(state: &AppState, key: &str) -> Result<Source, ApiError> {
    let key = SourceKey::parse(key).map_err(|_| ApiError::NotFound)?;
    match state.store.source_by_key(&key).await {
        Err(StoreError::NotFound) => Err(ApiError::NotFound),
        other => Ok(other?),
    }
}

/// The URL printed or linked for a source.
pub fn source_url(base_url: &str, key: &SourceKey) -> String {
    format!("{base_url}/c/{key}")
}

async fn click_to_call(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    if state.visit_limits.registration_from(ip).is_err() {
        return too_many(10);
    }
    match call_page(&state, &key, &headers, ip).await {
        Ok(page) => page,
        Err(error) => error.into_response(),
    }
}

async fn call_page(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
    ip: std::net::IpAddr,
) -> Result<Response, ApiError> {
    let source = find(state, key).await?;
    let referrer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok());
    if let Some(domain) = &source.domain {
        let from_domain = referrer
            .as_ref()
            .and_then(|r| r.host_str())
            .is_some_and(|host| host_matches(host, domain));
        if !from_domain {
            return Err(ApiError::Forbidden(format!("this call link works from {domain} only")));
        }
    }
    let site = state.store.site_by_id(source.site_id).await?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let number = state
        .store
        .number_for_site(site.id)
        .await?
        .ok_or(ApiError::NotFound)?
        .number;
    let plain = || page(&number.national(), &format!("tel:{number}"));
    if is_bot(user_agent) {
        return Ok(plain());
    }
    let day = leadline_core::clock::now().format("%Y-%m-%d").to_string();
    let new = NewVisit {
        site_id: site.id,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::anonymous(&anonymous_digest(
            &state.secret,
            &site.key,
            &ip.to_string(),
            user_agent,
            &day,
        )),
        landing_url: source_url(&state.base_url, &source.key),
        referrer: referrer.map(String::from),
        title: Some(source.name.to_string()),
        attribution: source.utm.attribution(),
        click_ids: ClickIds::default(),
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: if user_agent.contains("Mobi") || user_agent.contains("Android") {
            Device::Mobile
        } else {
            Device::Desktop
        },
        temp_id: None,
        // No page of the site was shown, so no consent signal was read.
        ads_consent: AdConsent::Unknown,
    };
    let (registered, _) = visits::register_visit(state, &site, &new).await?;
    let click = Touch::Click {
        element: format!("source:{}", source.key),
        url: new.landing_url.clone(),
        spot: None,
    };
    let clicked = visits::record_event(state, &site, &registered.visit.visit, &click, &[]).await?;
    let body = StateBody::new(&clicked, &site);
    Ok(match (body.display, body.tel) {
        (Some(display), Some(tel)) => page(&display, &tel),
        _ => plain(),
    })
}

/// The page that starts the call: the `tel:` link, followed at once by script, and shown.
fn page(display: &str, tel: &str) -> Response {
    // Both values are built from validated numbers and digits: no markup can enter.
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Call {display}</title></head>
<body style="font-family:system-ui,sans-serif;text-align:center;padding:3em 1em">
<p>Calling <strong>{display}</strong>…</p>
<p><a href="{tel}" style="font-size:1.4em">Tap here if the call does not start</a></p>
<script>location.href = "{tel}";</script></body></html>"#
    );
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn qr(state: &AppState, source: &Source) -> Result<QrCode, ApiError> {
    QrCode::new(source_url(&state.base_url, &source.key).as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR encoding failed: {e}")))
}

async fn qr_svg(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    let code = qr(&state, &find(&state, &key).await?)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response())
}

async fn qr_png(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    let code = qr(&state, &find(&state, &key).await?)?;
    let png = png_of(&code).map_err(|e| ApiError::Internal(anyhow::anyhow!("PNG encoding failed: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        png,
    )
        .into_response())
}

/// The QR code as a greyscale PNG: 8 pixels a module, with the standard 4-module quiet zone.
fn png_of(code: &QrCode) -> Result<Vec<u8>, png::EncodingError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QUIET) * SCALE, (i / modules + QUIET) * SCALE);
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).unwrap_or(u32::MAX);
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(out)
}
