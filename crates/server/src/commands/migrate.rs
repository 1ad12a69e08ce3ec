//! `leadline migrate`: applies pending migrations (and creates the SQLite file on request).

use crate::commands::open_store;
use crate::config::Config;

/// Opens the database (creating it when asked) and migrates it.
pub async fn run(config: &Config, create_database: bool) -> anyhow::Result<()> {
    let store = open_store(config, create_database).await?;
    let (url, _) = config.database()?;
    println!("database {url} is up to date");
    store.close().await;
    Ok(())
}
