//! Settings, for the business's owners only (anyone else gets 404; My alerts, every member's own, is the exception): an overview of what the
//! business has set up (sites, numbers, destinations, users, API keys, integrations), and the
//! pages that change it.

mod ad_edit;
mod ad_form;
mod ad_platform_form;
mod ads;
mod alerts;
mod api_keys;
mod audit;
mod calls;
mod calls_form;
mod capacity;
mod destinations;
mod form;
mod integration_edit;
mod integration_form;
mod integrations;
mod numbers;
mod provider;
mod replies_auth;
mod retention;
mod routing;
mod site_form;
mod sites;
mod source_edit;
mod sources;
mod spam;
mod transcripts;
mod users;

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

/// The settings routes, under `/app/settings`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/settings", get(overview))
        .route(integrations::PATH, get(integrations::show).post(integrations::add))
        .route(
            "/app/settings/integrations/{id}",
            get(integration_edit::show).post(integration_edit::edit),
        )
        .route("/app/settings/integrations/{id}/enabled", post(integrations::switch))
        .route("/app/settings/integrations/{id}/test", post(integrations::try_now))
        .route("/app/settings/integrations/{id}/remove", post(integrations::remove))
        .route("/app/settings/deliveries/{id}/retry", post(integrations::retry))
        .route(sources::PATH, get(sources::show).post(sources::add))
        .route(
            "/app/settings/sources/{key}",
            get(source_edit::show).post(source_edit::edit),
        )
        .route("/app/settings/sources/{key}/remove", post(source_edit::remove))
        .route(routing::PATH, get(routing::show).post(routing::add))
        .route("/app/settings/routing/{id}", post(routing::act))
        .route(
            "/app/settings/routing/{id}/edit",
            get(routing::edit_form).post(routing::edit),
        )
        .route("/app/settings/sites", get(sites::list).post(sites::add))
        .route("/app/settings/sites/{id}", get(sites::show).post(sites::edit))
        .route("/app/settings/sites/{id}/disable", post(sites::disable))
        .route("/app/settings/sites/{id}/remove", post(sites::remove))
        .route("/app/settings/sites/{id}/check", post(sites::check))
        .route("/app/settings/sites/{id}/calls", get(calls::show).post(calls::edit))
        .route("/app/settings/numbers", get(numbers::list).post(numbers::add))
        .route("/app/settings/numbers/{id}", get(numbers::show).post(numbers::edit))
        .route("/app/settings/numbers/{id}/remove", post(numbers::remove))
        .route("/app/settings/numbers/{id}/test-call", post(numbers::test_call))
        .route(
            "/app/settings/destinations",
            get(destinations::list).post(destinations::add),
        )
        .route(
            "/app/settings/destinations/{id}",
            get(destinations::show).post(destinations::edit),
        )
        .route("/app/settings/destinations/{id}/disable", post(destinations::disable))
        .route("/app/settings/destinations/{id}/remove", post(destinations::remove))
        .route("/app/settings/users", get(users::list).post(users::invite))
        .route("/app/settings/users/{id}/role", post(users::change_role))
        .route("/app/settings/users/{id}/remove", post(users::remove))
        .route("/app/settings/api-keys", get(api_keys::list).post(api_keys::create))
        .route(retention::PATH, get(retention::show).post(retention::edit))
        .route(alerts::PATH, get(alerts::show).post(alerts::edit))
        .route(replies_auth::PATH, get(replies_auth::show).post(replies_auth::edit))
        .route(spam::PATH, get(spam::show).post(spam::edit))
        .route(spam::BLOCK, post(spam::block))
        .route(spam::UNBLOCK, post(spam::unblock))
        .route(spam::LIST, post(spam::replace_list))
        .route(audit::PATH, get(audit::show))
        .route("/app/settings/api-keys/{id}/revoke", post(api_keys::revoke))
        .route(ads::PATH, get(ads::show).post(ads::add_ad))
        .route("/app/settings/ads/{id}", get(ad_edit::show_ad).post(ad_edit::edit_ad))
        .route("/app/settings/ads/{id}/remove", post(ad_edit::remove_ad))
        .route("/app/settings/ads/{id}/move", post(ad_edit::move_ad))
        .route(ads::PHRASES, post(ads::add_phrase))
        .route(
            "/app/settings/ads/phrases/{id}",
            get(ad_edit::show_phrase).post(ad_edit::edit_phrase),
        )
        .route("/app/settings/ads/phrases/{id}/remove", post(ad_edit::remove_phrase))
        .merge(provider::router())
        .merge(transcripts::router())
}

/// One row of an overview table: a name and what else identifies it.
struct Item {
    name: String,
    detail: String,
}

/// One kind of object the business sets up, with the ones it has.
struct Part {
    title: &'static str,
    /// The page where they are changed, when there is one.
    href: Option<&'static str>,
    /// What the part is for, shown when the business has none yet.
    empty: &'static str,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    header: Header,
    parts: Vec<Part>,
    /// The pages that change settings: a path and what it is for.
    pages: Vec<(&'static str, &'static str)>,
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
            href: Some("/app/settings/sites"),
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
            href: Some("/app/settings/numbers"),
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
            href: Some("/app/settings/destinations"),
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
            href: Some("/app/settings/users"),
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
            href: Some("/app/settings/api-keys"),
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
            title: "Routing",
            href: Some(routing::PATH),
            empty: "Whom calls ring, by source, keyword, page variable, extension and hours.",
            items: Vec::new(),
        },
        Part {
            title: "Offline sources",
            href: Some(sources::PATH),
            empty: "No offline source yet: a flyer or a partner's page gets a click-to-call link and a QR code.",
            items: store
                .list_sources(business)
                .await?
                .iter()
                .map(|s| Item {
                    name: s.name.to_string(),
                    detail: format!("{} / {}", s.utm.source, s.utm.medium),
                })
                .collect(),
        },
        ads_part(store.ad_grouping(business).await?),
        Part {
            title: "Integrations",
            href: Some(integrations::PATH),
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
        pages: vec![
            (
                "/app/settings/provider",
                "Provider numbers: connect the Twilio account, buy a number or attach one it holds",
            ),
            (
                retention::PATH,
                "Data retention: how long visits, calls, recordings, forms and events are kept",
            ),
            (
                replies_auth::PATH,
                "E-mailed replies: refuse those that fail SPF/DKIM/DMARC",
            ),
            (
                spam::PATH,
                "Spam and robocalls: blocked numbers, a list of known spam numbers, repeated short calls",
            ),
            (audit::PATH, "Audit log: who changed what, when and from which address"),
            (
                transcripts::PATH,
                "Transcripts: who transcribes calls, and the rules on what was said",
            ),
        ],
    }))
}

/// The master ads and master phrases reports roll up by.
fn ads_part(grouping: leadline_core::adgroup::AdGrouping) -> Part {
    let ads = grouping.ads.iter().map(|ad| Item {
        name: ad.name.to_string(),
        detail: format!("master ad · {} rule(s)", ad.rules.len()),
    });
    let phrases = grouping.phrases.iter().map(|p| Item {
        name: p.name.to_string(),
        detail: format!("master phrase · {} variant(s)", p.variants.len()),
    });
    Part {
        title: "Ads and keywords",
        href: Some(ads::PATH),
        empty: "No master ad or phrase yet: reports can count ads across platforms, and keyword variants, as one.",
        items: ads.chain(phrases).collect(),
    }
}

fn join(domains: &[impl std::fmt::Display]) -> String {
    domains.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
