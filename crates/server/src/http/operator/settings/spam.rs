//! `/app/settings/spam`: what a blocked caller gets, the repeated-short-calls rule, the numbers
//! a person blocked and the uploaded list of known spam numbers. Owners only; every change goes
//! through `app::spam`.

use super::form::{Errors, Fields, OwnerForm, refused, saved};
use crate::app::AppState;
use crate::app::spam;
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section, local_time};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::lead::Author;
use leadline_core::phone::E164;
use leadline_core::spam::{BlockSource, BlockedAnswer, RepeatRule, SpamSettings};

/// The page's path.
pub const PATH: &str = "/app/settings/spam";
/// Where a number is blocked.
pub const BLOCK: &str = "/app/settings/spam/block";
/// Where a blocked number is taken off the list.
pub const UNBLOCK: &str = "/app/settings/spam/unblock";
/// Where the list of known spam numbers is uploaded.
pub const LIST: &str = "/app/settings/spam/list";

/// How many of the uploaded list's numbers the page shows.
const LISTED_SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "settings_spam.html")]
struct SpamPage {
    header: Header,
    csrf: String,
    /// The settings form's fields as shown (stored, or as posted when refused).
    form: SettingsForm,
    /// (number, blocked when) of the numbers people blocked.
    blocked: Vec<(String, String)>,
    listed: Vec<String>,
    listed_count: usize,
    /// What the list box shows again after a refused upload.
    list_text: String,
    block_number: String,
    errors: Errors,
    saved: bool,
}

/// The settings form as text.
struct SettingsForm {
    answer: String,
    message: String,
    repeat_on: bool,
    calls: String,
    seconds: String,
    hours: String,
}

impl SettingsForm {
    fn of(settings: &SpamSettings) -> Self {
        let rule = settings.repeat.unwrap_or(RepeatRule::DEFAULT);
        Self {
            answer: settings.answer.kind().into(),
            message: match &settings.answer {
                BlockedAnswer::Message(text) => text.clone(),
                BlockedAnswer::Reject => String::new(),
            },
            repeat_on: settings.repeat.is_some(),
            calls: rule.calls.to_string(),
            seconds: rule.max_seconds.to_string(),
            hours: rule.within_hours.to_string(),
        }
    }

    fn posted(fields: &Fields) -> Self {
        Self {
            answer: fields.get("answer").trim().into(),
            message: fields.get("message").trim().into(),
            repeat_on: fields.ticked("repeat"),
            calls: fields.get("calls").trim().into(),
            seconds: fields.get("seconds").trim().into(),
            hours: fields.get("hours").trim().into(),
        }
    }

    /// The settings the form says, with each refusal next to its field.
    fn settings(&self, errors: &mut Errors) -> Option<SpamSettings> {
        let answer = errors.take("answer", BlockedAnswer::parse(&self.answer, Some(&self.message)));
        let repeat = if self.repeat_on {
            let number = |text: &str| {
                text.parse::<u32>()
                    .map_err(|_| format!("'{text}' is not a whole number"))
            };
            let rule = number(&self.calls).and_then(|calls| {
                let seconds = number(&self.seconds)?;
                let hours = number(&self.hours)?;
                RepeatRule::new(calls, seconds, hours).map_err(|e| e.to_string())
            });
            Some(errors.take("repeat", rule)?)
        } else {
            None
        };
        Some(SpamSettings {
            answer: answer?,
            repeat,
        })
    }
}

/// What the page shows besides the settings form.
#[derive(Default)]
struct Shown {
    list_text: String,
    block_number: String,
    errors: Errors,
    saved: bool,
}

