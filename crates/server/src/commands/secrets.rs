//! `leadline secrets rotate`: seals every stored secret under the configured install secret's
//! key, opening what the previous install secret sealed when it is given.

use crate::cli::RotateArgs;
use crate::commands::{InputError, open_store_sealed};
use crate::config::Config;
use leadline_core::sealing::Sealer;
use leadline_core::secret::Secret;

/// Re-seals the stored secrets; run with the servers stopped after changing the install secret
/// (a server still holding the old one could not read what this seals).
pub async fn rotate(config: &Config, args: RotateArgs) -> anyhow::Result<()> {
    let current = config.install_secret()?;
    let sealer = match &args.previous_secret_file {
        Some(path) => {
            let previous = std::fs::read_to_string(path)
                .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
            let previous = Secret::new(previous.trim());
            if previous.expose().len() < 32 {
                return Err(InputError(format!(
                    "{} does not hold an install secret (32 characters or more)",
                    path.display()
                ))
                .into());
            }
            Sealer::rotating_from(&current, &previous)
        }
        None => Sealer::new(&current),
    };
    let key = sealer.key_id().to_owned();
    let store = open_store_sealed(config, false, sealer).await?;
    let sealed = store.reseal_secrets().await;
    store.close().await;
    let sealed = sealed?;
    let noun = if sealed == 1 { "secret" } else { "secrets" };
    println!("{sealed} {noun} sealed again under key {key}");
    Ok(())
}
