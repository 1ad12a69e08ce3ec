//! What a request may do about a visit's code, from the site's mode and number.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::visits::wire::StateBody;
use leadline_core::E164;
use leadline_core::site::ExtensionMode;
use leadline_core::tenant::Site;
use leadline_core::visit::{AllocationPolicy, CodePlan, CodeRequest, PoolKey, Selector, VisitState};

/// Why a request touches a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A page registers a visit.
    Register,
    /// A page view, heartbeat or variables.
    Touch,
    /// A click on a call element.
    Click,
}

/// The site's number as seen by one request, and the code plans that follow from it.
pub struct Sighting {
    number: Option<E164>,
    selector: Selector,
    click_mode: bool,
    request: Option<CodeRequest>,
}

impl Sighting {
    /// Looks up the site's number (once per request) and the pool and policy of its codes.
    pub async fn of(state: &AppState, site: &Site) -> Result<Self, ApiError> {
        let number = state.store.number_for_site(site.id).await?;
        let settings = &site.settings;
        let click_mode = settings.mode == ExtensionMode::Click;
        let selector = if click_mode && settings.star_click_codes {
            Selector::Star
        } else {
            Selector::Plain
        };
        let idle_minutes = if click_mode {
            settings.click_idle_minutes
        } else {
            settings.idle_minutes
        };
        let request = number.as_ref().map(|number| CodeRequest {
            pool: PoolKey {
                number: number.id,
                selector,
            },
            policy: AllocationPolicy {
                idle_ms: i64::from(idle_minutes) * 60_000,
                max_live: settings.max_live_codes,
                quarantine_ms: i64::from(settings.reuse_quarantine_minutes) * 60_000,
            },
        });
        Ok(Self {
            number: number.map(|n| n.number),
            selector,
            click_mode,
            request,
        })
    }

    /// What a request of this purpose may do about the visit's code.
    pub fn plan(&self, purpose: Purpose) -> CodePlan {
        match (self.request, self.click_mode, purpose) {
            (None, _, _) => CodePlan::None,
            (Some(request), false, _) => CodePlan::Visit(request),
            (Some(request), true, Purpose::Click) => CodePlan::Click(request),
            (Some(_), true, Purpose::Register) => CodePlan::None,
            (Some(_), true, Purpose::Touch) => CodePlan::Peek,
        }
    }

    /// The site's number, if it has one.
    pub fn number(&self) -> Option<&E164> {
        self.number.as_ref()
    }

    /// The state body for `visit`.
    pub fn body(&self, visit: &VisitState, site: &Site) -> StateBody {
        StateBody::new(visit, site, self.number.as_ref(), self.selector)
    }
}
