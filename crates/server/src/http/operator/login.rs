//! Logging in: the login page, and the form's post, which must come from this server's own
//! page (no login CSRF) and is refused for a while after repeated failures on one account.

use super::session::{self, COOKIE, SESSION_TTL};
use super::view::render;
use crate::app::AppState;
use crate::web::client::ClientIp;
use crate::web::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use leadline_core::net::Email;
use leadline_core::secret::{Secret, api_key_hash, random_token, verify_password};
use leadline_core::store::StoreError;
use serde::Deserialize;
use std::time::Duration;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    next: &'a str,
    error: Option<&'a str>,
}

/// The login page with `status`, and an error after a refused attempt.
fn login_page(status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let page = LoginPage {
        next: safe_next(next),
        error,
    };
    (status, render(&page)).into_response()
}

/// Where to go after logging in: only a path of the operator pages, never another site.
fn safe_next(next: &str) -> &str {
    let ours = next.starts_with("/app/") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']);
    if ours { next } else { "/app/activity" }
}

/// `?next=` of the login page.
#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// `GET /app/login`.
pub async fn show_login(Query(query): Query<Next>) -> Response {
    login_page(StatusCode::OK, &query.next, None)
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /app/login`.
pub async fn log_in(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if !session::from_our_pages(&state, &headers) {
        return ApiError::Forbidden("the login form was posted from another site".into()).into_response();
    }
    // Password guessing shares the per-address quota of visit registrations.
    if state.visit_limits.registration_from(ip).is_err() {
        return crate::web::client::too_many(60);
    }
    let now = session::now_ms();
    if let Err(wait) = state.login_throttle.check(&form.email, now) {
        return locked(&form.next, wait);
    }
    match check_credentials(&state, &form).await {
        Ok(Some(user)) => {
            state.login_throttle.succeeded(&form.email);
            start_session(&state, jar, user, &form.next).await
        }
        Ok(None) => {
            state.login_throttle.failed(&form.email, now);
            login_page(
                StatusCode::UNAUTHORIZED,
                &form.next,
                Some("That e-mail and password do not match."),
            )
        }
        Err(e) => e.into_response(),
    }
}

/// The user whose e-mail and password these are, if any.
async fn check_credentials(state: &AppState, form: &LoginForm) -> Result<Option<leadline_core::UserId>, ApiError> {
    let Ok(email) = Email::parse(&form.email) else {
        return Ok(None);
    };
    match state.store.user_credentials(&email).await {
        Ok(credentials) => {
            Ok(verify_password(&credentials.password_hash, &form.password).then_some(credentials.user.id))
        }
        Err(StoreError::NotFound) => {
            // Spend the same time as a real check, so that timing does not tell who exists.
            verify_password(dummy_hash(), &form.password);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer while an account is locked: 429, how long to wait, and the page saying so.
fn locked(next: &str, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let message = format!(
        "Too many failed log-ins for this e-mail. Try again in {}.",
        if seconds < 120 {
            format!("{seconds} seconds")
        } else {
            format!("{} minutes", seconds.div_ceil(60))
        }
    );
    let mut response = login_page(StatusCode::TOO_MANY_REQUESTS, next, Some(&message));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Starts a session for `user`, working in their first business, and sends the browser on
/// to `next`. A user who belongs to no business any more gets the login page back.
pub async fn start_session(state: &AppState, jar: CookieJar, user: leadline_core::UserId, next: &str) -> Response {
    let first = match state.store.memberships(user).await {
        Ok(memberships) => memberships.into_iter().next(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(first) = first else {
        return login_page(
            StatusCode::FORBIDDEN,
            next,
            Some("This login belongs to no business any more: ask an owner to invite you again."),
        );
    };
    let token = random_token(43);
    let expires = session::now_ms() + i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
    let created = state
        .store
        .create_session(user, first.business.id, &api_key_hash(&token), expires)
        .await;
    if let Err(e) = created {
        return ApiError::from(e).into_response();
    }
    let cookie = Cookie::build((COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.base_url.starts_with("https://"))
        .path("/app")
        .build();
    (jar.add(cookie), Redirect::to(safe_next(next))).into_response()
}

/// An argon2id hash of a random password, checked when the e-mail is unknown.
fn dummy_hash() -> &'static Secret {
    static HASH: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    HASH.get_or_init(|| leadline_core::secret::NewPassword::generate().hash())
}
