//! The set-up commands: businesses, users, sites, numbers, destinations and API keys. Every
//! input is parsed into its domain type before anything is written, so bad input changes
//! nothing; each record is written in one transaction.

use crate::attachments::storage::{S3Spec, StorageSpec, parse_s3_url, writable_dir};
use crate::cli::{
    ApiKeyCommand, BusinessCommand, BusinessRef, DestinationCommand, NumberCommand, SiteCommand, SiteSettingsArgs,
    StorageArgs, UserCommand,
};
use crate::commands::InputError;
use crate::config::Config;
use leadline_core::Invalid;
use leadline_core::callme::Region;
use leadline_core::names::{Name, Slug};
use leadline_core::net::{DomainName, Email};
use leadline_core::outbox::{IntegrationConfig, NewIntegration, PromptChannel};
use leadline_core::secret::{IssuedApiKey, NewPassword, Secret};
use leadline_core::site::{Currency, ExtensionMode, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{
    AccountSid, Business, NewApiKey, NewBusiness, NewDestination, NewSite, NewTrackingNumber, NewUser, Provider, Role,
    Site, parse_auth_token,
};
use leadline_core::{ApiKeyId, E164};
use std::io::BufRead;

/// A store error as the command line says it: conflicts are the user's to fix.
pub fn said(err: StoreError) -> anyhow::Error {
    match err {
        StoreError::Conflict(message) => InputError(message).into(),
        StoreError::Invalid(invalid) => invalid.into(),
        other => other.into(),
    }
}

/// The business named by `--business`, or an error naming the unknown slug.
pub async fn find_business(store: &dyn Store, reference: &BusinessRef) -> anyhow::Result<Business> {
    let slug = Slug::parse(&reference.business)?;
    match store.business_by_slug(&slug).await {
        Err(StoreError::NotFound) => {
            Err(InputError(format!("unknown business '{slug}': see `leadline business list`")).into())
        }
        other => other.map_err(said),
    }
}

pub(super) fn read_stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        return Err(InputError(format!("no {what} on standard input")).into());
    }
    Ok(line)
}

/// `leadline business …`
pub async fn business(store: &dyn Store, command: BusinessCommand) -> anyhow::Result<()> {
    match command {
        BusinessCommand::Add { name, slug } => {
            let name = Name::parse_as("business name", &name)?;
            let slug = match slug {
                Some(slug) => Slug::parse(&slug)?,
                None => Slug::from_name(&name)?,
            };
            let created = store.create_business(&NewBusiness { slug, name }).await.map_err(said)?;
            println!("created business '{}' (slug: {})", created.name, created.slug);
        }
        BusinessCommand::List => {
            for b in store.list_businesses().await? {
                println!("{:<24} {}", b.slug, b.name);
            }
        }
        BusinessCommand::Storage(args) => storage(store, args).await?,
    }
    Ok(())
}

/// `leadline business storage …`: every input is checked (the directory written to, the
/// bucket written to and cleaned) before the description is saved.
async fn storage(store: &dyn Store, args: StorageArgs) -> anyhow::Result<()> {
    let wanted = if let Some(dir) = &args.dir {
        Some(Some(StorageSpec::Dir {
            path: writable_dir(dir)?,
        }))
    } else if let Some(location) = &args.s3 {
        Some(Some(s3_storage(location, &args)?))
    } else if args.default {
        Some(None)
    } else {
        None
    };
    let business = find_business(store, &args.business).await?;
    let Some(wanted) = wanted else {
        let shown = match store.attachment_storage(business.id).await.map_err(said)? {
            Some(text) => StorageSpec::from_json(&text)?.describe(),
            None => "the server's default storage".to_owned(),
        };
        println!("business '{}' stores attachments in {shown}", business.slug);
        return Ok(());
    };
    if let Some(spec @ StorageSpec::S3(_)) = &wanted {
        probe(spec).await?;
    }
    let json = wanted.as_ref().map(StorageSpec::to_json);
    store
        .set_attachment_storage(business.id, json.as_deref())
        .await
        .map_err(said)?;
    let shown = wanted.map_or("the server's default storage".to_owned(), |spec| spec.describe());
    println!("business '{}' now stores attachments in {shown}", business.slug);
    Ok(())
}

