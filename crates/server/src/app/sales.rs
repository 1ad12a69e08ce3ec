//! A sale as an operator, a reply or a program asks for it, read into a [`NewSale`]: its
//! currency is the one asked for, else the site's; the cost is given, or computed from the
//! lead's call minutes at the site's cost per minute; profit is revenue − cost unless given.

use super::error::{AppError, AppResult};
use leadline_core::call::Call;
use leadline_core::form::MessageId;
use leadline_core::lead::{Lead, NewSale};
use leadline_core::money::{format_minor, parse_amount};
use leadline_core::site::Currency;
use leadline_core::store::Store;
use leadline_core::tenant::Site;

/// A sale as asked for: amounts as people write them ("1,200.50", "$1200").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaleRequest {
    pub revenue: String,
    pub cost: Cost,
    pub profit: Option<String>,
    /// A currency code; the site's when not given.
    pub currency: Option<String>,
    /// The call the sale came from, by record ref.
    pub call: Option<u64>,
    /// The form the sale came from, by message id (a sale is for one call or one form).
    pub form: Option<MessageId>,
}

/// Where a sale's cost comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cost {
    /// No cost (0).
    #[default]
    None,
    /// As given.
    Given(String),
    /// The lead's (or the named call's) billed minutes at the site's cost per minute.
    FromCalls,
    /// As `FromCalls` when the site has a rate and there are calls to bill, else no cost (a
    /// sale sent by reply, which names no cost).
    FromCallsIfRated,
}

/// Reads `request` as a sale of `lead`; what is wrong is said in words an operator reads.
pub async fn new_sale(store: &dyn Store, lead: &Lead, request: &SaleRequest) -> AppResult<NewSale> {
    if request.call.is_some() && request.form.is_some() {
        return Err(AppError::Invalid("a sale is for one call or one form, not both".into()));
    }
    let calls = store.lead_calls(lead.business_id, lead.id).await?;
    let form_site = match &request.form {
        None => None,
        Some(message) => Some(
            store
                .lead_submissions(lead.business_id, lead.id)
                .await?
                .iter()
                .find(|s| s.message_id == *message)
                .map(|s| s.site_id)
                .ok_or_else(|| AppError::Invalid(format!("form {} is not a form of this lead", message.as_str())))?,
        ),
    };
    let named = match request.call {
        None => None,
        Some(call_ref) => Some(
            calls
                .iter()
                .find(|c| c.record_ref == call_ref)
                .ok_or_else(|| AppError::Invalid(format!("call {call_ref} is not a call of this lead")))?,
        ),
    };
    // The site whose currency and rate apply: the named call's or form's, else the lead's, else
    // that of the lead's first call.
    let site_id = named
        .map(|c| c.site_id)
        .or(form_site)
        .or(lead.site_id)
        .or_else(|| calls.first().map(|c| c.site_id));
    let site = match site_id {
        Some(id) => Some(store.site(lead.business_id, id).await?),
        None => None,
    };
    let currency = match (&request.currency, &site) {
        (Some(code), _) => Currency::parse(code)?,
        (None, Some(site)) => site.currency,
        (None, None) => {
            return Err(AppError::Invalid(
                "currency is needed: this lead has no site to take it from".into(),
            ));
        }
    };
    let revenue = parse_amount("revenue", &request.revenue, currency)?;
    let (cost, cost_basis) = match &request.cost {
        Cost::Given(cost) => (parse_amount("cost", cost, currency)?, None),
        Cost::FromCalls | Cost::FromCallsIfRated => {
            let timed: Vec<&Call> = match named {
                Some(call) => vec![call],
                None => calls.iter().collect(),
            };
            let rated = site.as_ref().is_some_and(|s| s.settings.cost_per_minute_minor > 0);
            if request.cost == Cost::FromCallsIfRated && (!rated || timed.is_empty()) {
                (0, None)
            } else {
                let (cost, basis) = cost_from_calls(site.as_ref(), currency, &timed)?;
                (cost, Some(basis))
            }
        }
        Cost::None => (0, None),
    };
    let profit = match &request.profit {
        Some(profit) => parse_amount("profit", profit, currency)?,
        None => revenue
            .checked_sub(cost)
            .ok_or_else(|| AppError::Invalid("revenue and cost are too large".into()))?,
    };
    Ok(NewSale {
        currency: currency.code().to_owned(),
        revenue_minor: revenue,
        cost_minor: cost,
        profit_minor: profit,
        call_ref: request.call,
        form: request.form.clone(),
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
fn cost_from_calls(site: Option<&Site>, currency: Currency, calls: &[&Call]) -> AppResult<(i64, String)> {
    let site = site.ok_or_else(|| AppError::Invalid("cost_from_calls: this lead has no calls".into()))?;
    let rate = site.settings.cost_per_minute_minor;
    if rate == 0 {
        return Err(AppError::Invalid(format!(
            "cost_from_calls: site {} has no cost per minute set (leadline site configure --cost-per-minute-minor)",
            site.key
        )));
    }
    if site.currency != currency {
        return Err(AppError::Invalid(format!(
            "cost_from_calls: the site's cost per minute is in {}, the sale in {}",
            site.currency.code(),
            currency.code()
        )));
    }
    let minutes = billed_minutes(calls);
    let cost = minutes
        .checked_mul(rate)
        .and_then(|c| i64::try_from(c).ok())
        .ok_or_else(|| AppError::Invalid("cost_from_calls: the cost is too large".into()))?;
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
                confidence: None,
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
            answered_by_name: None,
            duration_seconds: seconds,
            recording_url: None,
            tags: vec![],
            started_at: leadline_core::clock::now(),
            ended_at: None,
            spam: None,
        }
    }

    #[test]
    fn each_call_is_billed_in_whole_minutes() {
        let (a, b, c, d) = (call(Some(95)), call(Some(60)), call(Some(1)), call(None));
        assert_eq!(billed_minutes(&[&a, &b, &c, &d]), 2 + 1 + 1);
        assert_eq!(billed_minutes(&[]), 0);
    }
}
