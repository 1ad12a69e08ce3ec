//! `/app/settings/numbers`: the business's tracking numbers with the exact webhook URLs to
//! paste into the provider's console; added and edited with the auth token entered once and
//! never shown again (a new one replaces it), and removed; and a test call placed to one with
//! the sandbox phone, watched arriving in Activity.

use super::form::{Errors, Fields, OwnerForm, refused};
use crate::app::setup::numbers::{Scope, add_number, edit_number, remove_number};
use crate::app::test_calls::{RING_SECONDS, TALK_SECONDS, TestCallRequest, place_test_call};
use crate::app::{AppError, AppState};
use crate::http::operator::session::Owner;
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::keypad::Keys;
use leadline_core::tenant::{
    AccountSid, NewTrackingNumber, NumberEdit, Provider, Site, TrackingNumber, parse_auth_token,
};
use leadline_core::{E164, NumberId, SiteId};

/// The caller a test call comes from unless the owner types another (a number reserved for
/// fiction: it never rings anyone).
const TEST_CALLER: &str = "+12025550123";

/// A site the number may serve, as a checkbox.
struct SiteChoice {
    id: i64,
    name: String,
    chosen: bool,
}

/// One webhook setting of the provider's console.
struct Hook {
    setting: String,
    url: String,
}

/// A number as shown in the list.
struct Row {
    id: i64,
    number: String,
    account: String,
    sites: String,
    hooks: Vec<Hook>,
}

/// The number form as typed (never the token).
#[derive(Default)]
struct NumberForm {
    number: String,
    account_sid: String,
}

#[derive(Template)]
#[template(path = "settings_numbers.html")]
struct NumbersPage {
    header: Header,
    csrf: String,
    numbers: Vec<Row>,
    form: NumberForm,
    sites: Vec<SiteChoice>,
    errors: Errors,
}

/// The test-call form as typed, and why it was refused (`""`: the call as a whole).
struct TestCallForm {
    caller: String,
    keys: String,
    answers: bool,
    errors: Errors,
}

impl Default for TestCallForm {
    fn default() -> Self {
        Self {
            caller: TEST_CALLER.into(),
            keys: String::new(),
            answers: true,
            errors: Errors::default(),
        }
    }
}

#[derive(Template)]
#[template(path = "settings_number.html")]
struct NumberPage {
    header: Header,
    csrf: String,
    id: i64,
    number: String,
    hooks: Vec<Hook>,
    form: NumberForm,
    sites: Vec<SiteChoice>,
    errors: Errors,
    test: TestCallForm,
    ring_seconds: u32,
    talk_seconds: u32,
}

/// The URLs the provider must call for `number`: voice (with `?site=KEY` per site when the
/// number serves several), status and SMS, exactly as the signatures are checked against.
fn hooks(base: &str, number: &TrackingNumber, sites: &[Site]) -> Vec<Hook> {
    let base = base.trim_end_matches('/');
    let served: Vec<&Site> = sites.iter().filter(|s| number.site_ids.contains(&s.id)).collect();
    let mut hooks = Vec::new();
    if number.site_ids.len() > 1 {
        for site in served {
            hooks.push(Hook {
                setting: format!(
                    "A call comes in (Voice URL, HTTP POST), when calls count for {}",
                    site.name
                ),
                url: format!("{base}/twilio/voice?site={}", site.key),
            });
        }
    } else {
        hooks.push(Hook {
            setting: "A call comes in (Voice URL, HTTP POST)".into(),
            url: format!("{base}/twilio/voice"),
        });
    }
    hooks.push(Hook {
        setting: "Call status changes (status callback, HTTP POST)".into(),
        url: format!("{base}/twilio/status"),
    });
    hooks.push(Hook {
        setting: "A message comes in (HTTP POST)".into(),
        url: format!("{base}/twilio/sms"),
    });
    hooks
}

