//! Operators' logins: an e-mail and password (argon2id) start a session whose random token
//! lives in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is stored. Every form an
//! operator posts carries a token derived from the session, and its Origin must be ours.

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::Form;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use leadline_core::BusinessId;
use leadline_core::lead::Author;
use leadline_core::secret::{Secret, api_key_hash};
use leadline_core::store::StoreError;
use leadline_core::tenant::{Role, User};
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE: &str = "leadline_session";
/// How long a login lasts (the cookie itself ends with the browser session).
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// A logged-in operator or owner, with the business the session works in and the user's
/// role there, and the session's CSRF token. Pages scope every query by `business`, never by
/// the user's own record.
pub struct Operator {
    pub user: User,
    /// The business every page and query of this session is scoped to.
    pub business: BusinessId,
    /// What the user may do in `business`.
    pub role: Role,
    pub csrf: String,
}

/// A logged-in owner of the session's business: the extractor of the Settings pages. Anyone
/// else gets 404, as if the page did not exist.
pub struct Owner(pub Operator);

impl Operator {
    /// The author of the changes this session makes (`user:<email>`).
    pub fn author(&self) -> Author {
        Author::user(&self.user.email)
    }
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

impl Operator {
    /// The operator whose session cookie `headers` carry, if it is a live session.
    async fn of(headers: &HeaderMap, state: &AppState) -> Result<Option<Self>, ApiError> {
        let jar = CookieJar::from_headers(headers);
        let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
            return Ok(None);
        };
        let hash = api_key_hash(&token);
        match state.store.session(&hash, now_ms()).await {
            Ok(session) => Ok(Some(Self {
                business: session.business,
                role: session.role,
                user: session.user,
                csrf: csrf_token(&state.secret, &hash),
            })),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Self::of(&parts.headers, state).await {
            Ok(Some(operator)) => Ok(operator),
            Ok(None) => Err(LoginFirst(parts.uri.path().to_owned()).into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let operator = <Operator as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        if operator.role == Role::Owner {
            Ok(Self(operator))
        } else {
            Err(ApiError::NotFound.into_response())
        }
    }
}

impl OptionalFromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        Self::of(&parts.headers, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl Operator {
    /// Checks a posted form: its CSRF token, and an Origin (when the browser sends one)
    /// that is this server's.
    pub fn check_post(&self, state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<(), ApiError> {
        if !from_our_pages(state, headers) {
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

/// Whether a posted form came from this server's own pages, as far as the browser tells: an
/// Origin, when sent, must be ours, and a fetch the browser marks cross-site is refused.
pub fn from_our_pages(state: &AppState, headers: &HeaderMap) -> bool {
    let ours = url::Url::parse(&state.base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    !cross_site && origin.is_none_or(|o| o == ours)
}

/// The SHA-256 of the session cookie's token, as stored, if the request carries one.
pub fn token_hash(jar: &CookieJar) -> Option<String> {
    jar.get(COOKIE).map(|c| api_key_hash(c.value()))
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    leadline_core::clock::now().timestamp_millis()
}

/// The log-out form's field.
#[derive(serde::Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /app/logout`: ends the session, when the form carries its token (so that another site
/// cannot log an operator out); without a session there is nothing to end.
pub async fn log_out(
    State(state): State<AppState>,
    operator: Option<Operator>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(operator) = operator {
        if let Err(e) = operator.check_post(&state, &headers, &form.csrf) {
            return e.into_response();
        }
        if let Some(cookie) = jar.get(COOKIE)
            && let Err(e) = state.store.delete_session(&api_key_hash(cookie.value())).await
        {
            return ApiError::from(e).into_response();
        }
    }
    let gone = Cookie::build((COOKIE, "")).path("/app").build();
    (jar.remove(gone), Redirect::to("/app/login")).into_response()
}
