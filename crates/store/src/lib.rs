//! The Store traits of `leadline-core` on SQLite (the embedded default) and PostgreSQL.
//!
//! Both engines run the same SQL through sqlx's `any` driver; the few places where they
//! differ ask [`Engine`]. Migrations live in `migrations/sqlite` and `migrations/postgres`
//! and are applied by [`SqlStore::migrate`]. The conformance suite in `tests/` runs every
//! Store behaviour against both.

mod ad_uploads;
mod adgroup;
mod alerts;
mod audit;
mod backup;
mod call_events;
mod call_me;
mod calls;
mod capacity;
mod connect;
mod conversion_rows;
mod conversions;
mod erasure;
mod errors;
mod group_commit;
mod health;
mod heatmap;
mod interactions;
pub(crate) mod leads;
mod live;
mod outbox;
mod params;
mod query;
mod reports;
mod retention;
mod rows;
mod sealed;
mod sender_auth;
mod sources;
mod spam;
mod speech_rules;
mod tenant_cache;
mod tenants;
mod transcripts;
mod visits;
mod web_push;

pub use backup::{BackupError, restore_sqlite};
pub use connect::{DatabaseUrl, OpenError, OpenOptions, private_dir};

use sqlx::AnyPool;

/// The database engine behind a [`SqlStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, one file under the data directory.
    Sqlite,
    /// PostgreSQL, shared by any number of servers.
    Postgres,
}

impl Engine {
    /// The engine's name as shown in metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A store on one database: implements every Store trait of `leadline-core`.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// The group-commit drivers' own connections (`connect.rs`).
    writers: AnyPool,
    url: std::sync::Arc<DatabaseUrl>,
    engine: Engine,
    max_connections: u32,
    live: std::sync::Arc<live::LiveCalls>,
    /// The tenancy the hot paths read, in memory (`tenant_cache.rs`).
    tenants: std::sync::Arc<tenant_cache::TenantCache>,
    /// Visits' codes and heartbeats not yet written (`visits/activity/`).
    activity: std::sync::Arc<visits::activity::Ledger>,
    /// Registrations waiting for their batch's commit (`visits/batch.rs`).
    registrations: std::sync::Arc<visits::batch::Registrations>,
    /// Calls waiting for their batch's commit (`calls/batch.rs`).
    new_calls: std::sync::Arc<calls::NewCalls>,
    /// Whether changes mark their days stale for the reports (always, but for a benchmark
    /// measuring what the marks cost).
    report_marks: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Seals the secret columns (`sealed.rs`); `None`: secrets can be neither kept nor read.
    sealer: Option<std::sync::Arc<leadline_core::sealing::Sealer>>,
}

/// The aggregate that joins a group's texts with a separator, in [`Engine`]'s order: a row and
/// its short lists come back in one statement.
pub(crate) const JOIN_TEXTS: [&str; 2] = ["group_concat", "string_agg"];

impl SqlStore {
    /// The engine this store runs on.
    pub fn engine_kind(&self) -> Engine {
        self.engine
    }

    /// This engine's form of a statement written for each engine, in [`Engine`]'s order.
    pub(crate) fn for_engine<'a>(&self, forms: &'a [String; 2]) -> &'a str {
        match self.engine {
            Engine::Sqlite => &forms[0],
            Engine::Postgres => &forms[1],
        }
    }

    /// Runs SQL statements as they are, outside every Store rule: for benchmarks that seed a
    /// year of records in bulk and tests that move records into the past. The server never
    /// calls it.
    #[doc(hidden)]
    pub async fn execute_script(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(&self.pool).await.map(|_| ())
    }

    /// The first column of each row `sql` answers, as text, read outside every Store rule:
    /// for tests that look at what a column holds on disk. The server never calls it.
    #[doc(hidden)]
    pub async fn stored_texts(&self, sql: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(sql).fetch_all(&self.pool).await
    }

    /// The database this store opened.
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Turns the marking of stale report days on or off, for a benchmark that measures what
    /// keeping reports costs a call or a sale. Off, reports fall behind: the server never calls it.
    #[doc(hidden)]
    pub fn set_report_marks(&self, on: bool) {
        self.report_marks.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether changes mark their days stale (see [`SqlStore::set_report_marks`]).
    pub(crate) fn report_marks(&self) -> bool {
        self.report_marks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether cached tenant reads are served from memory now (on PostgreSQL, only while the
    /// server's `LISTEN` connection is up): for tests of the cache's coherence.
    #[doc(hidden)]
    pub fn tenant_cache_serving(&self) -> bool {
        self.tenants.serving()
    }

    /// The tenant cache's generation: for tests that wait for a change's notice to arrive.
    #[doc(hidden)]
    pub fn tenant_cache_generation(&self) -> u64 {
        self.tenants.generation()
    }

    /// Closes every connection; waits for connections in use to be returned.
    pub async fn close(&self) {
        self.live.close();
        self.pool.close().await;
        self.writers.close().await;
    }
}
