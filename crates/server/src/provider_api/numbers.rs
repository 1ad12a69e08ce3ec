//! The account's phone numbers at the provider (Twilio's `IncomingPhoneNumbers` and
//! `AvailablePhoneNumbers` resources): list the ones it holds, search for local numbers to
//! buy, buy one with its webhooks set in the same request, and set the webhooks of one it
//! holds. Every request carries the account's credentials by HTTP Basic; an answer that is
//! not a success is read as the provider's error (`{code, message, more_info, status}`).

use super::ProviderApi;
use leadline_core::E164;
use leadline_core::provider_account::{NumberSearch, NumberSid};
use leadline_core::secret::Secret;
use leadline_core::tenant::AccountSid;
use serde::Deserialize;
use url::Url;

/// The most numbers one search asks for.
const SEARCH_PAGE_SIZE: &str = "20";
/// The most numbers of the account listed (the provider's largest page).
const LIST_PAGE_SIZE: &str = "1000";

/// The account a request is made for.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub account_sid: &'a AccountSid,
    pub auth_token: &'a Secret,
}

/// The URLs of this server a number's calls and messages are posted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhooks {
    /// A call comes in (`VoiceUrl`).
    pub voice: String,
    /// The call's status changes (`StatusCallback`).
    pub status: String,
    /// A message comes in (`SmsUrl`).
    pub sms: String,
}

/// A number the account holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNumber {
    pub sid: NumberSid,
    pub number: E164,
    pub friendly_name: String,
    /// Where its calls are posted now (empty when nowhere).
    pub voice_url: String,
}

/// A number the provider offers to buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    pub number: E164,
    pub friendly_name: String,
    /// Town and region, as the provider names them (often empty outside North America).
    pub locality: String,
    pub region: String,
}

/// Why a request to the provider did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    /// The provider answered with an error: its own message, code and HTTP status.
    #[error("{message}{}", code.map(|c| format!(" (error {c})")).unwrap_or_default())]
    Refused {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// The provider could not be reached, or its answer could not be read.
    #[error("{0}")]
    Unreachable(String),
}

/// The provider's error body.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct IncomingPage {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct IncomingNumber {
    sid: String,
    phone_number: String,
    #[serde(default)]
    friendly_name: Option<String>,
    #[serde(default)]
    voice_url: Option<String>,
}

#[derive(Deserialize)]
struct AvailablePage {
    #[serde(default)]
    available_phone_numbers: Vec<Available>,
}

#[derive(Deserialize)]
struct Available {
    phone_number: String,
    #[serde(default)]
    friendly_name: Option<String>,
    #[serde(default)]
    locality: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

impl IncomingNumber {
    fn owned(self) -> Result<OwnedNumber, ApiFailure> {
        let unreadable =
            |what: &str| ApiFailure::Unreachable(format!("the provider's answer has an unreadable {what}"));
        Ok(OwnedNumber {
            sid: NumberSid::parse(&self.sid).map_err(|_| unreadable("number id"))?,
            number: E164::parse(&self.phone_number).map_err(|_| unreadable("phone number"))?,
            friendly_name: self.friendly_name.unwrap_or_default(),
            voice_url: self.voice_url.unwrap_or_default(),
        })
    }
}

impl ProviderApi {
    /// The numbers the account holds.
    pub async fn list_numbers(&self, account: Credentials<'_>) -> Result<Vec<OwnedNumber>, ApiFailure> {
        let url = self.account_url(account, "IncomingPhoneNumbers.json")?;
        let request = self.client.get(url).query(&[("PageSize", LIST_PAGE_SIZE)]);
        let page: IncomingPage = self.send(account, request).await?;
        page.incoming_phone_numbers
            .into_iter()
            .map(IncomingNumber::owned)
            .collect()
    }

