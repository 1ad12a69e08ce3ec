//! `leadline migrate`: applies pending migrations (and creates the SQLite file on request).

use crate::commands::open_store;
use crate::config::Config;

/// Opens the database (creating it when asked), migrates it and seals the secrets a database
/// from before sealing kept in clear.
pub async fn run(config: &Config, create_database: bool) -> anyhow::Result<()> {
    let store = open_store(config, create_database).await?;
    let sealed = store.reseal_secrets().await?;
    let (url, _) = config.database()?;
    println!("database {url} is up to date ({sealed} secrets stored in clear sealed)");
    store.close().await;
    Ok(())
}
