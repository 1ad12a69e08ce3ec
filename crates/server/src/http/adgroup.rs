//! Ad aggregation over the API (a business's API key): `/v1/master-ads` and
//! `/v1/master-phrases`, listed, created, read, changed (`PATCH`: the fields given replace
//! the stored ones) and removed. Another business's id is the same 404 as a missing one.
//! See docs/ad-grouping.md.

use crate::app::AppState;
use crate::app::adgroup as cases;
use crate::web::api_key::{ApiCaller, BusinessKey};
use crate::web::error::ApiError;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use leadline_core::adgroup::{AdRule, MasterAd, MasterPhrase, NewMasterAd, NewMasterPhrase, Pattern};
use leadline_core::names::Name;
use leadline_core::routing::Move;
use serde::{Deserialize, Serialize};

/// The largest body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every route of this module with its path (a test checks each path is documented).
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/v1/master-ads", get(list_ads).post(create_ad)),
        ("/v1/master-ads/{id}", get(read_ad).patch(patch_ad).delete(delete_ad)),
        ("/v1/master-ads/{id}/move", post(move_ad)),
        ("/v1/master-phrases", get(list_phrases).post(create_phrase)),
        (
            "/v1/master-phrases/{id}",
            get(read_phrase).patch(patch_phrase).delete(delete_phrase),
        ),
    ]
}

/// The ad aggregation routes.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
}

#[derive(Serialize)]
struct RuleJson {
    source: Option<String>,
    campaign: Option<String>,
    content: Option<String>,
}

#[derive(Serialize)]
struct AdJson {
    id: i64,
    name: String,
    rules: Vec<RuleJson>,
}

#[derive(Serialize)]
struct PhraseJson {
    id: i64,
    name: String,
    variants: Vec<String>,
}

#[derive(Serialize)]
struct AdList {
    master_ads: Vec<AdJson>,
}

#[derive(Serialize)]
struct PhraseList {
    master_phrases: Vec<PhraseJson>,
}

fn ad_json(ad: &MasterAd) -> AdJson {
    let text = |p: &Option<Pattern>| p.as_ref().map(|p| p.as_str().to_owned());
    AdJson {
        id: ad.id,
        name: ad.name.to_string(),
        rules: ad
            .rules
            .iter()
            .map(|r| RuleJson {
                source: text(&r.source),
                campaign: text(&r.campaign),
                content: text(&r.content),
            })
            .collect(),
    }
}

fn phrase_json(phrase: &MasterPhrase) -> PhraseJson {
    PhraseJson {
        id: phrase.id,
        name: phrase.name.to_string(),
        variants: phrase.variants.clone(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleBody {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    campaign: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    rules: Option<Vec<RuleBody>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    variants: Option<Vec<String>>,
}

fn id_of(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound)
}

fn name_of(text: Option<&str>) -> Result<Option<Name>, ApiError> {
    text.map(|t| Name::parse_as("name", t).map_err(|e| ApiError::BadRequest(e.to_string())))
        .transpose()
}

fn rules_of(rules: &[RuleBody]) -> Result<Vec<AdRule>, ApiError> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = |f: &Option<String>| f.clone().unwrap_or_default();
            AdRule::parse(&field(&r.source), &field(&r.campaign), &field(&r.content))
                .map_err(|e| ApiError::BadRequest(format!("rule {}: {e}", i + 1)))
        })
        .collect()
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::BadRequest(format!("'{field}' is required")))
}

async fn list_ads(State(state): State<AppState>, BusinessKey(business): BusinessKey) -> Result<Response, ApiError> {
    let grouping = cases::ad_grouping(state.store.as_ref(), business).await?;
    Ok(Json(AdList {
        master_ads: grouping.ads.iter().map(ad_json).collect(),
    })
    .into_response())
}

