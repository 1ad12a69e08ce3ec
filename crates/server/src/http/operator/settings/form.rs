//! What the Settings forms share: the extractor of a posted form (the owner, the CSRF token
//! and origin checked, the fields read once with repeated names kept), the reasons shown next
//! to each field, and the answer to a form with bad input.

use super::super::session::Owner;
use crate::app::{AppError, AppState};
use crate::web::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A form an owner posted to a Settings page: the owner, and the fields once the form's CSRF
/// token and origin are checked. Anyone but an owner of the session's business gets 404; a
/// missing or stale token, or a post from another site, 403. The handler's last argument.
pub struct OwnerForm(pub Owner, pub Fields);

impl FromRequest<AppState> for OwnerForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let owner = Owner::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields = Fields::parse(&body);
        owner
            .0
            .check_post(state, &headers, fields.get("csrf"))
            .map_err(IntoResponse::into_response)?;
        Ok(Self(owner, fields))
    }
}

/// A posted form's fields, in order; a name may repeat (the sites a number serves).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Reads an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, trimmed, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Fields given as pairs (a form filled with stored values).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The fields as posted, in order, untrimmed.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    /// Whether a checkbox was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// The reasons a form was refused, each next to its field (`""`: the form as a whole).
#[derive(Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    /// Records why `field` is refused (the first reason per field is kept).
    pub fn add(&mut self, field: &'static str, reason: impl std::fmt::Display) {
        if self.get(field).is_none() {
            self.0.push((field, reason.to_string()));
        }
    }

    /// The reason `field` was refused, if it was.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, r)| r.as_str())
    }

    /// Whether nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps `Ok` values; records an `Err` against `field`.
    pub fn take<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    /// A use case's refusal next to `field` (`NotFound` and failures are not the form's).
    pub fn refusal(&mut self, field: &'static str, error: AppError) -> Result<(), ApiError> {
        match error {
            AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => {
                self.add(field, why);
                Ok(())
            }
            other => Err(other.into()),
        }
    }
}

/// Whether a settings page is shown after a change was saved (`?saved=1`: the redirect after a
/// post says so).
pub fn saved(query: &[(String, String)]) -> bool {
    query.iter().any(|(k, v)| k == "saved" && v == "1")
}

/// A form shown again with its reasons: 400.
pub fn refused(page: Response) -> Response {
    (StatusCode::BAD_REQUEST, page).into_response()
}
