//! The provider's REST API (Twilio-compatible): placing outbound calls, fetching recordings,
//! and the account's numbers (list, search, buy, set webhooks). HTTP Basic with the
//! account id and auth token, form-encoded, with a timeout; the base URL is configurable so
//! that tests and other providers can stand in (https only, checked when the configuration is
//! loaded). The client is [`crate::egress::client`]: a redirect is not followed, so the auth
//! token and the form go to the configured API and nowhere else.

mod numbers;

pub use numbers::{ApiFailure, AvailableNumber, Credentials, OwnedNumber, Webhooks};

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
    /// A client of the API at `base` (e.g. `https://api.twilio.com`), reaching what `reach`
    /// allows.
    pub fn new(base: Url, reach: leadline_core::net::Reach) -> Self {
        Self {
            base,
            client: crate::egress::client(Duration::from_secs(10), reach),
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
            .map_err(api_error)?;
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

/// What became of a recording asked to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingDeleted {
    /// The provider deleted it (or had already: 404).
    AtProvider,
    /// The link is not the provider's API (a PBX's): there is nothing Leadline can delete.
    Elsewhere,
}

impl ProviderApi {
    /// Deletes a call's recording at the provider (`DELETE …/Recordings/{Sid}.json`, with the
    /// number's account), named by the recording sid at the end of the link Leadline was
    /// given. A link that is not the provider's API is left alone.
    pub async fn delete_recording(&self, from: &TrackingNumber, link: &str) -> anyhow::Result<RecordingDeleted> {
        let url = Url::parse(link)?;
        let sid = url.path().rsplit('/').next().unwrap_or("").trim_end_matches(".json");
        let is_sid = sid.len() == 34 && sid.starts_with("RE") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if url.origin() != self.base.origin() || !is_sid {
            return Ok(RecordingDeleted::Elsewhere);
        }
        let account = from.account_sid.as_str();
        let target = self
            .base
            .join(&format!("/2010-04-01/Accounts/{account}/Recordings/{sid}.json"))?;
        let response = self
            .client
            .delete(target)
            .basic_auth(account, Some(from.auth_token.expose()))
            .send()
            .await
            .map_err(api_error)?;
        match response.status() {
            status if status.is_success() || status == reqwest::StatusCode::NOT_FOUND => {
                Ok(RecordingDeleted::AtProvider)
            }
            status => anyhow::bail!("the provider did not delete recording {sid} ({status})"),
        }
    }
}

/// A request to the provider's API that did not get an answer, with the egress rule that
/// refused it when one did.
fn api_error(e: reqwest::Error) -> anyhow::Error {
    match crate::egress::refusal(&e) {
        Some(refused) => anyhow::anyhow!("the provider's API: {refused}"),
        None => e.into(),
    }
}

/// The most of a recording Leadline passes on (an hour of MP3 is about 30 MB).
pub const MAX_RECORDING_BYTES: u64 = 100 * 1024 * 1024;

impl ProviderApi {
    /// Asks for a call's recording at `link`. The account's credentials go only to the
    /// provider's own API (the link's origin is the API's), which is also asked for MP3; a link
    /// elsewhere (a PBX's) is fetched as it is, without them.
    pub async fn recording(&self, from: &TrackingNumber, link: &str) -> anyhow::Result<reqwest::Response> {
        let mut url = Url::parse(link)?;
        let ours = url.origin() == self.base.origin();
        if ours && !url.path().rsplit('/').next().unwrap_or("").contains('.') {
            url.set_path(&format!("{}.mp3", url.path()));
        }
        let mut request = self.client.get(url);
        if ours {
            request = request.basic_auth(from.account_sid.as_str(), Some(from.auth_token.expose()));
        }
        let response = request.send().await.map_err(|e| match crate::egress::refusal(&e) {
            Some(refused) => anyhow::anyhow!("the recording: {refused}"),
            None => e.into(),
        })?;
        if !response.status().is_success() {
            anyhow::bail!("the recording's host answered {}", response.status());
        }
        if response.content_length().is_some_and(|n| n > MAX_RECORDING_BYTES) {
            anyhow::bail!("the recording is larger than {MAX_RECORDING_BYTES} bytes");
        }
        Ok(response)
    }
}