fn s3_storage(location: &str, args: &StorageArgs) -> anyhow::Result<StorageSpec> {
    let (bucket, prefix) = parse_s3_url(location)?;
    let (Some(access_key_id), Some(secret_file)) = (&args.s3_access_key_id, &args.s3_secret_access_key_file) else {
        return Err(InputError("--s3 needs --s3-access-key-id and --s3-secret-access-key-file".into()).into());
    };
    let secret = std::fs::read_to_string(secret_file)
        .map_err(|e| InputError(format!("cannot read {}: {e}", secret_file.display())))?;
    let secret = secret.lines().next().unwrap_or("").trim().to_owned();
    if secret.is_empty() {
        return Err(InputError(format!("{} holds no secret access key", secret_file.display())).into());
    }
    let spec = S3Spec {
        bucket,
        prefix,
        endpoint: args.s3_endpoint.as_ref().map(|e| e.trim_end_matches('/').to_owned()),
        region: args.s3_region.clone(),
        access_key_id: Some(access_key_id.trim().to_owned()),
        secret_access_key: Some(Secret::new(secret)),
        allow_http: args.s3_allow_http,
        virtual_hosted_style: args.s3_virtual_hosted_style,
    };
    spec.validate()?;
    Ok(StorageSpec::S3(spec))
}

/// Writes and removes a small object, so a wrong bucket, endpoint or key is found now.
async fn probe(spec: &StorageSpec) -> anyhow::Result<()> {
    use object_store::ObjectStoreExt;
    let refused = |e: &dyn std::fmt::Display| InputError(format!("cannot write to {}: {e}", spec.describe()));
    let bucket = spec.build(false).map_err(|e| refused(&e))?;
    let path = object_store::path::Path::from(format!(".leadline-probe-{}", leadline_core::secret::random_token(12)));
    bucket
        .put(&path, object_store::PutPayload::from_static(b"probe"))
        .await
        .map_err(|e| refused(&e))?;
    bucket.delete(&path).await.map_err(|e| refused(&e))?;
    Ok(())
}

/// `leadline user …`
pub async fn user(store: &dyn Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            business,
            email,
            name,
            role,
            password_stdin,
        } => {
            let email = Email::parse(&email)?;
            let name = Name::parse_as("user name", &name)?;
            let role = Role::parse(&role)?;
            let (password, generated) = if password_stdin {
                (NewPassword::parse(&read_stdin_line("password")?)?, false)
            } else {
                (NewPassword::generate(), true)
            };
            let business = find_business(store, &business).await?;
            let new = NewUser {
                business_id: business.id,
                email,
                name,
                role,
                password_hash: password.hash(),
            };
            let created = store.create_user(&new).await.map_err(said)?;
            println!(
                "created {} {} in '{}'",
                created.role.as_str(),
                created.email,
                business.slug
            );
            if generated {
                println!("password (shown once): {}", password.expose());
            }
        }
        UserCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for u in store.list_users(business.id).await? {
                println!("{:<32} {:<9} {}", u.email, u.role.as_str(), u.name);
            }
        }
    }
    Ok(())
}

/// `leadline site …`
pub async fn site(store: &dyn Store, config: &Config, command: SiteCommand) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add {
            business,
            name,
            domains,
            timezone,
            currency,
            settings,
        } => {
            let name = Name::parse_as("site name", &name)?;
            let domains = domains
                .iter()
                .map(|d| DomainName::parse(d))
                .collect::<Result<Vec<_>, _>>()?;
            let timezone = Timezone::parse(&timezone)?;
            let currency = Currency::parse(&currency)?;
            let business = find_business(store, &business).await?;
            let new = NewSite {
                business_id: business.id,
                name,
                key: SiteKey::generate(),
                domains,
                timezone,
                currency,
                settings: apply_settings(SiteSettings::default(), &settings)?,
            };
            new.validate()?;
            let created = store.create_site(&new).await.map_err(said)?;
            println!("created site '{}' (key: {})", created.name, created.key);
            println!(
                "snippet: <script async src=\"{}/t.js\" data-site=\"{}\"></script>",
                config.base_url(),
                created.key
            );
        }
        SiteCommand::Configure {
            business,
            site,
            settings,
            post_call_prompt,
        } => {
            let key = SiteKey::parse(&site)?;
            let business = find_business(store, &business).await?;
            let current = match store.site_by_key(&key).await {
                Ok(found) if found.business_id == business.id => found,
                Ok(_) | Err(StoreError::NotFound) => {
                    return Err(InputError(format!("'{}' has no site {key}", business.slug)).into());
                }
                Err(other) => return Err(other.into()),
            };
            let next = apply_settings(current.settings.clone(), &settings)?;
            let updated = store
                .update_site_settings(business.id, current.id, &next)
                .await
                .map_err(said)?;
            println!("site {} settings: {}", updated.key, updated.settings.to_json());
            if let Some(prompt) = post_call_prompt {
                let channel = match prompt.as_str() {
                    "off" => None,
                    other => Some(PromptChannel::parse(other)?),
                };
                set_post_call_prompt(store, &updated, channel).await?;
            }
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
                    "{:<22} {:<24} {:<20} {} {}",
                    s.key,
                    s.name,
                    s.timezone.name(),
                    s.currency.code(),
                    domains.join(",")
                );
            }
        }
    }
    Ok(())
}

