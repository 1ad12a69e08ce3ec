//! The code plan of a site: which pool its codes come from, under which policy, and what each
//! kind of request may do about a visit's code. A pure function of the site's settings and
//! whether it has a tracking number.

use crate::NumberId;
use crate::site::{ExtensionMode, SiteKind, SiteSettings};
use crate::visit::{AllocationPolicy, CodePlan, CodeRequest, PoolKey, Selector};

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

/// A site's codes: the pool's selector, whether clicks (not page loads) get them, and the
/// request a code is allocated with (none without a tracking number); on a number-pool site,
/// the hold's idle time instead (and never a code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteCodes {
    pub selector: Selector,
    pub click_mode: bool,
    pub request: Option<CodeRequest>,
    /// Milliseconds a visit holds its pool number after its last activity (pool sites only).
    pub pool_idle_ms: Option<i64>,
}

impl SiteCodes {
    /// The codes of a site with these settings, on `number` if it has one. Click codes come
    /// from the `*` pool when the site asks for it; click codes free sooner than visit codes.
    pub fn of(settings: &SiteSettings, number: Option<NumberId>) -> Self {
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
        if settings.kind == SiteKind::NumberPool {
            return Self {
                selector: Selector::Plain,
                click_mode: false,
                request: None,
                pool_idle_ms: Some(i64::from(settings.idle_minutes) * 60_000),
            };
        }
        let request = number.map(|number| CodeRequest {
            pool: PoolKey { number, selector },
            policy: AllocationPolicy {
                idle_ms: i64::from(idle_minutes) * 60_000,
                max_live: settings.max_live_codes,
                quarantine_ms: i64::from(settings.reuse_quarantine_minutes) * 60_000,
            },
        });
        Self {
            selector,
            click_mode,
            request,
            pool_idle_ms: None,
        }
    }

    /// What a request of this purpose may do about the visit's code: in page-load mode every
    /// request holds the visit's code; in click mode only a click allocates, a later page view
    /// only reports the live click code, and registering hands out none. On a number-pool
    /// site every request holds the visit's pool number (there is no click mode there).
    pub fn plan(&self, purpose: Purpose) -> CodePlan {
        if let Some(idle_ms) = self.pool_idle_ms {
            return CodePlan::Pool { idle_ms };
        }
        match (self.request, self.click_mode, purpose) {
            (None, _, _) => CodePlan::None,
            (Some(request), false, _) => CodePlan::Visit(request),
            (Some(request), true, Purpose::Click) => CodePlan::Click(request),
            (Some(_), true, Purpose::Register) => CodePlan::None,
            (Some(_), true, Purpose::Touch) => CodePlan::Peek,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings(click: bool, star: bool) -> SiteSettings {
        SiteSettings {
            mode: if click {
                ExtensionMode::Click
            } else {
                ExtensionMode::PageLoad
            },
            star_click_codes: star,
            idle_minutes: 30,
            click_idle_minutes: 10,
            reuse_quarantine_minutes: 2,
            ..SiteSettings::default()
        }
    }

    #[test]
    fn page_load_codes_are_held_by_every_request_for_the_idle_time() {
        let codes = SiteCodes::of(&settings(false, true), Some(NumberId(3)));
        let CodePlan::Visit(request) = codes.plan(Purpose::Register) else {
            panic!("page-load registration allocates")
        };
        assert_eq!(
            request.pool.selector,
            Selector::Plain,
            "the star pool is for clicks only"
        );
        assert_eq!(
            (request.policy.idle_ms, request.policy.quarantine_ms),
            (1_800_000, 120_000)
        );
        assert_eq!(codes.plan(Purpose::Touch), CodePlan::Visit(request));
    }

    #[test]
    fn click_codes_come_from_the_star_pool_and_only_clicks_allocate() {
        let codes = SiteCodes::of(&settings(true, true), Some(NumberId(3)));
        assert_eq!(codes.plan(Purpose::Register), CodePlan::None);
        assert_eq!(codes.plan(Purpose::Touch), CodePlan::Peek);
        let CodePlan::Click(request) = codes.plan(Purpose::Click) else {
            panic!("a click allocates")
        };
        assert_eq!(
            (request.pool.selector, request.policy.idle_ms),
            (Selector::Star, 600_000)
        );
    }

    proptest! {
        #[test]
        fn a_pool_site_holds_its_pool_number_on_every_request_and_never_a_code(click: bool, star: bool, number: bool, purpose in 0..3usize, idle in 1u32..600) {
            let purpose = [Purpose::Register, Purpose::Touch, Purpose::Click][purpose];
            let pool = SiteSettings {
                kind: SiteKind::NumberPool,
                idle_minutes: idle,
                ..settings(click, star)
            };
            let codes = SiteCodes::of(&pool, number.then_some(NumberId(4)));
            prop_assert_eq!(codes.plan(purpose), CodePlan::Pool { idle_ms: i64::from(idle) * 60_000 });
            prop_assert_eq!(codes.request, None);
        }

        #[test]
        fn without_a_number_no_request_ever_gets_a_code(click: bool, star: bool, purpose in 0..3usize) {
            let purpose = [Purpose::Register, Purpose::Touch, Purpose::Click][purpose];
            prop_assert_eq!(SiteCodes::of(&settings(click, star), None).plan(purpose), CodePlan::None);
        }

        #[test]
        fn an_allocating_plan_always_uses_the_sites_number_and_selector(click: bool, star: bool, n in 1i64..1000, purpose in 0..3usize) {
            let purpose = [Purpose::Register, Purpose::Touch, Purpose::Click][purpose];
            let codes = SiteCodes::of(&settings(click, star), Some(NumberId(n)));
            if let CodePlan::Visit(r) | CodePlan::Click(r) = codes.plan(purpose) {
                prop_assert_eq!(r.pool, PoolKey { number: NumberId(n), selector: codes.selector });
                prop_assert_eq!(matches!(codes.plan(purpose), CodePlan::Click(_)), click);
            }
        }
    }
}
