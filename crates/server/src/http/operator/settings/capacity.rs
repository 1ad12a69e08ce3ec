//! The capacity plan on a site's Settings page (`app::capacity::plan` over the last 28 days):
//! the findings in words, the chart, and the hours of the day as a table.

use crate::app::AppState;
use crate::app::capacity::plan;
use crate::http::operator::reports::charts;
use crate::web::error::ApiError;
use leadline_core::tenant::Site;

/// The id of the chart's caption, which labels it.
const CAPTION_ID: &str = "capacity-chart-caption";

/// One hour of the day as the table shows it.
pub(super) struct CapacityRow {
    pub hour: String,
    pub visits: String,
    pub live_mean: String,
    pub live_p99: u64,
    pub digits: u32,
    pub pool: u64,
}

/// What the page shows of the plan.
pub(super) struct CapacityView {
    pub from: String,
    pub to: String,
    pub zone: &'static str,
    pub summary: Vec<String>,
    pub svg: String,
    pub caption_id: &'static str,
    pub rows: Vec<CapacityRow>,
}

/// The plan of the business's `site`, ready to show.
pub(super) async fn view(state: &AppState, site: &Site) -> Result<CapacityView, ApiError> {
    let planned = plan(state.store.as_ref(), site.business_id, site.id, None).await?;
    let rows = planned
        .plan
        .hours
        .iter()
        .map(|h| CapacityRow {
            hour: format!("{}:00", h.hour),
            visits: format!("{:.1}", h.visits_per_hour),
            live_mean: format!("{:.1}", h.live_mean),
            live_p99: h.live_p99,
            digits: h.code_digits_p99,
            pool: h.dni_pool,
        })
        .collect();
    Ok(CapacityView {
        from: planned.range.from().to_string(),
        to: planned.range.to().to_string(),
        zone: planned.site.timezone.name(),
        summary: planned.summary(),
        svg: charts::labelled(charts::capacity(&planned.plan), CAPTION_ID),
        caption_id: CAPTION_ID,
        rows,
    })
}
