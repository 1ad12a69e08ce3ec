//! The visit API's wire format: request bodies, checked into domain values, and the visit
//! state it answers.

use crate::app::visits::Seen;
use crate::web::error::ApiError;
use leadline_core::E164;
use leadline_core::ad_consent::AdConsent;
use leadline_core::heatmap::{ClickSpot, MAX_BATCH, MAX_ELEMENT_CHARS, PageClick, RawSpot};
use leadline_core::site::ExtensionMode;
use leadline_core::tenant::Site;
use leadline_core::visit::{Selector, Touch};
use leadline_core::visitor::{self, Device};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use url::Url;

const MAX_URL: usize = 2048;
const MAX_TITLE_CHARS: usize = 300;

/// `POST /v1/visits`. `Serialize` and `PartialEq` are for the fuzz target's round trip.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
pub struct RegisterBody {
    pub site: String,
    pub url: String,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub ga: Option<String>,
    #[serde(default)]
    pub ga_streams: BTreeMap<String, String>,
    #[serde(default)]
    pub utma: Option<String>,
    #[serde(default)]
    pub vid: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    /// The temporary id the page put on its forms before this answer arrives.
    #[serde(default)]
    pub temp: Option<String>,
    /// Whether the visitor allows analytics storage, as the page's consent signal says.
    #[serde(default)]
    pub consent: Consent,
    /// Whether the visitor allows advertising storage, as the page's consent signal says:
    /// `granted` or `denied`, none when no signal said (read by [`ads_consent`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ads: Option<String>,
    /// The answer to a flood's challenge (docs/visit-api.md, "Flood defence").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofBody>,
}

/// A proof of work: the challenge as answered, and the number that answers it.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
pub struct ProofBody {
    pub challenge: String,
    pub nonce: u64,
}

/// The `202` answer of a registration under a flood: no visit, no code, a challenge.
#[derive(Debug, Serialize)]
pub struct ChallengeBody {
    pub challenge: String,
    pub bits: u8,
}

/// A visitor's analytics consent, as the snippet read it (Google Consent Mode's
/// `analytics_storage`, `leadline.consent(false)`, Global Privacy Control).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    #[default]
    Granted,
    /// Nothing identifying is read or kept on the device, and analytics get nothing.
    Denied,
}

impl RegisterBody {
    /// The request without what identifies the device (cookies, the first-party id): what a
    /// visitor who refused analytics storage is registered with.
    pub fn without_identifiers(self) -> Self {
        Self {
            ga: None,
            ga_streams: BTreeMap::new(),
            utma: None,
            vid: None,
            ..self
        }
    }
}

/// `POST /v1/visits/{visit}/events`. `Serialize` and `PartialEq` are for the fuzz target's
/// round trip.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
pub struct EventBody {
    pub site: String,
    pub token: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub element: Option<String>,
    /// Where a `click` landed, for the heatmap (absent for a keyboard's click).
    #[serde(default, flatten)]
    pub spot: WireSpot,
    /// Clicks on plain `tel:` links since the last event (at most [`MAX_BATCH`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clicks: Vec<WireClick>,
}

/// A click's place as the snippet sends it: permille of the element (`x`, `y`), pixels of the
/// page (`px`, `py`), the page's size (`pw`, `ph`) and the window's (`vw`, `vh`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct WireSpot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub px: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub py: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pw: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ph: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vw: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vh: Option<i64>,
}

/// A batched click on a `tel:` link.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireClick {
    #[serde(default)]
    pub element: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, flatten)]
    pub spot: WireSpot,
}

impl crate::web::visit_guard::VisitBody for EventBody {
    fn site(&self) -> &str {
        &self.site
    }
    fn token(&self) -> &str {
        &self.token
    }
}

/// A page URL: http or https, at most 2 KiB.
pub fn page_url(raw: &str) -> Result<Url, ApiError> {
    let url = Url::parse(raw).map_err(|e| ApiError::BadRequest(format!("url is not a URL: {e}")))?;
    if raw.len() > MAX_URL || !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::BadRequest(format!(
            "url must be an http(s) URL of at most {MAX_URL} bytes"
        )));
    }
    Ok(url)
}

/// An optional referrer: a malformed or empty one counts as none (browsers send "").
pub fn referrer(raw: Option<&str>) -> Option<Url> {
    raw.filter(|r| r.len() <= MAX_URL).and_then(|r| Url::parse(r).ok())
}

/// A cookie value kept only when it is short and printable.
pub fn cookie(raw: Option<&str>) -> Option<String> {
    raw.and_then(visitor::cookie_value).map(str::to_owned)
}

/// The `_ga_<stream>` cookies worth keeping (at most ten).
pub fn ga_streams(raw: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    visitor::ga_stream_cookies(raw)
}

/// A page title, cut to 300 characters.
pub fn title(raw: Option<&str>) -> Option<String> {
    raw.map(|t| {
        t.chars()
            .filter(|c| !c.is_control())
            .take(MAX_TITLE_CHARS)
            .collect::<String>()
    })
    .filter(|t| !t.trim().is_empty())
}

/// The visitor's advertising consent signal: `granted`, `denied`, or unknown when left out;
/// anything else is a 400 naming the field.
pub fn ads_consent(raw: Option<&str>) -> Result<AdConsent, ApiError> {
    raw.map(AdConsent::parse)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::BadRequest(e.reason))
}

/// The device class; unknown or missing counts as desktop.
pub fn device(raw: Option<&str>) -> Device {
    raw.and_then(|d| Device::parse(d).ok()).unwrap_or(Device::Desktop)
}

