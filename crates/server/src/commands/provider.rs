//! `leadline provider …`: the same use cases as the settings page
//! (`app::provider_numbers`), with the configured provider API and public base URL.

use super::InputError;
use super::tenants::{find_business, read_stdin_line};
use crate::app::AppError;
use crate::app::provider_numbers::ProviderNumbers;
use crate::cli::ProviderCommand;
use crate::config::Config;
use crate::provider_api::ProviderApi;
use leadline_core::E164;
use leadline_core::SiteId;
use leadline_core::lead::Author;
use leadline_core::provider_account::{AreaCode, IsoCountry, NumberSearch};
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{AccountSid, Business, parse_auth_token};

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// A use case's refusal as the command line says it: input errors exit 2.
fn said(err: AppError) -> anyhow::Error {
    match err {
        AppError::NotFound => InputError("not found for this business".into()).into(),
        AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
        AppError::Unavailable(why) => anyhow::anyhow!(why),
        AppError::Internal(cause) => cause,
    }
}

/// `leadline provider …`
pub async fn provider(store: &dyn Store, config: &Config, command: ProviderCommand) -> anyhow::Result<()> {
    let api = ProviderApi::new(config.telephony_api_base_url.clone(), config.reach());
    let base_url = config.base_url();
    let numbers = ProviderNumbers::new(store, &api, &base_url);
    match command {
        ProviderCommand::Connect {
            business,
            account_sid,
            auth_token,
            auth_token_stdin,
        } => {
            let business = find_business(store, &business).await?;
            let account_sid = AccountSid::parse(&account_sid)?;
            let token_text = match (auth_token, auth_token_stdin) {
                (Some(token), _) => token,
                (None, true) => read_stdin_line("auth token")?,
                (None, false) => return Err(InputError("give --auth-token-stdin (or --auth-token)".into()).into()),
            };
            let auth_token = parse_auth_token(&token_text)?;
            let held = numbers
                .connect(business.id, account_sid, auth_token, &author())
                .await
                .map_err(said)?;
            println!("connected the provider account; it holds {} number(s)", held.len());
        }
        ProviderCommand::Numbers { business } => {
            let business = find_business(store, &business).await?;
            for n in numbers.numbers(business.id).await.map_err(said)? {
                println!("{:<16} {:<34} {}", n.number, n.sid.as_str(), n.friendly_name);
            }
        }
        ProviderCommand::Search {
            business,
            country,
            area_code,
        } => {
            let business = find_business(store, &business).await?;
            let area_code = area_code.as_deref().map(AreaCode::parse).transpose()?;
            let search = NumberSearch::new(IsoCountry::parse(&country)?, area_code)?;
            for n in numbers.search(business.id, &search).await.map_err(said)? {
                println!("{:<16} {:<20} {} {}", n.number, n.friendly_name, n.locality, n.region);
            }
        }
        ProviderCommand::Buy { business, number, site } => {
            let (business, number, site) = chosen(store, config, &business, &number, &site).await?;
            let tracked = numbers.buy(business.id, &number, site, &author()).await.map_err(said)?;
            println!(
                "bought {} with its webhooks set at {base_url}; it is tracked",
                tracked.number
            );
        }
        ProviderCommand::Attach { business, number, site } => {
            let (business, number, site) = chosen(store, config, &business, &number, &site).await?;
            let tracked = numbers
                .attach(business.id, &number, site, &author())
                .await
                .map_err(said)?;
            println!("pointed {} at {base_url}; it is tracked", tracked.number);
        }
    }
    Ok(())
}

/// The business, number and site of a buy or attach; the webhooks need the server's public
/// URL (the provider cannot reach the listen address's default).
async fn chosen(
    store: &dyn Store,
    config: &Config,
    business: &crate::cli::BusinessRef,
    number: &str,
    site: &str,
) -> anyhow::Result<(Business, E164, SiteId)> {
    if config.public_base_url.is_none() {
        return Err(
            InputError("set public_base_url: the provider posts the number's calls and messages to it".into()).into(),
        );
    }
    let business = find_business(store, business).await?;
    let number = E164::parse(number)?;
    let key = SiteKey::parse(site)?;
    let site = match store.site_by_key(&key).await {
        Ok(site) if site.business_id == business.id => site,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(InputError(format!("unknown site key '{key}': see `leadline site list`")).into());
        }
        Err(other) => return Err(other.into()),
    };
    Ok((business, number, site.id))
}