/// Makes the site's post-call prompt integration send by `channel`, or turns it off: an
/// enabled prompt by another channel is disabled and a new one added (configurations are
/// never edited in place, so pending deliveries keep the one they were written for).
async fn set_post_call_prompt(store: &dyn Store, site: &Site, channel: Option<PromptChannel>) -> anyhow::Result<()> {
    let mut kept = false;
    for integration in store.integrations(site.business_id).await? {
        let IntegrationConfig::OperatorPrompt { channel: current } = integration.config else {
            continue;
        };
        if integration.site_id != Some(site.id) || !integration.enabled {
            continue;
        }
        if Some(current) == channel && !kept {
            kept = true;
            continue;
        }
        store
            .set_integration_enabled(site.business_id, integration.id, false)
            .await
            .map_err(said)?;
        println!(
            "site {} post-call prompt by {}: off (integration {})",
            site.key,
            current.as_str(),
            integration.id
        );
    }
    match channel {
        Some(channel) if kept => println!("site {} post-call prompt by {}: unchanged", site.key, channel.as_str()),
        Some(channel) => {
            let new = NewIntegration {
                business_id: site.business_id,
                site_id: Some(site.id),
                name: format!("Post-call prompt ({})", channel.as_str()),
                config: IntegrationConfig::OperatorPrompt { channel },
            };
            let created = store.add_integration(&new).await.map_err(said)?;
            println!(
                "site {} post-call prompt by {}: on (integration {})",
                site.key,
                channel.as_str(),
                created.id
            );
        }
        None => println!("site {} post-call prompt: off", site.key),
    }
    Ok(())
}

/// The settings with the given flags applied, checked.
fn apply_settings(mut settings: SiteSettings, args: &SiteSettingsArgs) -> anyhow::Result<SiteSettings> {
    if let Some(mode) = &args.mode {
        settings.mode = if mode == "click" {
            ExtensionMode::Click
        } else {
            ExtensionMode::PageLoad
        };
    }
    let positive = |what: &'static str, value: Option<u32>, current: u32| match value {
        Some(0) => Err(Invalid::new(what, "it must be at least 1")),
        Some(v) => Ok(v),
        None => Ok(current),
    };
    settings.idle_minutes = positive("idle minutes", args.idle_minutes, settings.idle_minutes)?;
    settings.click_idle_minutes = positive(
        "click idle minutes",
        args.click_idle_minutes,
        settings.click_idle_minutes,
    )?;
    settings.max_live_codes = positive("max live codes", args.max_live_codes, settings.max_live_codes)?;
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
    Ok(settings)
}

/// `home` (the tracking number's country only), else two-letter country codes.
fn call_me_countries(given: &[String]) -> Result<Vec<Region>, Invalid> {
    if given.len() == 1 && given[0].trim().eq_ignore_ascii_case("home") {
        return Ok(Vec::new());
    }
    given.iter().map(|c| Region::parse(c)).collect()
}

