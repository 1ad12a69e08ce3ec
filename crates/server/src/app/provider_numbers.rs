//! Numbers without the provider's console: connect the business's provider account once,
//! list its numbers, search for and buy one, or attach one it already holds; Leadline sets
//! the number's voice, status and SMS webhooks through the provider's API and records it as
//! a tracking number of the chosen site, signed with the account's token.

use super::setup::numbers::added;
use super::{AppError, AppResult, AppState, audit};
use crate::provider_api::{ApiFailure, AvailableNumber, Credentials, OwnedNumber, ProviderApi, Webhooks};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::provider_account::{NewProviderAccount, NumberSearch, ProviderAccount};
use leadline_core::secret::Secret;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider, TrackingNumber};
use leadline_core::{BusinessId, E164, SiteId};

/// What the number use cases work with: the store, the provider's API and this server's
/// public base URL (which the webhooks name, and the provider's signatures cover).
pub struct ProviderNumbers<'a> {
    store: &'a dyn Store,
    api: &'a ProviderApi,
    base_url: &'a str,
}

/// The webhook URLs of `number` on the server at `base_url`: exactly the ones the webhooks
/// verify signatures on (the status callback names the number, as Leadline's own TwiML does).
pub fn webhooks(base_url: &str, number: &E164) -> Webhooks {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("number", number.as_str())
        .finish();
    Webhooks {
        voice: format!("{base_url}/twilio/voice"),
        status: format!("{base_url}/twilio/status?{query}"),
        sms: format!("{base_url}/twilio/sms"),
    }
}

/// The provider's failure as the use case's: its refusal with its own message, or its absence.
fn failure(what: &str, failure: ApiFailure) -> AppError {
    match failure {
        ApiFailure::Refused { .. } => AppError::Refused(format!("the provider refused {what}: {failure}")),
        ApiFailure::Unreachable(why) => AppError::Unavailable(why),
    }
}

impl<'a> ProviderNumbers<'a> {
    /// The use cases over this store, API client and public base URL (the command line's).
    pub fn new(store: &'a dyn Store, api: &'a ProviderApi, base_url: &'a str) -> Self {
        Self { store, api, base_url }
    }

    /// The use cases of a running server.
    pub fn of(state: &'a AppState) -> Self {
        Self::new(state.store.as_ref(), &state.provider_api, &state.base_url)
    }

    /// Connects the business's provider account (replacing an earlier one) once the provider
    /// has accepted the credentials by listing the account's numbers, which are answered. A
    /// refused token is `Refused` with the provider's message, and nothing is stored.
    pub async fn connect(
        &self,
        business: BusinessId,
        account_sid: AccountSid,
        auth_token: Secret,
        author: &Author,
    ) -> AppResult<Vec<OwnedNumber>> {
        let credentials = Credentials {
            account_sid: &account_sid,
            auth_token: &auth_token,
        };
        let numbers = self
            .api
            .list_numbers(credentials)
            .await
            .map_err(|e| failure("the account", e))?;
        let new = NewProviderAccount {
            business_id: business,
            provider: Provider::Twilio,
            account_sid,
            auth_token,
        };
        self.store.connect_provider_account(&new).await?;
        tracing::info!(business = %business, "provider account connected");
        // The account id names the account; its token is never written down.
        let detail = AuditDetail::new(new.account_sid.as_str());
        let action = AuditAction::ProviderConnected;
        audit::record(self.store, business, author, action, AuditSubject::business(), detail).await;
        Ok(numbers)
    }

    /// The business's connected account; `Refused` when there is none yet.
    pub async fn account(&self, business: BusinessId) -> AppResult<ProviderAccount> {
        self.store.provider_account(business).await?.ok_or_else(|| {
            AppError::Refused("no provider account is connected: connect it first (account id and auth token)".into())
        })
    }

    /// The numbers the business's account holds.
    pub async fn numbers(&self, business: BusinessId) -> AppResult<Vec<OwnedNumber>> {
        let account = self.account(business).await?;
        self.api
            .list_numbers(credentials(&account))
            .await
            .map_err(|e| failure("the list of numbers", e))
    }

