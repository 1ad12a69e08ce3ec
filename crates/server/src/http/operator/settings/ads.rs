//! Settings → Ads and keywords (owners): the master ads (ads and campaigns across platforms
//! counted as one, by rules on source, campaign and content, tried in order) and the master
//! phrases (keyword variants counted as one) that reports roll up by; and the forms that add
//! them. Each is changed or removed on its own page (`ad_edit`).

use super::ad_form::{AdForm, PhraseForm, describe};
use super::form::{Errors, OwnerForm, refused};
use crate::app::AppState;
use crate::app::adgroup::{ad_grouping, add_master_ad, add_master_phrase};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::lead::Author;

/// Where the page is.
pub const PATH: &str = "/app/settings/ads";
/// Where the phrase form posts, and the phrases' pages start.
pub const PHRASES: &str = "/app/settings/ads/phrases";

/// A master ad as listed.
struct AdRow {
    id: i64,
    name: String,
    rules: Vec<String>,
}

/// A master phrase as listed.
struct PhraseRow {
    id: i64,
    name: String,
    variants: String,
}

#[derive(Template)]
#[template(path = "settings_ads.html")]
struct AdsPage {
    header: Header,
    csrf: String,
    ads: Vec<AdRow>,
    phrases: Vec<PhraseRow>,
    ad_form: AdForm,
    phrase_form: PhraseForm,
    /// Why the master ad form was refused, by field.
    ad_errors: Errors,
    /// Why the master phrase form was refused, by field.
    phrase_errors: Errors,
}

async fn page(
    state: &AppState,
    owner: &Owner,
    ad_form: AdForm,
    phrase_form: PhraseForm,
    ad_errors: Errors,
    phrase_errors: Errors,
) -> Result<Response, ApiError> {
    let grouping = ad_grouping(state.store.as_ref(), owner.0.business).await?;
    Ok(render(&AdsPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        ads: grouping
            .ads
            .iter()
            .map(|ad| AdRow {
                id: ad.id,
                name: ad.name.to_string(),
                rules: ad.rules.iter().map(describe).collect(),
            })
            .collect(),
        phrases: grouping
            .phrases
            .iter()
            .map(|p| PhraseRow {
                id: p.id,
                name: p.name.to_string(),
                variants: p.variants.join(", "),
            })
            .collect(),
        ad_form,
        phrase_form,
        ad_errors,
        phrase_errors,
    }))
}

/// `GET /app/settings/ads`.
pub async fn show(State(state): State<AppState>, owner: Owner) -> Result<Response, ApiError> {
    page(
        &state,
        &owner,
        AdForm::empty(),
        PhraseForm::default(),
        Errors::default(),
        Errors::default(),
    )
    .await
}

/// `POST /app/settings/ads`: adds a master ad; bad input shows the form again (400) with the
/// reasons next to their fields, and nothing is written.
pub async fn add_ad(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let form = AdForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(new) = form.parse(&mut errors) {
        let author = Author::user(&owner.0.user.email);
        match add_master_ad(state.store.as_ref(), owner.0.business, &new, &author).await {
            Ok(_) => return Ok(Redirect::to(PATH).into_response()),
            Err(e) => errors.refusal("name", e)?,
        }
    }
    let page = page(&state, &owner, form, PhraseForm::default(), errors, Errors::default()).await?;
    Ok(refused(page))
}

/// `POST /app/settings/ads/phrases`: adds a master phrase; bad input (or a variant another
/// phrase has) shows the form again (400) with the reasons, and nothing is written.
pub async fn add_phrase(
    State(state): State<AppState>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let form = PhraseForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(new) = form.parse(&mut errors) {
        let author = Author::user(&owner.0.user.email);
        match add_master_phrase(state.store.as_ref(), owner.0.business, &new, &author).await {
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
    let page = page(&state, &owner, AdForm::empty(), form, Errors::default(), errors).await?;
    Ok(refused(page))
}
