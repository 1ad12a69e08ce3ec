//! `/app/settings/provider`: the business's provider account, connected once (account id
//! and auth token, never shown again), the numbers it holds, a search for local numbers by
//! area code, and buying one or attaching one it holds to a site. Leadline sets each
//! number's webhooks through the provider's API (`app::provider_numbers`). Owners only.

use super::super::session::{Operator, Owner};
use super::super::shell::{Header, Section};
use super::super::view::render;
use crate::app::provider_numbers::ProviderNumbers;
use crate::app::{AppError, AppState};
use crate::web::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leadline_core::provider_account::{AreaCode, IsoCountry, NumberSearch};
use leadline_core::tenant::{AccountSid, parse_auth_token};
use leadline_core::{E164, Invalid, SiteId};
use serde::Deserialize;

/// The provider page's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/settings/provider", get(show))
        .route("/app/settings/provider/connect", post(connect))
        .route("/app/settings/provider/buy", post(buy))
        .route("/app/settings/provider/attach", post(attach))
}

/// A number the account holds, and whether it is one of the business's tracking numbers.
struct Held {
    number: String,
    name: String,
    tracked: bool,
}

/// A number the provider offers.
struct Offer {
    number: String,
    name: String,
    place: String,
}

/// What the page shows besides the account: a result or a refusal next to its form.
#[derive(Default)]
struct View {
    notice: Option<String>,
    connect_error: Option<String>,
    search_error: Option<String>,
    number_error: Option<String>,
    country: String,
    area_code: String,
    offers: Option<Vec<Offer>>,
}

#[derive(Template)]
#[template(path = "settings_provider.html")]
struct ProviderPage {
    header: Header,
    account: Option<String>,
    held: Vec<Held>,
    held_error: Option<String>,
    sites: Vec<(i64, String)>,
    view: View,
}

/// The search's query: empty fields mean no search yet.
#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    country: String,
    #[serde(default)]
    area_code: String,
}

#[derive(Deserialize)]
struct ConnectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    auth_token: String,
}

#[derive(Deserialize)]
struct NumberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    site: String,
}

