//! Settings → Integrations (owners): the business's integrations, each tried with a sample
//! event, turned on or off and removed here; the forms that add one of each kind; and the
//! latest deliveries with what went wrong, a failed one sent again with a button.

use super::super::session::{Operator, Owner};
use super::super::shell::{Header, Section, local_time};
use super::super::view::render;
use super::form::{OwnerForm, refused};
use super::integration_form::{AddForm, KindView};
use crate::app::integrations;
use crate::app::{AppError, AppState};
use crate::outbox::trial::{Trial, try_integration};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
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
    /// Where it delivers, without secrets.
    target: String,
    enabled: bool,
    /// Whether "Send a test" is offered (not for post-call prompts).
    testable: bool,
}

/// What the page says above the list after an action.
enum Notice {
    /// An integration was added; a generated webhook secret is shown this once.
    Added { name: String, secret: Option<String> },
    /// An integration was tried.
    Tried(Trial),
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
    notice: Option<Notice>,
    forms: Vec<KindView>,
    /// The business's sites: (id, name).
    sites: Vec<(i64, String)>,
}

/// `GET /app/settings/integrations`.
pub async fn show(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    page(&state, &owner, AddForm::default(), None).await
}

async fn page(state: &AppState, owner: &Operator, form: AddForm, notice: Option<Notice>) -> Result<Response, ApiError> {
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
            target: integrations::describe(&i.config),
            enabled: i.enabled,
            testable: !matches!(i.config.kind(), "operator_prompt" | "alerts"),
        })
        .collect();
    Ok(render(&IntegrationsPage {
        header: Header::of(state, owner, Section::Settings).await?,
        csrf: owner.csrf.clone(),
        integrations,
        deliveries,
        notice,
        forms: form.views(),
        sites: sites.iter().map(|s| (s.id.0, s.name.to_string())).collect(),
    }))
}

/// `POST /app/settings/integrations`: adds an integration of the posted kind; bad input gets
/// the form back with the reason next to the field, and nothing is added.
pub async fn add(
    State(state): State<AppState>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Response, ApiError> {
    let mut form = AddForm::posted(fields);
    if let Some((name, site, target)) = form.parse() {
        match integrations::add(
            state.store.as_ref(),
            owner.business,
            &name,
            site,
            target,
            &owner.author(),
        )
        .await
        {
            Ok((created, secret)) => {
                let notice = Notice::Added {
                    name: created.name,
                    secret,
                };
                return page(&state, &owner, AddForm::default(), Some(notice)).await;
            }
            Err(AppError::NotFound) => form.errors.add("site", "choose a site of this business"),
            Err(AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why)) => form.refuse(&why),
            Err(other) => return Err(other.into()),
        }
    }
    Ok(refused(page(&state, &owner, form, None).await?))
}

/// `POST /app/settings/integrations/{id}/test`: sends a sample now and shows the answer.
pub async fn try_now(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), _): OwnerForm,
) -> Result<Response, ApiError> {
    let id = IntegrationId(id);
    let trial = try_integration(state.store.as_ref(), owner.business, id, state.reach).await?;
    page(&state, &owner, AddForm::default(), Some(Notice::Tried(trial))).await
}

/// `POST /app/settings/integrations/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), _): OwnerForm,
) -> Result<Redirect, ApiError> {
    integrations::remove(state.store.as_ref(), owner.business, IntegrationId(id), &owner.author()).await?;
    Ok(Redirect::to(PATH))
}

/// `POST /app/settings/integrations/{id}/enabled`.
pub async fn switch(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Redirect, ApiError> {
    // `enabled`: `on` or `off`.
    let enabled = match fields.get("enabled") {
        "on" => true,
        "off" => false,
        other => return Err(ApiError::BadRequest(format!("enabled: '{other}' is not on or off"))),
    };
    integrations::set_enabled(
        state.store.as_ref(),
        owner.business,
        IntegrationId(id),
        enabled,
        &owner.author(),
    )
    .await?;
    Ok(Redirect::to(PATH))
}

/// `POST /app/settings/deliveries/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), _): OwnerForm,
) -> Result<Redirect, ApiError> {
    integrations::retry_delivery(state.store.as_ref(), Some(owner.business), id, &owner.author()).await?;
    Ok(Redirect::to(&format!("{PATH}#deliveries")))
}
