//! Registrations survive a crash: `leadline serve` is killed (SIGKILL) while visitors are
//! being registered from many connections at once; every registration it acknowledged is in
//! the database afterwards, holding the code it was answered with, and no two hold the same.
//! On a fresh SQLite file, and on a fresh PostgreSQL database when
//! `LEADLINE_TEST_POSTGRES_URL` is set.

use crate::crash::{Database, Server, runtime};
use crate::harness::Cli;
use leadline_core::E164;
use leadline_core::site::SiteKey;
use leadline_core::store::{NumberStore, SiteStore, VisitStore};
use leadline_core::visit::{PoolKey, Selector, VisitRef};
use leadline_store::{OpenOptions, SqlStore};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections registering at once.
const CLIENTS: usize = 12;
/// Registrations acknowledged before the kill.
const BEFORE_KILL: usize = 150;

pub(crate) type Acknowledged = Arc<Mutex<Vec<(String, u64)>>>;

/// Registers new visitors until the server stops answering; keeps each acknowledged one.
pub(crate) async fn register_until_gone(base: String, site: String, client_no: usize, acknowledged: Acknowledged) {
    let client = reqwest::Client::new();
    for i in 0.. {
        let body = json!({
            "site": site,
            "url": "https://acme.example/sofas",
            "ga": format!("GA1.1.{}.1700000000", 1_000_000 * (client_no + 1) + i),
        });
        let sent = client
            .post(format!("{base}/v1/visits"))
            .header("origin", "https://acme.example")
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
            )
            .json(&body)
            .send()
            .await;
        let Ok(response) = sent else { return };
        let status = response.status();
        let Ok(state) = response.json::<Value>().await else {
            return;
        };
        assert!(status.is_success(), "{status}: {state}");
        let visit = state["visit"].as_str().unwrap().to_owned();
        let code: u64 = state["code"].as_str().unwrap().parse().unwrap();
        acknowledged.lock().unwrap().push((visit, code));
    }
}

/// Acme's site with its number, and rate limits out of the way of a registration load; the
/// site's key.
pub(crate) fn registering_site(cli: &Cli, database: &Database) -> String {
    std::fs::write(
        cli.path("leadline.toml"),
        "rate_limit_per_second = 100000\nvisit_registrations_per_ip_per_minute = 1000000\nvisit_registrations_per_site_per_minute = 1000000\n",
    )
    .unwrap();
    let site = crate::crash::acme_site(cli, database);
    let number = database.args(&[
        "number",
        "add",
        "+1 202 555 0100",
        "--site",
        &site,
        "--account-sid",
        "AC123",
        "--auth-token-stdin",
    ]);
    let out = cli.run_with_stdin(&number, "0123456789abcdef0123456789abcdef\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    site
}

fn scenario(cli: &Cli, database: &Database, runtime: &tokio::runtime::Runtime) {
    let site = registering_site(cli, database);
    let server = Server::start(cli, &database.args);
    let acknowledged: Acknowledged = Arc::default();
    runtime.block_on(async {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                tokio::spawn(register_until_gone(
                    server.base_url.clone(),
                    site.clone(),
                    n,
                    acknowledged.clone(),
                ))
            })
            .collect();
        while acknowledged.lock().unwrap().len() < BEFORE_KILL {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Killed with registrations in flight on every connection.
        server.kill();
        for client in clients {
            client.await.unwrap();
        }
    });

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= BEFORE_KILL);
    let codes: HashSet<u64> = acknowledged.iter().map(|(_, code)| *code).collect();
    assert_eq!(
        codes.len(),
        acknowledged.len(),
        "two registrations were answered with one code"
    );
    assert_kept(runtime, &database.url, cli.sealer(), &site, &acknowledged);
}

/// Every registration in `acknowledged` is in the database at `url`, holding the code it was
/// answered with.
pub(crate) fn assert_kept(
    runtime: &tokio::runtime::Runtime,
    url: &leadline_store::DatabaseUrl,
    sealer: leadline_core::sealing::Sealer,
    site: &str,
    acknowledged: &[(String, u64)],
) {
    runtime.block_on(async {
        let store = SqlStore::open(
            url,
            &OpenOptions {
                sealer: Some(sealer),
                ..OpenOptions::default()
            },
        )
        .await
        .unwrap();
        let site = store.site_by_key(&SiteKey::parse(site).unwrap()).await.unwrap();
        let number = store
            .number_by_e164(&E164::parse("+12025550100").unwrap())
            .await
            .unwrap();
        let pool = PoolKey {
            number: number.id,
            selector: Selector::Plain,
        };
        for (visit, code) in acknowledged {
            let visit = VisitRef::parse(visit).unwrap();
            store
                .visit(site.id, &visit)
                .await
                .unwrap_or_else(|e| panic!("acknowledged visit {visit} was lost: {e}"));
            let holder = store.live_code(pool, *code).await.unwrap();
            assert_eq!(
                holder.visit, visit,
                "code {code} is not held by the visit it was given to"
            );
        }
        store.close().await;
    });
}

#[test]
fn a_server_killed_mid_registration_keeps_every_registration_it_acknowledged() {
    let cli = Cli::new();
    let runtime = runtime();
    let database = Database::sqlite(&cli);
    scenario(&cli, &database, &runtime);
}

#[test]
fn registrations_survive_a_kill_on_postgres_too() {
    crate::crash::on_postgres("registrations", scenario);
}
