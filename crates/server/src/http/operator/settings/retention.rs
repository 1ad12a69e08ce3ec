//! `/app/settings/retention`: how long the business keeps visits, calls, recordings, forms,
//! delivered events and the audit log. Owners only; changes go through `app::retention`.

use super::form::{Errors, OwnerForm, refused, saved};
use crate::app::AppState;
use crate::app::retention::set_retention;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::retention::{Pruned, Retention};

/// The page's path.
pub const PATH: &str = "/app/settings/retention";

/// One period as the form shows it.
struct Period {
    field: &'static str,
    label: &'static str,
    days: String,
    floor: u32,
}

#[derive(Template)]
#[template(path = "settings_retention.html")]
struct RetentionPage {
    header: Header,
    csrf: String,
    periods: Vec<Period>,
    errors: Errors,
    saved: bool,
}

const KINDS: [(Pruned, &str, &str); 6] = [
    (
        Pruned::Visits,
        "visits_days",
        "Visits (with their page views and clicks)",
    ),
    (
        Pruned::Calls,
        "calls_days",
        "Calls (a lead left with no call, form or sale goes too)",
    ),
    (
        Pruned::Recordings,
        "recordings_days",
        "Call recordings (deleted at the provider)",
    ),
    (Pruned::Forms, "forms_days", "Form submissions and their files"),
    (Pruned::Events, "events_days", "Events delivered to every integration"),
    (Pruned::Audit, "audit_days", "Audit log entries (who changed what)"),
];

fn periods(days: impl Fn(Pruned, &str) -> String) -> Vec<Period> {
    KINDS
        .iter()
        .map(|(kind, field, label)| Period {
            field,
            label,
            days: days(*kind, field),
            floor: kind.floor_days(),
        })
        .collect()
}

async fn page(
    state: &AppState,
    owner: &Owner,
    periods: Vec<Period>,
    errors: Errors,
    saved: bool,
) -> Result<Response, ApiError> {
    Ok(render(&RetentionPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        periods,
        errors,
        saved,
    }))
}

/// `GET /app/settings/retention` (`?saved=1` after a change).
pub async fn show(
    State(state): State<AppState>,
    owner: Owner,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let retention = state.store.retention(owner.0.business).await?;
    let saved = saved(&query);
    let shown = periods(|kind, _| retention.days(kind).to_string());
    page(&state, &owner, shown, Errors::default(), saved).await
}

/// `POST /app/settings/retention`: bad input changes nothing and says why next to the field.
pub async fn edit(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let typed = periods(|_, field| fields.get(field).to_owned());
    let mut errors = Errors::default();
    let mut days = [0u32; 6];
    for (slot, period) in days.iter_mut().zip(&typed) {
        match period.days.trim().parse::<u32>() {
            Ok(n) if n >= period.floor && n <= Pruned::MAX_DAYS => *slot = n,
            _ => errors.add(
                period.field,
                format!(
                    "'{}': keep for {} to {} days",
                    period.days,
                    period.floor,
                    Pruned::MAX_DAYS
                ),
            ),
        }
    }
    if errors.is_empty() {
        let [
            visits_days,
            calls_days,
            recordings_days,
            forms_days,
            events_days,
            audit_days,
        ] = days;
        let retention = Retention {
            visits_days,
            calls_days,
            recordings_days,
            forms_days,
            events_days,
            audit_days,
        };
        match set_retention(state.store.as_ref(), owner.0.business, &retention, &owner.0.author()).await {
            Ok(()) => return Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response()),
            Err(e) => errors.refusal("visits_days", e)?,
        }
    }
    Ok(refused(page(&state, &owner, typed, errors, false).await?))
}
