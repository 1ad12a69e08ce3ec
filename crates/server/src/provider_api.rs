//! The provider's REST API (Twilio-compatible): placing outbound calls. HTTP Basic with the
//! account id and auth token, form-encoded, with a timeout; the base URL is configurable so
//! that tests and other providers can stand in (https only, checked when the configuration is
//! loaded). The client is [`crate::egress::client`]: a redirect is not followed, so the auth
//! token and the form go to the configured API and nowhere else.

use leadline_core::tenant::TrackingNumber;
use std::time::Duration;
use url::Url;

/// A client of the provider's REST API.
pub struct ProviderApi {
    base: Url,
    client: reqwest::Client,
}

/// An outbound call to place.
pub struct OutboundCall<'a> {
    /// Who is called (E.164).
    pub to: &'a str,
    /// The TwiML URL requested when the called party answers.
    pub answer_url: &'a str,
    /// Where the call's status is posted when it ends.
    pub status_callback: &'a str,
}

impl ProviderApi {
    /// A client of the API at `base` (e.g. `https://api.twilio.com`).
    pub fn new(base: Url) -> Self {
        Self {
            base,
            client: crate::egress::client(Duration::from_secs(10)),
        }
    }

    /// Places a call from the tracking number; returns the provider's call id.
    pub async fn place_call(&self, from: &TrackingNumber, call: &OutboundCall<'_>) -> anyhow::Result<String> {
        let account = from.account_sid.as_str();
        let url = self.base.join(&format!("/2010-04-01/Accounts/{account}/Calls.json"))?;
        let form = [
            ("To", call.to),
            ("From", from.number.as_str()),
            ("Url", call.answer_url),
            ("Method", "POST"),
            ("StatusCallback", call.status_callback),
            ("StatusCallbackMethod", "POST"),
            ("StatusCallbackEvent", "completed"),
        ];
        let response = self
            .client
            .post(url)
            .basic_auth(account, Some(from.auth_token.expose()))
            .form(&form)
            .send()
            .await
            .map_err(|e| match crate::egress::refusal(&e) {
                Some(refused) => anyhow::anyhow!("the provider's API: {refused}"),
                None => e.into(),
            })?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!(
                "the provider refused the call ({status}): {}",
                body["message"].as_str().unwrap_or("no message")
            );
        }
        body["sid"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("the provider's answer has no call sid"))
    }
}
