//! `/app/settings/destinations`: the phones calls are forwarded to, with their departments
//! and operators; added, edited, disabled (never rung) and removed.

use super::form::{Errors, Fields, OwnerForm, refused};
use crate::app::AppState;
use crate::app::setup::destinations::{
    add_destination, edit_destination, remove_destination, set_destination_disabled,
};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::names::Name;
use leadline_core::tenant::{Destination, NewDestination};
use leadline_core::{DestinationId, E164, UserId};

/// A destination as a row of the list.
struct Row {
    id: i64,
    name: String,
    number: String,
    department: String,
    disabled: bool,
}

/// A user who may answer a destination, as an option.
struct UserChoice {
    id: i64,
    name: String,
    chosen: bool,
}

/// The destination form as typed.
#[derive(Default)]
struct DestinationForm {
    name: String,
    number: String,
    department: String,
    user: String,
}

#[derive(Template)]
#[template(path = "settings_destinations.html")]
struct DestinationsPage {
    header: Header,
    csrf: String,
    destinations: Vec<Row>,
    /// `Some(id)` on a destination's own page.
    editing: Option<i64>,
    form: DestinationForm,
    users: Vec<UserChoice>,
    errors: Errors,
}

async fn page(
    state: &AppState,
    owner: &Owner,
    editing: Option<i64>,
    form: DestinationForm,
    errors: Errors,
) -> Result<Response, ApiError> {
    let business = owner.0.business;
    let destinations = state
        .store
        .list_destinations(business)
        .await?
        .into_iter()
        .map(|d| Row {
            id: d.id.0,
            name: d.name.to_string(),
            number: d.number.to_string(),
            department: d.department.map(|n| n.to_string()).unwrap_or_default(),
            disabled: d.disabled,
        })
        .collect();
    let users = state
        .store
        .list_users(business)
        .await?
        .into_iter()
        .map(|u| UserChoice {
            id: u.id.0,
            chosen: form.user == u.id.0.to_string(),
            name: format!("{} ({})", u.name, u.email),
        })
        .collect();
    Ok(render(&DestinationsPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        destinations,
        editing,
        form,
        users,
        errors,
    }))
}

/// The destination the form describes, or `None` with the reasons in `errors`.
fn parse(owner: &Owner, form: &DestinationForm, errors: &mut Errors) -> Option<NewDestination> {
    let name = errors.take("name", Name::parse_as("destination name", &form.name));
    let number = errors.take("number", E164::parse(&form.number));
    let department = match form.department.as_str() {
        "" => Some(None),
        given => errors.take("department", Name::parse_as("department", given)).map(Some),
    };
    let user_id = match form.user.as_str() {
        "" => Some(None),
        given => errors.take("user", given.parse().map(|id| Some(UserId(id)))),
    };
    Some(NewDestination {
        business_id: owner.0.business,
        name: name?,
        number: number?,
        department: department?,
        user_id: user_id?,
    })
}

fn posted(fields: &Fields) -> DestinationForm {
    DestinationForm {
        name: fields.get("name").to_owned(),
        number: fields.get("number").to_owned(),
        department: fields.get("department").to_owned(),
        user: fields.get("user").to_owned(),
    }
}

/// A use case's refusal of the form: an unknown user is the user field's, a taken number
/// the number field's.
fn refusal(errors: &mut Errors, error: crate::app::AppError) -> Result<(), ApiError> {
    match error {
        crate::app::AppError::NotFound => {
            errors.add("user", "choose a user of this business");
            Ok(())
        }
        other => errors.refusal("number", other),
    }
}

/// `GET /app/settings/destinations`.
pub async fn list(State(state): State<AppState>, owner: Owner) -> Result<Response, ApiError> {
    page(&state, &owner, None, DestinationForm::default(), Errors::default()).await
}

/// `POST /app/settings/destinations`: adds a destination.
pub async fn add(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let form = posted(&fields);
    let mut errors = Errors::default();
    if let Some(new) = parse(&owner, &form, &mut errors) {
        match add_destination(state.store.as_ref(), &new, &owner.0.author()).await {
            Ok(_) => return Ok(Redirect::to("/app/settings/destinations").into_response()),
            Err(e) => refusal(&mut errors, e)?,
        }
    }
    Ok(refused(page(&state, &owner, None, form, errors).await?))
}

async fn own(state: &AppState, owner: &Owner, id: i64) -> Result<Destination, ApiError> {
    let all = state.store.list_destinations(owner.0.business).await?;
    all.into_iter()
        .find(|d| d.id == DestinationId(id))
        .ok_or(ApiError::NotFound)
}

/// `GET /app/settings/destinations/{id}`: the list, with the form editing this one.
pub async fn show(State(state): State<AppState>, owner: Owner, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let d = own(&state, &owner, id).await?;
    let form = DestinationForm {
        name: d.name.to_string(),
        number: d.number.to_string(),
        department: d.department.map(|n| n.to_string()).unwrap_or_default(),
        user: d.user_id.map(|u| u.0.to_string()).unwrap_or_default(),
    };
    page(&state, &owner, Some(id), form, Errors::default()).await
}

/// `POST /app/settings/destinations/{id}`: changes it; bad input changes nothing.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let d = own(&state, &owner, id).await?;
    let form = posted(&fields);
    let mut errors = Errors::default();
    if let Some(edit) = parse(&owner, &form, &mut errors) {
        match edit_destination(state.store.as_ref(), d.id, &edit, &owner.0.author()).await {
            Ok(_) => return Ok(Redirect::to("/app/settings/destinations").into_response()),
            Err(e) => refusal(&mut errors, e)?,
        }
    }
    Ok(refused(page(&state, &owner, Some(id), form, errors).await?))
}

/// `POST /app/settings/destinations/{id}/disable`: `disabled=1` stops it ringing, `0`
/// rings it again.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let disabled = fields.get("disabled") == "1";
    set_destination_disabled(
        state.store.as_ref(),
        owner.0.business,
        DestinationId(id),
        disabled,
        &owner.0.author(),
    )
    .await?;
    Ok(Redirect::to("/app/settings/destinations").into_response())
}

/// `POST /app/settings/destinations/{id}/remove`: never rung, no longer listed, its calls kept.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    remove_destination(
        state.store.as_ref(),
        owner.0.business,
        DestinationId(id),
        &owner.0.author(),
    )
    .await?;
    Ok(Redirect::to("/app/settings/destinations").into_response())
}
