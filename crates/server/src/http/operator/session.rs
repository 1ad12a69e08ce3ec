//! Operators' logins: an e-mail and password (argon2id) start a session whose random token
//! lives in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is stored. Every form an
//! operator posts carries a token derived from the session, and its Origin must be ours.

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use leadline_core::net::Email;
use leadline_core::secret::{Secret, api_key_hash, random_token, verify_password};
use leadline_core::store::StoreError;
use leadline_core::tenant::User;
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE: &str = "leadline_session";
/// How long a login lasts (the cookie itself ends with the browser session).
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// A logged-in operator or owner, with the session's CSRF token.
pub struct Operator {
    pub user: User,
    pub csrf: String,
}

/// What a request without a valid session gets: to the login page, coming back afterwards.
pub struct LoginFirst(String);

impl IntoResponse for LoginFirst {
    fn into_response(self) -> Response {
        let next: String = form_urlencoded::byte_serialize(self.0.as_bytes()).collect();
        Redirect::to(&format!("/app/login?next={next}")).into_response()
    }
}

fn csrf_token(secret: &Secret, token_hash: &str) -> String {
    api_key_hash(&format!("{}\0csrf\0{token_hash}", secret.expose()))
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path().to_owned();
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
            return Err(LoginFirst(back).into_response());
        };
        let hash = api_key_hash(&token);
        match state.store.session_user(&hash, now_ms()).await {
            Ok(user) => Ok(Self {
                user,
                csrf: csrf_token(&state.secret, &hash),
            }),
            Err(StoreError::NotFound) => Err(LoginFirst(back).into_response()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

impl Operator {
    /// Checks a posted form: its CSRF token, and an Origin (when the browser sends one)
    /// that is this server's.
    pub fn check_post(&self, state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<(), ApiError> {
        let ours = url::Url::parse(&state.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin.is_some_and(|o| o != ours) {
            return Err(ApiError::Forbidden("the form was posted from another site".into()));
        }
        if leadline_core::secret::same_secret(csrf, &self.csrf) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "the form is stale: reload the page and try again".into(),
            ))
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The login form's fields.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Where to go after logging in: only a path of the operator pages, never another site.
pub fn safe_next(next: &str) -> &str {
    let ours = next.starts_with("/app/") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']);
    if ours { next } else { "/app/leads" }
}

/// `POST /app/login`.
pub async fn log_in(
    State(state): State<AppState>,
    Extension(crate::web::client::ClientIp(ip)): Extension<crate::web::client::ClientIp>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    // Password guessing shares the per-address quota of visit registrations.
    if state.visit_limits.registration_from(ip).is_err() {
        return crate::web::client::too_many(60);
    }
    let refused =
        || super::pages::login_page(&form.next, Some("That e-mail and password do not match.")).into_response();
    let Ok(email) = Email::parse(&form.email) else {
        return refused();
    };
    let credentials = match state.store.user_credentials(&email).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => {
            // Spend the same time as a real check, so that timing does not tell who exists.
            verify_password(dummy_hash(), &form.password);
            return refused();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !verify_password(&credentials.password_hash, &form.password) {
        return refused();
    }
    let token = random_token(43);
    let expires = now_ms() + i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
    if let Err(e) = state
        .store
        .create_session(credentials.user.id, &api_key_hash(&token), expires)
        .await
    {
        return ApiError::from(e).into_response();
    }
    let cookie = Cookie::build((COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.base_url.starts_with("https://"))
        .path("/app")
        .build();
    (jar.add(cookie), Redirect::to(safe_next(&form.next))).into_response()
}

/// An argon2id hash of a random password, checked when the e-mail is unknown.
fn dummy_hash() -> &'static Secret {
    static HASH: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    HASH.get_or_init(|| leadline_core::secret::NewPassword::generate().hash())
}

/// `POST /app/logout`.
pub async fn log_out(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(COOKIE)
        && let Err(e) = state.store.delete_session(&api_key_hash(cookie.value())).await
    {
        return ApiError::from(e).into_response();
    }
    let gone = Cookie::build((COOKIE, "")).path("/app").build();
    (jar.remove(gone), Redirect::to("/app/login")).into_response()
}
