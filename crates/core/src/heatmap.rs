//! The call-element heatmap (the patent's click map): where visitors clicked call elements and
//! `tel:` links on a page, and how often a call from the same visit followed.
//!
//! The snippet measures each pointer click: its place on the element (permille of the
//! element's width and height), its place on the page in CSS pixels, the page's and the
//! window's size. A page is drawn at one width per device class, so a spot is placed by the
//! share of the page's width it was at and scaled by the same factor down the page.

use crate::channel::host_matches;
use crate::net::DomainName;
use crate::store::StoreResult;
use crate::visit::VisitRef;
use crate::visitor::Device;
use crate::{Invalid, SiteId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The largest page or window side accepted, in CSS pixels (a very long page is ~50,000).
pub const MAX_PAGE_PIXELS: u32 = 200_000;
/// How many `tel:` link clicks one event may carry.
pub const MAX_BATCH: usize = 20;
/// How many placed clicks a heatmap draws at most (the newest).
pub const MAX_SPOTS: u32 = 5_000;
/// How many characters of an element's name are kept.
pub const MAX_ELEMENT_CHARS: usize = 100;

/// Where a click landed, as the snippet measured it. Valid by construction: the place on the
/// element is within it, the place on the page within the page, every size positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClickSpot {
    x: u16,
    y: u16,
    page_x: u32,
    page_y: u32,
    page_width: u32,
    page_height: u32,
    view_width: u32,
    view_height: u32,
}

/// A click's place as the wire carries it, unchecked (the snippet's `x y px py pw ph vw vh`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawSpot {
    pub x: i64,
    pub y: i64,
    pub page_x: i64,
    pub page_y: i64,
    pub page_width: i64,
    pub page_height: i64,
    pub view_width: i64,
    pub view_height: i64,
}

impl ClickSpot {
    /// Checks a measured place, saying which value is out of range.
    pub fn new(raw: RawSpot) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("click position", reason);
        let permille = |name: &str, v: i64| {
            u16::try_from(v)
                .ok()
                .filter(|v| *v <= 1000)
                .ok_or_else(|| invalid(format!("{name} {v} is not a permille of the element (0 to 1000)")))
        };
        let side = |name: &str, v: i64| {
            u32::try_from(v)
                .ok()
                .filter(|v| (1..=MAX_PAGE_PIXELS).contains(v))
                .ok_or_else(|| invalid(format!("{name} {v} is not a size from 1 to {MAX_PAGE_PIXELS} pixels")))
        };
        let within = |name: &str, v: i64, size: u32| {
            u32::try_from(v)
                .ok()
                .filter(|v| *v <= size)
                .ok_or_else(|| invalid(format!("{name} {v} is outside the page (0 to {size})")))
        };
        let page_width = side("the page width", raw.page_width)?;
        let page_height = side("the page height", raw.page_height)?;
        Ok(Self {
            x: permille("x", raw.x)?,
            y: permille("y", raw.y)?,
            page_x: within("the page x", raw.page_x, page_width)?,
            page_y: within("the page y", raw.page_y, page_height)?,
            page_width,
            page_height,
            view_width: side("the window width", raw.view_width)?,
            view_height: side("the window height", raw.view_height)?,
        })
    }

    /// The values as measured, for storing.
    pub fn raw(&self) -> RawSpot {
        RawSpot {
            x: self.x.into(),
            y: self.y.into(),
            page_x: self.page_x.into(),
            page_y: self.page_y.into(),
            page_width: self.page_width.into(),
            page_height: self.page_height.into(),
            view_width: self.view_width.into(),
            view_height: self.view_height.into(),
        }
    }

    /// The page's width and height when clicked.
    pub fn page_size(&self) -> (u32, u32) {
        (self.page_width, self.page_height)
    }

    /// The spot on a drawing of the page `width` pixels wide: the same share of the width
    /// across, and down the page by the same scale.
    pub fn placed(&self, width: u32) -> (f64, f64) {
        let scale = f64::from(width) / f64::from(self.page_width);
        (f64::from(self.page_x) * scale, f64::from(self.page_y) * scale)
    }
}

