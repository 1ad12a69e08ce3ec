//! `leadline source …`: offline and foreign-domain sources.

use crate::cli::SourceCommand;
use crate::commands::InputError;
use crate::commands::tenants::{find_business, said};
use crate::config::Config;
use crate::http::sources::source_url;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::SiteKey;
use leadline_core::source::{NewSource, SourceKey, SourceUtm};
use leadline_core::store::{Store, StoreError};
use leadline_core::visit::{PoolKey, Selector};

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
            utm.validate()?;
            if reserve_code == Some(0) {
                return Err(InputError("reserved codes start at 1".into()).into());
            }
            let business = find_business(store, &business).await?;
            let site = match store.site_by_key(&key).await {
                Ok(site) if site.business_id == business.id => site,
                Ok(_) | Err(StoreError::NotFound) => {
                    return Err(InputError(format!("'{}' has no site {key}", business.slug)).into());
                }
                Err(other) => return Err(other.into()),
            };
            let number = store.number_for_site(site.id).await?;
            if reserve_code.is_some() && number.is_none() {
                return Err(InputError(format!("site {key} has no tracking number to reserve a code on")).into());
            }
            let pool = number.map(|n| PoolKey {
                number: n.id,
                selector: Selector::Plain,
            });
            let new = NewSource {
                business_id: business.id,
                site_id: site.id,
                key: SourceKey::generate(),
                name,
                domain,
                utm,
                reserved_code: reserve_code,
            };
            let created = store.create_source(&new, pool).await.map_err(said)?;
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
    }
    Ok(())
}
