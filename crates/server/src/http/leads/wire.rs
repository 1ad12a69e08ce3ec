//! The JSON shapes of the leads API: a lead, its money, and the bodies it reads.

use crate::web::error::ApiError;
use axum::body::Body;
use leadline_core::Invalid;
use leadline_core::lead::{Lead, Totals};
use leadline_core::money::{format_minor, minor_digits};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The largest request body the leads API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads a JSON body of at most [`MAX_BODY_BYTES`] into `T` (whose unknown keys are refused).
pub async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    crate::web::json::read(body, MAX_BODY_BYTES).await
}

/// A domain rule broken by the input: a 400 saying which.
pub fn bad(invalid: Invalid) -> ApiError {
    ApiError::BadRequest(invalid.to_string())
}

/// A lead as the API shows it.
pub fn lead_json(lead: &Lead) -> Value {
    json!({
        "ref": lead.record_ref,
        "status": lead.status.as_str(),
        "name": lead.contact.name,
        "email": lead.contact.email.as_ref().map(|e| e.as_str()),
        "phone": lead.contact.phone.as_ref().map(|p| p.as_str()),
        "company": lead.contact.company,
        "tags": lead.tags,
        "custom": lead.custom,
        "source": lead.source,
        "visitor_key": lead.visitor_key,
        "totals": totals_json(&lead.totals),
        "created_at": lead.created_at.to_rfc3339(),
        "updated_at": lead.updated_at.to_rfc3339(),
    })
}

/// A lead's money, one entry per currency: decimal text in the currency's units and the
/// integer minor units.
pub fn totals_json(totals: &[Totals]) -> Value {
    totals
        .iter()
        .map(|t| {
            let digits = minor_digits(&t.currency);
            json!({
                "currency": t.currency,
                "revenue": format_minor(t.revenue_minor, digits),
                "cost": format_minor(t.cost_minor, digits),
                "profit": format_minor(t.profit_minor, digits),
                "revenue_minor": t.revenue_minor,
                "cost_minor": t.cost_minor,
                "profit_minor": t.profit_minor,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_carry_decimal_text_and_minor_units() {
        let totals = [Totals {
            currency: "USD".into(),
            revenue_minor: 120_050,
            cost_minor: 350,
            profit_minor: 119_700,
        }];
        assert_eq!(
            totals_json(&totals),
            json!([{
                "currency": "USD", "revenue": "1200.50", "cost": "3.50", "profit": "1197.00",
                "revenue_minor": 120_050, "cost_minor": 350, "profit_minor": 119_700
            }])
        );
    }
}
