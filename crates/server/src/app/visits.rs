//! Visits, as the snippet reports them: registering one (and handing out its code, as the
//! site's code plan allows) and recording what happens on the page later (page views,
//! heartbeats, variables, clicks on call elements).

use super::error::{AppError, AppResult};
use crate::app::AppState;
use leadline_core::E164;
use leadline_core::click_id::ClickKind;
use leadline_core::codeplan::{Purpose, SiteCodes};
use leadline_core::flood::{Admission, Challenge, ProofError, check_proof};
use leadline_core::heatmap::PageClick;
use leadline_core::store::StoreError;
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
    /// The proof of work is malformed, expired, short of its difficulty, or not this site's.
    Proof,
    /// The proof was taken before (its visit exists).
    Replayed,
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
            Self::Proof => "refused_proof",
            Self::Replayed => "refused_replayed_proof",
            Self::Invalid => "refused_invalid",
            Self::SiteKey => "refused_site_key",
            Self::Origin => "refused_origin",
            Self::Bot => "refused_bot",
            Self::Internal => "refused_internal",
        }
    }
}

/// What a registration without a proof gets (`core::flood`): the id its visit will have, or,
/// while the site is under a flood, a challenge to prove itself with (nothing is stored and no
/// code is held), counted as `challenged`.
pub enum Screened {
    Open(VisitRef),
    Challenged { challenge: String, bits: u8 },
}

/// Takes a registration without a proof from the site's quota and screens it.
pub fn screen(state: &AppState, site: &Site) -> Screened {
    let now = leadline_core::clock::now_millis();
    match state.visit_limits.unproven_registration_for(site.id.0, now) {
        Admission::Open => Screened::Open(VisitRef::generate()),
        Admission::Prove { bits } => {
            state.metrics.visit_registration("challenged");
            let challenge = Challenge::issue(bits, now).text(&state.secret, &site.key);
            Screened::Challenged { challenge, bits }
        }
    }
}

/// Takes a proof (`nonce` answering `challenge`) for a registration on `site`: answers the id
/// the visit is registered under, which no quota of the site refuses. A proof that is not
/// valid is `Invalid` (`Refused` when the challenge is not this site's), one taken before
/// `Conflict`; either way nothing changes. Counted as `proven` when taken.
pub async fn accept_proof(
    state: &AppState,
    site: &Site,
    challenge: &str,
    nonce: &str,
) -> Result<VisitRef, (Refusal, AppError)> {
    let now = leadline_core::clock::now_millis();
    let taken = check_proof(&state.secret, &site.key, challenge, nonce, now).map_err(|e| match e {
        ProofError::Invalid(invalid) => (Refusal::Proof, invalid.into()),
        ProofError::Foreign => (
            Refusal::Proof,
            AppError::Refused("the proof's challenge was not issued for this site".into()),
        ),
    })?;
    let replayed = || {
        (
            Refusal::Replayed,
            AppError::Conflict("this proof was already used".into()),
        )
    };
    if !state.visit_limits.spend(taken.visit.as_str(), taken.expires_ms) {
        return Err(replayed());
    }
    // Another server may have taken it: its visit is stored.
    match state.store.visit(site.id, &taken.visit).await {
        Ok(_) => return Err(replayed()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err((Refusal::Internal, e.into())),
    }
    state.metrics.visit_registration("proven");
    Ok(taken.visit)
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
