//! Backups of a SQLite database while it serves, and their restore. PostgreSQL has its own
//! tools for both (`pg_dump`, `pg_restore`; docs/operations.md).
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so it is the database as of one
//! moment (every write committed before it began, none half-written), and the server's
//! writers go on while it runs (WAL). A restore checks the backup first (it opens, it passes
//! SQLite's integrity check, it is a Leadline database no newer than this binary), refuses a
//! database a server still has open, and replaces the file by a rename, so a failed restore
//! leaves the old database whole.

use crate::connect::{SQLITE_MIGRATIONS, create_new_private, private_dir};
use crate::{Engine, SqlStore};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What stopped a backup or a restore; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL's.
    #[error("backup and restore here are SQLite's; on PostgreSQL use pg_dump and pg_restore (docs/operations.md)")]
    Postgres,
    /// The backup's path is taken.
    #[error("{0} already exists: a backup never overwrites a file")]
    Exists(PathBuf),
    /// The file to restore is not a sound Leadline database.
    #[error("{0} cannot be restored: {1}")]
    NotLeadline(PathBuf, String),
    /// The database to replace exists and replacing was not asked for.
    #[error("{0} exists: pass --replace to replace it with the backup")]
    WouldReplace(PathBuf),
    /// A server has the database to replace open.
    #[error("{0} is open in a running server: stop the server, then restore")]
    InUse(PathBuf),
    /// A file could not be written or read.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// SQLite refused.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl SqlStore {
    /// Writes a consistent copy of the database to `path` while it keeps serving. `path` must
    /// not exist; the copy is readable by its owner only.
    pub async fn backup_into(&self, path: &Path) -> Result<(), BackupError> {
        if self.engine != Engine::Sqlite {
            return Err(BackupError::Postgres);
        }
        // Made empty and private first: SQLite writes into an empty file and keeps its mode.
        drop(create_private(path)?);
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await;
        if let Err(e) = copied {
            // Nothing half-made is left behind under the name.
            _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        Ok(())
    }
}

/// Replaces the SQLite database at `target` with the backup at `backup` (or puts it there when
/// there is none). `replace` must be set to replace an existing database.
pub async fn restore_sqlite(backup: &Path, target: &Path, replace: bool) -> Result<(), BackupError> {
    check_backup(backup).await?;
    if target.exists() {
        if !replace {
            return Err(BackupError::WouldReplace(target.to_owned()));
        }
        close_log(target).await?;
    } else if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir).map_err(|e| BackupError::Io(dir.to_owned(), e))?;
    }
    let staged = target.with_extension("restoring");
    _ = std::fs::remove_file(&staged);
    let file = create_private(&staged)?;
    let copied = copy_synced(backup, file, &staged);
    if let Err(e) = copied {
        _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    std::fs::rename(&staged, target).map_err(|e| BackupError::Io(target.to_owned(), e))?;
    sync_dir_of(target)
}

/// Waits until the directory holding `path` has its new entry on disk: a rename is durable
/// only once its directory is.
fn sync_dir_of(path: &Path) -> Result<(), BackupError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| BackupError::Io(dir.to_owned(), e))
}

/// Opens the backup read-only and checks that it is whole and a Leadline database this binary
/// can run.
async fn check_backup(backup: &Path) -> Result<(), BackupError> {
    let refuse = |why: String| BackupError::NotLeadline(backup.to_owned(), why);
    if !backup.is_file() {
        return Err(refuse("there is no such file".into()));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(backup)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| refuse(format!("SQLite cannot open it ({e})")))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| refuse(format!("SQLite cannot read it ({e})")))?;
    if integrity != "ok" {
        return Err(refuse(format!("SQLite's integrity check says: {integrity}")));
    }
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| refuse("it holds no Leadline migrations".into()))?;
    conn.close().await?;
    let known = SQLITE_MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    match newest {
        None => Err(refuse("it holds no Leadline migrations".into())),
        Some(version) if version > known => Err(refuse(format!(
            "it was made by a newer Leadline (migration {version}; this one knows up to {known})"
        ))),
        Some(_) => Ok(()),
    }
}

/// Takes the database out of WAL mode, which SQLite allows only when no other connection has
/// it open: so a running server is found, and the write-ahead log (which would otherwise be
/// replayed onto the restored file) is folded in and removed.
async fn close_log(target: &Path) -> Result<(), BackupError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(target)
        .busy_timeout(Duration::from_millis(200))
        .connect()
        .await?;
    let mode: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await;
    conn.close().await?;
    match mode {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => Ok(()),
        _ => Err(BackupError::InUse(target.to_owned())),
    }
}

/// Creates `path` empty and private; an existing file is refused.
fn create_private(path: &Path) -> Result<std::fs::File, BackupError> {
    create_new_private(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Exists(path.to_owned()),
        _ => BackupError::Io(path.to_owned(), e),
    })
}

/// Copies `from` into `to` (a file just created) and waits until it is on disk.
fn copy_synced(from: &Path, mut to: std::fs::File, to_path: &Path) -> Result<(), BackupError> {
    let mut source = std::fs::File::open(from).map_err(|e| BackupError::Io(from.to_owned(), e))?;
    std::io::copy(&mut source, &mut to)
        .and_then(|_| to.sync_all())
        .map_err(|e| BackupError::Io(to_path.to_owned(), e))
}
