//! The pages of access that come before a session or change it: accepting an invitation,
//! asking for and using a password-reset link, and switching the session to another
//! business of its user. The links' forms carry a token derived from the link (there is no
//! session yet) and must come from this server's pages.

use super::login::start_session;
use super::session::{self, Operator};
use super::view::render;
use crate::app::people::{self, Links};
use crate::app::{AppError, AppState};
use crate::web::client::ClientIp;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::CookieJar;
use leadline_core::BusinessId;
use leadline_core::access::Invitation;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::{NewPassword, api_key_hash, same_secret};
use serde::Deserialize;

/// The form token of a one-time link's page.
fn link_csrf(state: &AppState, token: &str) -> String {
    api_key_hash(&format!("{}\0link\0{}", state.secret.expose(), api_key_hash(token)))
}

/// Refuses a link's form posted from elsewhere or without the page's token.
fn check_link_post(state: &AppState, headers: &HeaderMap, token: &str, csrf: &str) -> Result<(), ApiError> {
    if !session::from_our_pages(state, headers) {
        return Err(ApiError::Forbidden("the form was posted from another site".into()));
    }
    if same_secret(csrf, &link_csrf(state, token)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form is stale: reload the page and try again".into(),
        ))
    }
}

/// The page of a link that is used, expired or unknown.
#[derive(Template)]
#[template(path = "link_gone.html")]
struct LinkGone {
    what: &'static str,
}

fn gone(what: &'static str) -> Response {
    (StatusCode::NOT_FOUND, render(&LinkGone { what })).into_response()
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    token: String,
    csrf: String,
    business_name: String,
    email: String,
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

async fn invitation_page(
    state: &AppState,
    token: &str,
    invitation: &Invitation,
    status: StatusCode,
    typed: (String, Option<String>, Option<String>, Option<String>),
) -> Result<Response, ApiError> {
    let business = state.store.business(invitation.business_id).await?;
    let page = InvitationPage {
        token: token.to_owned(),
        csrf: link_csrf(state, token),
        business_name: business.name.to_string(),
        email: invitation.email.to_string(),
        name: typed.0,
        name_error: typed.1,
        password_error: typed.2,
        error: typed.3,
    };
    Ok((status, render(&page)).into_response())
}

/// The invitation of `token`, if it may still be accepted.
async fn open_invitation(state: &AppState, token: &str) -> Result<Option<Invitation>, ApiError> {
    match state.store.invitation(&api_key_hash(token), session::now_ms()).await {
        Ok(invitation) => Ok(Some(invitation)),
        Err(leadline_core::store::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `GET /app/invitations/{token}`.
pub async fn show_invitation(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    match open_invitation(&state, &token).await? {
        Some(invitation) => {
            let name = invitation.name.to_string();
            invitation_page(&state, &token, &invitation, StatusCode::OK, (name, None, None, None)).await
        }
        None => Ok(gone("invitation")),
    }
}

/// The invitation's and the reset's form.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /app/invitations/{token}`: sets the name and password, and logs in.
pub async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    check_link_post(&state, &headers, &token, &form.csrf)?;
    let Some(invitation) = open_invitation(&state, &token).await? else {
        return Ok(gone("invitation"));
    };
    let name = Name::parse_as("user name", &form.name);
    let password = NewPassword::parse(&form.password);
    let (name, password) = match (name, password) {
        (Ok(name), Ok(password)) => (name, password),
        (name, password) => {
            let typed = (
                form.name,
                name.err().map(|e| e.reason),
                password.err().map(|e| e.reason),
                None,
            );
            return invitation_page(&state, &token, &invitation, StatusCode::BAD_REQUEST, typed).await;
        }
    };
    match people::accept_invitation(state.store.as_ref(), &token, &name, &password).await {
        Ok(user) => Ok(start_session(&state, jar, user.id, "/app/").await),
        Err(AppError::NotFound) => Ok(gone("invitation")),
        Err(AppError::Conflict(why)) => {
            invitation_page(
                &state,
                &token,
                &invitation,
                StatusCode::CONFLICT,
                (form.name, None, None, Some(why)),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    email: String,
    email_error: Option<String>,
    /// After a request: the same words whether the account exists or not.
    sent: bool,
}

/// `GET /app/password/forgot`.
pub async fn show_forgot() -> Response {
    render(&ForgotPage {
        email: String::new(),
        email_error: None,
        sent: false,
    })
}

/// The forgotten-password form.
#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /app/password/forgot`: mails a link when a user has the e-mail, and answers the same
/// either way. Limited per address (the log-in quota) and per e-mail (a few requests, then
/// a lock that doubles, as for failed log-ins): past the e-mail's limit nothing is sent, and
/// the answer is still the same.
pub async fn forgot(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, ApiError> {
    if !session::from_our_pages(&state, &headers) {
        return Err(ApiError::Forbidden("the form was posted from another site".into()));
    }
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = ForgotPage {
                email: form.email,
                email_error: Some(e.reason),
                sent: false,
            };
            return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
        }
    };
    if state.visit_limits.registration_from(ip).is_err() {
        return Ok(crate::web::client::too_many(60));
    }
    let now = session::now_ms();
    let account = format!("password-reset:{email}");
    if state.login_throttle.check(&account, now).is_ok() {
        state.login_throttle.failed(&account, now);
        let links = Links {
            base_url: &state.base_url,
            mailer: state.mailer.as_deref(),
        };
        people::request_password_reset(state.store.as_ref(), &links, &email).await?;
    }
    Ok(render(&ForgotPage {
        email: String::new(),
        email_error: None,
        sent: true,
    }))
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    token: String,
    csrf: String,
    password_error: Option<String>,
}

/// `GET /app/password/reset/{token}`.
pub async fn show_reset(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let page = ResetPage {
        csrf: link_csrf(&state, &token),
        token,
        password_error: None,
    };
    render(&page)
}

/// `POST /app/password/reset/{token}`: sets the password, ends every session of the user,
/// and sends them to log in.
pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    check_link_post(&state, &headers, &token, &form.csrf)?;
    let password = match NewPassword::parse(&form.password) {
        Ok(password) => password,
        Err(e) => {
            let page = ResetPage {
                csrf: link_csrf(&state, &token),
                token,
                password_error: Some(e.reason),
            };
            return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
        }
    };
    match people::reset_password(state.store.as_ref(), &token, &password).await {
        Ok(_) => Ok(Redirect::to("/app/login").into_response()),
        Err(AppError::NotFound) => Ok(gone("password-reset link")),
        Err(other) => Err(other.into()),
    }
}

/// The business switcher's form.
#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    business: String,
}

/// `POST /app/business`: the session works in another business of its user from now on;
/// 404 unless the user is a member of it.
pub async fn switch_business(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<SwitchForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let business = form
        .business
        .trim()
        .parse()
        .map(BusinessId)
        .map_err(|_| ApiError::NotFound)?;
    let token_hash = session::token_hash(&jar).ok_or(ApiError::NotFound)?;
    people::switch_business(state.store.as_ref(), &token_hash, business).await?;
    Ok(Redirect::to("/app/").into_response())
}
