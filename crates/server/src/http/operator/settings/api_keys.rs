//! `/app/settings/api-keys`: the business's API keys, issuing one (the key is on the answer
//! page once, never again) and revoking one. Changes go through `app::access`.

use super::form::OwnerForm;
use crate::app::{AppError, AppState, access};
use crate::http::operator::session::{Operator, Owner};
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::ApiKeyId;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::tenant::ApiKey;

#[derive(Template)]
#[template(path = "settings_api_keys.html")]
struct KeysPage {
    header: Header,
    keys: Vec<ApiKey>,
    /// The name typed, and why it was refused.
    name: String,
    name_error: Option<String>,
    /// A key just issued: its name and the key itself, shown on this answer only.
    issued: Option<(String, String)>,
}

async fn page(
    state: &AppState,
    owner: &Operator,
    status: StatusCode,
    name: (String, Option<String>),
    issued: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let page = KeysPage {
        header: Header::of(state, owner, Section::Settings).await?,
        keys: state.store.list_api_keys(owner.business).await?,
        name: name.0,
        name_error: name.1,
        issued,
    };
    let mut response = (status, render(&page)).into_response();
    if page.issued.is_some() {
        // The key is on this answer only: no cache keeps it.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// `GET /app/settings/api-keys`.
pub async fn list(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    page(&state, &owner, StatusCode::OK, (String::new(), None), None).await
}

/// `POST /app/settings/api-keys`: issues a key and shows it, once.
pub async fn create(
    State(state): State<AppState>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Response, ApiError> {
    let typed = fields.get("name").to_owned();
    let name = match Name::parse_as("API key name", &typed) {
        Ok(name) => name,
        Err(e) => {
            return page(&state, &owner, StatusCode::BAD_REQUEST, (typed, Some(e.reason)), None).await;
        }
    };
    let author = Author::user(&owner.user.email);
    match access::create_api_key(state.store.as_ref(), owner.business, &name, &author).await {
        Ok((created, key)) => {
            let issued = Some((created.name.to_string(), key.expose().to_owned()));
            page(&state, &owner, StatusCode::OK, (String::new(), None), issued).await
        }
        Err(AppError::Conflict(why) | AppError::Invalid(why)) => {
            page(&state, &owner, StatusCode::CONFLICT, (typed, Some(why)), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /app/settings/api-keys/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OwnerForm(Owner(owner), _): OwnerForm,
) -> Result<Response, ApiError> {
    let id = id.parse().map(ApiKeyId).map_err(|_| ApiError::NotFound)?;
    let author = Author::user(&owner.user.email);
    access::revoke_api_key(state.store.as_ref(), owner.business, id, &author).await?;
    Ok(Redirect::to("/app/settings/api-keys").into_response())
}
