//! Settings → Sources (owners): offline and foreign-domain sources (a flyer, a radio spot, a
//! partner's page), each with its click-to-call link, its QR code and its reserved code; and
//! the form that adds one. Each is changed or removed on its own page (`source_edit`).

use super::super::session::Owner;
use super::super::shell::{Header, Section};
use super::super::view::render;
use crate::app::sources::{SourceRequest, add_source};
use crate::app::{AppError, AppState};
use crate::http::sources::source_url;
use crate::web::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::SiteId;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::source::SourceUtm;

/// Where the page is.
pub const PATH: &str = "/app/settings/sources";

struct SourceRow {
    /// The public key: the source's name in URLs.
    key: String,
    name: String,
    site: String,
    placed: String,
    utm: String,
    code: String,
    link: String,
    /// The QR code's path on this server.
    qr: String,
}

/// The add form's fields, as typed.
#[derive(Default, serde::Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    utm_source: String,
    #[serde(default)]
    utm_medium: String,
    #[serde(default)]
    utm_campaign: String,
    #[serde(default)]
    reserve_code: String,
}

#[derive(Template)]
#[template(path = "settings_sources.html")]
struct SourcesPage {
    header: Header,
    csrf: String,
    sources: Vec<SourceRow>,
    /// (id, name, chosen).
    sites: Vec<(i64, String, bool)>,
    form: AddForm,
    /// The field the error is about, and what is wrong.
    error: Option<(&'static str, String)>,
}

async fn page(
    state: &AppState,
    owner: &super::super::session::Operator,
    form: AddForm,
    error: Option<(&'static str, String)>,
) -> Result<Response, ApiError> {
    let sites = state.store.list_sites(owner.business).await?;
    let base = state.base_url.to_string();
    let sources = state
        .store
        .list_sources(owner.business)
        .await?
        .into_iter()
        .map(|s| {
            let link = source_url(&base, &s.key);
            SourceRow {
                key: s.key.to_string(),
                name: s.name.to_string(),
                site: sites
                    .iter()
                    .find(|site| site.id == s.site_id)
                    .map(|site| site.name.to_string())
                    .unwrap_or_default(),
                placed: s
                    .domain
                    .as_ref()
                    .map_or_else(|| "print, QR code".to_owned(), |d| format!("on {d}")),
                utm: [Some(&s.utm.source), Some(&s.utm.medium), s.utm.campaign.as_ref()]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / "),
                code: s.reserved_code.map(|c| c.to_string()).unwrap_or_default(),
                qr: format!("/c/{}/qr.svg", s.key),
                link,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = SourcesPage {
        header: Header::of(state, owner, Section::Settings).await?,
        csrf: owner.csrf.clone(),
        sources,
        sites: sites
            .iter()
            .map(|s| (s.id.0, s.name.to_string(), s.id.0.to_string() == form.site))
            .collect(),
        form,
        error,
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /app/settings/sources`.
pub async fn show(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    page(&state, &owner, AddForm::default(), None).await
}

/// `POST /app/settings/sources`: adds a source; bad input shows the form again with the reason
/// next to its field.
pub async fn add(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let request = match parse(&form) {
        Ok(request) => request,
        Err(error) => return page(&state, &owner, form, Some(error)).await,
    };
    match add_source(state.store.as_ref(), owner.business, request, &owner.author()).await {
        Ok(_) => Ok(Redirect::to(PATH).into_response()),
        Err(AppError::NotFound) => {
            page(
                &state,
                &owner,
                form,
                Some(("site", "choose one of the business's sites".into())),
            )
            .await
        }
        Err(AppError::Invalid(why) | AppError::Conflict(why)) => {
            let field = if why.contains("code") { "reserve_code" } else { "utm" };
            page(&state, &owner, form, Some((field, why))).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The form as a request, or the field that is wrong and why.
fn parse(form: &AddForm) -> Result<SourceRequest, (&'static str, String)> {
    let name = Name::parse_as("name", &form.name).map_err(|e| ("name", e.reason))?;
    let site = form
        .site
        .parse()
        .map(SiteId)
        .map_err(|_| ("site", "choose one of the business's sites".to_owned()))?;
    let domain = match form.domain.trim() {
        "" => None,
        text => Some(DomainName::parse(text).map_err(|e| ("domain", e.reason))?),
    };
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let utm = SourceUtm {
        source: form.utm_source.trim().to_owned(),
        medium: form.utm_medium.trim().to_owned(),
        campaign: optional(&form.utm_campaign),
        term: None,
        content: None,
    };
    utm.validate().map_err(|e| ("utm", e.reason))?;
    let reserve_code = match form.reserve_code.trim() {
        "" => None,
        text => Some(
            text.parse::<u64>()
                .map_err(|_| ("reserve_code", format!("'{text}' is not a code: digits only, from 1")))?,
        ),
    };
    Ok(SourceRequest {
        site,
        name,
        domain,
        utm,
        reserve_code,
    })
}
