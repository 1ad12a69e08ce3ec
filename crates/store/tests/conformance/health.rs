use crate::conformance;
use leadline_core::store::HealthStore;
use leadline_store::{DatabaseUrl, OpenError, OpenOptions, SqlStore};

async fn a_migrated_database_answers_and_reports_its_pool(store: SqlStore) {
    store.ping().await.unwrap();
    let stats = store.pool_stats();
    assert!(stats.size >= 1 && stats.size <= stats.max, "{stats:?}");
    assert_eq!(store.engine(), store.engine_kind().name());
}

async fn migrating_again_is_a_no_op(store: SqlStore) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

conformance!(
    a_migrated_database_answers_and_reports_its_pool,
    migrating_again_is_a_no_op
);

#[tokio::test]
async fn sqlite_runs_with_wal_busy_timeout_foreign_keys_and_statement_journals_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("leadline.db"));
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&url, &options).await.unwrap();
    assert_eq!(
        store.sqlite_pragma("journal_mode").await.unwrap().as_deref(),
        Some("wal")
    );
    assert_eq!(store.sqlite_pragma("foreign_keys").await.unwrap().as_deref(), Some("1"));
    assert_eq!(
        store.sqlite_pragma("busy_timeout").await.unwrap().as_deref(),
        Some("5000")
    );
    // 2 is MEMORY: no statement's journal spills to a temporary file.
    assert_eq!(store.sqlite_pragma("temp_store").await.unwrap().as_deref(), Some("2"));
    store.close().await;
}

/// The permission bits of `path`, in octal.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!("{:o}", std::fs::metadata(path).unwrap().permissions().mode() & 0o777)
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_and_its_directory_are_its_owners_alone_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/nested");
    let url = DatabaseUrl::Sqlite(data.join("leadline.db"));
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    // The test runs with the caller's umask (usually 022), not the binary's 077.
    let store = SqlStore::open_and_migrate(&url, &options).await.unwrap();
    store.ping().await.unwrap();
    for (path, expected) in [
        (dir.path().join("data"), "700"),
        (data.clone(), "700"),
        (data.join("leadline.db"), "600"),
        (data.join("leadline.db-wal"), "600"),
        (data.join("leadline.db-shm"), "600"),
    ] {
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
    store.close().await;
}

#[tokio::test]
async fn sqlite_refuses_to_create_a_database_from_a_mistyped_path() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("leadlnie.db");
    let err = SqlStore::open(
        &DatabaseUrl::Sqlite(typo.clone()),
        &OpenOptions {
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OpenError::MissingFile(_)), "{err:?}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!typo.exists(), "a database file was created anyway");
}

#[tokio::test]
async fn an_existing_sqlite_file_opens_without_creation_rights() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("leadline.db"));
    let create = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    SqlStore::open_and_migrate(&url, &create).await.unwrap().close().await;
    let reopened = SqlStore::open_and_migrate(
        &url,
        &OpenOptions {
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        },
    )
    .await
    .unwrap();
    reopened.ping().await.unwrap();
    reopened.close().await;
}