    /// Local numbers the provider offers to the business's account.
    pub async fn search(&self, business: BusinessId, search: &NumberSearch) -> AppResult<Vec<AvailableNumber>> {
        let account = self.account(business).await?;
        self.api
            .search_numbers(credentials(&account), search)
            .await
            .map_err(|e| failure("the search", e))
    }

    /// Buys `number` with its webhooks set, and records it as a tracking number of `site`
    /// (a site of this business) signed with the account's token.
    pub async fn buy(
        &self,
        business: BusinessId,
        number: &E164,
        site: SiteId,
        author: &Author,
    ) -> AppResult<TrackingNumber> {
        let account = self.ready(business, number, site).await?;
        self.api
            .buy_number(credentials(&account), number, &webhooks(self.base_url, number))
            .await
            .map_err(|e| failure(&format!("to sell {number}"), e))?;
        let tracked = self.record(&account, number, site, "bought").await?;
        added(self.store, business, author, AuditAction::NumberBought, &tracked).await;
        Ok(tracked)
    }

    /// Points a number the account already holds at this server, and records it as a
    /// tracking number of `site`; `NotFound` when the account does not hold it.
    pub async fn attach(
        &self,
        business: BusinessId,
        number: &E164,
        site: SiteId,
        author: &Author,
    ) -> AppResult<TrackingNumber> {
        let account = self.ready(business, number, site).await?;
        let held = self
            .api
            .list_numbers(credentials(&account))
            .await
            .map_err(|e| failure("the list of numbers", e))?;
        let owned = held.iter().find(|n| &n.number == number).ok_or_else(|| {
            AppError::Invalid(format!(
                "the provider account does not hold {number}: buy it, or pick one it holds"
            ))
        })?;
        self.api
            .set_webhooks(credentials(&account), &owned.sid, &webhooks(self.base_url, number))
            .await
            .map_err(|e| failure(&format!("the webhooks of {number}"), e))?;
        let tracked = self.record(&account, number, site, "attached").await?;
        added(self.store, business, author, AuditAction::NumberAttached, &tracked).await;
        Ok(tracked)
    }

    /// The account, once the site is the business's and the number is not tracked yet: both
    /// checked before the provider is asked for anything that costs money.
    async fn ready(&self, business: BusinessId, number: &E164, site: SiteId) -> AppResult<ProviderAccount> {
        self.store.site(business, site).await?;
        match self.store.number_by_e164(number).await {
            Ok(_) => return Err(AppError::Conflict(format!("the number {number} is already set up"))),
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
        self.account(business).await
    }

    async fn record(
        &self,
        account: &ProviderAccount,
        number: &E164,
        site: SiteId,
        done: &str,
    ) -> AppResult<TrackingNumber> {
        let new = NewTrackingNumber {
            number: number.clone(),
            provider: account.provider,
            account_sid: account.account_sid.clone(),
            auth_token: account.auth_token.clone(),
            site_ids: vec![site],
        };
        let tracked = self.store.create_number(&new).await.map_err(|e| {
            tracing::error!(%number, error = %e, "a number set up at the provider was not recorded");
            AppError::from(e)
        })?;
        tracing::info!(%number, site = %site, "a provider number was {done} and is tracked");
        Ok(tracked)
    }
}

fn credentials(account: &ProviderAccount) -> Credentials<'_> {
    Credentials {
        account_sid: &account.account_sid,
        auth_token: &account.auth_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhooks_are_the_servers_voice_status_and_sms_urls_with_the_number_on_the_status() {
        let hooks = webhooks("https://track.example", &E164::parse("+14155550123").unwrap());
        assert_eq!(hooks.voice, "https://track.example/twilio/voice");
        assert_eq!(
            hooks.status,
            "https://track.example/twilio/status?number=%2B14155550123"
        );
        assert_eq!(hooks.sms, "https://track.example/twilio/sms");
    }
}
