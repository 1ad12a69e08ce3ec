//! Settings → Integrations → one integration (owners): its settings changed in place, its kind
//! kept; secrets are never shown, and one left empty is kept.

use super::super::session::{Operator, Owner};
use super::super::shell::{Header, Section};
use super::super::view::render;
use super::form::{OwnerForm, refused};
use super::integration_form::{AddForm, KindView};
use super::integrations::PATH;
use crate::app::integrations;
use crate::app::{AppError, AppState};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::outbox::{Integration, IntegrationId};

#[derive(Template)]
#[template(path = "settings_integration.html")]
struct IntegrationPage {
    header: Header,
    csrf: String,
    id: i64,
    name: String,
    k: KindView,
    /// The business's sites: (id, name).
    sites: Vec<(i64, String)>,
}

/// The business's integration `id`, unless it is a post-call prompt (a site's setting) or the
/// members' alerts (each member's own setting): neither has settings of its own to edit.
async fn own(state: &AppState, owner: &Operator, id: i64) -> Result<Integration, ApiError> {
    state
        .store
        .integrations(owner.business)
        .await?
        .into_iter()
        .find(|i| i.id == IntegrationId(id) && !matches!(i.config.kind(), "operator_prompt" | "alerts"))
        .ok_or(ApiError::NotFound)
}

async fn page(
    state: &AppState,
    owner: &Operator,
    integration: &Integration,
    form: &AddForm,
) -> Result<Response, ApiError> {
    let k = form.editing().ok_or(ApiError::NotFound)?;
    let sites = state.store.list_sites(owner.business).await?;
    Ok(render(&IntegrationPage {
        header: Header::of(state, owner, Section::Settings).await?,
        csrf: owner.csrf.clone(),
        id: integration.id.0,
        name: integration.name.clone(),
        k,
        sites: sites.iter().map(|s| (s.id.0, s.name.to_string())).collect(),
    }))
}

/// `GET /app/settings/integrations/{id}`: the form filled with its settings.
pub async fn show(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let integration = own(&state, &owner, id).await?;
    page(&state, &owner, &integration, &AddForm::of(&integration)).await
}

/// `POST /app/settings/integrations/{id}`: changes it; bad input gets the form back with the
/// reason next to the field, and nothing changes.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Response, ApiError> {
    let integration = own(&state, &owner, id).await?;
    let mut form = AddForm::posted(fields);
    if form.kind != integration.config.kind() {
        return Err(ApiError::BadRequest(format!(
            "kind: this integration is {}, not '{}'",
            integration.config.kind(),
            form.kind
        )));
    }
    if let Some((name, site, target)) = form.parse() {
        let store = state.store.as_ref();
        match integrations::edit(
            store,
            owner.business,
            integration.id,
            &name,
            site,
            target,
            &owner.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(PATH).into_response()),
            Err(AppError::NotFound) => form.errors.add("site", "choose a site of this business"),
            Err(AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why)) => form.refuse(&why),
            Err(other) => return Err(other.into()),
        }
    }
    Ok(refused(page(&state, &owner, &integration, &form).await?))
}
