//! `leadline source …`: offline and foreign-domain sources.

use crate::app::sources::{SourceRequest, add_source, edit_source, own_source, remove_source};
use crate::cli::SourceCommand;
use crate::commands::tenants::{find_business, said};
use crate::commands::{InputError, app_failure};
use crate::config::Config;
use crate::http::sources::source_url;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::SiteKey;
use leadline_core::source::{Source, SourceEdit, SourceKey, SourceUtm};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::Business;

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// Runs a source command.
pub async fn source(store: &dyn Store, config: &Config, command: SourceCommand) -> anyhow::Result<()> {
    match command {
        SourceCommand::Add {
            business,
            site,
            name,
            domain,
            utm_source,
            utm_medium,
            utm_campaign,
            utm_term,
            utm_content,
            reserve_code,
        } => {
            let name = Name::parse_as("source name", &name)?;
            let domain = domain.map(|d| DomainName::parse(&d)).transpose()?;
            let key = SiteKey::parse(&site)?;
            let utm = SourceUtm {
                source: utm_source,
                medium: utm_medium,
                campaign: utm_campaign,
                term: utm_term,
                content: utm_content,
            };
            let business = find_business(store, &business).await?;
            let no_site = || format!("'{}' has no site {key}", business.slug);
            let site = match store.site_by_key(&key).await {
                Ok(site) if site.business_id == business.id => site,
                Ok(_) | Err(StoreError::NotFound) => return Err(InputError(no_site()).into()),
                Err(other) => return Err(said(other)),
            };
            let request = SourceRequest {
                site: site.id,
                name,
                domain,
                utm,
                reserve_code,
            };
            let created = add_source(store, business.id, request, &author())
                .await
                .map_err(|e| app_failure(e, no_site))?;
            let url = source_url(&config.base_url(), &created.key);
            println!("created source '{}'", created.name);
            println!("click-to-call: {url}");
            println!("QR code:       {url}/qr.svg  {url}/qr.png");
            if let Some(code) = created.reserved_code {
                println!("printed code:  {code} (reserved)");
            }
        }
        SourceCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for s in store.list_sources(business.id).await? {
                let code = s.reserved_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
                let domain = s.domain.as_ref().map(DomainName::as_str).unwrap_or("(print)");
                println!(
                    "{:<14} {:<28} {:<20} code {code:<6} {}",
                    s.key,
                    s.name,
                    domain,
                    source_url(&config.base_url(), &s.key)
                );
            }
        }
        SourceCommand::Edit {
            business,
            key,
            name,
            domain,
            print,
            utm_source,
            utm_medium,
            utm_campaign,
        } => {
            let business = find_business(store, &business).await?;
            let source = own(store, &business, &key).await?;
            let edit = SourceEdit {
                name: match name {
                    Some(name) => Name::parse_as("source name", &name)?,
                    None => source.name.clone(),
                },
                domain: match (domain, print) {
                    (Some(domain), _) => Some(DomainName::parse(&domain)?),
                    (None, true) => None,
                    (None, false) => source.domain.clone(),
                },
                utm: SourceUtm {
                    source: utm_source.unwrap_or_else(|| source.utm.source.clone()),
                    medium: utm_medium.unwrap_or_else(|| source.utm.medium.clone()),
                    campaign: utm_campaign.or_else(|| source.utm.campaign.clone()),
                    ..source.utm.clone()
                },
            };
            let edited = edit_source(store, business.id, &source.key, &edit, &author())
                .await
                .map_err(|e| app_failure(e, || no_source(&business, &key)))?;
            let domain = edited.domain.as_ref().map(DomainName::as_str).unwrap_or("(print)");
            println!(
                "source {} is now '{}', {domain}, {} / {}",
                edited.key, edited.name, edited.utm.source, edited.utm.medium
            );
        }
        SourceCommand::Remove { business, key } => {
            let business = find_business(store, &business).await?;
            let source = own(store, &business, &key).await?;
            remove_source(store, business.id, &source.key, &author())
                .await
                .map_err(|e| app_failure(e, || no_source(&business, &key)))?;
            println!("removed source '{}': its link answers 404", source.name);
            if let Some(code) = source.reserved_code {
                println!("code {code} is no longer reserved");
            }
        }
    }
    Ok(())
}

fn no_source(business: &Business, key: &str) -> String {
    format!("'{}' has no source {key}", business.slug)
}

/// The business's source with this key, or an input error naming what was missing.
async fn own(store: &dyn Store, business: &Business, key: &str) -> anyhow::Result<Source> {
    let parsed = SourceKey::parse(key).map_err(|_| InputError(no_source(business, key)))?;
    own_source(store, business.id, &parsed)
        .await
        .map_err(|e| app_failure(e, || no_source(business, key)))
}
