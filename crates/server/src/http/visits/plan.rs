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

/// The site's number as seen by one request, and the code plan that follows.
pub struct Sighting {
    number: Option<E164>,
    selector: Selector,
    pub plan: CodePlan,
}

impl Sighting {
    /// Looks up the site's number and decides the plan.
    pub async fn of(state: &AppState, site: &Site, purpose: Purpose) -> Result<Self, ApiError> {
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
        let plan = match &number {
            None => CodePlan::None,
            Some(number) => {
                let request = CodeRequest {
                    pool: PoolKey {
                        number: number.id,
                        selector,
                    },
                    policy: AllocationPolicy {
                        idle_ms: i64::from(idle_minutes) * 60_000,
                        max_live: settings.max_live_codes,
                        quarantine_ms: i64::from(settings.reuse_quarantine_minutes) * 60_000,
                    },
                };
                match (click_mode, purpose) {
                    (false, _) => CodePlan::Visit(request),
                    (true, Purpose::Click) => CodePlan::Click(request),
                    (true, Purpose::Register) => CodePlan::None,
                    (true, Purpose::Touch) => CodePlan::Peek,
                }
            }
        };
        Ok(Self {
            number: number.map(|n| n.number),
            selector,
            plan,
        })
    }

    /// The state body for `visit`.
    pub fn body(&self, visit: &VisitState, site: &Site) -> StateBody {
        StateBody::new(visit, site, self.number.as_ref(), self.selector)
    }
}
