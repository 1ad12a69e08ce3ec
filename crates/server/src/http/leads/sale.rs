//! `POST /v1/leads/{ref}/sales`: records a sale (revenue, cost, profit) on a lead, the cost
//! optionally computed from its call minutes at the site's cost per minute.

use super::change::apply;
use super::find_lead;
use super::wire::{bad, json_body};
use crate::app::AppState;
use crate::app::sales::{Cost, SaleRequest, new_sale};
use crate::web::api_key::ApiCaller;
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use leadline_core::form::MessageId;
use leadline_core::lead::LeadChange;
use leadline_core::money::json_amount;
use serde::Deserialize;
use serde_json::Value;

/// A sale as the API takes it: amounts as JSON numbers or text people write ("1,200.50").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaleBody {
    revenue: Value,
    #[serde(default)]
    cost: Option<Value>,
    #[serde(default)]
    cost_from_calls: bool,
    #[serde(default)]
    profit: Option<Value>,
    #[serde(default)]
    currency: Option<String>,
    /// The call the sale came from, by record ref.
    #[serde(default)]
    call: Option<u64>,
    /// The form the sale came from, by message id.
    #[serde(default)]
    form: Option<String>,
}

impl SaleBody {
    fn request(self) -> Result<SaleRequest, ApiError> {
        let cost = match (self.cost, self.cost_from_calls) {
            (Some(_), true) => return Err(ApiError::BadRequest("give cost or cost_from_calls, not both".into())),
            (Some(cost), false) => Cost::Given(json_amount("cost", &cost).map_err(bad)?),
            (None, true) => Cost::FromCalls,
            (None, false) => Cost::None,
        };
        Ok(SaleRequest {
            revenue: json_amount("revenue", &self.revenue).map_err(bad)?,
            cost,
            profit: self
                .profit
                .map(|p| json_amount("profit", &p))
                .transpose()
                .map_err(bad)?,
            currency: self.currency,
            call: self.call,
            form: self.form.as_deref().map(MessageId::parse).transpose().map_err(bad)?,
        })
    }
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
    let sale = new_sale(state.store.as_ref(), &lead, &body.request()?).await?;
    apply(&state, &caller, &lead, LeadChange::Sale(sale)).await
}