/// The touch an event body describes.
pub fn touch(body: &EventBody) -> Result<Touch, ApiError> {
    let url = || body.url.as_deref().map(page_url).transpose();
    match body.kind.as_str() {
        "page_view" => {
            let url = url()?.ok_or_else(|| ApiError::BadRequest("a page_view needs url".into()))?;
            Ok(Touch::PageView {
                url: url.into(),
                title: title(body.title.as_deref()),
            })
        }
        "heartbeat" => Ok(Touch::Heartbeat),
        "set" => {
            let replace = match body.mode.as_deref() {
                None | Some("merge") => false,
                Some("replace") => true,
                Some(other) => {
                    return Err(ApiError::BadRequest(format!(
                        "mode '{other}' is neither merge nor replace"
                    )));
                }
            };
            Ok(Touch::SetVars {
                vars: body.vars.clone(),
                replace,
            })
        }
        "click" => {
            let element = element_name(body.element.as_deref());
            let url = url()?.map(String::from).unwrap_or_default();
            let spot = spot(&body.spot)?;
            Ok(Touch::Click { element, url, spot })
        }
        other => Err(ApiError::BadRequest(format!(
            "type '{other}' is not one of page_view, heartbeat, set, click"
        ))),
    }
}

/// The visit state the snippet applies.
#[derive(Debug, Serialize)]
pub struct StateBody {
    pub visit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub mode: ExtensionMode,
    pub cookieless: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vid: Option<String>,
    pub number: Option<String>,
    pub national: Option<String>,
    #[serde(rename = "match")]
    pub match_digits: Option<String>,
    pub country_code: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
    pub tel: Option<String>,
    pub tel_ext: Option<String>,
    pub heartbeat: u32,
}

/// Seconds between heartbeats: often enough that a visible page never goes idle.
pub fn heartbeat_seconds(site: &Site) -> u32 {
    (site.settings.idle_minutes * 60 / 3).clamp(15, 60)
}

/// What a caller keys for `code` on this site: with the check digit when the site uses one,
/// after `*` for the star pool.
pub fn keyed_code(code: u64, site: &Site, selector: Selector) -> String {
    leadline_core::keypad::keyed_form(code, site.settings.check_digit, selector)
}

impl StateBody {
    /// The state of a visit on `site`, as a request left it.
    pub fn new(seen: &Seen, site: &Site) -> Self {
        let (state, number, selector) = (&seen.visit, seen.shown(), seen.selector);
        let code = state.code.map(|c| keyed_code(c, site, selector));
        // Every answer of the snippet carries these: one parse of the number gives them all.
        // `match` is the site's main number (what the page prints) even when a pool number
        // is shown; a pool number is shown and dialled as is, with no code.
        let shown = number.map(E164::shown);
        let pooled = state.pool_number.is_some();
        let with_code = |f: &dyn Fn(&E164, &str) -> String| match (number, &code) {
            (Some(n), Some(c)) => Some(f(n, c)),
            (Some(n), None) if pooled => Some(format!("tel:{n}")),
            _ => None,
        };
        Self {
            visit: state.visit.to_string(),
            token: None,
            mode: site.settings.mode,
            cookieless: site.settings.cookieless,
            vid: None,
            number: number.map(E164::to_string),
            display: match (&shown, &code) {
                (Some(s), Some(c)) => Some(format!("{} ext. {c}", s.national)),
                (Some(s), None) if pooled => Some(s.national.clone()),
                _ => None,
            },
            national: shown.as_ref().map(|s| s.national.clone()),
            match_digits: seen.number.as_ref().map(|n| n.shown().national_digits),
            country_code: shown.map(|s| s.country_code),
            tel: with_code(&|n, c| format!("tel:{n},{c}")),
            // RFC 3966's ext takes digits only; a star code keeps the pause form.
            tel_ext: with_code(&|n, c| {
                if c.starts_with('*') {
                    format!("tel:{n},{c}")
                } else {
                    format!("tel:{n};ext={c}")
                }
            }),
            code,
            heartbeat: heartbeat_seconds(site),
        }
    }
}

/// An element's name, cut to [`MAX_ELEMENT_CHARS`] characters.
fn element_name(raw: Option<&str>) -> String {
    raw.unwrap_or("").chars().take(MAX_ELEMENT_CHARS).collect()
}

/// A click's place: none when the snippet sent none, all eight values checked when it did.
pub fn spot(wire: &WireSpot) -> Result<Option<ClickSpot>, ApiError> {
    let values = [wire.x, wire.y, wire.px, wire.py, wire.pw, wire.ph, wire.vw, wire.vh];
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [
        Some(x),
        Some(y),
        Some(page_x),
        Some(page_y),
        Some(page_width),
        Some(page_height),
        Some(view_width),
        Some(view_height),
    ] = values
    else {
        return Err(ApiError::BadRequest(
            "a click's position needs all of x, y, px, py, pw, ph, vw and vh".into(),
        ));
    };
    let raw = RawSpot {
        x,
        y,
        page_x,
        page_y,
        page_width,
        page_height,
        view_width,
        view_height,
    };
    ClickSpot::new(raw)
        .map(Some)
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The batched `tel:` link clicks of an event, each checked.
pub fn page_clicks(body: &EventBody) -> Result<Vec<PageClick>, ApiError> {
    if body.clicks.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "an event carries at most {MAX_BATCH} clicks, not {}",
            body.clicks.len()
        )));
    }
    body.clicks
        .iter()
        .map(|click| {
            let url = click
                .url
                .as_deref()
                .ok_or_else(|| ApiError::BadRequest("a batched click needs url".into()))?;
            Ok(PageClick {
                element: element_name(click.element.as_deref()),
                url: page_url(url)?.into(),
                spot: spot(&click.spot)?,
            })
        })
        .collect()
}
