//! The hot paths against what the machine can do (issue 15), measured by wrk in one run: a
//! release server (the real router, its rate limits raised) and, beside it, a ceiling server on
//! the same stack that answers a bare GET and does one durable INSERT per request. Each row's
//! ratio is to the ceiling measured in the same run. SQLite always, PostgreSQL too when
//! LEADLINE_TEST_POSTGRES_URL is set. Needs `wrk` on PATH (Debian's package); says SKIPPED
//! without it. Without `--bench` (`cargo test --benches`) each path runs for one second, as a
//! check. `LEADLINE_BENCH_ONLY=heartbeat` runs the paths whose name contains that text, and
//! `LEADLINE_BENCH_SECONDS` sets how long each runs (to profile one). What it measures and
//! the results: docs/benchmarks.md.

#[path = "support/server.rs"]
mod server;
#[path = "support/mod.rs"]
mod support;
#[path = "support/wrk.rs"]
mod wrk;

use leadline::launch::{Application, Options};
use leadline_core::tenant::Site;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use std::path::Path;
use wrk::{Load, Outcome};

const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";
/// Runs only the paths whose name contains this text (to profile one: `perf record -p`).
const ONLY_ENV: &str = "LEADLINE_BENCH_ONLY";
/// Seconds per path instead of 8 (1 without `--bench`).
const SECONDS_ENV: &str = "LEADLINE_BENCH_SECONDS";
const AUTH_TOKEN: &str = "0123456789abcdef0123";
const TRACKING: &str = "+12025550100";
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0";
const LANDING: &str = "http://localhost/sofas?utm_source=google&utm_medium=cpc";
/// Visits registered before the heartbeats; new visitors and signed provider requests prepared
/// per path (each sent once unless a path outruns them: a repeat is a returning visitor or a
/// provider's retry, cheaper than the common case, so the figures would flatter).
const VISITS: usize = 2_000;
const NEW_VISITORS: usize = 120_000;
const CALLS: usize = 40_000;
/// Gathers open calls, written in batches: fast enough to need more than the voice requests.
const GATHERS: usize = 120_000;
/// Seconds of untimed load before each path's timed run.
const WARM_UP_SECONDS: u32 = 1;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Some(wrk) = wrk::find() else {
        println!("SKIPPED: no wrk on PATH (apt-get install wrk)");
        return;
    };
    let seconds = std::env::var(SECONDS_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if full { 8 } else { 1 });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    runtime.expect("tokio runtime").block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut rows = run(
            DatabaseUrl::Sqlite(dir.path().join("leadline.db")),
            dir.path(),
            &wrk,
            seconds,
            full,
        )
        .await;
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) => {
                let scripts = dir.path().to_owned();
                let wrk = wrk.clone();
                let failed = support::on_new_postgres(&admin_url, "http", move |url| async move {
                    run(url, &scripts, &wrk, seconds, full).await
                })
                .await;
                rows.extend(failed);
            }
            Err(_) => println!("\nSKIPPED PostgreSQL: {POSTGRES_ENV} is not set"),
        }
        assert!(rows.is_empty(), "{} paths failed:\n{}", rows.len(), rows.join("\n"));
    });
}