/// `GET /app/settings/provider[?country=US&area_code=415]`.
async fn show(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let mut view = View {
        country: if query.country.trim().is_empty() {
            "US".into()
        } else {
            query.country.clone()
        },
        area_code: query.area_code.clone(),
        ..View::default()
    };
    if query.country.trim().is_empty() && query.area_code.trim().is_empty() {
        return page(&state, &owner, view, StatusCode::OK).await;
    }
    let search = IsoCountry::parse(&query.country).and_then(|country| {
        let area = Some(query.area_code.trim())
            .filter(|a| !a.is_empty())
            .map(AreaCode::parse)
            .transpose()?;
        NumberSearch::new(country, area)
    });
    let outcome = match search {
        Ok(search) => ProviderNumbers::of(&state).search(owner.business, &search).await,
        Err(invalid) => Err(invalid.into()),
    };
    match outcome {
        Ok(found) => {
            view.offers = Some(
                found
                    .into_iter()
                    .map(|n| Offer {
                        number: n.number.to_string(),
                        name: n.friendly_name,
                        place: [n.locality, n.region]
                            .into_iter()
                            .filter(|p| !p.is_empty())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                    .collect(),
            );
            page(&state, &owner, view, StatusCode::OK).await
        }
        Err(refused) => {
            let (status, reason) = shown(refused)?;
            view.search_error = Some(reason);
            page(&state, &owner, view, status).await
        }
    }
}

/// `POST /app/settings/provider/connect`.
async fn connect(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Form(form): Form<ConnectForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let outcome = match (
        AccountSid::parse(&form.account_sid),
        parse_auth_token(form.auth_token.trim()),
    ) {
        (Ok(sid), Ok(token)) => {
            ProviderNumbers::of(&state)
                .connect(owner.business, sid, token, &owner.author())
                .await
        }
        (Err(invalid), _) | (_, Err(invalid)) => Err(invalid.into()),
    };
    let mut view = View {
        country: "US".into(),
        ..View::default()
    };
    match outcome {
        Ok(numbers) => {
            view.notice = Some(format!(
                "The provider account is connected; it holds {} number(s).",
                numbers.len()
            ));
            page(&state, &owner, view, StatusCode::OK).await
        }
        Err(refused) => {
            let (status, reason) = shown(refused)?;
            view.connect_error = Some(reason);
            page(&state, &owner, view, status).await
        }
    }
}

/// `POST /app/settings/provider/buy`.
async fn buy(
    state: State<AppState>,
    owner: Owner,
    headers: HeaderMap,
    form: Form<NumberForm>,
) -> Result<Response, ApiError> {
    number_action(state, owner, headers, form, Action::Buy).await
}

/// `POST /app/settings/provider/attach`.
async fn attach(
    state: State<AppState>,
    owner: Owner,
    headers: HeaderMap,
    form: Form<NumberForm>,
) -> Result<Response, ApiError> {
    number_action(state, owner, headers, form, Action::Attach).await
}

/// What is done with the chosen number.
#[derive(Clone, Copy)]
enum Action {
    Buy,
    Attach,
}

async fn number_action(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Form(form): Form<NumberForm>,
    action: Action,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let site = form
        .site
        .trim()
        .parse::<i64>()
        .map(SiteId)
        .map_err(|_| Invalid::new("site", "choose the site the number is for"));
    let numbers = ProviderNumbers::of(&state);
    let outcome = match (E164::parse(&form.number), site) {
        (Ok(number), Ok(site)) => match action {
            Action::Buy => numbers.buy(owner.business, &number, site, &owner.author()).await,
            Action::Attach => numbers.attach(owner.business, &number, site, &owner.author()).await,
        },
        (Err(invalid), _) | (_, Err(invalid)) => Err(invalid.into()),
    };
    let mut view = View {
        country: "US".into(),
        ..View::default()
    };
    match outcome {
        Ok(tracked) => {
            let done = match action {
                Action::Buy => "bought",
                Action::Attach => "attached",
            };
            view.notice = Some(format!(
                "{} is {done}: its calls, status and messages now come to Leadline.",
                tracked.number
            ));
            page(&state, &owner, view, StatusCode::OK).await
        }
        Err(refused) => {
            let (status, reason) = shown(refused)?;
            view.number_error = Some(reason);
            page(&state, &owner, view, status).await
        }
    }
}

/// A refusal's status and reason, shown next to its form; what is not a refusal (another business's site, a
/// failure inside Leadline) is the page's error.
fn shown(refused: AppError) -> Result<(StatusCode, String), ApiError> {
    match refused {
        AppError::Invalid(reason) | AppError::Conflict(reason) | AppError::Refused(reason) => {
            Ok((StatusCode::BAD_REQUEST, reason))
        }
        AppError::Unavailable(reason) => Ok((StatusCode::BAD_GATEWAY, reason)),
        other => Err(other.into()),
    }
}

async fn page(state: &AppState, owner: &Operator, view: View, status: StatusCode) -> Result<Response, ApiError> {
    let business = owner.business;
    let numbers = ProviderNumbers::of(state);
    let account = state.store.provider_account(business).await?;
    let tracked = state.store.list_numbers(business).await?;
    let (held, held_error) = match &account {
        None => (Vec::new(), None),
        Some(_) => match numbers.numbers(business).await {
            Ok(held) => (
                held.into_iter()
                    .map(|n| Held {
                        tracked: tracked.iter().any(|t| t.number == n.number),
                        number: n.number.to_string(),
                        name: n.friendly_name,
                    })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e.to_string())),
        },
    };
    let sites = state
        .store
        .list_sites(business)
        .await?
        .into_iter()
        .map(|s| (s.id.0, s.name.to_string()))
        .collect();
    let html = render(&ProviderPage {
        header: Header::of(state, owner, Section::Settings).await?,
        account: account.map(|a| {
            format!(
                "{} (connected {})",
                a.account_sid.as_str(),
                a.connected_at.format("%Y-%m-%d")
            )
        }),
        held,
        held_error,
        sites,
        view,
    });
    Ok((status, html).into_response())
}
