//! Opening a database from its URL: the SQLite defaults done right (WAL, busy timeout,
//! foreign keys, no database created from a mistyped path) and the migrations.

use crate::{Engine, SqlStore};
use leadline_core::Invalid;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Executor, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Pragmas set on every SQLite connection: write-ahead log so readers never block the
/// writer, a busy timeout so writers queue instead of failing, foreign keys enforced; a
/// statement's rollback journal kept in memory (`temp_store`): SQLite otherwise spills the
/// journal of every statement that touches more than 64 KiB to a temporary file it opens and
/// writes, which a batch of registrations does for each of its multi-row statements.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA temp_store = MEMORY",
];

/// Where the data lives: `sqlite://PATH` or `postgres://…` (`postgresql://` too).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (may hold a password).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses a database URL, saying what is wrong with a bad one.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("database_url", reason);
        if let Some(path) = input
            .strip_prefix("sqlite://")
            .or_else(|| input.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains('?') || path == ":memory:" {
                return Err(invalid(format!(
                    "'{input}' must name a file, e.g. sqlite://data/leadline.db (no query, no :memory:)"
                )));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if input.starts_with("postgres://") || input.starts_with("postgresql://") {
            let url = url::Url::parse(input).map_err(|e| invalid(format!("not a valid PostgreSQL URL ({e})")))?;
            if url.host_str().is_none() && !url.query_pairs().any(|(k, _)| k == "host") {
                return Err(invalid("the PostgreSQL URL names no host".into()));
            }
            return Ok(Self::Postgres(input.to_owned()));
        }
        Err(invalid(format!(
            "'{}' is neither sqlite://PATH nor postgres://…",
            Self::redact(input)
        )))
    }

    /// The URL with any password replaced by `***`, safe to print.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => Self::redact(url),
        }
    }

    fn redact(raw: &str) -> String {
        match url::Url::parse(raw) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            Ok(url) => url.to_string(),
            Err(_) => "<unparseable URL>".to_owned(),
        }
    }

    /// The engine this URL selects.
    pub fn engine(&self) -> Engine {
        match self {
            Self::Sqlite(_) => Engine::Sqlite,
            Self::Postgres(_) => Engine::Postgres,
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Upper bound of the connection pool.
    pub max_connections: u32,
    /// Create a missing SQLite file (and its directory). Off unless the path is the
    /// default one under the data directory or creation was asked for explicitly.
    pub create_if_missing: bool,
    /// How long a caller waits for a free connection.
    pub acquire_timeout: Duration,
    /// How long a cached site, number, routing rule or destination list is served at most
    /// (changes made through any server are seen at once; this bounds changes made outside
    /// them, such as a CLI command on a SQLite file). Zero reads the database every time.
    pub tenant_cache_ttl: Duration,
    /// Seals and opens the secret columns (`sealed.rs`), from the install secret. Without
    /// one the store refuses to keep or read a secret rather than keep it in clear.
    pub sealer: Option<leadline_core::sealing::Sealer>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            create_if_missing: false,
            acquire_timeout: Duration::from_secs(5),
            tenant_cache_ttl: crate::tenant_cache::DEFAULT_TTL,
            sealer: None,
        }
    }
}

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The SQLite file does not exist and creating it was not allowed.
    #[error(
        "the database file {0} does not exist. If the path is right, create it with `leadline migrate --create-database`; otherwise fix database_url"
    )]
    MissingFile(PathBuf),
    /// The SQLite file's directory could not be created.
    #[error("cannot create the directory {0}: {1}")]
    Directory(PathBuf, #[source] std::io::Error),
    /// The SQLite file could not be created.
    #[error("cannot create the database file {0}: {1}")]
    File(PathBuf, #[source] std::io::Error),
    /// The database refused the connection.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The connections of the group-commit drivers: one for registrations, one for new calls.
const GROUP_COMMIT_CONNECTIONS: u32 = 2;

/// A pool of at most `max` connections to `connect_url`, SQLite's with its pragmas. With
/// `keyed_only`, PostgreSQL is told to read by index whenever one serves: the group-commit
/// batches only look rows up by key, many keys per statement, and the planner, whose
/// statistics lag behind a table that grows fast (the first minutes of a busy install, until
/// autovacuum's next ANALYZE), would otherwise scan the whole table once per key.
async fn connect_pool(
    url: &DatabaseUrl,
    connect_url: &str,
    max: u32,
    acquire_timeout: Duration,
    keyed_only: bool,
) -> Result<sqlx::AnyPool, OpenError> {
    let engine = url.engine();
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(acquire_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    apply_sqlite_pragmas(conn).await?;
                } else if keyed_only {
                    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect(connect_url)
        .await
        .map_err(|source| OpenError::Connect {
            url: url.redacted(),
            source,
        })
}

impl SqlStore {
    /// Opens (and for SQLite, when allowed, creates) the database. Does not migrate.
    pub async fn open(url: &DatabaseUrl, options: &OpenOptions) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let connect_url = match url {
            DatabaseUrl::Sqlite(path) => sqlite_connect_url(path, options.create_if_missing)?,
            DatabaseUrl::Postgres(raw) => raw.clone(),
        };
        let engine = url.engine();
        let pool = connect_pool(
            url,
            &connect_url,
            options.max_connections,
            options.acquire_timeout,
            false,
        )
        .await?;
        // The group-commit drivers (registrations, new calls) write through connections of
        // their own: from the shared pool, each batch would wait behind every request queued
        // for a connection, and a batch holds many requests' answers.
        let writers = connect_pool(
            url,
            &connect_url,
            GROUP_COMMIT_CONNECTIONS,
            options.acquire_timeout,
            true,
        )
        .await?;
        let listen_url = (engine == Engine::Postgres).then(|| connect_url.clone());
        let tenants = std::sync::Arc::new(crate::tenant_cache::TenantCache::new(engine, options.tenant_cache_ttl));
        let activity = std::sync::Arc::new(crate::visits::activity::Ledger::default());
        Ok(Self {
            pool,
            writers,
            url: std::sync::Arc::new(url.clone()),
            engine,
            max_connections: options.max_connections,
            live: crate::live::LiveCalls::new(
                engine,
                listen_url,
                std::sync::Arc::clone(&tenants),
                std::sync::Arc::clone(&activity),
            ),
            tenants,
            activity,
            registrations: std::sync::Arc::default(),
            new_calls: std::sync::Arc::default(),
            report_marks: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
            sealer: options.sealer.clone().map(std::sync::Arc::new),
        })
    }

    /// Applies the migrations this database has not seen yet.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Opens the database and applies pending migrations: what every command does first.
    pub async fn open_and_migrate(url: &DatabaseUrl, options: &OpenOptions) -> Result<Self, OpenError> {
        let store = Self::open(url, options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Another store on this one's database, as a second server would open it: for tests of
    /// what several servers sharing one database see. Does not migrate.
    #[doc(hidden)]
    pub async fn open_beside(&self, options: &OpenOptions) -> Result<Self, OpenError> {
        let sealer = options.sealer.clone().or_else(|| self.sealer.as_deref().cloned());
        Self::open(
            &self.url,
            &OpenOptions {
                sealer,
                ..options.clone()
            },
        )
        .await
    }

    /// Reads a SQLite pragma (for tests and diagnostics); `None` on PostgreSQL.
    pub async fn sqlite_pragma(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        if self.engine != Engine::Sqlite || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Ok(None);
        }
        let row = sqlx::query(&format!("PRAGMA {name}")).fetch_one(&self.pool).await?;
        let value = row
            .try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))?;
        Ok(Some(value))
    }
}

fn sqlite_connect_url(path: &Path, create: bool) -> Result<String, OpenError> {
    if !path.exists() {
        if !create {
            return Err(OpenError::MissingFile(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(|e| OpenError::Directory(dir.to_owned(), e))?;
        }
        create_private_file(path).map_err(|e| OpenError::File(path.to_owned(), e))?;
    }
    warn_if_others_can_read(path);
    let mode = if create { "rwc" } else { "rw" };
    Ok(format!("sqlite://{}?mode={mode}", path.display()))
}

/// Creates `dir` and its missing parents so that only their owner may enter them (0700 on
/// Unix): the data directory holds the database, the install secret and attachments. An
/// existing directory is left as it is.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the empty database file readable and writable by its owner only (0600), before
/// SQLite opens it: SQLite gives the `-wal` and `-shm` files it makes later the database
/// file's permissions, so they are private too. Another process creating it first is fine.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    match create_new_private(path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Creates `path`, which must not exist, readable and writable by its owner only (0600 on
/// Unix).
pub(crate) fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Logs a warning when a database made by an older version (or by hand) can be read by other
/// users; it is not changed behind the operator's back.
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the database can be read by other users: `chmod 600` it and its -wal and -shm files"
            );
        }
    }
}

async fn apply_sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for pragma in SQLITE_PRAGMAS {
        conn.execute(pragma).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_engine() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/leadline.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/leadline.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/x.db").unwrap().engine(),
            Engine::Sqlite
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@localhost/db").unwrap().engine(),
            Engine::Postgres
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let err = DatabaseUrl::parse("mysql://u:hunter2@h/db").unwrap_err().to_string();
        assert!(err.contains("neither"), "{err}");
        assert!(!err.contains("hunter2"), "password leaked: {err}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://leadline:hunter2@db.internal:5432/leadline").unwrap();
        assert!(!url.redacted().contains("hunter2"));
        assert!(!format!("{url:?} {url}").contains("hunter2"));
    }
}
