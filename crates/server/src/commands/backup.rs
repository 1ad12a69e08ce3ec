//! `leadline backup PATH` and `leadline restore PATH`: the SQLite database copied while it
//! serves, and put back with the server stopped (`leadline_store::backup`).

use crate::commands::open_store;
use crate::config::Config;
use leadline_store::{BackupError, DatabaseUrl};
use std::path::Path;

/// Writes a consistent copy of the configured database to `path`.
pub async fn backup(config: &Config, path: &Path) -> anyhow::Result<()> {
    if let (DatabaseUrl::Postgres(_), _) = config.database()? {
        return Err(BackupError::Postgres.into());
    }
    let store = open_store(config, false).await?;
    let written = store.backup_into(path).await;
    store.close().await;
    written?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({bytes} bytes)", path.display());
    println!(
        "keep the install secret with it (secret_key, or secret.key in the data directory): visit tokens, CSRF tokens and attachment links are signed with it"
    );
    Ok(())
}

/// Puts the backup at `path` in place of the configured database.
pub async fn restore(config: &Config, path: &Path, replace: bool) -> anyhow::Result<()> {
    let target = match config.database()? {
        (DatabaseUrl::Sqlite(target), _) => target,
        (DatabaseUrl::Postgres(_), _) => return Err(BackupError::Postgres.into()),
    };
    leadline_store::restore_sqlite(path, &target, replace).await?;
    println!("{} restored to {}", path.display(), target.display());
    Ok(())
}