fn choices(sites: &[Site], chosen: &[SiteId]) -> Vec<SiteChoice> {
    sites
        .iter()
        .map(|s| SiteChoice {
            id: s.id.0,
            name: s.name.to_string(),
            chosen: chosen.contains(&s.id),
        })
        .collect()
}

/// The sites ticked in the form, or the reason next to the sites field.
fn chosen_sites(fields: &Fields, errors: &mut Errors) -> Vec<SiteId> {
    let ids: Option<Vec<SiteId>> = fields.all("site").iter().map(|s| s.parse().ok().map(SiteId)).collect();
    match ids {
        Some(ids) if !ids.is_empty() => ids,
        Some(_) => {
            errors.add("sites", "choose at least one site");
            Vec::new()
        }
        None => {
            errors.add("sites", "choose the sites from the list");
            Vec::new()
        }
    }
}

async fn list_page(
    state: &AppState,
    owner: &Owner,
    form: NumberForm,
    chosen: &[SiteId],
    errors: Errors,
) -> Result<Response, ApiError> {
    let business = owner.0.business;
    let sites = state.store.list_sites(business).await?;
    let rows = state
        .store
        .list_numbers(business)
        .await?
        .iter()
        .map(|n| Row {
            id: n.id.0,
            number: n.number.to_string(),
            account: n.account_sid.as_str().to_owned(),
            sites: sites
                .iter()
                .filter(|s| n.site_ids.contains(&s.id))
                .map(|s| s.name.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            hooks: hooks(&state.base_url, n, &sites),
        })
        .collect();
    Ok(render(&NumbersPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        numbers: rows,
        form,
        sites: choices(&sites, chosen),
        errors,
    }))
}

/// `GET /app/settings/numbers`.
pub async fn list(State(state): State<AppState>, owner: Owner) -> Result<Response, ApiError> {
    list_page(&state, &owner, NumberForm::default(), &[], Errors::default()).await
}

/// `POST /app/settings/numbers`: adds a number; the token is kept, never shown.
pub async fn add(State(state): State<AppState>, OwnerForm(owner, fields): OwnerForm) -> Result<Response, ApiError> {
    let form = NumberForm {
        number: fields.get("number").to_owned(),
        account_sid: fields.get("account_sid").to_owned(),
    };
    let mut errors = Errors::default();
    let number = errors.take("number", E164::parse(&form.number));
    let account_sid = errors.take("account_sid", AccountSid::parse(&form.account_sid));
    let auth_token = errors.take("auth_token", parse_auth_token(fields.get("auth_token")));
    let site_ids = chosen_sites(&fields, &mut errors);
    if let (Some(number), Some(account_sid), Some(auth_token), true) =
        (number, account_sid, auth_token, errors.is_empty())
    {
        let new = NewTrackingNumber {
            number,
            provider: Provider::Twilio,
            account_sid,
            auth_token,
            site_ids: site_ids.clone(),
        };
        match add_number(
            state.store.as_ref(),
            Scope::Business(owner.0.business),
            &new,
            &owner.0.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to("/app/settings/numbers").into_response()),
            Err(e) => errors.refusal("number", e)?,
        }
    }
    Ok(refused(list_page(&state, &owner, form, &site_ids, errors).await?))
}

async fn number_page(
    state: &AppState,
    owner: &Owner,
    number: &TrackingNumber,
    form: NumberForm,
    chosen: &[SiteId],
    errors: Errors,
    test: TestCallForm,
) -> Result<Response, ApiError> {
    let sites = state.store.list_sites(owner.0.business).await?;
    Ok(render(&NumberPage {
        header: Header::of(state, &owner.0, Section::Settings).await?,
        csrf: owner.0.csrf.clone(),
        id: number.id.0,
        number: number.number.to_string(),
        hooks: hooks(&state.base_url, number, &sites),
        form,
        sites: choices(&sites, chosen),
        errors,
        test,
        ring_seconds: RING_SECONDS,
        talk_seconds: TALK_SECONDS,
    }))
}

