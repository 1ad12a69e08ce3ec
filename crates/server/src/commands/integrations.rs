//! `leadline integration …`: where a business's events are delivered. Every input (URLs,
//! ids, the secrets read from their files) is checked before anything is written, so bad
//! input changes nothing; secrets never come from the command line (where `ps` shows them)
//! and are never printed, except a generated webhook secret, once.

use crate::app::integrations::{self, Target, describe};
use crate::cli::{BusinessRef, IntegrationAddArgs, IntegrationCommand, IntegrationTarget};
use crate::commands::tenants::{find_business, said};
use crate::commands::{InputError, app_failure};
use leadline_core::lead::Author;
use leadline_core::net::Reach;
use leadline_core::outbox::{Integration, IntegrationId};
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use std::io::BufRead;
use std::path::Path;

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// `leadline integration …`
pub async fn integration(store: &dyn Store, command: IntegrationCommand, reach: Reach) -> anyhow::Result<()> {
    match command {
        IntegrationCommand::Add(args) => add(store, args).await,
        IntegrationCommand::Edit { id, args } => change(store, id, args).await,
        IntegrationCommand::List { business } => list(store, &business).await,
        IntegrationCommand::Disable { business, id } => set_enabled(store, &business, id, false).await,
        IntegrationCommand::Enable { business, id } => set_enabled(store, &business, id, true).await,
        IntegrationCommand::Test { business, id } => try_now(store, &business, id, reach).await,
        IntegrationCommand::Remove { business, id } => remove(store, &business, id).await,
    }
}

/// The refusal when `business` has no integration `id`.
fn no_such(business: &impl std::fmt::Display, id: i64) -> String {
    format!("'{business}' has no integration {id}: see `leadline integration list`")
}

async fn try_now(store: &dyn Store, business: &BusinessRef, id: i64, reach: Reach) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    let trial = crate::outbox::trial::try_integration(store, business.id, IntegrationId(id), reach)
        .await
        .map_err(|e| app_failure(e, || no_such(&business.slug, id)))?;
    println!("sent: {}", trial.sent);
    println!("answer: {}", trial.answer);
    if trial.accepted {
        Ok(())
    } else {
        Err(anyhow::anyhow!("integration {id} did not take the test"))
    }
}

async fn remove(store: &dyn Store, business: &BusinessRef, id: i64) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    integrations::remove(store, business.id, IntegrationId(id), &author())
        .await
        .map_err(|e| app_failure(e, || no_such(&business.slug, id)))?;
    println!("removed integration {id} of '{}' with its deliveries", business.slug);
    Ok(())
}

async fn add(store: &dyn Store, args: IntegrationAddArgs) -> anyhow::Result<()> {
    let business = find_business(store, &args.business).await?;
    let site_id = site_of(store, &business, args.site.as_deref()).await?;
    let target = target_of(args.target)?;
    let (created, generated) = integrations::add(store, business.id, &args.name, site_id, target, &author())
        .await
        .map_err(|e| app_failure(e, || format!("'{}' has no such site", business.slug)))?;
    println!(
        "created {} integration {} '{}' for '{}': {}",
        created.config.kind(),
        created.id,
        created.name,
        business.slug,
        describe(&created.config)
    );
    if let Some(secret) = generated {
        println!("signing secret (shown once; verify the Leadline-Signature header with it): {secret}");
    }
    Ok(())
}

async fn change(store: &dyn Store, id: i64, args: IntegrationAddArgs) -> anyhow::Result<()> {
    let business = find_business(store, &args.business).await?;
    let site_id = site_of(store, &business, args.site.as_deref()).await?;
    let target = target_of(args.target)?;
    let changed = integrations::edit(
        store,
        business.id,
        IntegrationId(id),
        &args.name,
        site_id,
        target,
        &author(),
    )
    .await
    .map_err(|e| app_failure(e, || no_such(&business.slug, id)))?;
    println!(
        "changed {} integration {} '{}' of '{}': {}",
        changed.config.kind(),
        changed.id,
        changed.name,
        business.slug,
        describe(&changed.config)
    );
    Ok(())
}