async fn page(state: &AppState, owner: &Owner, form: Option<SettingsForm>, shown: Shown) -> Result<Response, ApiError> {
    let business = owner.0.business;
    let form = match form {
        Some(form) => form,
        None => SettingsForm::of(&state.store.spam_settings(business).await?),
    };
    let numbers = state.store.blocked_numbers(business).await?;
    let (people, listed): (Vec<_>, Vec<_>) = numbers.into_iter().partition(|b| b.source == BlockSource::Operator);
    let sites = state.store.list_sites(business).await?;
    Ok(render(&SpamPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        form,
        blocked: people
            .iter()
            .map(|b| (b.number.to_string(), local_time(b.created_at, sites.first())))
            .collect(),
        listed_count: listed.len(),
        listed: listed.iter().take(LISTED_SHOWN).map(|b| b.number.to_string()).collect(),
        list_text: shown.list_text,
        block_number: shown.block_number,
        errors: shown.errors,
        saved: shown.saved,
    }))
}

fn author(owner: &Owner) -> Author {
    Author::user(&owner.0.user.email)
}

fn done() -> Response {
    Redirect::to(&format!("{PATH}?saved=1")).into_response()
}

/// `GET /app/settings/spam` (`?saved=1` after a change).
pub async fn show(
    State(state): State<AppState>,
    owner: Owner,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let shown = Shown {
        saved: saved(&query),
        ..Shown::default()
    };
    page(&state, &owner, None, shown).await
}

/// `POST /app/settings/spam`: the blocked callers' answer and the repeated-calls rule.
pub async fn edit(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let form = SettingsForm::posted(&fields);
    let mut errors = Errors::default();
    if let Some(settings) = form.settings(&mut errors) {
        match spam::configure(state.store.as_ref(), owner.0.business, &settings, &author(&owner)).await {
            Ok(()) => return Ok(done()),
            Err(e) => errors.refusal("answer", e)?,
        }
    }
    let shown = Shown {
        errors,
        ..Shown::default()
    };
    Ok(refused(page(&state, &owner, Some(form), shown).await?))
}

/// `POST /app/settings/spam/block`: blocks one number (national numbers are read in the
/// country of the business's first tracking number).
pub async fn block(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let typed = fields.get("number").trim().to_owned();
    let mut errors = Errors::default();
    if let Some(number) = errors.take("number", parse_number(&state, &owner, &typed).await?) {
        match spam::block(state.store.as_ref(), owner.0.business, &number, &author(&owner)).await {
            Ok(()) => return Ok(done()),
            Err(e) => errors.refusal("number", e)?,
        }
    }
    let shown = Shown {
        block_number: typed,
        errors,
        ..Shown::default()
    };
    Ok(refused(page(&state, &owner, None, shown).await?))
}

/// `POST /app/settings/spam/unblock`: takes a number a person blocked off the list.
pub async fn unblock(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let mut errors = Errors::default();
    if let Some(number) = errors.take("unblock", E164::parse(fields.get("number").trim())) {
        match spam::unblock(state.store.as_ref(), owner.0.business, &number, &author(&owner)).await {
            Ok(()) => return Ok(done()),
            Err(crate::app::AppError::NotFound) => errors.add("unblock", "that number is not blocked"),
            Err(e) => errors.refusal("unblock", e)?,
        }
    }
    let shown = Shown {
        errors,
        ..Shown::default()
    };
    Ok(refused(page(&state, &owner, None, shown).await?))
}

/// `POST /app/settings/spam/list`: replaces the list of known spam numbers with the text's.
pub async fn replace_list(
    State(state): State<AppState>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let text = fields.get("numbers").to_owned();
    let mut errors = Errors::default();
    match spam::replace_list(state.store.as_ref(), owner.0.business, &text, &author(&owner)).await {
        Ok(_) => return Ok(done()),
        Err(e) => errors.refusal("numbers", e)?,
    }
    let shown = Shown {
        list_text: text,
        errors,
        ..Shown::default()
    };
    Ok(refused(page(&state, &owner, None, shown).await?))
}

/// A typed number: E.164, or national in the country of the business's first number.
async fn parse_number(state: &AppState, owner: &Owner, typed: &str) -> Result<Result<E164, String>, ApiError> {
    let numbers = state.store.list_numbers(owner.0.business).await?;
    let parsed = match numbers.first() {
        Some(like) => E164::parse_like(typed, &like.number),
        None => E164::parse(typed),
    };
    Ok(parsed.map_err(|e| e.to_string()))
}
