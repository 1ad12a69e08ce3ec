//! `leadline route …`: per-site routing rules.

use crate::app::routing_rules;
use crate::cli::{BusinessRef, RouteCommand, RuleArgs};
use crate::commands::tenants::find_business;
use crate::commands::{InputError, app_failure};
use leadline_core::lead::Author;
use leadline_core::routing::{Condition, Hours, Move, Rule};
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::Site;
use leadline_core::{E164, Invalid};

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// Runs a route command.
pub async fn route(store: &dyn Store, command: RouteCommand) -> anyhow::Result<()> {
    match command {
        RouteCommand::Add { business, site, rule } => {
            let rule = rule_of(rule)?;
            let (business, site) = business_site(store, &business, &site).await?;
            routing_rules::add_rule(store, business, site.id, &rule, &author())
                .await
                .map_err(|e| app_failure(e, || format!("no site {}", site.key)))?;
            println!("added rule {} to site {}", rule.describe(), site.key);
        }
        RouteCommand::Edit { business, id, rule } => {
            let rule = rule_of(rule)?;
            let business = find_business(store, &business).await?;
            routing_rules::edit_rule(store, business.id, id, &rule, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no routing rule {id}", business.slug)))?;
            println!("rule {id} is now {}", rule.describe());
        }
        RouteCommand::List { business, site } => {
            let (business, site) = business_site(store, &business, &site).await?;
            for (i, stored) in store.site_routing_rules(business, site.id).await?.iter().enumerate() {
                println!("{:>3}. [rule {}] {}", i + 1, stored.id, stored.rule.describe());
            }
        }
        RouteCommand::Move { business, id, earlier } => {
            let business = find_business(store, &business).await?;
            let direction = if earlier { Move::Earlier } else { Move::Later };
            routing_rules::move_rule(store, business.id, id, direction, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no routing rule {id}", business.slug)))?;
            println!("moved rule {id} {}", if earlier { "earlier" } else { "later" });
        }
        RouteCommand::Remove { business, id } => {
            let business = find_business(store, &business).await?;
            routing_rules::remove_rule(store, business.id, id, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no routing rule {id}", business.slug)))?;
            println!("removed rule {id}");
        }
    }
    Ok(())
}

/// The rule the arguments describe.
fn rule_of(args: RuleArgs) -> anyhow::Result<Rule> {
    let mut conditions = Vec::new();
    conditions.extend(args.source.map(Condition::Source));
    conditions.extend(args.medium.map(Condition::Medium));
    conditions.extend(args.campaign.map(Condition::Campaign));
    conditions.extend(args.keyword.map(Condition::Keyword));
    if let Some(var) = args.var {
        let (name, value) = var
            .split_once('=')
            .ok_or_else(|| Invalid::new("variable", format!("'{var}' is not NAME=VALUE")))?;
        conditions.push(Condition::Var {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
        });
    }
    conditions.extend(args.extension.map(Condition::Extension));
    if let Some(hours) = args.hours {
        conditions.push(Condition::Hours(Hours::parse(&hours)?));
    }
    let destinations = args
        .ring
        .iter()
        .map(|n| E164::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule {
        conditions,
        destinations,
        in_turn: args.in_turn,
    })
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