/// The site of the business with key `key`, if one is given.
async fn site_of(
    store: &dyn Store,
    business: &leadline_core::tenant::Business,
    key: Option<&str>,
) -> anyhow::Result<Option<leadline_core::SiteId>> {
    let Some(key) = key.map(SiteKey::parse).transpose()? else {
        return Ok(None);
    };
    match store.site_by_key(&key).await {
        Ok(site) if site.business_id == business.id => Ok(Some(site.id)),
        Ok(_) | Err(StoreError::NotFound) => Err(InputError(format!("'{}' has no site {key}", business.slug)).into()),
        Err(other) => Err(other.into()),
    }
}

/// The target the flags describe, with its secrets read from their files.
fn target_of(target: IntegrationTarget) -> anyhow::Result<Target> {
    Ok(match target {
        IntegrationTarget::Ga4 {
            measurement_id,
            api_secret_file,
            endpoint,
            debug,
        } => Target::Ga4 {
            measurement_id,
            api_secret: read_secret(&api_secret_file, "API secret")?,
            endpoint,
            debug,
        },
        IntegrationTarget::Matomo {
            url,
            site_id,
            token_auth_file,
            goal_id,
        } => Target::Matomo {
            url,
            site_id,
            token_auth: token_auth_file
                .as_deref()
                .map(|f| read_secret(f, "token_auth"))
                .transpose()?,
            goal_id,
        },
        IntegrationTarget::Salesforce {
            login_url,
            client_id,
            client_secret_file,
            api_version,
            campaigns,
        } => Target::Salesforce {
            login_url,
            client_id,
            client_secret: read_secret(&client_secret_file, "client secret")?,
            api_version,
            campaigns,
        },
        IntegrationTarget::Hubspot { token_file, endpoint } => Target::Hubspot {
            token: read_secret(&token_file, "access token")?,
            endpoint,
        },
        IntegrationTarget::Ga4Deletion {
            property_id,
            client_id,
            client_secret_file,
            refresh_token_file,
        } => Target::Ga4Deletion {
            property_id,
            client_id,
            client_secret: read_secret(&client_secret_file, "OAuth client secret")?,
            refresh_token: read_secret(&refresh_token_file, "refresh token")?,
        },
        IntegrationTarget::GoogleAds(args) => super::ad_integrations::google(args, read_secret)?,
        IntegrationTarget::MicrosoftAds(args) => super::ad_integrations::microsoft(args, read_secret)?,
        IntegrationTarget::MetaCapi(args) => super::ad_integrations::meta(args, read_secret)?,
        IntegrationTarget::Webhook { url, secret_file } => Target::Webhook {
            url,
            secret: secret_file
                .as_deref()
                .map(|f| read_secret(f, "webhook secret"))
                .transpose()?,
        },
    })
}

/// The first line of `path` (standard input for `-`), trimmed: a secret without spaces.
fn read_secret(path: &Path, what: &str) -> anyhow::Result<String> {
    let line = if path == Path::new("-") {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError(format!("cannot read the {what} from {}: {e}", path.display())))?;
        text.lines().next().unwrap_or("").to_owned()
    };
    let secret = line.trim();
    let source = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    if secret.is_empty() {
        return Err(InputError(format!("{source} holds no {what}")).into());
    }
    if secret.len() > 4096 || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError(format!(
            "the {what} in {source} must be one line of at most 4096 characters without spaces"
        ))
        .into());
    }
    Ok(secret.to_owned())
}

async fn list(store: &dyn Store, business: &BusinessRef) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    let sites = store.list_sites(business.id).await.map_err(said)?;
    for i in store.integrations(business.id).await.map_err(said)? {
        println!("{}", listed(&i, &sites));
    }
    Ok(())
}

fn listed(i: &Integration, sites: &[leadline_core::tenant::Site]) -> String {
    let site = match i.site_id {
        None => "all sites".to_owned(),
        Some(id) => sites
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("site #{}", id.0), |s| s.key.to_string()),
    };
    let state = if i.enabled { "enabled" } else { "disabled" };
    format!(
        "{:<6} {:<10} {:<8} {:<24} {:<22} {}",
        i.id,
        i.config.kind(),
        state,
        i.name,
        site,
        describe(&i.config)
    )
}

async fn set_enabled(store: &dyn Store, business: &BusinessRef, id: i64, enabled: bool) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    integrations::set_enabled(store, business.id, IntegrationId(id), enabled, &author())
        .await
        .map_err(|e| app_failure(e, || no_such(&business.slug, id)))?;
    let state = if enabled { "enabled" } else { "disabled" };
    println!("{state} integration {id} of '{}'", business.slug);
    Ok(())
}