async fn create_ad(State(state): State<AppState>, caller: ApiCaller, body: Body) -> Result<Response, ApiError> {
    let body: AdBody = crate::web::json::read(body, MAX_BODY_BYTES).await?;
    let new = NewMasterAd {
        name: required(name_of(body.name.as_deref())?, "name")?,
        rules: rules_of(&required(body.rules, "rules")?)?,
    };
    let created = cases::add_master_ad(state.store.as_ref(), caller.business, &new, &caller.author()).await?;
    Ok((StatusCode::CREATED, Json(ad_json(&created))).into_response())
}

async fn read_ad(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ad = cases::master_ad(state.store.as_ref(), business, id_of(&id)?).await?;
    Ok(Json(ad_json(&ad)).into_response())
}

async fn patch_ad(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let ad = cases::master_ad(store, caller.business, id_of(&id)?).await?;
    let body: AdBody = crate::web::json::read(body, MAX_BODY_BYTES).await?;
    let edit = NewMasterAd {
        name: name_of(body.name.as_deref())?.unwrap_or(ad.name),
        rules: match body.rules {
            Some(rules) => rules_of(&rules)?,
            None => ad.rules,
        },
    };
    let edited = cases::edit_master_ad(store, caller.business, ad.id, &edit, &caller.author()).await?;
    Ok(Json(ad_json(&edited)).into_response())
}

async fn delete_ad(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    cases::remove_master_ad(state.store.as_ref(), caller.business, id_of(&id)?, &caller.author()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    direction: String,
}

/// `POST /v1/master-ads/{id}/move`: one place sooner or later; answers the list in its new order.
async fn move_ad(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let body: MoveBody = crate::web::json::read(body, MAX_BODY_BYTES).await?;
    let direction = match body.direction.as_str() {
        "earlier" => Move::Earlier,
        "later" => Move::Later,
        other => {
            return Err(ApiError::BadRequest(format!(
                "direction: '{other}' is not earlier or later"
            )));
        }
    };
    let store = state.store.as_ref();
    cases::move_master_ad(store, caller.business, id, direction, &caller.author()).await?;
    list_ads(State(state.clone()), BusinessKey(caller.business)).await
}

async fn list_phrases(State(state): State<AppState>, BusinessKey(business): BusinessKey) -> Result<Response, ApiError> {
    let grouping = cases::ad_grouping(state.store.as_ref(), business).await?;
    Ok(Json(PhraseList {
        master_phrases: grouping.phrases.iter().map(phrase_json).collect(),
    })
    .into_response())
}

async fn create_phrase(State(state): State<AppState>, caller: ApiCaller, body: Body) -> Result<Response, ApiError> {
    let body: PhraseBody = crate::web::json::read(body, MAX_BODY_BYTES).await?;
    let new = NewMasterPhrase {
        name: required(name_of(body.name.as_deref())?, "name")?,
        variants: required(body.variants, "variants")?,
    };
    let created = cases::add_master_phrase(state.store.as_ref(), caller.business, &new, &caller.author()).await?;
    Ok((StatusCode::CREATED, Json(phrase_json(&created))).into_response())
}

async fn read_phrase(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let phrase = cases::master_phrase(state.store.as_ref(), business, id_of(&id)?).await?;
    Ok(Json(phrase_json(&phrase)).into_response())
}

async fn patch_phrase(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let phrase = cases::master_phrase(store, caller.business, id_of(&id)?).await?;
    let body: PhraseBody = crate::web::json::read(body, MAX_BODY_BYTES).await?;
    let edit = NewMasterPhrase {
        name: name_of(body.name.as_deref())?.unwrap_or(phrase.name),
        variants: body.variants.unwrap_or(phrase.variants),
    };
    let edited = cases::edit_master_phrase(store, caller.business, phrase.id, &edit, &caller.author()).await?;
    Ok(Json(phrase_json(&edited)).into_response())
}

async fn delete_phrase(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    cases::remove_master_phrase(state.store.as_ref(), caller.business, id_of(&id)?, &caller.author()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../../../../assets/openapi.json")).unwrap();
        for (path, _) in routes() {
            assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
        }
    }
}