/// One engine: the ceiling server, the application, every path; prints the table. Returns
/// the paths whose answers were not all successes.
async fn run(url: DatabaseUrl, dir: &Path, wrk: &Path, seconds: u32, warm: bool) -> Vec<String> {
    let engine = url.engine().name();
    let ceiling = wrk::ceiling_server(&url, dir).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let config = server::unlimited_config(&base);
    let options = OpenOptions {
        max_connections: config.database_max_connections,
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&url, &options).await.expect("open");
    let site = big_site(&store, support::seed(&store, TRACKING, AUTH_TOKEN).await).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async { _ = stopped.await };
    let application = Application::build(&config, store.clone(), listener, Options::default(), shutdown)
        .await
        .expect("server");
    let server = tokio::spawn(application.wait());

    let loads = loads(&base, &site, dir).await;
    let ceilings = [
        Load::get("bare GET, 64 connections", &ceiling.base, "/bare", 64),
        Load::get("bare GET, 200 connections", &ceiling.base, "/bare", 200),
        Load::post_script(
            "one durable INSERT",
            &ceiling.base,
            wrk::same_body(dir, "insert", "/insert", "x"),
            64,
        ),
    ];
    println!("\n== {engine}: wrk, 2 threads, {seconds} s per path");
    let mut measured = Vec::new();
    let only = std::env::var(ONLY_ENV).ok();
    let chosen = |load: &&Load| only.as_deref().is_none_or(|text| load.name.contains(text));
    for load in ceilings.iter().filter(chosen) {
        let outcome = wrk::run(wrk, load, seconds).await;
        println!("{}", outcome.line(&load.name));
        measured.push((load.name.clone(), outcome));
    }
    for load in loads.iter().filter(chosen) {
        if warm {
            settle(wrk, load, &url).await;
        }
        let outcome = wrk::run(wrk, load, seconds).await;
        println!("{}", outcome.line(&load.name));
        measured.push((load.name.clone(), outcome));
    }
    if only.is_none() {
        if warm {
            // The ceilings again, at the end: the machine's speed drifts over the minutes a
            // run takes, and the best of the two keeps a slow moment from flattering a ratio.
            for (load, first) in ceilings.iter().zip(&mut measured) {
                let again = wrk::run(wrk, load, seconds).await;
                println!("{}", again.line(&format!("{}, again", load.name)));
                first.1 = first.1.best_of(&again);
            }
        }
        print_ratios(&measured);
    }
    let failed = measured
        .iter()
        .filter(|(_, o)| o.errors > 0 || o.requests == 0)
        .map(|(name, o)| format!("{engine} {name}: {} errors of {} requests", o.errors, o.requests))
        .collect();
    _ = stop.send(());
    server.await.expect("server task").expect("server and jobs");
    store.close().await;
    ceiling.stop().await;
    failed
}

/// Before a path's timed run (with `--bench`; not in the one-second check): a second of the same load, untimed, and then on PostgreSQL an
/// `ANALYZE`, as autovacuum does on a server that has been running. The run's tables start
/// empty and grow by thousands of rows a second; left without statistics that long, the
/// planner keeps reading a table it believes small from end to end, which no server in
/// service does for more than autovacuum's next pass.
async fn settle(wrk: &Path, load: &Load, url: &DatabaseUrl) {
    _ = wrk::run(wrk, load, WARM_UP_SECONDS).await;
    if let DatabaseUrl::Postgres(raw) = url {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(raw).await.expect("PostgreSQL answers");
        conn.execute("ANALYZE").await.expect("analyze");
    }
}

/// The site with room for every visitor the run registers: each registration takes a code
/// (none evicts another; at the default cap the registrations would evict the heartbeats'
/// codes, and every heartbeat would then evict another's).
async fn big_site(store: &SqlStore, site: Site) -> Site {
    use leadline_core::store::SiteStore;
    let settings = leadline_core::site::SiteSettings {
        max_live_codes: 1_000_000,
        ..site.settings.clone()
    };
    store
        .update_site_settings(site.business_id, site.id, &settings)
        .await
        .expect("settings")
}

/// The application's paths, with the requests wrk cycles through.
async fn loads(base: &str, site: &Site, dir: &Path) -> Vec<Load> {
    let client = reqwest::Client::new();
    let key = site.key.as_str();
    let registration = |visitor: &str| {
        serde_json::json!({ "site": key, "url": LANDING, "ga": format!("GA1.1.{visitor}.1764300000") }).to_string()
    };
    let new_visitors: Vec<String> = (0..NEW_VISITORS)
        .map(|i| registration(&format!("{}", 1_000_000 + i)))
        .collect();
    let visit_headers = [
        ("Origin", "http://localhost"),
        ("User-Agent", UA),
        ("Content-Type", "text/plain;charset=UTF-8"),
    ];
    let mut beats = Vec::with_capacity(VISITS);
    for i in 0..VISITS {
        let response = client
            .post(format!("{base}/v1/visits"))
            .header("origin", "http://localhost")
            .header("user-agent", UA)
            .body(registration(&format!("{}", 9_000_000 + i)))
            .send()
            .await
            .expect("registration");
        assert_eq!(response.status(), 201, "a visit for the heartbeats");
        let state: serde_json::Value = response.json().await.expect("visit state");
        let visit = state["visit"].as_str().expect("visit id");
        let body = serde_json::json!({ "site": key, "token": state["token"], "type": "heartbeat" });
        beats.push((format!("/v1/visits/{visit}/events"), body.to_string()));
    }
    let voice_url = format!("{base}/twilio/voice");
    let voice: Vec<(String, String, String)> = (0..CALLS)
        .map(|i| wrk::signed(AUTH_TOKEN, &voice_url, &call_params(i, None)))
        .collect();
    let gather_url = gather_url(&client, &voice_url).await;
    let gather: Vec<(String, String, String)> = (0..GATHERS)
        .map(|i| wrk::signed(AUTH_TOKEN, &gather_url, &call_params(CALLS + i, Some(""))))
        .collect();
    vec![
        Load::get("GET /healthz", base, "/healthz", 64),
        Load::post_script(
            "POST /v1/visits (new visitor)",
            base,
            wrk::bodies(dir, "visits", "/v1/visits", &visit_headers, &new_visitors),
            64,
        ),
        Load::post_script(
            "POST /v1/visits/{id}/events heartbeat",
            base,
            wrk::requests(dir, "beats", &visit_headers, &beats),
            64,
        ),
        Load::post_script(
            "POST /twilio/voice, 200 in flight",
            base,
            wrk::provider(dir, "voice", &voice),
            200,
        ),
        Load::post_script(
            "POST /twilio/gather (no digits), 200 in flight",
            base,
            wrk::provider(dir, "gather", &gather),
            200,
        ),
    ]
}

