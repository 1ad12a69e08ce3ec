//! Custom field definitions of a business: `GET /v1/fields` lists them, `POST /v1/fields`
//! defines one (name, type, required). Leads' values are set with `PATCH /v1/leads/{ref}`.

use super::wire::{bad, json_body};
use crate::app::AppState;
use crate::web::api_key::{ApiCaller, BusinessKey};
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use serde::Deserialize;
use serde_json::{Value, json};

fn field_json(def: &FieldDef) -> Value {
    json!({ "name": def.name.as_str(), "type": def.kind.as_str(), "required": def.required })
}

pub async fn list(State(state): State<AppState>, BusinessKey(business): BusinessKey) -> Result<Json<Value>, ApiError> {
    let fields = state.store.fields(business).await?;
    Ok(Json(
        json!({ "fields": fields.iter().map(field_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefineBody {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    required: bool,
}

pub async fn define(State(state): State<AppState>, caller: ApiCaller, body: Body) -> Result<Response, ApiError> {
    let body: DefineBody = json_body(body).await?;
    let def = FieldDef {
        name: FieldName::parse(body.name.trim()).map_err(bad)?,
        kind: FieldKind::parse(&body.kind).map_err(bad)?,
        required: body.required,
    };
    // A name already defined is a conflict (409), mapped once in `ApiError`.
    crate::app::leads::define_field(state.store.as_ref(), caller.business, &def, &caller.author()).await?;
    Ok((StatusCode::CREATED, Json(field_json(&def))).into_response())
}
