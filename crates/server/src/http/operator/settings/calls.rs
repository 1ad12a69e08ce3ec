//! `/app/settings/sites/{id}/calls`: what a site's callers hear (greeting, recording
//! disclosure, in the site's language and voice), its business hours and holidays, and what
//! happens to a call outside them.

use super::calls_form::CallsForm;
use super::form::{Errors, OwnerForm, refused, saved};
use super::sites::own_site;
use crate::app::AppState;
use crate::app::setup::sites::set_call_handling;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::call_handling::{DEFAULT_CLOSED, DEFAULT_DISCLOSURE, DEFAULT_GREETING, DEFAULT_VOICEMAIL};
use leadline_core::tenant::Site;

#[derive(Template)]
#[template(path = "settings_calls.html")]
struct CallsPage {
    header: Header,
    csrf: String,
    id: i64,
    site_name: String,
    timezone: String,
    record_calls: bool,
    form: CallsForm,
    errors: Errors,
    saved: bool,
    defaults: Defaults,
}

/// The sentences callers hear where the site wrote none, shown beside each field.
struct Defaults {
    greeting: &'static str,
    disclosure: &'static str,
    voicemail: &'static str,
    closed: &'static str,
}

const DEFAULTS: Defaults = Defaults {
    greeting: DEFAULT_GREETING,
    disclosure: DEFAULT_DISCLOSURE,
    voicemail: DEFAULT_VOICEMAIL,
    closed: DEFAULT_CLOSED,
};

async fn page(
    state: &AppState,
    owner: &Owner,
    site: &Site,
    form: CallsForm,
    errors: Errors,
    saved: bool,
) -> Result<Response, ApiError> {
    Ok(render(&CallsPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        id: site.id.0,
        site_name: site.name.to_string(),
        timezone: site.timezone.name().to_owned(),
        record_calls: site.settings.record_calls,
        form,
        errors,
        saved,
        defaults: DEFAULTS,
    }))
}

/// `GET /app/settings/sites/{id}/calls` (`?saved=1` after a change).
pub async fn show(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let saved = saved(&query);
    let form = CallsForm::of(&site.settings.calls);
    page(&state, &owner, &site, form, Errors::default(), saved).await
}

/// `POST /app/settings/sites/{id}/calls`: sets the site's call handling; bad input changes
/// nothing and shows every reason.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let form = CallsForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(handling) = form.parse(&mut errors) {
        match set_call_handling(
            state.store.as_ref(),
            owner.0.business,
            site.id,
            handling,
            &owner.0.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/app/settings/sites/{id}/calls?saved=1")).into_response()),
            Err(e) => errors.refusal("monday", e)?,
        }
    }
    Ok(refused(page(&state, &owner, &site, form, errors, false).await?))
}