/// `leadline number …`
pub async fn number(store: &dyn Store, command: NumberCommand) -> anyhow::Result<()> {
    match command {
        NumberCommand::Add {
            number,
            sites,
            provider,
            account_sid,
            auth_token,
            auth_token_stdin,
        } => {
            let number = E164::parse(&number)?;
            let provider = Provider::parse(&provider)?;
            let account_sid = AccountSid::parse(&account_sid)?;
            let token_text = match (auth_token, auth_token_stdin) {
                (Some(token), _) => token,
                (None, true) => read_stdin_line("auth token")?,
                (None, false) => return Err(InputError("give --auth-token-stdin (or --auth-token)".into()).into()),
            };
            let auth_token = parse_auth_token(&token_text)?;
            let keys = sites.iter().map(|k| SiteKey::parse(k)).collect::<Result<Vec<_>, _>>()?;
            let mut site_ids = Vec::with_capacity(keys.len());
            for key in &keys {
                match store.site_by_key(key).await {
                    Ok(site) => site_ids.push(site.id),
                    Err(StoreError::NotFound) => {
                        return Err(InputError(format!("unknown site key '{key}': see `leadline site list`")).into());
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            let new = NewTrackingNumber {
                number,
                provider,
                account_sid,
                auth_token,
                site_ids,
            };
            new.validate()?;
            let created = store.create_number(&new).await.map_err(said)?;
            println!(
                "created tracking number {} serving {} site(s)",
                created.number,
                created.site_ids.len()
            );
        }
        NumberCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for n in store.list_numbers(business.id).await? {
                println!(
                    "{:<16} {:<8} {} sites: {}",
                    n.number,
                    n.provider.as_str(),
                    n.account_sid.as_str(),
                    n.site_ids.len()
                );
            }
        }
    }
    Ok(())
}

/// `leadline destination …`
pub async fn destination(store: &dyn Store, command: DestinationCommand) -> anyhow::Result<()> {
    match command {
        DestinationCommand::Add {
            business,
            name,
            number,
            department,
            user,
        } => {
            let name = Name::parse_as("destination name", &name)?;
            let number = E164::parse(&number)?;
            let department = department.map(|d| Name::parse_as("department", &d)).transpose()?;
            let email = user.map(|u| Email::parse(&u)).transpose()?;
            let business = find_business(store, &business).await?;
            let user_id = match email {
                None => None,
                Some(email) => match store.user_credentials(&email).await {
                    Ok(found) if found.user.business_id == business.id => Some(found.user.id),
                    Ok(_) | Err(StoreError::NotFound) => {
                        return Err(InputError(format!("'{}' has no user {email}", business.slug)).into());
                    }
                    Err(other) => return Err(other.into()),
                },
            };
            let new = NewDestination {
                business_id: business.id,
                name,
                number,
                department,
                user_id,
            };
            let created = store.create_destination(&new).await.map_err(said)?;
            println!("created destination '{}' {}", created.name, created.number);
        }
        DestinationCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for d in store.list_destinations(business.id).await? {
                let department = d.department.as_ref().map_or("-", Name::as_str);
                println!("{:<16} {:<24} {}", d.number, d.name, department);
            }
        }
    }
    Ok(())
}

/// `leadline api-key …`
pub async fn api_key(store: &dyn Store, command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create { business, name } => {
            let name = Name::parse_as("API key name", &name)?;
            let business = find_business(store, &business).await?;
            let issued = IssuedApiKey::generate();
            let new = NewApiKey {
                business_id: business.id,
                name,
                prefix: issued.prefix.clone(),
                hash: issued.hash,
            };
            let created = store.create_api_key(&new).await.map_err(said)?;
            println!(
                "created API key {} '{}' for '{}'",
                created.id, created.name, business.slug
            );
            println!("key (shown once, stored only as a hash): {}", issued.key.expose());
        }
        ApiKeyCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for k in store.list_api_keys(business.id).await? {
                let state = if k.revoked_at.is_some() { "revoked" } else { "live" };
                println!("{:<6} ll_{}_…  {:<8} {}", k.id, k.prefix, state, k.name);
            }
        }
        ApiKeyCommand::Revoke { business, id } => {
            let business = find_business(store, &business).await?;
            match store.revoke_api_key(business.id, ApiKeyId(id)).await {
                Ok(()) => println!("revoked API key {id}"),
                Err(StoreError::NotFound) => {
                    return Err(InputError(format!("'{}' has no API key {id}", business.slug)).into());
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(())
}
