//! `leadline site …`: every change goes through the set-up use cases (`app::setup::sites`),
//! as the Settings pages' do. Input is parsed into domain types before anything is written.

use super::InputError;
use super::tenants::{find_business, said};
use crate::app::AppError;
use crate::app::integrations::prompt;
use crate::app::setup::pool::{add_pool_number, remove_pool_number};
use crate::app::setup::sites::{add_site, edit_site, remove_site, set_site_disabled, snippet_tag};
use crate::cli::{PoolCommand, SiteCommand, SiteRef, SiteSettingsArgs};
use crate::config::Config;
use leadline_core::ad_consent::AdsPolicy;
use leadline_core::callme::Region;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::outbox::PromptChannel;
use leadline_core::site::{Currency, ExtensionMode, SiteKey, SiteKind, SiteSettings, Timezone};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{Business, Site, SiteEdit};
use leadline_core::{E164, Invalid};

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// A refusal of a use case as the command line says it.
pub(crate) fn refused(err: AppError) -> anyhow::Error {
    match err {
        AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
        AppError::NotFound => InputError("not found".into()).into(),
        AppError::Unavailable(why) => anyhow::anyhow!(why),
        AppError::Internal(e) => e,
    }
}

/// The site of `business` with this key (disabled ones too), or an error naming it.
async fn business_site(store: &dyn Store, business: &Business, key: &str) -> anyhow::Result<Site> {
    let key = SiteKey::parse(key)?;
    store
        .list_sites(business.id)
        .await?
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| InputError(format!("'{}' has no site {key}", business.slug)).into())
}

fn domains(given: &[String]) -> Result<Vec<DomainName>, Invalid> {
    given.iter().map(|d| DomainName::parse(d)).collect()
}

