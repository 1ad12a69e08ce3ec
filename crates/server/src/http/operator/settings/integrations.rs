//! Settings → Integrations (owners): the business's integrations, each turned on or off here,
//! and their latest deliveries with what went wrong, a failed one sent again with a button.
//! Adding an integration, with its kind's settings, is `leadline integration add`.

use super::super::session::Owner;
use super::super::shell::{Header, Section, local_time};
use super::super::view::render;
use crate::app::{AppState, integrations};
use crate::web::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use leadline_core::outbox::{DeliveryStatus, IntegrationId};

/// Where the page is.
pub const PATH: &str = "/app/settings/integrations";
/// How many of the latest deliveries the page lists.
const LATEST: u32 = 30;

struct IntegrationRow {
    id: i64,
    name: String,
    kind: &'static str,
    site: String,
    enabled: bool,
}

struct DeliveryRow {
    id: i64,
    time: String,
    integration: String,
    event: &'static str,
    status: &'static str,
    attempts: u32,
    error: String,
    /// Whether the retry button is offered (dead, or waiting after a failure).
    retryable: bool,
}

#[derive(Template)]
#[template(path = "settings_integrations.html")]
struct IntegrationsPage {
    header: Header,
    csrf: String,
    integrations: Vec<IntegrationRow>,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /app/settings/integrations`.
pub async fn show(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    let business = owner.business;
    let sites = state.store.list_sites(business).await?;
    let site = sites.first();
    let all = state.store.integrations(business).await?;
    let name_of = |id: IntegrationId| {
        all.iter()
            .find(|i| i.id == id)
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let deliveries = state
        .store
        .list_deliveries(Some(business), None, LATEST)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            time: local_time(d.created_at, site),
            integration: name_of(d.integration_id),
            event: d.event_kind.as_str(),
            status: d.status.as_str(),
            attempts: d.attempts,
            retryable: d.status == DeliveryStatus::Dead
                || (d.status == DeliveryStatus::Pending && d.last_error.is_some()),
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let integrations = all
        .iter()
        .map(|i| IntegrationRow {
            id: i.id.0,
            name: i.name.clone(),
            kind: i.config.kind(),
            site: i
                .site_id
                .and_then(|id| sites.iter().find(|s| s.id == id))
                .map_or_else(|| "every site".to_owned(), |s| s.name.to_string()),
            enabled: i.enabled,
        })
        .collect();
    Ok(render(&IntegrationsPage {
        header: Header::of(&state, &owner, Section::Settings).await?,
        csrf: owner.csrf.clone(),
        integrations,
        deliveries,
    }))
}

/// The on/off form.
#[derive(serde::Deserialize)]
pub struct Switch {
    #[serde(default)]
    csrf: String,
    /// `on` or `off`.
    enabled: String,
}

/// `POST /app/settings/integrations/{id}/enabled`.
pub async fn switch(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Switch>,
) -> Result<Redirect, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let enabled = match form.enabled.as_str() {
        "on" => true,
        "off" => false,
        other => return Err(ApiError::BadRequest(format!("enabled: '{other}' is not on or off"))),
    };
    integrations::set_enabled(state.store.as_ref(), owner.business, IntegrationId(id), enabled).await?;
    Ok(Redirect::to(PATH))
}

/// The retry form.
#[derive(serde::Deserialize)]
pub struct Retry {
    #[serde(default)]
    csrf: String,
}

/// `POST /app/settings/deliveries/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Retry>,
) -> Result<Redirect, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    integrations::retry_delivery(state.store.as_ref(), Some(owner.business), id).await?;
    Ok(Redirect::to(&format!("{PATH}#deliveries")))
}
