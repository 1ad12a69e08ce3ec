//! `/app/settings/sites`: the business's sites, one page per site with every setting in one
//! form, the snippet tag to copy, the installation check, the capacity plan drawn from its
//! history (`capacity.rs`), and disable, enable and remove.

use super::capacity::{self, CapacityView};
use super::form::{Errors, OwnerForm, refused};
use super::site_form::SiteForm;
use crate::app::AppState;
use crate::app::setup::installation::{self, Installation};
use crate::app::setup::sites::{add_site, edit_site, remove_site, set_site_disabled, snippet_tag};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::SiteId;
use leadline_core::net::DomainName;
use leadline_core::site::SiteKind;
use leadline_core::tenant::Site;

/// A site as a row of the list.
struct Row {
    id: i64,
    name: String,
    domains: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "settings_sites.html")]
struct SitesPage {
    header: Header,
    csrf: String,
    sites: Vec<Row>,
    form: SiteForm,
    errors: Errors,
}

/// What the installation check found, in words.
struct Check {
    found: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "settings_site.html")]
struct SitePage {
    header: Header,
    csrf: String,
    id: i64,
    key: String,
    tag: String,
    disabled: bool,
    form: SiteForm,
    errors: Errors,
    check_url: String,
    check: Option<Check>,
    capacity: CapacityView,
    /// A number-pool site: its numbers (each with whether a visit holds it) and how many
    /// times the exhausted pool overwrote a holder.
    pool: Option<(Vec<(String, bool)>, u64)>,
}

async fn list_page(state: &AppState, owner: &Owner, form: SiteForm, errors: Errors) -> Result<Response, ApiError> {
    let sites = state.store.list_sites(owner.0.business).await?;
    let rows = sites
        .iter()
        .map(|s| Row {
            id: s.id.0,
            name: s.name.to_string(),
            domains: s.domains.iter().map(DomainName::as_str).collect::<Vec<_>>().join(", "),
            disabled: s.disabled,
        })
        .collect();
    Ok(render(&SitesPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        sites: rows,
        form,
        errors,
    }))
}

/// `GET /app/settings/sites`.
pub async fn list(State(state): State<AppState>, owner: Owner) -> Result<Response, ApiError> {
    list_page(&state, &owner, SiteForm::blank(), Errors::default()).await
}

/// `POST /app/settings/sites`: adds a site, then shows it (with its snippet tag).
pub async fn add(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let form = SiteForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(draft) = form.parse(&mut errors) {
        match add_site(state.store.as_ref(), owner.0.business, &draft, &owner.0.author()).await {
            Ok(site) => return Ok(Redirect::to(&format!("/app/settings/sites/{}", site.id.0)).into_response()),
            Err(e) => errors.refusal("domains", e)?,
        }
    }
    Ok(refused(list_page(&state, &owner, form, errors).await?))
}

/// The business's site with this id; another business's, or a removed one, is 404.
pub(super) async fn own_site(state: &AppState, owner: &Owner, id: i64) -> Result<Site, ApiError> {
    let site = state.store.site(owner.0.business, SiteId(id)).await?;
    if site.removed {
        return Err(ApiError::NotFound);
    }
    Ok(site)
}

async fn site_page(
    state: &AppState,
    owner: &Owner,
    site: &Site,
    form: SiteForm,
    errors: Errors,
    check: Option<Check>,
    check_url: String,
) -> Result<Response, ApiError> {
    let pool = if site.settings.kind == SiteKind::NumberPool {
        let now = leadline_core::clock::now_millis();
        let numbers = state.store.pool_numbers(site.id, now).await?;
        let shown = numbers.into_iter().map(|n| (n.number.to_string(), n.holder.is_some()));
        Some((shown.collect(), state.store.pool_overwrites(site.id).await?))
    } else {
        None
    };
    Ok(render(&SitePage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        id: site.id.0,
        key: site.key.to_string(),
        tag: snippet_tag(&state.base_url, site),
        disabled: site.disabled,
        form,
        errors,
        check_url,
        check,
        capacity: capacity::view(state, site).await?,
        pool,
    }))
}

fn default_check_url(site: &Site) -> String {
    site.domains
        .first()
        .map(|d| format!("https://{d}/"))
        .unwrap_or_default()
}

/// `GET /app/settings/sites/{id}`.
pub async fn show(State(state): State<AppState>, owner: Owner, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let url = default_check_url(&site);
    site_page(&state, &owner, &site, SiteForm::of(&site), Errors::default(), None, url).await
}

/// `POST /app/settings/sites/{id}`: changes the site; bad input changes nothing.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let form = SiteForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(mut edit) = form.parse(&mut errors) {
        edit.settings.calls = site.settings.calls.clone();
        match edit_site(
            state.store.as_ref(),
            owner.0.business,
            site.id,
            &edit,
            &owner.0.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/app/settings/sites/{id}")).into_response()),
            Err(e) => errors.refusal("domains", e)?,
        }
    }
    let url = default_check_url(&site);
    Ok(refused(
        site_page(&state, &owner, &site, form, errors, None, url).await?,
    ))
}

/// `POST /app/settings/sites/{id}/disable`: `disabled=1` disables, `disabled=0` enables.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let disabled = fields.get("disabled") == "1";
    set_site_disabled(
        state.store.as_ref(),
        owner.0.business,
        site.id,
        disabled,
        &owner.0.author(),
    )
    .await?;
    Ok(Redirect::to(&format!("/app/settings/sites/{id}")).into_response())
}

/// `POST /app/settings/sites/{id}/remove`: archives the site (its calls stay readable).
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let mut errors = Errors::default();
    match remove_site(state.store.as_ref(), owner.0.business, site.id, &owner.0.author()).await {
        Ok(()) => return Ok(Redirect::to("/app/settings/sites").into_response()),
        Err(e) => errors.refusal("remove", e)?,
    }
    let url = default_check_url(&site);
    Ok(refused(
        site_page(&state, &owner, &site, SiteForm::of(&site), errors, None, url).await?,
    ))
}

/// `POST /app/settings/sites/{id}/check`: fetches the page and says whether the tag is on it.
pub async fn check(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let site = own_site(&state, &owner, id).await?;
    let given = fields.get("url").to_owned();
    let mut errors = Errors::default();
    let url = match installation::page_url(&site, Some(&given)) {
        Ok(url) => url,
        Err(e) => {
            errors.refusal("url", e)?;
            let page = site_page(&state, &owner, &site, SiteForm::of(&site), errors, None, given).await?;
            return Ok(refused(page));
        }
    };
    let check = match installation::check(&site, url, state.reach).await {
        Installation::Found { url } => Check {
            found: true,
            message: format!("The snippet tag is on {url}."),
        },
        Installation::Missing { url, status } => Check {
            found: false,
            message: format!("The snippet tag is not on {url} (the page answered {status})."),
        },
        Installation::Unreachable { url, reason } => Check {
            found: false,
            message: format!("{url} could not be checked: {reason}."),
        },
    };
    site_page(&state, &owner, &site, SiteForm::of(&site), errors, Some(check), given).await
}
