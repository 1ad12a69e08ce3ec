//! `/app/settings/alerts`: a member's own alerts (which happenings, by e-mail or SMS, and
//! quiet hours on their own clock). Unlike the rest of Settings, every member opens it, for
//! themselves only; the change goes through `app::alerts`.

use super::form::{Errors, Fields, refused, saved};
use crate::app::AppState;
use crate::app::alerts::{my_alerts, set_my_alerts};
use crate::http::operator::session::Operator;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::E164;
use leadline_core::alerts::{AlertChoices, AlertKind, ClockTime, QuietHours};
use leadline_core::lead::Author;
use leadline_core::site::Timezone;
use leadline_core::summary::SummaryFrequency;
use leadline_core::tenant::Role;

/// The page's path.
pub const PATH: &str = crate::app::alerts::ALERTS_PAGE;

/// One kind of alert as the form shows it.
struct KindBox {
    value: &'static str,
    label: &'static str,
    ticked: bool,
}

#[derive(Template)]
#[template(path = "settings_alerts.html")]
struct AlertsPage {
    header: Header,
    csrf: String,
    login: String,
    kinds: Vec<KindBox>,
    email: bool,
    sms: String,
    quiet_start: String,
    quiet_end: String,
    zone: String,
    /// Whether the summary e-mail is offered (owners).
    owner: bool,
    summary: String,
    /// The install's VAPID public key, for the browser to subscribe with.
    push_key: String,
    /// How many browsers of this member get their alerts.
    browsers: usize,
    errors: Errors,
    saved: bool,
}

/// The form's fields as shown: stored choices, or what was posted.
struct Shown {
    kinds: Vec<AlertKind>,
    email: bool,
    sms: String,
    quiet_start: String,
    quiet_end: String,
    zone: String,
    summary: String,
}

impl Shown {
    fn of(choices: &AlertChoices) -> Self {
        Self {
            kinds: choices.kinds.clone(),
            email: choices.email,
            sms: choices.sms.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default(),
            quiet_start: choices.quiet.map(|q| q.start().to_string()).unwrap_or_default(),
            quiet_end: choices.quiet.map(|q| q.end().to_string()).unwrap_or_default(),
            zone: choices.zone.name().to_owned(),
            summary: choices.summary.map_or("none", |f| f.as_str()).to_owned(),
        }
    }

    fn posted(fields: &Fields) -> Self {
        let ticked = fields.all("kind");
        Self {
            kinds: AlertKind::ALL
                .into_iter()
                .filter(|k| ticked.contains(&k.as_str()))
                .collect(),
            email: fields.ticked("email"),
            sms: fields.get("sms").to_owned(),
            quiet_start: fields.get("quiet_start").to_owned(),
            quiet_end: fields.get("quiet_end").to_owned(),
            zone: fields.get("zone").to_owned(),
            summary: fields.get("summary").to_owned(),
        }
    }

    /// The choices, or the reasons next to each field; only an owner gets a summary.
    fn parse(&self, owner: bool, errors: &mut Errors) -> Option<AlertChoices> {
        let summary = match self.summary.as_str() {
            "" | "none" => Some(None),
            _ if !owner => Some(None),
            chosen => errors.take("summary", SummaryFrequency::parse(chosen)).map(Some),
        };
        let sms = match self.sms.as_str() {
            "" => Some(None),
            number => errors.take("sms", E164::parse(number)).map(Some),
        };
        let zone = errors.take("zone", Timezone::parse(&self.zone));
        let quiet = match (self.quiet_start.as_str(), self.quiet_end.as_str()) {
            ("", "") => Some(None),
            ("", _) => {
                errors.add("quiet_start", "give the time quiet hours start, or clear both times");
                None
            }
            (_, "") => {
                errors.add("quiet_end", "give the time quiet hours end, or clear both times");
                None
            }
            (start, end) => {
                let start = errors.take("quiet_start", ClockTime::parse(start));
                let end = errors.take("quiet_end", ClockTime::parse(end));
                match (start, end) {
                    (Some(start), Some(end)) => errors.take("quiet_end", QuietHours::new(start, end)).map(Some),
                    _ => None,
                }
            }
        };
        Some(AlertChoices {
            kinds: self.kinds.clone(),
            email: self.email,
            sms: sms?,
            quiet: quiet?,
            zone: zone?,
            summary: summary?,
        })
    }
}

async fn page(
    state: &AppState,
    operator: &Operator,
    shown: Shown,
    errors: Errors,
    saved: bool,
) -> Result<Response, ApiError> {
    Ok(render(&AlertsPage {
        header: Header::of(state, operator, Section::Settings).await?,
        csrf: operator.csrf.clone(),
        login: operator.user.email.as_str().to_owned(),
        kinds: AlertKind::ALL
            .into_iter()
            .map(|k| KindBox {
                value: k.as_str(),
                label: k.label(),
                ticked: shown.kinds.contains(&k),
            })
            .collect(),
        email: shown.email,
        sms: shown.sms,
        quiet_start: shown.quiet_start,
        quiet_end: shown.quiet_end,
        zone: shown.zone,
        owner: operator.role == Role::Owner,
        summary: shown.summary,
        push_key: state.push_key.public_key().to_owned(),
        browsers: state
            .store
            .push_subscriptions(operator.business, operator.user.id)
            .await?
            .len(),
        errors,
        saved,
    }))
}

/// `GET /app/settings/alerts` (`?saved=1` after a change): the member's own choices.
pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let choices = my_alerts(state.store.as_ref(), operator.business, operator.user.id).await?;
    page(&state, &operator, Shown::of(&choices), Errors::default(), saved(&query)).await
}

/// `POST /app/settings/alerts`: bad input changes nothing and says why next to the field.
pub async fn edit(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = Fields::parse(&body);
    operator.check_post(&state, &headers, fields.get("csrf"))?;
    let shown = Shown::posted(&fields);
    let mut errors = Errors::default();
    if let Some(choices) = shown.parse(operator.role == Role::Owner, &mut errors) {
        let author = Author::user(&operator.user.email);
        let store = state.store.as_ref();
        match set_my_alerts(store, operator.business, operator.user.id, &choices, &author).await {
            Ok(()) => return Ok(Redirect::to(&format!("{PATH}?saved=1")).into_response()),
            Err(e) => errors.refusal("kind", e)?,
        }
    }
    Ok(refused(page(&state, &operator, shown, errors, false).await?))
}