/// `GET /app/settings/numbers/{id}`.
pub async fn show(State(state): State<AppState>, owner: Owner, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let number = state.store.number(owner.0.business, NumberId(id)).await?;
    let form = NumberForm {
        number: number.number.to_string(),
        account_sid: number.account_sid.as_str().to_owned(),
    };
    let sites = number.site_ids.clone();
    number_page(
        &state,
        &owner,
        &number,
        form,
        &sites,
        Errors::default(),
        TestCallForm::default(),
    )
    .await
}

/// `POST /app/settings/numbers/{id}`: changes the account, the sites and (when one is given)
/// the token.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let number = state.store.number(owner.0.business, NumberId(id)).await?;
    let form = NumberForm {
        number: number.number.to_string(),
        account_sid: fields.get("account_sid").to_owned(),
    };
    let mut errors = Errors::default();
    let account_sid = errors.take("account_sid", AccountSid::parse(&form.account_sid));
    let auth_token = match fields.get("auth_token") {
        "" => Some(None),
        given => errors.take("auth_token", parse_auth_token(given)).map(Some),
    };
    let site_ids = chosen_sites(&fields, &mut errors);
    if let (Some(account_sid), Some(auth_token), true) = (account_sid, auth_token, errors.is_empty()) {
        let edit = NumberEdit {
            account_sid,
            auth_token,
            site_ids: site_ids.clone(),
        };
        match edit_number(
            state.store.as_ref(),
            owner.0.business,
            number.id,
            &edit,
            &owner.0.author(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/app/settings/numbers/{id}")).into_response()),
            Err(e) => errors.refusal("sites", e)?,
        }
    }
    Ok(refused(
        number_page(
            &state,
            &owner,
            &number,
            form,
            &site_ids,
            errors,
            TestCallForm::default(),
        )
        .await?,
    ))
}

/// `POST /app/settings/numbers/{id}/test-call`: starts a test call to the number with the
/// sandbox phone and sends the owner to Activity to watch it; the page again with the reason
/// when it cannot start.
pub async fn test_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, fields): OwnerForm,
) -> Result<Response, ApiError> {
    let number = state.store.number(owner.0.business, NumberId(id)).await?;
    let mut test = TestCallForm {
        caller: fields.get("caller").to_owned(),
        keys: fields.get("keys").to_owned(),
        answers: fields.ticked("answers"),
        errors: Errors::default(),
    };
    let caller = test.errors.take("caller", E164::parse(&test.caller));
    let keys = match test.keys.as_str() {
        "" => Some(None),
        typed => test.errors.take("keys", Keys::parse(typed)).map(Some),
    };
    if let (Some(caller), Some(keys)) = (caller, keys) {
        let request = TestCallRequest {
            caller,
            keys,
            operator_answers: test.answers,
        };
        match place_test_call(&state, owner.0.business, number.id, request).await {
            Ok(()) => return Ok(Redirect::to("/app/activity").into_response()),
            Err(AppError::Unavailable(why)) => test.errors.add("", why),
            Err(e) => test.errors.refusal("", e)?,
        }
    }
    let form = NumberForm {
        number: number.number.to_string(),
        account_sid: number.account_sid.as_str().to_owned(),
    };
    let sites = number.site_ids.clone();
    Ok(refused(
        number_page(&state, &owner, &number, form, &sites, Errors::default(), test).await?,
    ))
}

/// `POST /app/settings/numbers/{id}/remove`: its webhooks then answer as for an unknown
/// number; its calls are kept.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnerForm(owner, _): OwnerForm,
) -> Result<Response, ApiError> {
    remove_number(state.store.as_ref(), owner.0.business, NumberId(id), &owner.0.author()).await?;
    Ok(Redirect::to("/app/settings/numbers").into_response())
}
