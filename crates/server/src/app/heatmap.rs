//! The call-element heatmap of a landing page, as an owner or operator asks for it: the pages
//! clicked over a period in the site's zone, and for one of them every placed click, each
//! element's clicks and the calls that followed, and the address to frame (a page of the
//! site's own domains only).

use crate::app::error::{AppError, AppResult};
use crate::app::reports::chosen_site;
use crate::app::reports::query::{day_range, given, last_days, site_id};
use chrono::{DateTime, Utc};
use leadline_core::heatmap::{HeatPage, HeatQuery, Heatmap, drawn_height, drawn_width, framed_url};
use leadline_core::ids::BusinessId;
use leadline_core::report::DayRange;
use leadline_core::report::days::window;
use leadline_core::store::Store;
use leadline_core::tenant::Site;
use leadline_core::visitor::Device;
use serde::Deserialize;

/// The query string of a heatmap, as sent (every part optional).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawHeatQuery {
    pub site: Option<String>,
    /// The page as reports group pages (`example.com/offer`); the most clicked when absent.
    pub page: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `desktop`, `tablet`, `mobile`, or `any` (the default).
    pub device: Option<String>,
}

/// One page's heatmap, ready to draw.
#[derive(Debug, Clone)]
pub struct PageHeat {
    pub page: String,
    /// The page to frame under the clicks, when it is on one of the site's domains.
    pub framed: Option<url::Url>,
    /// The drawing's size in CSS pixels.
    pub width: u32,
    pub height: u32,
    pub heatmap: Heatmap,
}

/// What the heatmap page shows.
#[derive(Debug, Clone)]
pub struct HeatmapView {
    pub site: Site,
    pub range: DayRange,
    pub device: Option<Device>,
    /// The clicked pages, the most clicked first.
    pub pages: Vec<HeatPage>,
    /// The chosen page's heatmap; none when nothing was clicked in the period.
    pub chosen: Option<PageHeat>,
}

/// The heatmap `raw` asks for, of a site of `business` (another business's site is not found).
pub async fn heatmap(store: &dyn Store, business: BusinessId, raw: &RawHeatQuery) -> AppResult<HeatmapView> {
    let device = match given(&raw.device).as_deref() {
        None | Some("any") => None,
        Some(name) => Some(Device::parse(name).map_err(|e| AppError::Invalid(e.to_string()))?),
    };
    let range = day_range(&raw.from, &raw.to)?;
    let site = chosen_site(store, business, site_id(&raw.site)?).await?;
    let range = range.unwrap_or_else(|| last_days(&site));
    let (from, to) = instants(&site, range);
    let pages = store.heat_pages(site.id, from, to).await?;
    let wanted = given(&raw.page);
    let page = match &wanted {
        Some(key) => pages.iter().find(|p| &p.page == key),
        None => pages.first(),
    };
    let chosen = match page {
        Some(page) => Some(page_heat(store, &site, page, from, to, device).await?),
        None if wanted.is_some() => {
            return Err(AppError::Invalid(format!(
                "no call element of '{}' was clicked in these days",
                wanted.unwrap_or_default()
            )));
        }
        None => None,
    };
    Ok(HeatmapView {
        site,
        range,
        device,
        pages,
        chosen,
    })
}

async fn page_heat(
    store: &dyn Store,
    site: &Site,
    page: &HeatPage,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    device: Option<Device>,
) -> AppResult<PageHeat> {
    let query = HeatQuery {
        site: site.id,
        page: page.page.clone(),
        from,
        to,
        device,
    };
    let heatmap = store.heatmap(&query).await?;
    let width = drawn_width(device);
    Ok(PageHeat {
        page: page.page.clone(),
        framed: framed_url(&page.url, &site.domains),
        width,
        height: drawn_height(&heatmap.spots, width),
        heatmap,
    })
}

/// Where the range's first day begins and its last ends, in the site's zone.
fn instants(site: &Site, range: DayRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let tz = site.timezone.tz();
    let (start, _) = window(range.from(), tz);
    let (_, end) = window(range.to(), tz);
    let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    (at(start), at(end))
}
