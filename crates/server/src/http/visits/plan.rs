//! What a request may do about a visit's code, from the site's mode and number.

use crate::app::AppState;
use crate::http::visits::wire::StateBody;
use crate::web::error::ApiError;
use leadline_core::E164;
pub use leadline_core::codeplan::Purpose;
use leadline_core::codeplan::SiteCodes;
use leadline_core::tenant::Site;
use leadline_core::visit::{CodePlan, VisitState};

/// The site's number as seen by one request, and the code plans that follow from it
/// (decided in core: [`SiteCodes`]).
pub struct Sighting {
    number: Option<E164>,
    codes: SiteCodes,
}

impl Sighting {
    /// Looks up the site's number (once per request) and the pool and policy of its codes.
    pub async fn of(state: &AppState, site: &Site) -> Result<Self, ApiError> {
        let number = state.store.number_for_site(site.id).await?;
        let codes = SiteCodes::of(&site.settings, number.as_ref().map(|n| n.id));
        Ok(Self {
            number: number.map(|n| n.number),
            codes,
        })
    }

    /// What a request of this purpose may do about the visit's code.
    pub fn plan(&self, purpose: Purpose) -> CodePlan {
        self.codes.plan(purpose)
    }

    /// The site's number, if it has one.
    pub fn number(&self) -> Option<&E164> {
        self.number.as_ref()
    }

    /// The state body for `visit`.
    pub fn body(&self, visit: &VisitState, site: &Site) -> StateBody {
        StateBody::new(visit, site, self.number.as_ref(), self.codes.selector)
    }
}
