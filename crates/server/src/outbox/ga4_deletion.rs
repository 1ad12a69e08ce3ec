//! Google Analytics' User Deletion API: when a person is erased, each of their client ids
//! (the `_ga` cookie's `<random>.<timestamp>`) is sent to
//! `POST /analytics/v3/userDeletion/userDeletionRequests:upsert` with the GA4 property's id,
//! and Google deletes that client's data up to the `deletionRequestTime` it answers.
//!
//! The Measurement Protocol's API secret cannot delete: the integration holds an OAuth 2.0
//! client and a refresh token granted `https://www.googleapis.com/auth/analytics.user.deletion`.
//! The access token is refreshed at `https://oauth2.googleapis.com/token`, cached until it
//! expires and refreshed once more on a 401. Only `lead.erased` events come here.

use super::oauth::RefreshGrant;
use super::{Adapter, Cache, Context, Failure, Sent, http_failure};
use crate::outbox::crm::send_json;
use async_trait::async_trait;
use leadline_core::erasure::Subject;
use leadline_core::event::EventData;
use leadline_core::outbox::{Integration, IntegrationConfig};
use reqwest::{Method, StatusCode};
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

/// One property's deletion API, with its OAuth client.
pub(crate) struct Api<'a> {
    http: &'a reqwest::Client,
    cache: &'a Cache,
    timeout: Duration,
    property_id: &'a str,
    grant: RefreshGrant<'a>,
    endpoint: &'a str,
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
        let grant = RefreshGrant {
            service: "Google",
            token_url: token_url.as_deref().unwrap_or(TOKEN_URL),
            client_id,
            client_secret: Some(client_secret),
            refresh_token,
            scope: None,
            cache_key: format!("ga4-deletion:{}:{client_id}", integration.id),
        };
        Ok(Self {
            http,
            cache,
            timeout,
            property_id,
            grant,
            endpoint: endpoint.as_deref().unwrap_or(ENDPOINT).trim_end_matches('/'),
        })
    }

    /// The cached access token, else a new one from the refresh token.
    pub(crate) async fn token(&self) -> Result<String, Failure> {
        self.grant.token(self.http, self.cache, self.timeout).await
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
                self.grant.forget(self.cache);
                refreshed = true;
                continue;
            }
            if !status.is_success() {
                return Err(match http_failure(status, &answer) {
                    Failure::Retry(m) => Failure::Retry(format!("GA user deletion: {m}")),
                    Failure::Permanent(m) => Failure::Permanent(format!("GA user deletion: {m}")),
                    wait @ Failure::Wait { .. } => wait,
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
