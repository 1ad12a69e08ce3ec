//! `POST /v1/leads/{ref}/sales`: records a sale (revenue, cost, profit) on a lead, the cost
//! optionally computed from its call minutes at the site's cost per minute.

use super::change::apply;
use super::find_lead;
use super::money::{format_minor, parse_amount};
use super::wire::{bad, json_body};
use crate::app::AppState;
use crate::web::api_key::ApiCaller;
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use leadline_core::call::Call;
use leadline_core::lead::{Lead, LeadChange, NewSale};
use leadline_core::site::Currency;
use leadline_core::tenant::Site;
use serde::Deserialize;
use serde_json::Value;

/// A sale as asked for: amounts as JSON numbers or text people write ("1,200.50").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleBody {
    pub revenue: Value,
    #[serde(default)]
    pub cost: Option<Value>,
    #[serde(default)]
    pub cost_from_calls: bool,
    #[serde(default)]
    pub profit: Option<Value>,
    #[serde(default)]
    pub currency: Option<String>,
    /// The call the sale came from, by record ref.
    #[serde(default)]
    pub call: Option<u64>,
}

/// `POST /v1/leads/{ref}/sales`.
pub async fn sale(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, caller.business, &record_ref).await?;
    let body: SaleBody = json_body(body).await?;
    let sale = new_sale(&state, &lead, &body).await?;
    apply(&state, &caller, &lead, LeadChange::Sale(sale)).await
}

/// Reads a sale of `lead`: its currency is the one asked for, else the site's; the cost is
/// given, or computed from call minutes; profit is revenue − cost unless given. A 400 says
/// what is wrong (the operator's page shows the same words).
pub async fn new_sale(state: &AppState, lead: &Lead, body: &SaleBody) -> Result<NewSale, ApiError> {
    if body.cost.is_some() && body.cost_from_calls {
        return Err(ApiError::BadRequest("give cost or cost_from_calls, not both".into()));
    }
    let calls = state.store.lead_calls(lead.business_id, lead.id).await?;
    let named = match body.call {
        None => None,
        Some(call_ref) => Some(
            calls
                .iter()
                .find(|c| c.record_ref == call_ref)
                .ok_or_else(|| ApiError::BadRequest(format!("call {call_ref} is not a call of this lead")))?,
        ),
    };
    // The site whose currency and rate apply: the named call's, else the lead's, else that of
    // the lead's first call.
    let site_id = named
        .map(|c| c.site_id)
        .or(lead.site_id)
        .or_else(|| calls.first().map(|c| c.site_id));
    let site = match site_id {
        Some(id) => Some(state.store.site(lead.business_id, id).await?),
        None => None,
    };
    let currency = match (&body.currency, &site) {
        (Some(code), _) => Currency::parse(code).map_err(bad)?,
        (None, Some(site)) => site.currency,
        (None, None) => {
            return Err(ApiError::BadRequest(
                "currency is needed: this lead has no site to take it from".into(),
            ));
        }
    };
    let revenue = parse_amount("revenue", &body.revenue, currency).map_err(bad)?;
    let (cost, cost_basis) = match (&body.cost, body.cost_from_calls) {
        (Some(cost), _) => (parse_amount("cost", cost, currency).map_err(bad)?, None),
        (None, true) => {
            let timed: Vec<&Call> = match named {
                Some(call) => vec![call],
                None => calls.iter().collect(),
            };
            let (cost, basis) = cost_from_calls(site.as_ref(), currency, &timed)?;
            (cost, Some(basis))
        }
        (None, false) => (0, None),
    };
    let profit = match &body.profit {
        Some(profit) => parse_amount("profit", profit, currency).map_err(bad)?,
        None => revenue
            .checked_sub(cost)
            .ok_or_else(|| ApiError::BadRequest("revenue and cost are too large".into()))?,
    };
    Ok(NewSale {
        currency: currency.code().to_owned(),
        revenue_minor: revenue,
        cost_minor: cost,
        profit_minor: profit,
        call_ref: body.call,
        cost_basis,
    })
}

/// Minutes billed for calls: each call's duration rounded up to a whole minute, as
/// providers bill them.
pub fn billed_minutes(calls: &[&Call]) -> u64 {
    calls
        .iter()
        .map(|c| u64::from(c.duration_seconds.unwrap_or(0)).div_ceil(60))
        .sum()
}

/// The cost of `calls` at the site's cost per minute, and how it was found
/// ("7 call minutes × 0.50 USD").
fn cost_from_calls(site: Option<&Site>, currency: Currency, calls: &[&Call]) -> Result<(i64, String), ApiError> {
    let site = site.ok_or_else(|| ApiError::BadRequest("cost_from_calls: this lead has no calls".into()))?;
    let rate = site.settings.cost_per_minute_minor;
    if rate == 0 {
        return Err(ApiError::BadRequest(format!(
            "cost_from_calls: site {} has no cost per minute set (leadline site configure --cost-per-minute-minor)",
            site.key
        )));
    }
    if site.currency != currency {
        return Err(ApiError::BadRequest(format!(
            "cost_from_calls: the site's cost per minute is in {}, the sale in {}",
            site.currency.code(),
            currency.code()
        )));
    }
    let minutes = billed_minutes(calls);
    let cost = minutes
        .checked_mul(rate)
        .and_then(|c| i64::try_from(c).ok())
        .ok_or_else(|| ApiError::BadRequest("cost_from_calls: the cost is too large".into()))?;
    let rate_text = format_minor(i64::try_from(rate).unwrap_or(i64::MAX), currency.minor_digits());
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    Ok((cost, format!("{minutes} call {unit} × {rate_text} {}", currency.code())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_core::call::{CallOrigin, MatchedBy};
    use leadline_core::visit::Selector;
    use leadline_core::{BusinessId, NumberId, SiteId};

    fn call(seconds: Option<u32>) -> Call {
        Call {
            record_ref: 1000,
            business_id: BusinessId(1),
            site_id: SiteId(1),
            number_id: NumberId(1),
            lead_id: 1,
            origin: CallOrigin {
                matched_by: MatchedBy::None,
                visit: None,
                intent: None,
                source_label: None,
            },
            attribution: None,
            provider_call_sid: "CA1".into(),
            caller: "+12025550169".into(),
            keyed: String::new(),
            code: None,
            selector: Selector::Plain,
            extension: None,
            status: "completed".into(),
            outcome: None,
            answered_by: None,
            duration_seconds: seconds,
            recording_url: None,
            tags: vec![],
            started_at: chrono::Utc::now(),
            ended_at: None,
        }
    }

    #[test]
    fn each_call_is_billed_in_whole_minutes() {
        let (a, b, c, d) = (call(Some(95)), call(Some(60)), call(Some(1)), call(None));
        assert_eq!(billed_minutes(&[&a, &b, &c, &d]), 2 + 1 + 1);
        assert_eq!(billed_minutes(&[]), 0);
    }
}
