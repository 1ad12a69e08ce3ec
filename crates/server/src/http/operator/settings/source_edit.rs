//! `/app/settings/sources/{key}`: one offline source, changed (name, partner's domain, UTM
//! fields) or removed. Its key, so its printed link and QR code, never changes.

use super::form::{Errors, Fields, OwnerForm, refused};
use super::sources::PATH;
use crate::app::AppState;
use crate::app::sources::{edit_source, own_source, remove_source};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::http::sources::source_url;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::source::{Source, SourceEdit, SourceKey, SourceUtm};

/// The edit form as typed.
struct SourceForm {
    name: String,
    domain: String,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
}

impl SourceForm {
    fn of(source: &Source) -> Self {
        Self {
            name: source.name.to_string(),
            domain: source.domain.as_ref().map(ToString::to_string).unwrap_or_default(),
            utm_source: source.utm.source.clone(),
            utm_medium: source.utm.medium.clone(),
            utm_campaign: source.utm.campaign.clone().unwrap_or_default(),
        }
    }

    fn posted(fields: &Fields) -> Self {
        Self {
            name: fields.get("name").to_owned(),
            domain: fields.get("domain").to_owned(),
            utm_source: fields.get("utm_source").to_owned(),
            utm_medium: fields.get("utm_medium").to_owned(),
            utm_campaign: fields.get("utm_campaign").to_owned(),
        }
    }

    /// The edit the form describes (the source's term and content stay), or `None` with
    /// every field's reason in `errors`.
    fn edit(&self, source: &Source, errors: &mut Errors) -> Option<SourceEdit> {
        let name = errors.take("name", Name::parse_as("name", &self.name));
        let domain = match self.domain.as_str() {
            "" => Some(None),
            text => errors.take("domain", DomainName::parse(text)).map(Some),
        };
        let utm = SourceUtm {
            source: self.utm_source.clone(),
            medium: self.utm_medium.clone(),
            campaign: Some(self.utm_campaign.clone()).filter(|c| !c.is_empty()),
            term: source.utm.term.clone(),
            content: source.utm.content.clone(),
        };
        let utm = errors.take("utm", utm.validate().map(|()| utm));
        Some(SourceEdit {
            name: name?,
            domain: domain?,
            utm: utm?,
        })
    }
}

#[derive(Template)]
#[template(path = "settings_source.html")]
struct SourcePage {
    header: Header,
    csrf: String,
    key: String,
    /// The source's name as stored (the form may hold a refused one).
    title: String,
    link: String,
    code: String,
    form: SourceForm,
    errors: Errors,
}

async fn own(state: &AppState, owner: &Owner, key: &str) -> Result<Source, ApiError> {
    let key = SourceKey::parse(key).map_err(|_| ApiError::NotFound)?;
    Ok(own_source(state.store.as_ref(), owner.0.business, &key).await?)
}

async fn page(
    state: &AppState,
    owner: &Owner,
    source: &Source,
    form: SourceForm,
    errors: Errors,
) -> Result<Response, ApiError> {
    Ok(render(&SourcePage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        key: source.key.to_string(),
        title: source.name.to_string(),
        link: source_url(&state.base_url, &source.key),
        code: source.reserved_code.map(|c| c.to_string()).unwrap_or_default(),
        form,
        errors,
    }))
}

/// `GET /app/settings/sources/{key}`: the form filled with the source's values.
pub async fn show(State(state): State<AppState>, owner: Owner, Path(key): Path<String>) -> Result<Response, ApiError> {
    let source = own(&state, &owner, &key).await?;
    page(&state, &owner, &source, SourceForm::of(&source), Errors::default()).await
}

/// `POST /app/settings/sources/{key}`: saves it; bad input shows the form again with each
/// reason next to its field and changes nothing.
pub async fn edit(
    State(state): State<AppState>,
    Path(key): Path<String>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let source = own(&state, &owner, &key).await?;
    let form = SourceForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(edit) = form.edit(&source, &mut errors) {
        match edit_source(
            state.store.as_ref(),
            owner.0.business,
            &source.key,
            &edit,
            &owner.0.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(PATH).into_response()),
            Err(e) => errors.refusal("utm", e)?,
        }
    }
    Ok(refused(page(&state, &owner, &source, form, errors).await?))
}

/// `POST /app/settings/sources/{key}/remove`: its link and QR code answer 404 from now on,
/// its reserved code goes back to the pool; the calls it brought keep their source.
pub async fn remove(
    State(state): State<AppState>,
    Path(key): Path<String>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    let key = SourceKey::parse(&key).map_err(|_| ApiError::NotFound)?;
    remove_source(state.store.as_ref(), owner.0.business, &key, &owner.0.author()).await?;
    Ok(Redirect::to(PATH).into_response())
}
