//! `/app/settings/ads/{id}` and `/app/settings/ads/phrases/{id}`: one master ad (its name
//! and rules; it keeps its place in the order) or one master phrase (its name and variants),
//! changed or removed. Another business's id is 404.

use super::ad_form::{AdForm, PhraseForm};
use super::ads::PATH;
use super::form::{Errors, OwnerForm, refused};
use crate::app::AppState;
use crate::app::adgroup as cases;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::lead::Author;
use leadline_core::routing::Move;

#[derive(Template)]
#[template(path = "settings_ad.html")]
struct AdPage {
    header: Header,
    csrf: String,
    id: i64,
    /// The master ad's name as stored (the form may hold a refused one).
    title: String,
    ad_form: AdForm,
    ad_errors: Errors,
}

#[derive(Template)]
#[template(path = "settings_phrase.html")]
struct PhrasePage {
    header: Header,
    csrf: String,
    id: i64,
    title: String,
    phrase_form: PhraseForm,
    phrase_errors: Errors,
}

fn id_of(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound)
}

fn author(owner: &Owner) -> Author {
    Author::user(&owner.0.user.email)
}

async fn ad_page(
    state: &AppState,
    owner: &Owner,
    id: i64,
    title: String,
    ad_form: AdForm,
    errors: Errors,
) -> Result<Response, ApiError> {
    Ok(render(&AdPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        id,
        title,
        ad_form,
        ad_errors: errors,
    }))
}

async fn phrase_page(
    state: &AppState,
    owner: &Owner,
    id: i64,
    title: String,
    phrase_form: PhraseForm,
    errors: Errors,
) -> Result<Response, ApiError> {
    Ok(render(&PhrasePage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        id,
        title,
        phrase_form,
        phrase_errors: errors,
    }))
}

/// `GET /app/settings/ads/{id}`: the form filled with the master ad's name and rules.
pub async fn show_ad(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ad = cases::master_ad(state.store.as_ref(), owner.0.business, id_of(&id)?).await?;
    ad_page(
        &state,
        &owner,
        ad.id,
        ad.name.to_string(),
        AdForm::of(&ad),
        Errors::default(),
    )
    .await
}

/// `POST /app/settings/ads/{id}`: saves it; bad input shows the form again (400) with the
/// reasons next to their fields and changes nothing.
pub async fn edit_ad(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let ad = cases::master_ad(store, owner.0.business, id_of(&id)?).await?;
    let form = AdForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(edit) = form.parse(&mut errors) {
        match cases::edit_master_ad(store, owner.0.business, ad.id, &edit, &author(&owner)).await {
            Ok(_) => return Ok(Redirect::to(PATH).into_response()),
            Err(e) => errors.refusal("name", e)?,
        }
    }
    Ok(refused(
        ad_page(&state, &owner, ad.id, ad.name.to_string(), form, errors).await?,
    ))
}

/// `POST /app/settings/ads/{id}/remove`: its ads are reported on their own again.
pub async fn remove_ad(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    cases::remove_master_ad(state.store.as_ref(), owner.0.business, id_of(&id)?, &author(&owner)).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// `POST /app/settings/ads/{id}/move`: `direction` `earlier` or `later`, one place in the
/// order master ads are tried.
pub async fn move_ad(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let direction = match fields.get("direction") {
        "earlier" => Move::Earlier,
        "later" => Move::Later,
        other => {
            return Err(ApiError::BadRequest(format!(
                "direction: '{other}' is not earlier or later"
            )));
        }
    };
    cases::move_master_ad(
        state.store.as_ref(),
        owner.0.business,
        id_of(&id)?,
        direction,
        &author(&owner),
    )
    .await?;
    Ok(Redirect::to(PATH).into_response())
}

/// `GET /app/settings/ads/phrases/{id}`: the form filled with the phrase's name and variants.
pub async fn show_phrase(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let phrase = cases::master_phrase(state.store.as_ref(), owner.0.business, id_of(&id)?).await?;
    let form = PhraseForm::of(&phrase);
    phrase_page(
        &state,
        &owner,
        phrase.id,
        phrase.name.to_string(),
        form,
        Errors::default(),
    )
    .await
}

/// `POST /app/settings/ads/phrases/{id}`: saves it; bad input (or a variant another phrase
/// has) shows the form again (400) with the reasons and changes nothing.
pub async fn edit_phrase(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let phrase = cases::master_phrase(store, owner.0.business, id_of(&id)?).await?;
    let form = PhraseForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(edit) = form.parse(&mut errors) {
        match cases::edit_master_phrase(store, owner.0.business, phrase.id, &edit, &author(&owner)).await {
            Ok(_) => return Ok(Redirect::to(PATH).into_response()),
            Err(e) => {
                let field = if e.to_string().contains("variant") {
                    "variants"
                } else {
                    "name"
                };
                errors.refusal(field, e)?;
            }
        }
    }
    Ok(refused(
        phrase_page(&state, &owner, phrase.id, phrase.name.to_string(), form, errors).await?,
    ))
}

/// `POST /app/settings/ads/phrases/{id}/remove`: its variants are reported on their own again.
pub async fn remove_phrase(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    cases::remove_master_phrase(state.store.as_ref(), owner.0.business, id_of(&id)?, &author(&owner)).await?;
    Ok(Redirect::to(PATH).into_response())
}
