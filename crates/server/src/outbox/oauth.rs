//! OAuth 2.0's refresh-token grant (RFC 6749 §6), as the ad platforms use it: the integration
//! holds a long-lived refresh token, trades it for an access token, keeps that in the worker's
//! [`Cache`] until a minute before it expires, and trades again once when the API answers 401.

use super::{Cache, Failure, token_failure, transport_failure};
use serde::Deserialize;
use std::time::Duration;

/// A token answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// A client that trades a refresh token for access tokens.
pub(crate) struct RefreshGrant<'a> {
    /// Whose token it is, in messages ("Google", "Microsoft").
    pub service: &'static str,
    pub token_url: &'a str,
    pub client_id: &'a str,
    /// Absent for a public client.
    pub client_secret: Option<&'a str>,
    pub refresh_token: &'a str,
    /// The scope to ask for, where the service wants one named (Microsoft).
    pub scope: Option<&'a str>,
    /// Where the access token is cached: one key per integration and client.
    pub cache_key: String,
}

impl RefreshGrant<'_> {
    /// The cached access token, else a new one.
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        cache: &Cache,
        timeout: Duration,
    ) -> Result<String, Failure> {
        if let Some(token) = cache.get(&self.cache_key) {
            return Ok(token);
        }
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id),
            ("refresh_token", self.refresh_token),
        ];
        if let Some(secret) = self.client_secret {
            form.push(("client_secret", secret));
        }
        if let Some(scope) = self.scope {
            form.push(("scope", scope));
        }
        let response = http
            .post(self.token_url)
            .timeout(timeout)
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e))?;
        if !status.is_success() {
            return Err(token_failure(self.service, status, &body));
        }
        let answer: TokenAnswer = serde_json::from_str(&body)
            .map_err(|e| Failure::Permanent(format!("{} token: no access_token in the answer: {e}", self.service)))?;
        // Kept a minute less than the service says, so it never expires in flight.
        let ttl = Duration::from_secs(answer.expires_in.unwrap_or(3600).saturating_sub(60).max(1));
        cache.put(&self.cache_key, answer.access_token.clone(), ttl);
        Ok(answer.access_token)
    }

    /// Forgets the cached token (the API refused it).
    pub(crate) fn forget(&self, cache: &Cache) {
        cache.forget(&self.cache_key);
    }
}
