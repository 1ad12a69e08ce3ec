//! Changes to a lead: contact and custom fields (`PATCH`), status, tags and notes. Each is
//! recorded as an activity by the API key that made it, and answers the lead as changed.

use super::find_lead;
use super::wire::{bad, json_body, lead_json};
use crate::app::{AppState, leads};
use crate::web::api_key::ApiCaller;
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use leadline_core::E164;
use leadline_core::lead::{FieldsPatch, Lead, LeadChange, LeadStatus, contact_text};
use leadline_core::net::Email;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Applies `change` as `caller` through the one lead use case, and answers the lead as changed.
pub(super) async fn apply(
    state: &AppState,
    caller: &ApiCaller,
    lead: &Lead,
    change: LeadChange,
) -> Result<Json<Value>, ApiError> {
    let changed = leads::change_lead(state.store.as_ref(), lead, &caller.author(), &change).await?;
    Ok(Json(lead_json(&changed)))
}

const PATCHABLE: [&str; 5] = ["name", "email", "phone", "company", "custom"];

/// The patch a `PATCH` body asks for: each key present changes its field, `null` clears it.
pub fn parse_patch(body: Map<String, Value>) -> Result<FieldsPatch, ApiError> {
    let mut patch = FieldsPatch::default();
    if body.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "nothing to change: give one or more of {}",
            PATCHABLE.join(", ")
        )));
    }
    for (key, value) in body {
        let text = match &value {
            Value::Null => None,
            Value::String(text) => Some(text.as_str()),
            _ if key == "custom" => None,
            other => {
                return Err(ApiError::BadRequest(format!("{key} must be text or null, not {other}")));
            }
        };
        match key.as_str() {
            "name" => {
                patch.name = Some(
                    text.map(|t| contact_text("name", t))
                        .transpose()
                        .map_err(bad)?
                        .flatten(),
                )
            }
            "company" => {
                patch.company = Some(
                    text.map(|t| contact_text("company", t))
                        .transpose()
                        .map_err(bad)?
                        .flatten(),
                );
            }
            "email" => {
                let text = text.map(str::trim).filter(|t| !t.is_empty());
                patch.email = Some(text.map(Email::parse).transpose().map_err(bad)?);
            }
            "phone" => {
                let text = text.map(str::trim).filter(|t| !t.is_empty());
                patch.phone = Some(text.map(E164::parse).transpose().map_err(bad)?);
            }
            "custom" => match value {
                Value::Object(values) => patch.custom = values,
                Value::Null => {}
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "custom must be an object of field names to values, not {other}"
                    )));
                }
            },
            unknown => {
                return Err(ApiError::BadRequest(format!(
                    "unknown field '{unknown}': a lead's fields are {}",
                    PATCHABLE.join(", ")
                )));
            }
        }
    }
    Ok(patch)
}

pub async fn patch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, caller.business, &record_ref).await?;
    let patch = parse_patch(json_body(body).await?)?;
    apply(&state, &caller, &lead, LeadChange::Fields(patch)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
}

pub async fn status(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, caller.business, &record_ref).await?;
    let body: StatusBody = json_body(body).await?;
    let status = LeadStatus::parse(&body.status).map_err(bad)?;
    apply(&state, &caller, &lead, LeadChange::Status(status)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagsBody {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

pub async fn tags(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, caller.business, &record_ref).await?;
    let body: TagsBody = json_body(body).await?;
    if body.add.is_empty() && body.remove.is_empty() {
        return Err(ApiError::BadRequest(
            "nothing to change: give tags to add or remove".into(),
        ));
    }
    let trim = |tags: Vec<String>| tags.into_iter().map(|t| t.trim().to_owned()).collect();
    let change = LeadChange::Tags {
        add: trim(body.add),
        remove: trim(body.remove),
    };
    apply(&state, &caller, &lead, change).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let lead = find_lead(&state, caller.business, &record_ref).await?;
    let body: NoteBody = json_body(body).await?;
    apply(&state, &caller, &lead, LeadChange::Note(body.text.trim().to_owned())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<FieldsPatch, ApiError> {
        parse_patch(value.as_object().unwrap().clone())
    }

    #[test]
    fn present_keys_change_and_null_clears() {
        let patch = parse(json!({
            "name": " Ann Lee ", "email": null, "phone": "+1 202 555 0169", "custom": {"budget": 5}
        }))
        .unwrap();
        assert_eq!(patch.name, Some(Some("Ann Lee".into())));
        assert_eq!(patch.email, Some(None));
        assert_eq!(patch.phone.unwrap().unwrap().as_str(), "+12025550169");
        assert_eq!(patch.company, None);
        assert_eq!(patch.custom["budget"], 5);
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused() {
        for body in [
            json!({}),
            json!({"nmae": "Ann"}),
            json!({"email": "not-an-address"}),
            json!({"phone": "12"}),
            json!({"name": 5}),
            json!({"custom": [1]}),
        ] {
            assert!(parse(body.clone()).is_err(), "{body}");
        }
    }
}