    /// Local numbers the provider offers in the search's country (and area code).
    pub async fn search_numbers(
        &self,
        account: Credentials<'_>,
        search: &NumberSearch,
    ) -> Result<Vec<AvailableNumber>, ApiFailure> {
        let path = format!("AvailablePhoneNumbers/{}/Local.json", search.country.as_str());
        let url = self.account_url(account, &path)?;
        let mut query = vec![
            ("VoiceEnabled", "true".to_owned()),
            ("PageSize", SEARCH_PAGE_SIZE.into()),
        ];
        if let Some(code) = search.area_code {
            query.insert(0, ("AreaCode", code.value().to_string()));
        }
        let page: AvailablePage = self.send(account, self.client.get(url).query(&query)).await?;
        Ok(page
            .available_phone_numbers
            .into_iter()
            .filter_map(|n| {
                Some(AvailableNumber {
                    number: E164::parse(&n.phone_number).ok()?,
                    friendly_name: n.friendly_name.unwrap_or_default(),
                    locality: n.locality.unwrap_or_default(),
                    region: n.region.unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Buys `number` for the account with its webhooks set in the same request.
    pub async fn buy_number(
        &self,
        account: Credentials<'_>,
        number: &E164,
        webhooks: &Webhooks,
    ) -> Result<OwnedNumber, ApiFailure> {
        let url = self.account_url(account, "IncomingPhoneNumbers.json")?;
        let mut form = vec![("PhoneNumber", number.as_str())];
        form.extend(webhook_fields(webhooks));
        let bought: IncomingNumber = self.send(account, self.client.post(url).form(&form)).await?;
        bought.owned()
    }

    /// Points a number the account holds at these webhooks.
    pub async fn set_webhooks(
        &self,
        account: Credentials<'_>,
        sid: &NumberSid,
        webhooks: &Webhooks,
    ) -> Result<OwnedNumber, ApiFailure> {
        let url = self.account_url(account, &format!("IncomingPhoneNumbers/{}.json", sid.as_str()))?;
        let form = webhook_fields(webhooks);
        let updated: IncomingNumber = self.send(account, self.client.post(url).form(&form)).await?;
        updated.owned()
    }

    fn account_url(&self, account: Credentials<'_>, path: &str) -> Result<Url, ApiFailure> {
        let sid = account.account_sid.as_str();
        self.base
            .join(&format!("/2010-04-01/Accounts/{sid}/{path}"))
            .map_err(|e| ApiFailure::Unreachable(format!("the provider's URL: {e}")))
    }

    /// Sends with the account's credentials and reads the JSON answer, or the provider's error.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        account: Credentials<'_>,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiFailure> {
        let response = request
            .basic_auth(account.account_sid.as_str(), Some(account.auth_token.expose()))
            .send()
            .await
            .map_err(|e| match crate::egress::refusal(&e) {
                Some(refused) => ApiFailure::Unreachable(format!("the provider's API: {refused}")),
                None => ApiFailure::Unreachable(format!("the provider's API cannot be reached: {}", e.without_url())),
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            ApiFailure::Unreachable(format!("the provider's answer was cut short: {}", e.without_url()))
        })?;
        if !status.is_success() {
            let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
            let (code, message) = body.map(|b| (b.code, b.message)).unwrap_or_default();
            return Err(ApiFailure::Refused {
                status: status.as_u16(),
                code,
                message: message.unwrap_or_else(|| format!("the provider answered {status}")),
            });
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiFailure::Unreachable(format!("the provider's answer is not what it documents: {e}")))
    }
}

/// The webhook parameters of a number, each with the method Leadline takes (POST).
fn webhook_fields(webhooks: &Webhooks) -> Vec<(&'static str, &str)> {
    vec![
        ("VoiceUrl", webhooks.voice.as_str()),
        ("VoiceMethod", "POST"),
        ("StatusCallback", webhooks.status.as_str()),
        ("StatusCallbackMethod", "POST"),
        ("SmsUrl", webhooks.sms.as_str()),
        ("SmsMethod", "POST"),
    ]
}