/// A provider's parameters for call `i`, as Twilio sends them for a US caller (the ones it
/// always sends, the places it looks up, and their legacy twins, per Twilio's voice webhook
/// reference); `digits` for a gather. Every one is signed over, so the request weighs what a real one does.
fn call_params(i: usize, digits: Option<&str>) -> Vec<(String, String)> {
    let from = format!("+1202556{:04}", i % 10_000);
    let mut params: Vec<(String, String)> = [
        ("CallSid", format!("CAhttp{i:08}")),
        ("AccountSid", "AC1".to_owned()),
        ("From", from.clone()),
        ("Caller", from),
        ("To", TRACKING.to_owned()),
        ("Called", TRACKING.to_owned()),
        ("CallStatus", "ringing".to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("Direction", "inbound".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .chain(["From", "Caller", "To", "Called"].into_iter().flat_map(|who| {
        [
            ("City", "WASHINGTON"),
            ("State", "DC"),
            ("Zip", "20004"),
            ("Country", "US"),
        ]
        .map(|(what, value)| (format!("{who}{what}"), value.to_owned()))
    }))
    .collect();
    if let Some(digits) = digits {
        params.push(("Digits".to_owned(), digits.to_owned()));
    }
    params
}

/// The gather action the voice webhook answers (its query names the number and site).
async fn gather_url(client: &reqwest::Client, voice_url: &str) -> String {
    let (_, body, signature) = wrk::signed(AUTH_TOKEN, voice_url, &call_params(usize::MAX / 2, None));
    let response = client
        .post(voice_url)
        .header("x-twilio-signature", signature)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("voice");
    let xml = response.text().await.expect("TwiML");
    let doc = roxmltree::Document::parse(&xml).expect("TwiML is XML");
    let gather = doc.descendants().find(|n| n.has_tag_name("Gather"));
    gather
        .and_then(|n| n.attribute("action"))
        .unwrap_or_else(|| panic!("no Gather action in {xml}"))
        .to_owned()
}

/// Each path's ratio to its ceiling (with `--bench`, the best of its two runs): throughput to the bare GET or the durable INSERT, and
/// the webhooks' p99 to the bare GET's p99 at the same number of connections.
fn print_ratios(measured: &[(String, Outcome)]) {
    let by = |prefix: &str| {
        measured
            .iter()
            .find(|(name, _)| name.starts_with(prefix))
            .map(|(_, o)| o)
            .expect("measured")
    };
    let (bare, bare_200, insert) = (by("bare GET, 64"), by("bare GET, 200"), by("one durable INSERT"));
    println!("ratios to the ceilings of this run:");
    for (path, label, ceiling, name) in [
        ("GET /healthz", "GET /healthz", bare, "bare GET"),
        ("POST /v1/visits (", "POST /v1/visits", insert, "one durable INSERT"),
        ("POST /v1/visits/{id}", "heartbeat", bare, "bare GET"),
        (
            "POST /twilio/gather",
            "POST /twilio/gather",
            insert,
            "one durable INSERT",
        ),
    ] {
        let o = by(path);
        println!("  {label:<24} {:.2}x the throughput of {name}", o.rate / ceiling.rate);
    }
    let voice = by("POST /twilio/voice");
    println!(
        "  {:<24} {:.1}x the p99 of a bare GET at 200 connections ({:.1} ms against {:.1} ms); {:.2}x its throughput",
        "POST /twilio/voice",
        voice.p99_ms / bare_200.p99_ms,
        voice.p99_ms,
        bare_200.p99_ms,
        voice.rate / bare_200.rate
    );
}
