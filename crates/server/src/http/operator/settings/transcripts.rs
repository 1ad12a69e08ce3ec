//! `/app/settings/transcripts`: who transcribes the business's calls (an OpenAI-compatible
//! speech-to-text service, the telephony provider, or nobody) and the rules on what was said.
//! Owners only; changes go through `app::transcripts` and `app::speech_rules`. The service's
//! key is never shown back: left empty, the stored one is kept.

use super::form::{Errors, Fields, OwnerForm, refused, saved};
use crate::app::{AppState, speech_rules, transcripts};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use leadline_core::lead::{Author, LeadStatus};
use leadline_core::secret::Secret;
use leadline_core::speech_rules::{NewSpeechRule, Who, parse_phrases};
use leadline_core::transcript::{Language, ServiceBase, SpeechApi, SpeechModel, TranscriptionService};

/// The page's path.
pub const PATH: &str = "/app/settings/transcripts";

/// The page's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(show).post(set_service))
        .route("/app/settings/transcripts/rules", post(add_rule))
        .route("/app/settings/transcripts/rules/{id}/remove", post(remove_rule))
        .route("/app/settings/transcripts/reapply", post(reapply))
}

/// One rule as listed: (id, phrases, whose words, what it does).
type RuleRow = (i64, String, &'static str, String);

#[derive(Template)]
#[template(path = "settings_transcripts.html")]
struct TranscriptsPage {
    header: Header,
    csrf: String,
    /// `off`, `speech_api` or `provider`.
    kind: String,
    base_url: String,
    model: String,
    language: String,
    diarize: bool,
    has_key: bool,
    rules: Vec<RuleRow>,
    statuses: Vec<&'static str>,
    errors: Errors,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    owner: &Owner,
    fields: Option<&Fields>,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let business = owner.0.business;
    let service = state.store.transcription_service(business).await?;
    let api = match &service {
        Some(TranscriptionService::SpeechApi(api)) => Some(api),
        _ => None,
    };
    let stored_kind = service.as_ref().map_or("off", |s| s.kind());
    let typed = |name: &str, stored: String| fields.map_or(stored, |f| f.get(name).to_owned());
    let rules = state
        .store
        .speech_rules(business)
        .await?
        .into_iter()
        .map(|r| {
            let phrases: Vec<String> = r.rule.phrases.iter().map(|p| p.as_text()).collect();
            let mut does = Vec::new();
            does.extend(r.rule.tag.as_ref().map(|t| format!("tag {t}")));
            does.extend(r.rule.status.map(|s| format!("status {}", s.as_str())));
            if r.rule.weight != 0 {
                does.push(format!("score {:+}", r.rule.weight));
            }
            let who = match r.rule.who {
                Who::Anyone => "anyone mentions",
                Who::Caller => "the caller says",
            };
            (r.id, phrases.join(", "), who, does.join(", "))
        })
        .collect();
    Ok(render(&TranscriptsPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        kind: typed("kind", stored_kind.to_owned()),
        base_url: typed("base_url", api.map(|a| a.base.as_str().to_owned()).unwrap_or_default()),
        model: typed("model", api.map(|a| a.model.as_str().to_owned()).unwrap_or_default()),
        language: typed(
            "language",
            api.and_then(|a| a.language)
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
        ),
        diarize: fields.map_or(api.is_some_and(|a| a.diarize), |f| f.ticked("diarize")),
        has_key: api.is_some(),
        rules,
        statuses: LeadStatus::ALL
            .iter()
            .filter(|s| **s != LeadStatus::InCall)
            .map(|s| s.as_str())
            .collect(),
        errors,
        notice,
    }))
}

/// `GET /app/settings/transcripts` (`?saved=1` after a change).
pub async fn show(
    State(state): State<AppState>,
    owner: Owner,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let notice = saved(&query).then(|| "Saved.".to_owned());
    page(&state, &owner, None, Errors::default(), notice).await
}

fn author(owner: &Owner) -> Author {
    Author::user(&owner.0.user.email)
}

