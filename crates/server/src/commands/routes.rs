//! `leadline route …`: per-site routing rules.

use crate::cli::{BusinessRef, RouteCommand};
use crate::commands::InputError;
use crate::commands::tenants::{find_business, said};
use leadline_core::routing::{Condition, Hours, Rule};
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::Site;
use leadline_core::{E164, Invalid};

/// Runs a route command.
pub async fn route(store: &dyn Store, command: RouteCommand) -> anyhow::Result<()> {
    match command {
        RouteCommand::Add {
            business,
            site,
            source,
            medium,
            campaign,
            keyword,
            var,
            extension,
            hours,
            ring,
            in_turn,
        } => {
            let mut conditions = Vec::new();
            conditions.extend(source.map(Condition::Source));
            conditions.extend(medium.map(Condition::Medium));
            conditions.extend(campaign.map(Condition::Campaign));
            conditions.extend(keyword.map(Condition::Keyword));
            if let Some(var) = var {
                let (name, value) = var
                    .split_once('=')
                    .ok_or_else(|| Invalid::new("variable", format!("'{var}' is not NAME=VALUE")))?;
                conditions.push(Condition::Var {
                    name: name.trim().to_owned(),
                    value: value.trim().to_owned(),
                });
            }
            conditions.extend(extension.map(Condition::Extension));
            if let Some(hours) = hours {
                conditions.push(Condition::Hours(Hours::parse(&hours)?));
            }
            let destinations = ring.iter().map(|n| E164::parse(n)).collect::<Result<Vec<_>, _>>()?;
            let rule = Rule {
                conditions,
                destinations,
                in_turn,
            };
            rule.validate()?;
            let (business, site) = business_site(store, &business, &site).await?;
            let known: Vec<E164> = store
                .list_destinations(business)
                .await?
                .into_iter()
                .map(|d| d.number)
                .collect();
            if let Some(stranger) = rule.destinations.iter().find(|n| !known.contains(n)) {
                return Err(
                    InputError(format!("{stranger} is not a destination of the business: add it first")).into(),
                );
            }
            store.add_routing_rule(business, site.id, &rule).await.map_err(said)?;
            println!("added rule {} to site {}", describe(&rule), site.key);
        }
        RouteCommand::List { business, site } => {
            let (_, site) = business_site(store, &business, &site).await?;
            for (i, rule) in store.routing_rules(site.id).await?.iter().enumerate() {
                println!("{:>3}. {}", i + 1, describe(rule));
            }
        }
    }
    Ok(())
}

async fn business_site(
    store: &dyn Store,
    business: &BusinessRef,
    site: &str,
) -> anyhow::Result<(leadline_core::BusinessId, Site)> {
    let key = SiteKey::parse(site)?;
    let business = find_business(store, business).await?;
    match store.site_by_key(&key).await {
        Ok(site) if site.business_id == business.id => Ok((business.id, site)),
        Ok(_) | Err(StoreError::NotFound) => Err(InputError(format!("'{}' has no site {key}", business.slug)).into()),
        Err(other) => Err(other.into()),
    }
}

/// "when source=google and hours mon-fri 09:00-17:00, ring +1… then +1…".
fn describe(rule: &Rule) -> String {
    let conditions: Vec<String> = rule
        .conditions
        .iter()
        .map(|c| match c {
            Condition::Source(v) => format!("source={v}"),
            Condition::Medium(v) => format!("medium={v}"),
            Condition::Campaign(v) => format!("campaign={v}"),
            Condition::Keyword(v) => format!("keyword~{v}"),
            Condition::Var { name, value } => format!("{name}={value}"),
            Condition::Extension(v) => format!("extension={v}"),
            Condition::Hours(h) => format!("hours {h}"),
        })
        .collect();
    let when = if conditions.is_empty() {
        "always".to_owned()
    } else {
        format!("when {}", conditions.join(" and "))
    };
    let numbers: Vec<String> = rule.destinations.iter().map(ToString::to_string).collect();
    let joiner = if rule.in_turn { " then " } else { " and " };
    format!("{when}, ring {}", numbers.join(joiner))
}
