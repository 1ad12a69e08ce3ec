//! A site's capacity plan, as an owner or the command line asks for it (reads only): the
//! site's history over a range of days in its zone, read as aggregates by the store, and the
//! plan `core::capacity::plan` draws from it under the site's code settings.

use crate::app::error::AppResult;
use chrono::DateTime;
use leadline_core::capacity::{CodeSettings, Plan, plan as model};
use leadline_core::report::DayRange;
use leadline_core::report::days::{local_day, window};
use leadline_core::store::Store;
use leadline_core::tenant::Site;
use leadline_core::{BusinessId, SiteId};

/// The days a plan reads when none are asked for: the last 28, today included.
pub const DEFAULT_DAYS: u64 = 28;

/// A site's plan over the days it was read from.
#[derive(Debug, Clone)]
pub struct CapacityPlan {
    pub site: Site,
    pub range: DayRange,
    pub plan: Plan,
}

/// The capacity plan of `business`'s site `site` from its history over `range` (the last
/// [`DEFAULT_DAYS`] when none); another business's site is not found.
pub async fn plan(
    store: &dyn Store,
    business: BusinessId,
    site: SiteId,
    range: Option<DayRange>,
) -> AppResult<CapacityPlan> {
    let site = store.site(business, site).await?;
    let tz = site.timezone.tz();
    let range = range.unwrap_or_else(|| DayRange::last(local_day(leadline_core::clock::now(), tz), DEFAULT_DAYS));
    let (start, _) = window(range.from(), tz);
    let (_, end) = window(range.to(), tz);
    let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let history = store.capacity_history(business, site.id, at(start), at(end)).await?;
    let days = u32::try_from(range.len()).unwrap_or(u32::MAX);
    let plan = model(&history, tz, days, &CodeSettings::of(&site.settings));
    Ok(CapacityPlan { site, range, plan })
}

/// A share as a percentage with one decimal.
fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

impl CapacityPlan {
    /// The plan's findings in words, the same on every surface that shows it.
    pub fn summary(&self) -> Vec<String> {
        let p = &self.plan;
        let settings = &self.site.settings;
        let check = if settings.check_digit {
            " (check digit included)"
        } else {
            ""
        };
        let attribution = if p.attribution.measured {
            format!(
                "Extensions attribute {} of calls: {} came later than the visit and its {}-minute idle time \
                 (read from {} calls of visits; a late call is tied to its visit only by the caller's number, \
                 so the late share may be higher).",
                percent(p.attribution.attributed),
                percent(p.attribution.late),
                settings.idle_minutes,
                p.attribution.calls,
            )
        } else {
            format!(
                "Extensions attribute every call that comes during the visit or its {}-minute idle time; \
                 no calls of visits in these days, so every call is assumed to come in time.",
                settings.idle_minutes
            )
        };
        vec![
            format!(
                "Visits: {} in {} days, {:.1} minutes long on average (median {}); {} of visits called.",
                p.visits,
                p.days,
                p.mean_visit_minutes,
                p.median_visit_minutes,
                percent(p.call_share),
            ),
            format!(
                "Code length: {} digits for half the visitors of the busiest hour ({} visits), {} for 99 %{check}.",
                p.code_digits_p50, p.busiest_hour_visits, p.code_digits_p99,
            ),
            attribution,
            format!(
                "A Dynamic Number Insertion pool needs {} numbers to stay under 1 % wrong at the busiest hour; \
                 10 numbers would be wrong for {} of calls.",
                p.dni_pool,
                percent(p.dni_wrong_with_10),
            ),
        ]
    }
}
