//! Settings → Routing (owners): a site's routing rules in the order they are tried, each moved
//! earlier or later or removed with a button, and the form that adds one (conditions, the
//! destinations to ring, at once or in turn); the same form, filled, edits a rule in place.

use super::super::session::{Operator, Owner};
use super::super::shell::{Header, Section};
use super::super::view::render;
use super::form::{Fields, OwnerForm};
use crate::app::{AppError, AppState, routing_rules};
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::routing::{Condition, Hours, Move, Rule};
use leadline_core::tenant::Site;
use leadline_core::{E164, SiteId};

/// Where the page is.
pub const PATH: &str = "/app/settings/routing";

/// The add (and edit) form as typed, by field name (`ring` may repeat).
#[derive(Default)]
struct RuleForm {
    fields: Vec<(String, String)>,
}

impl From<Fields> for RuleForm {
    fn from(fields: Fields) -> Self {
        Self {
            fields: fields.into_pairs(),
        }
    }
}

impl RuleForm {
    /// The form filled with a stored rule's values.
    fn of(rule: &Rule) -> Self {
        let mut fields: Vec<(String, String)> = rule
            .conditions
            .iter()
            .map(|c| match c {
                Condition::Source(v) => ("source", v.clone()),
                Condition::Medium(v) => ("medium", v.clone()),
                Condition::Campaign(v) => ("campaign", v.clone()),
                Condition::Keyword(v) => ("keyword", v.clone()),
                Condition::Var { name, value } => ("var", format!("{name}={value}")),
                Condition::Extension(v) => ("extension", v.clone()),
                Condition::Hours(h) => ("hours", h.to_string()),
            })
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        fields.extend(rule.destinations.iter().map(|n| ("ring".to_owned(), n.to_string())));
        if rule.in_turn {
            fields.push(("in_turn".to_owned(), "on".to_owned()));
        }
        Self { fields }
    }

    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The rule the form describes, or what is wrong with it.
    fn rule(&self) -> Result<Rule, String> {
        let mut conditions = Vec::new();
        let text = |name: &str| Some(self.get(name).to_owned()).filter(|t| !t.is_empty());
        conditions.extend(text("source").map(Condition::Source));
        conditions.extend(text("medium").map(Condition::Medium));
        conditions.extend(text("campaign").map(Condition::Campaign));
        conditions.extend(text("keyword").map(Condition::Keyword));
        if let Some(var) = text("var") {
            let (name, value) = var
                .split_once('=')
                .ok_or_else(|| format!("variable: '{var}' is not NAME=VALUE, e.g. language=es"))?;
            conditions.push(Condition::Var {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
            });
        }
        conditions.extend(text("extension").map(Condition::Extension));
        if let Some(hours) = text("hours") {
            conditions.push(Condition::Hours(Hours::parse(&hours).map_err(|e| e.to_string())?));
        }
        let destinations = self
            .all("ring")
            .iter()
            .map(|n| E164::parse(n).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let rule = Rule {
            conditions,
            destinations,
            in_turn: self.get("in_turn") == "on",
        };
        rule.validate().map_err(|e| e.to_string())?;
        Ok(rule)
    }
}

#[derive(Template)]
#[template(path = "settings_routing.html")]
struct RoutingPage {
    header: Header,
    csrf: String,
    /// (id, name, chosen).
    sites: Vec<(i64, String, bool)>,
    site: Option<i64>,
    /// (id, description).
    rules: Vec<(i64, String)>,
    /// (number, name, ticked).
    destinations: Vec<(String, String, bool)>,
    /// The rule the form edits (its id and place in the order); `None`: the form adds one.
    editing: Option<(i64, usize)>,
    form: RuleForm,
    error: Option<String>,
}

/// The site the page shows: the one asked for, else the business's first.
fn chosen(sites: &[Site], asked: Option<i64>) -> Option<&Site> {
    match asked {
        Some(id) => sites.iter().find(|s| s.id.0 == id),
        None => sites.first(),
    }
}

async fn page(
    state: &AppState,
    owner: &Operator,
    asked: Option<i64>,
    form: RuleForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    shown(state, owner, asked, None, form, error).await
}

async fn shown(
    state: &AppState,
    owner: &Operator,
    asked: Option<i64>,
    editing: Option<i64>,
    form: RuleForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let sites = state.store.list_sites(owner.business).await?;
    let site = chosen(&sites, asked);
    if asked.is_some() && site.is_none() {
        return Err(ApiError::NotFound);
    }
    let rules = match site {
        Some(site) => state.store.site_routing_rules(owner.business, site.id).await?,
        None => Vec::new(),
    };
    let ticked = form.all("ring");
    let destinations = state
        .store
        .list_destinations(owner.business)
        .await?
        .into_iter()
        .map(|d| {
            let number = d.number.to_string();
            let on = ticked.contains(&number.as_str());
            (number, d.name.to_string(), on)
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = RoutingPage {
        header: Header::of(state, owner, Section::Settings).await?,
        csrf: owner.csrf.clone(),
        sites: sites
            .iter()
            .map(|s| (s.id.0, s.name.to_string(), Some(s.id) == site.map(|c| c.id)))
            .collect(),
        site: site.map(|s| s.id.0),
        rules: rules.iter().map(|r| (r.id, r.rule.describe())).collect(),
        destinations,
        editing: editing.and_then(|id| rules.iter().position(|r| r.id == id).map(|at| (id, at + 1))),
        form,
        error,
    };
    Ok((status, render(&view)).into_response())
}

/// The page's query.
#[derive(serde::Deserialize)]
pub struct Which {
    site: Option<i64>,
}

/// `GET /app/settings/routing?site=…`.
pub async fn show(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(which): Query<Which>,
) -> Result<Response, ApiError> {
    page(&state, &owner, which.site, RuleForm::default(), None).await
}

/// `POST /app/settings/routing?site=…`: appends the rule the form describes; bad input shows
/// the form again with the reason and adds nothing.
pub async fn add(
    State(state): State<AppState>,
    Query(which): Query<Which>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Response, ApiError> {
    let form = RuleForm::from(fields);
    let site = which.site.ok_or(ApiError::NotFound)?;
    let rule = match form.rule() {
        Ok(rule) => rule,
        Err(why) => return page(&state, &owner, Some(site), form, Some(why)).await,
    };
    match routing_rules::add_rule(
        state.store.as_ref(),
        owner.business,
        SiteId(site),
        &rule,
        &owner.author(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{PATH}?site={site}")).into_response()),
        Err(AppError::Invalid(why)) => page(&state, &owner, Some(site), form, Some(why)).await,
        Err(other) => Err(other.into()),
    }
}

/// `POST /app/settings/routing/{id}`: moves or removes a rule of the business.
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Redirect, ApiError> {
    let site: i64 = fields
        .get("site")
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("site: '{}' is not a site id", fields.get("site"))))?;
    let store = state.store.as_ref();
    // The rule's buttons: `earlier`, `later` or `remove`.
    match fields.get("action") {
        "earlier" => routing_rules::move_rule(store, owner.business, id, Move::Earlier, &owner.author()).await?,
        "later" => routing_rules::move_rule(store, owner.business, id, Move::Later, &owner.author()).await?,
        "remove" => routing_rules::remove_rule(store, owner.business, id, &owner.author()).await?,
        other => {
            return Err(ApiError::BadRequest(format!(
                "action: '{other}' is not earlier, later or remove"
            )));
        }
    }
    Ok(Redirect::to(&format!("{PATH}?site={site}")))
}

/// `GET /app/settings/routing/{id}/edit`: the rule's site, with the form filled with the
/// rule's values.
pub async fn edit_form(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let stored = state.store.routing_rule(owner.business, id).await?;
    let form = RuleForm::of(&stored.rule);
    shown(&state, &owner, Some(stored.site_id.0), Some(id), form, None).await
}

/// `POST /app/settings/routing/{id}/edit`: replaces the rule where it stands in the order;
/// bad input shows the form again with the reason and changes nothing.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(Owner(owner), fields): OwnerForm,
) -> Result<Response, ApiError> {
    let form = RuleForm::from(fields);
    let site = state.store.routing_rule(owner.business, id).await?.site_id.0;
    let rule = match form.rule() {
        Ok(rule) => rule,
        Err(why) => return shown(&state, &owner, Some(site), Some(id), form, Some(why)).await,
    };
    match routing_rules::edit_rule(state.store.as_ref(), owner.business, id, &rule, &owner.author()).await {
        Ok(()) => Ok(Redirect::to(&format!("{PATH}?site={site}")).into_response()),
        Err(AppError::Invalid(why)) => shown(&state, &owner, Some(site), Some(id), form, Some(why)).await,
        Err(other) => Err(other.into()),
    }
}
