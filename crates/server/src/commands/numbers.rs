//! `leadline number …` and `leadline destination …`: every change goes through the set-up
//! use cases (`app::setup`), as the Settings pages' do.

use super::InputError;
use super::sites::refused;
use super::tenants::{find_business, read_stdin_line, said};
use crate::app::setup::destinations::{
    add_destination, edit_destination, remove_destination, set_destination_disabled,
};
use crate::app::setup::numbers::{Scope, add_number, edit_number, remove_number};
use crate::cli::{DestinationCommand, DestinationRef, NumberCommand};
use leadline_core::E164;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{AccountSid, TrackingNumber, parse_auth_token};
use leadline_core::tenant::{Business, Destination, NewDestination, NewTrackingNumber, NumberEdit, Provider};
use leadline_core::{SiteId, UserId};

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// The sites with these keys: any business's, or only `business`'s when given.
async fn sites_by_key(store: &dyn Store, keys: &[String], business: Option<&Business>) -> anyhow::Result<Vec<SiteId>> {
    let keys = keys.iter().map(|k| SiteKey::parse(k)).collect::<Result<Vec<_>, _>>()?;
    let mut ids = Vec::with_capacity(keys.len());
    for key in &keys {
        match store.site_by_key(key).await {
            Ok(site) if business.is_none_or(|b| b.id == site.business_id) => ids.push(site.id),
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(InputError(format!("unknown site key '{key}': see `leadline site list`")).into());
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(ids)
}

async fn business_number(store: &dyn Store, business: &Business, number: &str) -> anyhow::Result<TrackingNumber> {
    let number = E164::parse(number)?;
    store
        .list_numbers(business.id)
        .await?
        .into_iter()
        .find(|n| n.number == number)
        .ok_or_else(|| InputError(format!("'{}' has no tracking number {number}", business.slug)).into())
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
            let site_ids = sites_by_key(store, &sites, None).await?;
            let new = NewTrackingNumber {
                number,
                provider,
                account_sid,
                auth_token,
                site_ids,
            };
            let created = add_number(store, Scope::Installation, &new, &author())
                .await
                .map_err(refused)?;
            println!(
                "created tracking number {} serving {} site(s)",
                created.number,
                created.site_ids.len()
            );
        }
        NumberCommand::Edit {
            number,
            business,
            sites,
            account_sid,
            auth_token_stdin,
        } => {
            let account_sid = account_sid.map(|a| AccountSid::parse(&a)).transpose()?;
            let auth_token = match auth_token_stdin {
                true => Some(parse_auth_token(&read_stdin_line("auth token")?)?),
                false => None,
            };
            let business = find_business(store, &business).await?;
            let current = business_number(store, &business, &number).await?;
            let site_ids = match sites.is_empty() {
                true => {
                    let own = store.list_sites(business.id).await?;
                    current
                        .site_ids
                        .iter()
                        .copied()
                        .filter(|id| own.iter().any(|s| s.id == *id))
                        .collect()
                }
                false => sites_by_key(store, &sites, Some(&business)).await?,
            };
            let edit = NumberEdit {
                account_sid: account_sid.unwrap_or(current.account_sid),
                auth_token,
                site_ids,
            };
            let edited = edit_number(store, business.id, current.id, &edit, &author())
                .await
                .map_err(refused)?;
            println!(
                "tracking number {} ({}) serves {} site(s){}",
                edited.number,
                edited.account_sid.as_str(),
                edited.site_ids.len(),
                if edit.auth_token.is_some() {
                    "; auth token replaced"
                } else {
                    ""
                }
            );
        }
        NumberCommand::Remove { number, business } => {
            let business = find_business(store, &business).await?;
            let current = business_number(store, &business, &number).await?;
            remove_number(store, business.id, current.id, &author())
                .await
                .map_err(refused)?;
            println!("removed tracking number {} (its calls are kept)", current.number);
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

async fn user_of(store: &dyn Store, business: &Business, email: &str) -> anyhow::Result<UserId> {
    let email = Email::parse(email)?;
    let no_user = || InputError(format!("'{}' has no user {email}", business.slug));
    // A member of the business (an agency's user may belong to several).
    let found = match store.user_credentials(&email).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(no_user().into()),
        Err(other) => return Err(other.into()),
    };
    match store.member(business.id, found.user.id).await {
        Ok(member) => Ok(member.id),
        Err(StoreError::NotFound) => Err(no_user().into()),
        Err(other) => Err(other.into()),
    }
}

async fn business_destination(
    store: &dyn Store,
    reference: &DestinationRef,
) -> anyhow::Result<(Business, Destination)> {
    let number = E164::parse(&reference.number)?;
    let business = find_business(store, &reference.business).await?;
    let found = store
        .list_destinations(business.id)
        .await?
        .into_iter()
        .find(|d| d.number == number);
    match found {
        Some(destination) => Ok((business, destination)),
        None => Err(InputError(format!("'{}' has no destination {number}", business.slug)).into()),
    }
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
            let business = find_business(store, &business).await?;
            let user_id = match user {
                Some(email) => Some(user_of(store, &business, &email).await?),
                None => None,
            };
            let new = NewDestination {
                business_id: business.id,
                name,
                number,
                department,
                user_id,
            };
            let created = add_destination(store, &new, &author()).await.map_err(refused)?;
            println!("created destination '{}' {}", created.name, created.number);
        }
        DestinationCommand::Edit {
            destination,
            name,
            new_number,
            department,
            no_department,
            user,
            no_user,
        } => {
            let name = name.map(|n| Name::parse_as("destination name", &n)).transpose()?;
            let new_number = new_number.map(|n| E164::parse(&n)).transpose()?;
            let department = department.map(|d| Name::parse_as("department", &d)).transpose()?;
            let (business, current) = business_destination(store, &destination).await?;
            let user_id = match (user, no_user) {
                (Some(email), _) => Some(user_of(store, &business, &email).await?),
                (None, true) => None,
                (None, false) => current.user_id,
            };
            let edit = NewDestination {
                business_id: business.id,
                name: name.unwrap_or(current.name),
                number: new_number.unwrap_or(current.number),
                department: if no_department {
                    None
                } else {
                    department.or(current.department)
                },
                user_id,
            };
            let edited = edit_destination(store, current.id, &edit, &author())
                .await
                .map_err(refused)?;
            println!("destination '{}' {}", edited.name, edited.number);
        }
        DestinationCommand::Disable(reference) => toggle(store, &reference, true).await?,
        DestinationCommand::Enable(reference) => toggle(store, &reference, false).await?,
        DestinationCommand::Remove(reference) => {
            let (business, current) = business_destination(store, &reference).await?;
            remove_destination(store, business.id, current.id, &author())
                .await
                .map_err(refused)?;
            println!(
                "removed destination '{}' {} (its calls are kept)",
                current.name, current.number
            );
        }
        DestinationCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for d in store.list_destinations(business.id).await.map_err(said)? {
                let department = d.department.as_ref().map_or("-", Name::as_str);
                let state = if d.disabled { " (disabled)" } else { "" };
                println!("{:<16} {:<24} {department}{state}", d.number, d.name);
            }
        }
    }
    Ok(())
}

async fn toggle(store: &dyn Store, reference: &DestinationRef, disabled: bool) -> anyhow::Result<()> {
    let (business, current) = business_destination(store, reference).await?;
    let changed = set_destination_disabled(store, business.id, current.id, disabled, &author())
        .await
        .map_err(refused)?;
    let state = if changed.disabled {
        "disabled (never rung)"
    } else {
        "enabled"
    };
    println!("destination '{}' {} {state}", changed.name, changed.number);
    Ok(())
}
