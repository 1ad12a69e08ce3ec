//! A fake Google: the OAuth 2.0 token endpoint (the refresh-token grant) and Analytics' User
//! Deletion API (`userDeletionRequests:upsert`), checked as Google documents them: a form
//! body with exactly the grant's four fields, a bearer token Google issued, and a request
//! body naming one client id and the property.

use super::{Answer, Fake, bearer, json_body, refresh_grant, sorted_keys};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use std::time::Duration;

pub const GA_CLIENT_ID: &str = "1234-fake.apps.googleusercontent.com";
pub const GA_CLIENT_SECRET: &str = "GOCSPX-fake-secret";
pub const GA_REFRESH_TOKEN: &str = "1//0fake-refresh-token";
pub const GA_PROPERTY: &str = "987654321";

#[derive(Default)]
pub struct GaState {
    pub tokens_issued: Vec<String>,
    /// Tokens Google no longer takes (expired).
    pub expired: Vec<String>,
    /// The client ids whose deletion was accepted, in order.
    pub deleted: Vec<String>,
    /// The next this many upserts answer 503.
    pub unavailable: u32,
    pub problems: Vec<String>,
}

/// The fake Google.
pub type FakeGoogle = Fake<GaState>;

impl FakeGoogle {
    pub async fn start() -> Self {
        Self::serve(GaState::default(), ga_handle).await
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state().problems.clone();
        assert!(problems.is_empty(), "Google saw: {problems:#?}");
    }
}

/// Google's error object, as both Google fakes answer it.
pub(super) fn google_error(status: u16, code: &str, message: &str) -> Answer {
    (
        status,
        json!({"error": {"code": status, "message": message, "status": code}}),
        Duration::ZERO,
    )
}

fn ga_handle(s: &mut GaState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    match (method.clone(), uri.path()) {
        (Method::POST, "/token") => ga_token(s, headers, body),
        (Method::POST, "/analytics/v3/userDeletion/userDeletionRequests:upsert") => {
            let payload = json_body(headers, body, &mut s.problems, "upsert");
            ga_upsert(s, headers, &payload)
        }
        (other, path) => {
            s.problems.push(format!("{other} {path}: unexpected"));
            google_error(404, "NOT_FOUND", "not found")
        }
    }
}

fn ga_token(s: &mut GaState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let expected = [
        ("client_id", GA_CLIENT_ID),
        ("client_secret", GA_CLIENT_SECRET),
        ("refresh_token", GA_REFRESH_TOKEN),
    ];
    if let Err(refused) = refresh_grant(
        headers,
        body,
        &expected,
        &mut s.problems,
        "Token has been expired or revoked.",
    ) {
        return refused;
    }
    let token = format!("ya29.fake-{}", s.tokens_issued.len() + 1);
    s.tokens_issued.push(token.clone());
    let answer = json!({
        "access_token": token,
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/analytics.user.deletion",
        "token_type": "Bearer",
    });
    (200, answer, Duration::ZERO)
}

fn ga_upsert(s: &mut GaState, headers: &HeaderMap, payload: &Value) -> Answer {
    let valid = bearer(headers).filter(|t| s.tokens_issued.contains(t) && !s.expired.contains(t));
    if valid.is_none() {
        return google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        );
    }
    if s.unavailable > 0 {
        s.unavailable -= 1;
        return google_error(503, "UNAVAILABLE", "The service is currently unavailable.");
    }
    let client_id = payload["id"]["userId"].as_str().unwrap_or_default().to_owned();
    let well_formed = sorted_keys(payload) == ["id", "kind", "propertyId"]
        && payload["kind"] == "analytics#userDeletionRequest"
        && sorted_keys(&payload["id"]) == ["type", "userId"]
        && payload["id"]["type"] == "CLIENT_ID"
        && payload["propertyId"] == GA_PROPERTY
        && client_id.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        });
    if !well_formed {
        s.problems.push(format!("upsert: body {payload}"));
        return google_error(400, "INVALID_ARGUMENT", "Invalid value");
    }
    s.deleted.push(client_id);
    let mut answer = payload.clone();
    answer["deletionRequestTime"] = json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
    (200, answer, Duration::ZERO)
}
