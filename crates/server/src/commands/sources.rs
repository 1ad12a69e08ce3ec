//! `leadline source …`: offline and foreign-domain sources.

use crate::app::sources::{SourceRequest, add_source};
use crate::cli::SourceCommand;
use crate::commands::tenants::{find_business, said};
use crate::commands::{InputError, app_failure};
use crate::config::Config;
use crate::http::sources::source_url;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::SiteKey;
use leadline_core::source::SourceUtm;
use leadline_core::store::{Store, StoreError};

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
            let created = add_source(store, business.id, request)
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
    }
    Ok(())
}
