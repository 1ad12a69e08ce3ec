//! Visits, as the snippet reports them: registering one (and handing out its code, as the
//! site's code plan allows) and recording what happens on the page later (page views,
//! heartbeats, variables, clicks on call elements).

use super::error::AppResult;
use crate::app::AppState;
use leadline_core::E164;
use leadline_core::click_id::ClickKind;
use leadline_core::codeplan::{Purpose, SiteCodes};
use leadline_core::heatmap::PageClick;
use leadline_core::tenant::Site;
use leadline_core::token::visit_token;
use leadline_core::visit::{CodeOutcome, NewVisit, Selector, Touch, VisitRef, VisitState};

/// A visit as it stands after a request, with what its answer shows: the site's number and
/// the pool its codes are keyed in; on a number-pool site, the pool number the visit holds.
pub struct Seen {
    pub visit: VisitState,
    /// The site's main number (what the page prints, and the snippet finds).
    pub number: Option<E164>,
    pub selector: Selector,
}

impl Seen {
    /// The number the visitor is shown: the visit's pool number, else the site's.
    pub fn shown(&self) -> Option<&E164> {
        self.visit.pool_number.as_ref().or(self.number.as_ref())
    }
}

/// Why a registration was refused, as `leadline_visit_registrations` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client's address is over its registration quota.
    RateAddress,
    /// The site is over its registration quota.
    RateSite,
    /// The body, the page's URL or its temporary id could not be read.
    Invalid,
    /// No site has this key.
    SiteKey,
    /// The page is not on one of the site's domains.
    Origin,
    /// An automated client (its user agent says so).
    Bot,
    /// Leadline failed.
    Internal,
}

impl Refusal {
    /// The metric's outcome label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RateAddress => "refused_rate_address",
            Self::RateSite => "refused_rate_site",
            Self::Invalid => "refused_invalid",
            Self::SiteKey => "refused_site_key",
            Self::Origin => "refused_origin",
            Self::Bot => "refused_bot",
            Self::Internal => "refused_internal",
        }
    }
}

/// The site's codes as one request sees them: its number, read once, and the code plan the
/// site's settings give (decided in core, [`SiteCodes`]).
async fn codes_of(state: &AppState, site: &Site) -> AppResult<(Option<E164>, SiteCodes)> {
    let number = state.store.number_for_site(site.id).await?;
    let codes = SiteCodes::of(&site.settings, number.as_ref().map(|n| n.id));
    Ok((number.map(|n| n.number), codes))
}

/// Registers `new` on `site`: a returning visitor keeps their live code, a new one gets the
/// smallest free code (page-load mode), or none until a click (click mode). Answers the visit
/// and the token that proves a browser registered it.
pub async fn register_visit(state: &AppState, site: &Site, new: &NewVisit) -> AppResult<(Seen, String)> {
    let (number, codes) = codes_of(state, site).await?;
    let visit = state.store.register_visit(new, codes.plan(Purpose::Register)).await?;
    state.metrics.visit_registration(match visit.outcome {
        CodeOutcome::Returning => "returning",
        CodeOutcome::None => "no_code",
        _ => "allocated",
    });
    count_eviction(state, &visit);
    let token = visit_token(&state.secret, &site.key, &visit.visit);
    let seen = Seen {
        visit,
        number,
        selector: codes.selector,
    };
    Ok((seen, token))
}

/// Records `touch` on the site's `visit`, refreshing (or, for a click, handing out) its code,
/// and the `tel:` link clicks the page `batched` since its last event (for the heatmap).
pub async fn record_event(
    state: &AppState,
    site: &Site,
    visit: &VisitRef,
    touch: &Touch,
    batched: &[PageClick],
) -> AppResult<Seen> {
    let purpose = if matches!(touch, Touch::Click { .. }) {
        Purpose::Click
    } else {
        Purpose::Touch
    };
    let (number, codes) = codes_of(state, site).await?;
    // The batched clicks came before this event: recorded first, they stay in order.
    if !batched.is_empty() {
        state.store.record_page_clicks(site.id, visit, batched).await?;
    }
    let touched = state
        .store
        .touch_visit(site.id, visit, touch, codes.plan(purpose))
        .await?;
    count_eviction(state, &touched);
    Ok(Seen {
        visit: touched,
        number,
        selector: codes.selector,
    })
}

/// Counts and logs click ids dropped at capture (`from` says where: a landing page, a form).
/// The visitor is not at fault (a link can be mangled on its way), so nothing is refused; the
/// value is not logged, being a stranger's text.
pub fn count_dropped_click_ids(state: &AppState, site: &Site, dropped: &[ClickKind], from: &str) {
    for kind in dropped {
        state.metrics.click_id_dropped(kind.param());
        tracing::info!(site = %site.key.as_str(), param = kind.param(), "{from} carried a {} that is not a click id; dropped", kind.param());
    }
}

/// Counts a code evicted to keep the site within its cap, or a pool number overwritten.
fn count_eviction(state: &AppState, visit: &VisitState) {
    match (visit.evicted, visit.pool_number.is_some()) {
        (true, true) => state.metrics.pool_overwrite(),
        (true, false) => state.metrics.code_evicted(),
        _ => {}
    }
}
