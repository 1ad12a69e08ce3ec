//! `GET /app/reports/heatmap`: where visitors clicked the call elements and `tel:` links of a
//! landing page, drawn over the live page (framed without its scripts) or a blank page, with
//! each element's clicks, the calls that followed and the click → call rate.
//!
//! The page's policy adds `frame-src` for the framed page's origin only (one of the site's
//! domains); every other page keeps the application's policy, which frames nothing.

use super::super::headers::CONTENT_SECURITY_POLICY;
use super::super::session::Operator;
use super::super::shell::{Header, Section};
use super::super::view::render;
use crate::app::AppState;
use crate::app::heatmap::{self, HeatmapView, RawHeatQuery};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use leadline_core::heatmap::heat_level;
use leadline_core::tenant::Site;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "heatmap.html")]
struct HeatmapPage {
    header: Header,
    sites: Vec<(i64, String, bool)>,
    from: String,
    to: String,
    devices: Vec<(&'static str, &'static str, bool)>,
    pages: Vec<(String, String, bool)>,
    reports_link: String,
    error: Option<String>,
    chosen: Option<Drawing>,
}

/// The chosen page as drawn.
struct Drawing {
    page: String,
    framed: Option<String>,
    width: u32,
    height: u32,
    clicks: u64,
    placed: usize,
    /// (x, y, heat level, element) of each placed click.
    dots: Vec<(String, String, u8, String)>,
    /// (element, clicks, calls that followed, rate, heat level)
    elements: Vec<(String, u64, u64, String, u8)>,
}

/// `GET /app/reports/heatmap`.
pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Query(raw): Query<RawHeatQuery>,
) -> Result<Response, ApiError> {
    let header = Header::of(&state, &operator, Section::Reports).await?;
    let sites = state.store.list_sites(operator.business).await?;
    let (status, error, view) = super::shown(heatmap::heatmap(state.store.as_ref(), operator.business, &raw).await)?;
    let policy = policy(view.as_ref());
    let page = form(header, &raw, &sites, error, view.as_ref());
    let mut response = (status, render(&page)).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    Ok(response)
}

/// The application's policy, with the framed page's origin allowed in frames.
fn policy(view: Option<&HeatmapView>) -> HeaderValue {
    let origin = view
        .and_then(|v| v.chosen.as_ref())
        .and_then(|c| c.framed.as_ref())
        .map(|url| url.origin().ascii_serialization());
    let policy = match origin {
        Some(origin) => format!("{CONTENT_SECURITY_POLICY}; frame-src {origin}"),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    };
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY))
}

fn form(
    header: Header,
    raw: &RawHeatQuery,
    sites: &[Site],
    error: Option<String>,
    view: Option<&HeatmapView>,
) -> HeatmapPage {
    let site = view
        .map(|v| v.site.id.0)
        .or_else(|| raw.site.as_deref().and_then(|s| s.trim().parse().ok()));
    let (from, to) = view.map_or_else(
        || (raw.from.clone().unwrap_or_default(), raw.to.clone().unwrap_or_default()),
        |v| (v.range.from().to_string(), v.range.to().to_string()),
    );
    let device = view.and_then(|v| v.device).map_or("any", |d| d.as_str());
    let chosen_page = view.and_then(|v| v.chosen.as_ref()).map(|c| c.page.clone());
    let reports_link = match view {
        Some(v) => format!(
            "/app/reports?site={}&from={from}&to={to}&dimension=element",
            v.site.id.0
        ),
        None => "/app/reports".to_owned(),
    };
    HeatmapPage {
        header,
        sites: super::site_options(sites, site),
        devices: [
            ("any", "Any device"),
            ("desktop", "Desktops"),
            ("tablet", "Tablets"),
            ("mobile", "Phones"),
        ]
        .into_iter()
        .map(|(name, label)| (name, label, name == device))
        .collect(),
        pages: view
            .map(|v| {
                v.pages
                    .iter()
                    .map(|p| {
                        let label = format!("{} ({} clicks)", p.page, p.clicks);
                        (p.page.clone(), label, Some(&p.page) == chosen_page.as_ref())
                    })
                    .collect()
            })
            .unwrap_or_default(),
        from,
        to,
        reports_link,
        error,
        chosen: view.and_then(|v| v.chosen.as_ref()).map(drawing),
    }
}

fn drawing(heat: &heatmap::PageHeat) -> Drawing {
    let most = heat.heatmap.elements.iter().map(|e| e.clicks).max().unwrap_or(0) as f64;
    // Each element's level, looked up once per dot (up to MAX_SPOTS of them).
    let levels: HashMap<&str, u8> = heat
        .heatmap
        .elements
        .iter()
        .map(|e| (e.element.as_str(), heat_level(e.clicks as f64, most)))
        .collect();
    let level_of = |element: &str| levels.get(element).copied().unwrap_or(0);
    Drawing {
        page: heat.page.clone(),
        framed: heat.framed.as_ref().map(url::Url::to_string),
        width: heat.width,
        height: heat.height,
        clicks: heat.heatmap.elements.iter().map(|e| e.clicks).sum(),
        placed: heat.heatmap.spots.len(),
        dots: heat
            .heatmap
            .spots
            .iter()
            .map(|s| {
                let (x, y) = s.spot.placed(heat.width);
                (
                    format!("{x:.0}"),
                    format!("{y:.0}"),
                    level_of(&s.element),
                    s.element.clone(),
                )
            })
            .collect(),
        elements: heat
            .heatmap
            .elements
            .iter()
            .map(|e| {
                let rate = e.rate().map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0));
                (e.element.clone(), e.clicks, e.followed, rate, level_of(&e.element))
            })
            .collect(),
    }
}