/// A click on a call element or a `tel:` link, with its page and, for a pointer's click,
/// where it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageClick {
    pub element: String,
    pub url: String,
    pub spot: Option<ClickSpot>,
}

/// A page with clicks in a period, for choosing a heatmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatPage {
    /// The page as reports group it (host and path).
    pub page: String,
    /// The newest address it was clicked on.
    pub url: String,
    pub clicks: u64,
}

/// The clicks on one element of a page and how many a call from the same visit followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementHeat {
    pub element: String,
    pub clicks: u64,
    /// Clicks after which a call of the same visit started.
    pub followed: u64,
}

impl ElementHeat {
    /// The click → call rate (0 to 1); `None` without clicks.
    pub fn rate(&self) -> Option<f64> {
        (self.clicks > 0).then(|| self.followed as f64 / self.clicks as f64)
    }
}

/// A click drawn on the heatmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatSpot {
    pub element: String,
    pub device: Device,
    pub spot: ClickSpot,
}

/// One page's heatmap over a period: its placed clicks (the newest [`MAX_SPOTS`]) and every
/// element's clicks and calls, the most clicked first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heatmap {
    pub spots: Vec<HeatSpot>,
    pub elements: Vec<ElementHeat>,
}

/// A heatmap's question: one site's page (as reports group it), a period, maybe one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatQuery {
    pub site: SiteId,
    pub page: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub device: Option<Device>,
}

/// The width a page is drawn at for clicks of `device` (any device: a desktop's), in CSS
/// pixels: a common window of each class.
pub fn drawn_width(device: Option<Device>) -> u32 {
    match device {
        Some(Device::Mobile) => 390,
        Some(Device::Tablet) => 820,
        Some(Device::Desktop) | None => 1280,
    }
}

/// The height a page drawn `width` pixels wide needs so that every spot's page fits, scaled
/// as [`ClickSpot::placed`] scales (at least one window, at most [`MAX_PAGE_PIXELS`]).
pub fn drawn_height(spots: &[HeatSpot], width: u32) -> u32 {
    let tallest = spots
        .iter()
        .map(|h| {
            let (page_width, page_height) = h.spot.page_size();
            (f64::from(page_height) * f64::from(width) / f64::from(page_width)).ceil() as u32
        })
        .max()
        .unwrap_or(0);
    tallest.clamp(800, MAX_PAGE_PIXELS)
}

/// The heat level of `value` among values up to `max`: 0 (cold, blue) to 9 (hot, red).
pub fn heat_level(value: f64, max: f64) -> u8 {
    // NaN is neither cold nor hot: it counts as no value.
    let positive = |v: f64| v.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
    if !positive(max) || !positive(value) {
        return 0;
    }
    let share = (value / max).min(1.0);
    (share * 9.0).round() as u8
}