/// The service the form describes; `None` for off. An empty key keeps `stored`'s.
fn service_of(
    fields: &Fields,
    stored: Option<&SpeechApi>,
    errors: &mut Errors,
) -> Option<Option<TranscriptionService>> {
    match fields.get("kind") {
        "off" => Some(None),
        "provider" => Some(Some(TranscriptionService::Provider)),
        "speech_api" => {
            let base = errors.take("base_url", ServiceBase::parse(fields.get("base_url")));
            let model = errors.take("model", SpeechModel::parse(fields.get("model")));
            let language = match fields.get("language") {
                "" => Some(None),
                typed => errors.take("language", Language::parse(typed)).map(Some),
            };
            let key = match (fields.get("key"), stored) {
                ("", Some(api)) => Some(api.key.clone()),
                ("", None) => {
                    errors.add("key", "give the service's API key");
                    None
                }
                (typed, _) => Some(Secret::new(typed)),
            };
            Some(Some(TranscriptionService::SpeechApi(SpeechApi {
                base: base?,
                model: model?,
                key: key?,
                language: language?,
                diarize: fields.ticked("diarize"),
            })))
        }
        _ => {
            errors.add("kind", "choose who transcribes calls");
            None
        }
    }
}

/// `POST /app/settings/transcripts`: sets the service.
pub async fn set_service(
    State(state): State<AppState>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let business = owner.0.business;
    let stored = state.store.transcription_service(business).await?;
    let stored_api = match &stored {
        Some(TranscriptionService::SpeechApi(api)) => Some(api),
        _ => None,
    };
    let mut errors = Errors::default();
    if let Some(service) = service_of(&fields, stored_api, &mut errors) {
        match transcripts::set_service(state.store.as_ref(), business, &author(&owner), service).await {
            Ok(()) => return Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response()),
            Err(e) => errors.refusal("kind", e)?,
        }
    }
    Ok(refused(page(&state, &owner, Some(&fields), errors, None).await?))
}

/// The rule the form describes.
fn rule_of(fields: &Fields, errors: &mut Errors) -> Option<NewSpeechRule> {
    let phrases = errors.take("phrases", parse_phrases(fields.get("phrases")));
    let who = errors.take("who", Who::parse(fields.get("who")));
    let status = match fields.get("status") {
        "" => Some(None),
        typed => errors.take("status", LeadStatus::parse(typed)).map(Some),
    };
    let weight = match fields.get("weight") {
        "" => Some(0),
        typed => errors.take(
            "weight",
            typed.parse::<i64>().map_err(|_| "a whole number, e.g. 5 or -3"),
        ),
    };
    let tag = Some(fields.get("tag")).filter(|t| !t.is_empty()).map(str::to_owned);
    Some(NewSpeechRule {
        phrases: phrases?,
        who: who?,
        tag,
        status: status?,
        weight: weight?,
    })
}

/// `POST /app/settings/transcripts/rules`: adds a rule.
pub async fn add_rule(
    State(state): State<AppState>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let mut errors = Errors::default();
    if let Some(rule) = rule_of(&fields, &mut errors) {
        match speech_rules::add_rule(state.store.as_ref(), owner.0.business, &author(&owner), &rule).await {
            Ok(_) => return Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response()),
            Err(e) => errors.refusal("rule", e)?,
        }
    }
    Ok(refused(page(&state, &owner, None, errors, None).await?))
}

/// `POST /app/settings/transcripts/rules/{id}/remove`.
pub async fn remove_rule(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    speech_rules::remove_rule(state.store.as_ref(), owner.0.business, &author(&owner), id).await?;
    Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response())
}

/// `POST /app/settings/transcripts/reapply`: the rules applied again to past transcripts.
pub async fn reapply(State(state): State<AppState>, OwnerForm(owner, _): OwnerForm) -> Result<Response, ApiError> {
    let count = speech_rules::reapply(state.store.as_ref(), owner.0.business, &author(&owner)).await?;
    let notice = format!("The rules were applied again to {count} past transcript(s).");
    page(&state, &owner, None, Errors::default(), Some(notice)).await
}
