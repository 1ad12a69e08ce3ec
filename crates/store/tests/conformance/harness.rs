//! Runs one conformance test against a fresh database of each engine and cleans up after
//! it, whether it passed or panicked.

use futures::FutureExt;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use sqlx::{Connection, Executor, PgConnection};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

/// The variable naming the PostgreSQL server the suite may create databases on.
pub const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";

/// Runs `test` on a migrated SQLite database in a temporary directory.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = DatabaseUrl::Sqlite(dir.path().join("leadline.db"));
    let store = open(&url).await;
    let outcome = AssertUnwindSafe(test(store.clone())).catch_unwind().await;
    store.close().await;
    drop(dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `test` on a new PostgreSQL database, dropped afterwards; skips (saying so once on
/// the terminal) when `LEADLINE_TEST_POSTGRES_URL` is not set.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        say_postgres_skipped();
        return;
    };
    let name = format!(
        "leadline_test_{}",
        leadline_core::secret::random_token(12).to_lowercase()
    );
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL does not answer: {e}"));
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&admin_url).expect("valid PostgreSQL URL");
    url.set_path(&name);
    let store = open(&DatabaseUrl::parse(url.as_str()).expect("database url")).await;
    let outcome = AssertUnwindSafe(test(store.clone())).catch_unwind().await;
    store.close().await;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .expect("drop test database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn open(url: &DatabaseUrl) -> SqlStore {
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    SqlStore::open_and_migrate(url, &options)
        .await
        .expect("open and migrate the test database")
}

pub fn say_postgres_skipped() {
    static ONCE: Once = Once::new();
    let why = format!(
        "the PostgreSQL half of the conformance suite: {POSTGRES_ENV} is not set \
         (e.g. {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres)"
    );
    // On CI every PostgreSQL test fails; elsewhere the suite says it once.
    if leadline_testkit::on_ci() {
        leadline_testkit::skip(&why);
    }
    ONCE.call_once(|| leadline_testkit::skip(&why));
}

/// Declares conformance tests: each named async fn (taking a `SqlStore`) becomes
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::on_sqlite(super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::on_postgres(super::$name).await;
                }
            )*
        }
    };
}