/// `leadline site …`
pub async fn site(store: &dyn Store, config: &Config, command: SiteCommand) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add {
            business,
            name,
            domains: given,
            timezone,
            currency,
            settings,
        } => {
            let draft = SiteEdit {
                name: Name::parse_as("site name", &name)?,
                domains: domains(&given)?,
                timezone: Timezone::parse(&timezone)?,
                currency: Currency::parse(&currency)?,
                settings: apply_settings(SiteSettings::default(), &settings)?,
            };
            let business = find_business(store, &business).await?;
            let created = add_site(store, business.id, &draft, &author()).await.map_err(refused)?;
            println!("created site '{}' (key: {})", created.name, created.key);
            println!("snippet: {}", snippet_tag(&config.base_url(), &created));
        }
        SiteCommand::Configure {
            business,
            site,
            settings,
            post_call_prompt,
        } => {
            let business = find_business(store, &business).await?;
            let current = business_site(store, &business, &site).await?;
            let edit = SiteEdit {
                settings: apply_settings(current.settings.clone(), &settings)?,
                ..SiteEdit::of(&current)
            };
            let updated = edit_site(store, business.id, current.id, &edit, &author())
                .await
                .map_err(refused)?;
            println!("site {} settings: {}", updated.key, updated.settings.to_json());
            if let Some(prompt) = post_call_prompt {
                let channel = match prompt.as_str() {
                    "off" => None,
                    other => Some(PromptChannel::parse(other)?),
                };
                set_post_call_prompt(store, &updated, channel).await?;
            }
        }
        SiteCommand::Edit {
            business,
            site,
            name,
            domains: given,
            timezone,
            currency,
            settings,
        } => {
            let business = find_business(store, &business).await?;
            let current = business_site(store, &business, &site).await?;
            let mut edit = SiteEdit::of(&current);
            if let Some(name) = name {
                edit.name = Name::parse_as("site name", &name)?;
            }
            if !given.is_empty() {
                edit.domains = domains(&given)?;
            }
            if let Some(zone) = timezone {
                edit.timezone = Timezone::parse(&zone)?;
            }
            if let Some(currency) = currency {
                edit.currency = Currency::parse(&currency)?;
            }
            edit.settings = apply_settings(current.settings.clone(), &settings)?;
            let updated = edit_site(store, business.id, current.id, &edit, &author())
                .await
                .map_err(refused)?;
            let shown: Vec<&str> = updated.domains.iter().map(DomainName::as_str).collect();
            println!(
                "site {} '{}': {} {} {}",
                updated.key,
                updated.name,
                shown.join(","),
                updated.timezone.name(),
                updated.currency.code()
            );
        }
        SiteCommand::Pool(command) => pool(store, command).await?,
        SiteCommand::Disable(reference) => toggle(store, reference, true).await?,
        SiteCommand::Enable(reference) => toggle(store, reference, false).await?,
        SiteCommand::Remove(SiteRef { business, site }) => {
            let business = find_business(store, &business).await?;
            let current = business_site(store, &business, &site).await?;
            remove_site(store, business.id, current.id, &author())
                .await
                .map_err(refused)?;
            println!(
                "removed site {} '{}' (its calls and leads are kept)",
                current.key, current.name
            );
        }
        SiteCommand::Secret { site } => {
            let key = SiteKey::parse(&site)?;
            let site = match store.site_by_key(&key).await {
                Ok(found) => found,
                Err(StoreError::NotFound) => {
                    return Err(InputError(format!("unknown site key '{key}': see `leadline site list`")).into());
                }
                Err(other) => return Err(other.into()),
            };
            let (secret, hash) = crate::http::leads::issue_secret();
            store
                .set_site_secret(site.business_id, site.id, &hash)
                .await
                .map_err(said)?;
            println!("issued a new secret for site {key} (any earlier one no longer works)");
            println!("secret (shown once, stored only as a hash): {secret}");
        }
        SiteCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for s in store.list_sites(business.id).await? {
                let domains: Vec<&str> = s.domains.iter().map(DomainName::as_str).collect();
                println!(
                    "{:<22} {:<24} {:<20} {} {}{}",
                    s.key,
                    s.name,
                    s.timezone.name(),
                    s.currency.code(),
                    domains.join(","),
                    if s.disabled { " (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

/// `leadline site pool …`
async fn pool(store: &dyn Store, command: PoolCommand) -> anyhow::Result<()> {
    match command {
        PoolCommand::Add { site, number } => {
            let business = find_business(store, &site.business).await?;
            let current = business_site(store, &business, &site.site).await?;
            let number = E164::parse(&number)?;
            add_pool_number(store, business.id, current.id, &number, &author())
                .await
                .map_err(refused)?;
            println!("site {} pool: added {number}", current.key);
            if current.settings.kind != SiteKind::NumberPool {
                println!("(the site shows it once it is a pool site: leadline site configure --kind pool)");
            }
        }
        PoolCommand::Remove { site, number } => {
            let business = find_business(store, &site.business).await?;
            let current = business_site(store, &business, &site.site).await?;
            let number = E164::parse(&number)?;
            remove_pool_number(store, business.id, current.id, &number, &author())
                .await
                .map_err(refused)?;
            println!("site {} pool: removed {number} (it serves no site now)", current.key);
        }
        PoolCommand::List(site) => {
            let business = find_business(store, &site.business).await?;
            let current = business_site(store, &business, &site.site).await?;
            let now = chrono::Utc::now().timestamp_millis();
            for n in store.pool_numbers(current.id, now).await? {
                println!("{} {}", n.number, if n.holder.is_some() { "held" } else { "free" });
            }
            println!("overwrites: {}", store.pool_overwrites(current.id).await?);
        }
    }
    Ok(())
}

async fn toggle(store: &dyn Store, reference: SiteRef, disabled: bool) -> anyhow::Result<()> {
    let business = find_business(store, &reference.business).await?;
    let current = business_site(store, &business, &reference.site).await?;
    let site = set_site_disabled(store, business.id, current.id, disabled, &author())
        .await
        .map_err(refused)?;
    let state = if site.disabled { "disabled" } else { "enabled" };
    println!("site {} '{}' {state}", site.key, site.name);
    Ok(())
}

/// Makes the site's post-call prompt send by `channel`, or turns it off, and says what changed.
async fn set_post_call_prompt(store: &dyn Store, site: &Site, channel: Option<PromptChannel>) -> anyhow::Result<()> {
    let change = prompt::set_post_call_prompt(store, site, channel, &author())
        .await
        .map_err(refused)?;
    for (id, off) in &change.turned_off {
        println!(
            "site {} post-call prompt by {}: off (integration {id})",
            site.key,
            off.as_str()
        );
    }
    match (channel, change.added) {
        (Some(channel), Some(id)) => {
            println!(
                "site {} post-call prompt by {}: on (integration {id})",
                site.key,
                channel.as_str()
            )
        }
        (Some(channel), None) => println!("site {} post-call prompt by {}: unchanged", site.key, channel.as_str()),
        (None, _) => println!("site {} post-call prompt: off", site.key),
    }
    Ok(())
}

/// The settings with the given flags applied (the use case checks them).
fn apply_settings(mut settings: SiteSettings, args: &SiteSettingsArgs) -> anyhow::Result<SiteSettings> {
    if let Some(kind) = &args.kind {
        settings.kind = SiteKind::parse(kind)?;
    }
    if let Some(mode) = &args.mode {
        settings.mode = if mode == "click" {
            ExtensionMode::Click
        } else {
            ExtensionMode::PageLoad
        };
    }
    settings.idle_minutes = args.idle_minutes.unwrap_or(settings.idle_minutes);
    settings.click_idle_minutes = args.click_idle_minutes.unwrap_or(settings.click_idle_minutes);
    settings.max_live_codes = args.max_live_codes.unwrap_or(settings.max_live_codes);
    settings.reuse_quarantine_minutes = args
        .reuse_quarantine_minutes
        .unwrap_or(settings.reuse_quarantine_minutes);
    settings.check_digit = args.check_digit.unwrap_or(settings.check_digit);
    settings.cookieless = args.cookieless.unwrap_or(settings.cookieless);
    settings.star_click_codes = args.star_click_codes.unwrap_or(settings.star_click_codes);
    settings.record_calls = args.record_calls.unwrap_or(settings.record_calls);
    settings.cost_per_minute_minor = args.cost_per_minute_minor.unwrap_or(settings.cost_per_minute_minor);
    if let Some(countries) = &args.call_me_countries {
        settings.call_me_countries = call_me_countries(countries)?;
    }
    settings.call_me_per_visit = args.call_me_per_visit.unwrap_or(settings.call_me_per_visit);
    settings.call_me_per_day = args.call_me_per_day.unwrap_or(settings.call_me_per_day);
    if let Some(policy) = &args.ad_platforms {
        settings.ad_platforms = AdsPolicy::parse(policy)?;
    }
    Ok(settings)
}

/// `home` (the tracking number's country only), else two-letter country codes.
fn call_me_countries(given: &[String]) -> Result<Vec<Region>, Invalid> {
    if given.len() == 1 && given[0].trim().eq_ignore_ascii_case("home") {
        return Ok(Vec::new());
    }
    given.iter().map(|c| Region::parse(c)).collect()
}
