//! `leadline erase --business SLUG --lead REF --yes`: erases one person through the same use
//! case as the API and the lead page, and prints the record of it as JSON.

use super::open_store;
use super::tenants::find_business;
use crate::app::{AppError, AppState, erasure};
use crate::cli::EraseArgs;
use crate::commands::InputError;
use crate::config::Config;
use leadline_core::lead::Author;
use std::sync::Arc;

/// `leadline erase`.
pub async fn erase(config: &Config, args: EraseArgs) -> anyhow::Result<()> {
    if !args.yes {
        return Err(InputError(format!(
            "erasing lead {} cannot be undone: add --yes to confirm",
            args.lead
        ))
        .into());
    }
    let store = open_store(config, false).await?;
    let business = find_business(&store, &args.business).await?;
    let state = AppState::new(Arc::new(store), config, config.install_secret()?)?;
    let erased = erasure::erase_person(&state, business.id, args.lead, &Author::from_stored("cli"))
        .await
        .map_err(|e| match e {
            AppError::NotFound => InputError(format!("'{}' has no lead {}", business.slug, args.lead)).into(),
            AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
            AppError::Unavailable(why) => anyhow::anyhow!(why),
            AppError::Internal(cause) => cause,
        })?;
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::http::leads::erasure_json(&erased))?
    );
    Ok(())
}
