//! `leadline backup` and `leadline restore`: a backup taken while visitors are being
//! registered holds every registration acknowledged before it began, and restores; what
//! either command refuses changes nothing.

use crate::crash::{Database, Server, runtime};
use crate::crash_registrations::{Acknowledged, assert_kept, register_until_gone, registering_site};
use crate::harness::Cli;
use std::sync::Arc;
use std::time::Duration;

/// Connections registering at once.
const CLIENTS: usize = 8;

/// Runs `args`, which must fail; its error text.
fn fails(cli: &Cli, args: &[&str]) -> String {
    let output = cli.run(args);
    assert!(!output.status.success(), "{args:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

/// Waits until at least `count` registrations are acknowledged.
async fn acknowledged_at_least(acknowledged: &Acknowledged, count: usize) {
    while acknowledged.lock().unwrap().len() < count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_backup_taken_under_load_restores_every_registration_acknowledged_before_it_began() {
    let cli = Cli::new();
    let runtime = runtime();
    let database = Database::sqlite(&cli);
    let site = registering_site(&cli, &database);
    let server = Server::start(&cli, &database.args);
    let backup = cli.path("backup.db");
    let acknowledged: Acknowledged = Arc::default();
    let (before_backup, after_backup) = runtime.block_on(async {
        for n in 0..CLIENTS {
            let task = register_until_gone(server.base_url.clone(), site.clone(), n, acknowledged.clone());
            tokio::spawn(task);
        }
        acknowledged_at_least(&acknowledged, 100).await;
        let before = acknowledged.lock().unwrap().clone();
        let mut command = cli.command(&["backup", backup.to_str().unwrap()]);
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "the backup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The server kept registering through the backup and after it.
        let done = acknowledged.lock().unwrap().len();
        acknowledged_at_least(&acknowledged, done + 50).await;
        let after = acknowledged.lock().unwrap()[done..].to_vec();
        (before, after)
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup is readable by its owner only");
    }

    let backup_arg = backup.to_str().unwrap();
    let refused = fails(&cli, &["restore", backup_arg, "--replace"]);
    assert!(refused.contains("open in a running server"), "{refused}");
    server.kill();
    let refused = fails(&cli, &["restore", backup_arg]);
    assert!(refused.contains("pass --replace"), "{refused}");
    let out = cli.ok(&["restore", backup_arg, "--replace"]);
    assert!(out.contains("restored to"), "{out}");
    assert_kept(&runtime, &database.url, cli.sealer(), &site, &before_backup);
    assert_absent(&runtime, &database, cli.sealer(), &site, &after_backup);
}

/// None of the registrations acknowledged after the backup was written is in the restored
/// database: it is the backup's, not the one the server went on writing.
fn assert_absent(
    runtime: &tokio::runtime::Runtime,
    database: &Database,
    sealer: leadline_core::sealing::Sealer,
    site: &str,
    later: &[(String, u64)],
) {
    use leadline_core::site::SiteKey;
    use leadline_core::store::{SiteStore, VisitStore};
    use leadline_core::visit::VisitRef;
    use leadline_store::{OpenOptions, SqlStore};
    runtime.block_on(async {
        let store = SqlStore::open(
            &database.url,
            &OpenOptions {
                sealer: Some(sealer),
                ..OpenOptions::default()
            },
        )
        .await
        .unwrap();
        let site = store.site_by_key(&SiteKey::parse(site).unwrap()).await.unwrap();
        for (visit, _) in later {
            let visit = VisitRef::parse(visit).unwrap();
            assert!(
                store.visit(site.id, &visit).await.is_err(),
                "{visit}, acknowledged after the backup, is in the restored database"
            );
        }
        store.close().await;
    });
}

#[test]
fn a_backup_never_overwrites_a_file_and_a_restore_refuses_what_is_not_a_leadline_database() {
    let cli = Cli::new();
    cli.with_site();
    let taken = cli.path("taken.db");
    std::fs::write(&taken, "mine").unwrap();
    let refused = fails(&cli, &["backup", taken.to_str().unwrap()]);
    assert!(refused.contains("already exists"), "{refused}");
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "mine");

    let database = cli.path("data/leadline.db");
    let before = std::fs::read(&database).unwrap();
    for (name, content) in [("text.db", b"not a database".as_slice()), ("empty.db", b"".as_slice())] {
        let path = cli.path(name);
        std::fs::write(&path, content).unwrap();
        let refused = fails(&cli, &["restore", path.to_str().unwrap(), "--replace"]);
        assert!(refused.contains("cannot be restored"), "{name}: {refused}");
    }
    let refused = fails(
        &cli,
        &["restore", cli.path("missing.db").to_str().unwrap(), "--replace"],
    );
    assert!(refused.contains("no such file"), "{refused}");
    assert_eq!(std::fs::read(&database).unwrap(), before, "the database is untouched");
    // The database still opens and still holds its business.
    assert!(cli.ok(&["business", "list"]).contains("Acme Upholstery"));
}

#[test]
fn on_postgresql_both_commands_point_to_its_own_tools() {
    let cli = Cli::new();
    for command in ["backup", "restore"] {
        let args = [
            "--database-url",
            "postgres://leadline@127.0.0.1:1/leadline",
            command,
            "x.db",
        ];
        let refused = fails(&cli, &args);
        assert!(refused.contains("pg_dump and pg_restore"), "{command}: {refused}");
    }
}
