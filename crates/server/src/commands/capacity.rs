//! `leadline plan capacity`: a site's capacity plan (`app::capacity::plan`) as a table, as
//! JSON, and as an SVG chart.

use super::{InputError, app_failure};
use crate::app::capacity::{CapacityPlan, plan};
use crate::app::reports::query::day_range;
use crate::cli::CapacityArgs;
use crate::http::operator::reports::charts;
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};

/// `leadline plan capacity --site KEY [--from --to] [--json] [--svg PATH]`.
pub async fn capacity(store: &dyn Store, args: &CapacityArgs) -> anyhow::Result<()> {
    let key = SiteKey::parse(&args.site)?;
    let site = match store.site_by_key(&key).await {
        Ok(site) => site,
        Err(StoreError::NotFound) => {
            return Err(InputError(format!("unknown site key '{key}': see `leadline site list`")).into());
        }
        Err(e) => return Err(e.into()),
    };
    let unknown = || format!("unknown site key '{key}'");
    let range = day_range(&args.from, &args.to).map_err(|e| app_failure(e, unknown))?;
    let planned = plan(store, site.business_id, site.id, range)
        .await
        .map_err(|e| app_failure(e, unknown))?;
    if let Some(path) = &args.svg {
        std::fs::write(path, charts::capacity(&planned.plan))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json(&planned))?);
    } else {
        print!("{}", table(&planned));
    }
    Ok(())
}

fn json(planned: &CapacityPlan) -> serde_json::Value {
    serde_json::json!({
        "site": planned.site.key.as_str(),
        "timezone": planned.site.timezone.name(),
        "from": planned.range.from().to_string(),
        "to": planned.range.to().to_string(),
        "plan": planned.plan,
        "summary": planned.summary(),
    })
}

fn table(planned: &CapacityPlan) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "site {} '{}', {} to {} ({})\n\n",
        planned.site.key,
        planned.site.name,
        planned.range.from(),
        planned.range.to(),
        planned.site.timezone.name()
    );
    out.push_str("hour   visits/h  live mean  live p99  code digits  DNI pool\n");
    for h in &planned.plan.hours {
        let _ = writeln!(
            out,
            "{:>2}:00  {:>8.1}  {:>9.1}  {:>8}  {:>11}  {:>8}",
            h.hour, h.visits_per_hour, h.live_mean, h.live_p99, h.code_digits_p99, h.dni_pool
        );
    }
    out.push('\n');
    for line in planned.summary() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
