//! `leadline user …` and `leadline api-key …`: people and access from the command line.
//! Each command parses its input and calls the same use case as the settings pages
//! (`app::people`, `app::access`).

use super::tenants::{find_business, read_stdin_line};
use crate::app::{AppError, access, people};
use crate::cli::{ApiKeyCommand, UserCommand};
use crate::commands::InputError;
use crate::config::Config;
use leadline_core::ApiKeyId;
use leadline_core::access::MemberChange;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::NewPassword;
use leadline_core::store::Store;
use leadline_core::tenant::{NewUser, Role};

/// Who changes things from the command line.
fn author() -> Author {
    Author::from_stored("cli")
}

/// A use case's refusal as the command line says it: the user's to fix, or a failure.
fn refused(err: AppError, not_found: impl FnOnce() -> String) -> anyhow::Error {
    match err {
        AppError::NotFound => InputError(not_found()).into(),
        AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
        AppError::Unavailable(why) => anyhow::anyhow!(why),
        AppError::Internal(cause) => cause,
    }
}

/// `leadline user …`
pub async fn user(store: &dyn Store, config: &Config, command: UserCommand) -> anyhow::Result<()> {
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
            let created = people::add_user(store, &new, &author())
                .await
                .map_err(|e| refused(e, || format!("no business '{}'", business.slug)))?;
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
        UserCommand::Edit {
            business,
            email,
            name,
            role,
        } => {
            let email = Email::parse(&email)?;
            let name = name.as_deref().map(|n| Name::parse_as("user name", n)).transpose()?;
            let role = role.as_deref().map(Role::parse).transpose()?;
            if name.is_none() && role.is_none() {
                return Err(InputError("give --name, --role or both".into()).into());
            }
            let business = find_business(store, &business).await?;
            let unknown = || format!("'{}' has no member {email}", business.slug);
            let member = people::member_by_email(store, business.id, &email)
                .await
                .map_err(|e| refused(e, unknown))?;
            let edited = people::edit_member(store, business.id, member.id, name.as_ref(), role, &author())
                .await
                .map_err(|e| refused(e, unknown))?;
            println!(
                "{} is {} ({}) in '{}'",
                edited.email,
                edited.name,
                edited.role.as_str(),
                business.slug
            );
        }
        UserCommand::Remove { business, email } => {
            let email = Email::parse(&email)?;
            let business = find_business(store, &business).await?;
            let unknown = || format!("'{}' has no member {email}", business.slug);
            let member = people::member_by_email(store, business.id, &email)
                .await
                .map_err(|e| refused(e, unknown))?;
            let disabled = people::change_member(store, business.id, member.id, MemberChange::Remove, &author())
                .await
                .map_err(|e| refused(e, unknown))?;
            println!("removed {email} from '{}'", business.slug);
            for d in disabled {
                println!("disabled destination {} ({}): no longer rung", d.name, d.number);
            }
        }
        UserCommand::ResetPassword { email } => {
            let email = Email::parse(&email)?;
            let link = people::reset_link(store, &config.base_url(), &email)
                .await
                .map_err(|e| refused(e, || format!("no user has the e-mail {email}")))?;
            println!("one-time link (valid for an hour; using it ends every session of {email}):");
            println!("{link}");
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
            let (created, key) = access::create_api_key(store, business.id, &name, &author())
                .await
                .map_err(|e| refused(e, || format!("unknown business '{}'", business.slug)))?;
            println!(
                "created API key {} '{}' for '{}'",
                created.id, created.name, business.slug
            );
            println!("key (shown once, stored only as a hash): {}", key.expose());
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
            access::revoke_api_key(store, business.id, ApiKeyId(id), &author())
                .await
                .map_err(|e| refused(e, || format!("'{}' has no API key {id}", business.slug)))?;
            println!("revoked API key {id}");
        }
    }
    Ok(())
}