/// The address a heatmap frames for a page clicked at `url`: its scheme, host and path, and
/// only when the host is one of the site's `domains` and the scheme is http or https (a page
/// elsewhere is never framed inside the application).
pub fn framed_url(url: &str, domains: &[DomainName]) -> Option<url::Url> {
    let mut parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_owned();
    if !domains.iter().any(|d| host_matches(&host, d)) {
        return None;
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    Some(parsed)
}

/// The port the heatmap keeps its clicks and reads them through.
#[async_trait]
pub trait HeatmapStore {
    /// Records clicks on `tel:` links the snippet batched during a visit of `site`
    /// ([`crate::store::StoreError::NotFound`] for another site's visit). They name the visit's
    /// call element in reports, hold no code and raise no event.
    async fn record_page_clicks(&self, site: SiteId, visit: &VisitRef, clicks: &[PageClick]) -> StoreResult<()>;
    /// The pages of `site` clicked between `from` and `to`, the most clicked first.
    async fn heat_pages(&self, site: SiteId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<HeatPage>>;
    /// The heatmap of one page.
    async fn heatmap(&self, query: &HeatQuery) -> StoreResult<Heatmap>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw() -> RawSpot {
        RawSpot {
            x: 500,
            y: 250,
            page_x: 640,
            page_y: 1200,
            page_width: 1280,
            page_height: 3000,
            view_width: 1280,
            view_height: 800,
        }
    }

    #[test]
    fn a_measured_click_is_kept_as_it_came() {
        let spot = ClickSpot::new(raw()).unwrap();
        assert_eq!(spot.raw(), raw());
        assert_eq!(spot.placed(640), (320.0, 600.0));
    }

    #[test]
    fn a_click_outside_its_element_or_page_is_refused_saying_which_value() {
        for (change, says) in [
            (RawSpot { x: 1001, ..raw() }, "x 1001"),
            (RawSpot { y: -1, ..raw() }, "y -1"),
            (RawSpot { page_x: 1281, ..raw() }, "the page x 1281"),
            (RawSpot { page_width: 0, ..raw() }, "the page width 0"),
            (
                RawSpot {
                    view_height: 300_000,
                    ..raw()
                },
                "the window height 300000",
            ),
        ] {
            let refused = ClickSpot::new(change).unwrap_err();
            assert!(refused.reason.contains(says), "{}", refused.reason);
        }
    }

    #[test]
    fn only_a_page_of_the_site_is_framed_without_its_query() {
        let domains = [DomainName::parse("example.com").unwrap()];
        let framed = framed_url("https://www.example.com/offer?gclid=x#top", &domains).unwrap();
        assert_eq!(framed.as_str(), "https://www.example.com/offer");
        assert!(framed_url("https://evil.net/offer", &domains).is_none());
        assert!(framed_url("javascript:alert(1)", &domains).is_none());
        assert!(framed_url("not a url", &domains).is_none());
        let with_login = framed_url("https://user:pw@example.com/", &domains).unwrap();
        assert_eq!(with_login.as_str(), "https://example.com/");
    }

    #[test]
    fn an_element_without_clicks_has_no_rate() {
        let cold = ElementHeat {
            element: "call".into(),
            clicks: 0,
            followed: 0,
        };
        assert_eq!(cold.rate(), None);
        let warm = ElementHeat {
            clicks: 4,
            followed: 1,
            ..cold
        };
        assert_eq!(warm.rate(), Some(0.25));
    }

    #[test]
    fn the_drawing_is_as_tall_as_the_tallest_page_at_its_width() {
        let spot = |page_width, page_height| HeatSpot {
            element: "call".into(),
            device: Device::Desktop,
            spot: ClickSpot::new(RawSpot {
                page_width,
                page_height,
                page_x: 0,
                page_y: 0,
                ..raw()
            })
            .unwrap(),
        };
        assert_eq!(drawn_height(&[], 1280), 800, "one window without clicks");
        assert_eq!(drawn_height(&[spot(1280, 3000), spot(390, 2000)], 1280), 6565);
        assert_eq!(drawn_width(Some(Device::Mobile)), 390);
        assert_eq!(drawn_width(None), 1280);
    }

    proptest! {
        #[test]
        fn heat_grows_with_the_value_from_cold_to_hot(a in 0.0f64..1e6, b in 0.0f64..1e6, max in 0.0f64..1e6) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(heat_level(low, max) <= heat_level(high, max));
            prop_assert!(heat_level(high, max) <= 9);
            prop_assert_eq!(heat_level(0.0, max), 0);
            if max > 0.0 {
                prop_assert_eq!(heat_level(max, max), 9);
            }
        }

        #[test]
        fn a_valid_spot_lands_on_the_drawn_page(
            pw in 1u32..20_000, ph in 1u32..100_000, fx in 0.0f64..=1.0, fy in 0.0f64..=1.0, width in 100u32..2_000,
        ) {
            let page_x = (f64::from(pw) * fx) as i64;
            let page_y = (f64::from(ph) * fy) as i64;
            let spot = ClickSpot::new(RawSpot {
                page_x, page_y, page_width: pw.into(), page_height: ph.into(), ..raw()
            }).unwrap();
            let (x, y) = spot.placed(width);
            prop_assert!((0.0..=f64::from(width) + 1e-9).contains(&x));
            let drawn_height = f64::from(ph) * f64::from(width) / f64::from(pw);
            prop_assert!((0.0..=drawn_height + 1e-9).contains(&y));
        }
    }
}
