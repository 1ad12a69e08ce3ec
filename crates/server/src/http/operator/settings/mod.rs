//! Settings, for the business's owners only (anyone else gets 404): an overview of what the
//! business has set up (sites, numbers, destinations, users, API keys, integrations), and the
//! pages that change it.

use super::session::Owner;
use super::shell::{Header, Section};
use super::view::render;
use crate::app::AppState;
use crate::web::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

mod api_keys;
mod users;

/// The settings routes, under `/app/settings`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/settings", get(overview))
        .route("/app/settings/users", get(users::list).post(users::invite))
        .route("/app/settings/users/{id}/role", post(users::change_role))
        .route("/app/settings/users/{id}/remove", post(users::remove))
        .route("/app/settings/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/app/settings/api-keys/{id}/revoke", post(api_keys::revoke))
}

/// One row of an overview table: a name and what else identifies it.
struct Item {
    name: String,
    detail: String,
}

/// One kind of object the business sets up, with the ones it has.
struct Part {
    title: &'static str,
    /// The page that manages this kind, when there is one.
    manage: Option<&'static str>,
    /// What the part is for, shown when the business has none yet.
    empty: &'static str,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    header: Header,
    parts: Vec<Part>,
}

/// `GET /app/settings`.
async fn overview(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    let business = owner.business;
    let store = &state.store;
    let sites = store.list_sites(business).await?;
    let site_name = |id| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.to_string())
            .unwrap_or_default()
    };
    let numbers = store.list_numbers(business).await?;
    let parts = vec![
        Part {
            title: "Sites",
            manage: None,
            empty: "No site yet: a site is a web site whose visitors are shown extensions.",
            items: sites
                .iter()
                .map(|s| Item {
                    name: s.name.to_string(),
                    detail: format!("{} · {} · {}", join(&s.domains), s.timezone.name(), s.currency.code()),
                })
                .collect(),
        },
        Part {
            title: "Tracking numbers",
            manage: None,
            empty: "No tracking number yet: callers dial it and key the extension shown to them.",
            items: numbers
                .iter()
                .map(|n| Item {
                    name: n.number.to_string(),
                    detail: n
                        .site_ids
                        .iter()
                        .map(|&id| site_name(id))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
        },
        Part {
            title: "Destinations",
            manage: None,
            empty: "No destination yet: calls are forwarded to a destination's phone.",
            items: store
                .list_destinations(business)
                .await?
                .iter()
                .map(|d| Item {
                    name: d.name.to_string(),
                    detail: match &d.department {
                        Some(department) => format!("{} · {department}", d.number),
                        None => d.number.to_string(),
                    },
                })
                .collect(),
        },
        Part {
            title: "Users",
            manage: Some("/app/settings/users"),
            empty: "No user yet.",
            items: store
                .list_users(business)
                .await?
                .iter()
                .map(|u| Item {
                    name: u.name.to_string(),
                    detail: format!("{} · {}", u.email, u.role.as_str()),
                })
                .collect(),
        },
        Part {
            title: "API keys",
            manage: Some("/app/settings/api-keys"),
            empty: "No API key yet: programs use one to read leads and record sales.",
            items: store
                .list_api_keys(business)
                .await?
                .iter()
                .map(|k| Item {
                    name: k.name.to_string(),
                    detail: match k.revoked_at {
                        Some(_) => format!("{}… · revoked", k.prefix),
                        None => format!("{}…", k.prefix),
                    },
                })
                .collect(),
        },
        Part {
            title: "Integrations",
            manage: None,
            empty: "No integration yet: events reach GA4, the CRM or a webhook through one.",
            items: store
                .integrations(business)
                .await?
                .iter()
                .map(|i| Item {
                    name: i.name.clone(),
                    detail: if i.enabled { "enabled".into() } else { "disabled".into() },
                })
                .collect(),
        },
    ];
    Ok(render(&SettingsPage {
        header: Header::of(&state, &owner, Section::Settings).await?,
        parts,
    }))
}

fn join(domains: &[impl std::fmt::Display]) -> String {
    domains.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
