//! Google Analytics' User Deletion API: when a person is erased, each of their client ids
//! (the `_ga` cookie's `<random>.<timestamp>`) is sent to
//! `POST /analytics/v3/userDeletion/userDeletionRequests:upsert` with the GA4 property's id,
//! and Google deletes that client's data up to the `deletionRequestTime` it answers.
//!
//! The Measurement Protocol's API secret cannot delete: the integration holds an OAuth 2.0
//! client and a refresh token granted `https://www.googleapis.com/auth/analytics.user.deletion`.
//! The access token is refreshed at `https://oauth2.googleapis.com/token`, cached until it
//! expires and refreshed once more on a 401. Only `lead.erased` events come here.

use super::{Adapter, Cache, Context, Failure, Sent, http_failure, token_failure, transport_failure};
use crate::outbox::crm::send_json;
use async_trait::async_trait;
use leadline_core::erasure::Subject;
use leadline_core::event::EventData;
use leadline_core::outbox::{Integration, IntegrationConfig};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Google's OAuth 2.0 token endpoint.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Where the User Deletion API is.
pub const ENDPOINT: &str = "https://www.googleapis.com";
/// The path of an upsert.
pub const UPSERT_PATH: &str = "/analytics/v3/userDeletion/userDeletionRequests:upsert";

/// The GA4 user deletion adapter.
pub struct Ga4Deletion;

/// A token answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// One property's deletion API, with its OAuth client.
pub(crate) struct Api<'a> {
    http: &'a reqwest::Client,
    cache: &'a Cache,
    timeout: Duration,
    property_id: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    refresh_token: &'a str,
    token_url: &'a str,
    endpoint: &'a str,
    key: String,
}

impl<'a> Api<'a> {
    /// The API of a GA4 user deletion integration; a permanent failure for any other kind.
    pub(crate) fn new(
        http: &'a reqwest::Client,
        cache: &'a Cache,
        timeout: Duration,
        integration: &'a Integration,
    ) -> Result<Self, Failure> {
        let IntegrationConfig::Ga4Deletion {
            property_id,
            client_id,
            client_secret,
            refresh_token,
            token_url,
            endpoint,
        } = &integration.config
        else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the GA4 user deletion adapter",
                integration.config.kind()
            )));
        };
        Ok(Self {
            http,
            cache,
            timeout,
            property_id,
            client_id,
            client_secret,
            refresh_token,
            token_url: token_url.as_deref().unwrap_or(TOKEN_URL),
            endpoint: endpoint.as_deref().unwrap_or(ENDPOINT).trim_end_matches('/'),
            key: format!("ga4-deletion:{}:{client_id}", integration.id),
        })
    }

    /// The cached access token, else a new one from the refresh token.
    pub(crate) async fn token(&self) -> Result<String, Failure> {
        if let Some(token) = self.cache.get(&self.key) {
            return Ok(token);
        }
        let response = self
            .http
            .post(self.token_url)
            .timeout(self.timeout)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", self.client_id),
                ("client_secret", self.client_secret),
                ("refresh_token", self.refresh_token),
            ])
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e))?;
        if !status.is_success() {
            return Err(token_failure("Google", status, &body));
        }
        let answer: TokenAnswer = serde_json::from_str(&body)
            .map_err(|e| Failure::Permanent(format!("Google token: no access_token in the answer: {e}")))?;
        // Kept a minute less than Google says, so it never expires in flight.
        let ttl = Duration::from_secs(answer.expires_in.unwrap_or(3600).saturating_sub(60).max(1));
        self.cache.put(&self.key, answer.access_token.clone(), ttl);
        Ok(answer.access_token)
    }

    /// Asks Google to delete the data of `client_id`; answers the `deletionRequestTime`.
    async fn delete_client(&self, client_id: &str) -> Result<String, Failure> {
        let body = json!({
            "kind": "analytics#userDeletionRequest",
            "id": {"type": "CLIENT_ID", "userId": client_id},
            "propertyId": self.property_id,
        });
        let url = format!("{}{UPSERT_PATH}", self.endpoint);
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let (status, answer) =
                send_json(self.http, self.timeout, &token, Method::POST, url.clone(), Some(&body)).await?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                self.cache.forget(&self.key);
                refreshed = true;
                continue;
            }
            if !status.is_success() {
                return Err(match http_failure(status, &answer) {
                    Failure::Retry(m) => Failure::Retry(format!("GA user deletion: {m}")),
                    Failure::Permanent(m) => Failure::Permanent(format!("GA user deletion: {m}")),
                });
            }
            let said: Value = serde_json::from_str(&answer).unwrap_or_default();
            return Ok(said["deletionRequestTime"]
                .as_str()
                .unwrap_or("(no time given)")
                .to_owned());
        }
    }
}

#[async_trait]
impl Adapter for Ga4Deletion {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let EventData::LeadErased(erased) = &ctx.delivery.event.data else {
            return Ok(Sent {
                response: Some("GA4 user deletion takes only erasures".into()),
            });
        };
        let api = Api::new(ctx.http, ctx.cache, ctx.timeout, &ctx.delivery.integration)?;
        let mut deleted = Vec::new();
        for subject in &erased.subjects {
            if let Subject::GaClientId(client_id) = subject {
                deleted.push(api.delete_client(client_id).await?);
            }
        }
        let response = match deleted.last() {
            None => "no client id to delete".to_owned(),
            Some(time) => format!("Google deletes the data of {} client id(s) up to {time}", deleted.len()),
        };
        Ok(Sent {
            response: Some(response),
        })
    }
}
