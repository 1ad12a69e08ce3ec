//! The outbox survives a crash: `leadline serve` is killed (SIGKILL) while webhook deliveries
//! are in flight and started again; every event reaches the receiver under its idempotency
//! key (re-sends carry the same key, so it is processed exactly once), and what the receiver
//! refuses for good is listed as dead with its error. On a fresh SQLite file, and on a fresh
//! PostgreSQL database when `LEADLINE_TEST_POSTGRES_URL` is set.

use crate::harness::Cli;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use leadline::outbox::webhook::{TOLERANCE, verify};
use leadline_core::click_id::ClickId;
use leadline_core::event::Event;
use leadline_core::outbox::{Delivery, DeliveryStatus};
use leadline_core::store::OutboxStore;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BUSINESS: &str = "acme-upholstery";
const SECRET: &str = "whsec_crash_test_signing_secret";
/// How long the receiver takes to answer, so that deliveries are in flight when the server dies.
const SLOW: Duration = Duration::from_millis(300);
const SUBMISSIONS: usize = 34;
const NOTES: usize = 6;

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Requests per idempotency key.
    arrivals: HashMap<String, u32>,
    /// Keys whose request is being answered right now, with when the latest began.
    answering: HashMap<String, (u32, Instant)>,
    /// The event each key carried.
    events: HashMap<String, Event>,
    /// Whatever was wrong with a request (bad signature, mismatched headers).
    problems: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

/// Takes a key off `answering` however the handler ends (the server may hang up mid-answer).
struct Answering(Shared, String);

impl Drop for Answering {
    fn drop(&mut self) {
        let mut seen = self.0.lock().unwrap();
        if let Some((n, _)) = seen.answering.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                seen.answering.remove(&self.1);
            }
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The webhook receiver: checks the signature and headers of every request, records its key,
/// answers after [`SLOW`]: 410 for leads whose e-mail starts with `gone` (for good), 500 on
/// the first try of those starting with `flaky`, else 200.
async fn receive(State(seen): State<Shared>, headers: HeaderMap, body: bytes::Bytes) -> StatusCode {
    let now = chrono::Utc::now().timestamp();
    let key = header(&headers, "idempotency-key").to_owned();
    let event: Event = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(e) => {
            seen.lock().unwrap().problems.push(format!("not an event: {e}"));
            return StatusCode::BAD_REQUEST;
        }
    };
    let mut problems = Vec::new();
    if !verify(SECRET, header(&headers, "leadline-signature"), &body, now, TOLERANCE) {
        problems.push(format!(
            "{key}: bad signature {:?}",
            header(&headers, "leadline-signature")
        ));
    }
    if !key.starts_with(&format!("{}.", event.id)) {
        problems.push(format!("{key}: not a key of event {}", event.id));
    }
    if header(&headers, "leadline-event") != event.kind().as_str() {
        problems.push(format!(
            "{key}: Leadline-Event is {:?}",
            header(&headers, "leadline-event")
        ));
    }
    if header(&headers, "content-type") != "application/json"
        || !header(&headers, "user-agent").starts_with("Leadline/")
    {
        problems.push(format!("{key}: content type or user agent is wrong"));
    }
    let email = event.lead.as_ref().and_then(|l| l.email.clone()).unwrap_or_default();
    let first = {
        let mut s = seen.lock().unwrap();
        s.problems.extend(problems.iter().cloned());
        let count = s.arrivals.entry(key.clone()).or_default();
        *count += 1;
        let first = *count == 1;
        let answering = s.answering.entry(key.clone()).or_insert((0, Instant::now()));
        *answering = (answering.0 + 1, Instant::now());
        s.events.insert(key.clone(), event);
        first
    };
    let _answering = Answering(seen.clone(), key);
    tokio::time::sleep(SLOW).await;
    if !problems.is_empty() {
        StatusCode::BAD_REQUEST
    } else if email.starts_with("gone") {
        StatusCode::GONE
    } else if email.starts_with("flaky") && first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// `leadline serve` on a port of its own; its log is read for the address it listens on and
/// then drained.
pub(crate) struct Server {
    child: Child,
    pub base_url: String,
}

impl Server {
    pub fn start(cli: &Cli, database: &[String]) -> Self {
        let mut args: Vec<&str> = database.iter().map(String::as_str).collect();
        args.extend(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"]);
        let mut child = cli
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(sender) = &tx
                    && let Some(listen) = listen_address(&line)
                {
                    let _ = sender.send(listen);
                    tx = None;
                }
            }
        });
        let listen = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not say where it listens: {:?}", child.try_wait()));
        Self {
            child,
            base_url: format!("http://{listen}"),
        }
    }

    /// SIGKILL: no shutdown, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and waits for it to stop.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

fn listen_address(line: &str) -> Option<String> {
    let value: Value = serde_json::from_str(line).ok()?;
    let fields = value.get("fields")?;
    if fields.get("message")?.as_str()? != "leadline is serving" {
        return None;
    }
    Some(fields.get("listen")?.as_str()?.to_owned())
}

/// Adds the business Acme Upholstery and its site on acme.example; the site's key.
pub(crate) fn acme_site(cli: &Cli, database: &Database) -> String {
    let db = |rest: &[&str]| cli.ok(&database.args(rest));
    db(&["business", "add", "Acme Upholstery"]);
    crate::harness::site_key_in(&db(&[
        "site",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Main",
        "--domain",
        "acme.example",
    ]))
}

/// The database a scenario runs on: the default SQLite file, or a fresh PostgreSQL database
/// dropped at the end.
pub(crate) struct Database {
    pub args: Vec<String>,
    pub url: DatabaseUrl,
    postgres: Option<(String, String)>,
}

impl Database {
    pub fn sqlite(cli: &Cli) -> Self {
        let url = DatabaseUrl::parse(&format!("sqlite://{}", cli.path("data/leadline.db").display())).unwrap();
        Self {
            args: Vec::new(),
            url,
            postgres: None,
        }
    }

    /// A fresh database named for the scenario (`label`) and this test process.
    pub fn postgres(runtime: &tokio::runtime::Runtime, admin: &str, label: &str) -> Self {
        let name = format!("leadline_crash_{label}_{}", std::process::id());
        runtime.block_on(psql(admin, &format!("DROP DATABASE IF EXISTS {name}")));
        runtime.block_on(psql(admin, &format!("CREATE DATABASE {name}")));
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&name);
        Self {
            args: vec!["--database-url".into(), url.to_string()],
            url: DatabaseUrl::parse(url.as_str()).unwrap(),
            postgres: Some((admin.to_owned(), name)),
        }
    }

    pub fn args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        args.extend_from_slice(rest);
        args
    }

    pub fn drop_with(&self, runtime: &tokio::runtime::Runtime) {
        if let Some((admin, name)) = &self.postgres {
            runtime.block_on(psql(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
        }
    }
}

async fn psql(admin: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    conn.execute(sql).await.unwrap();
}

/// The text after `label` on the line that has it.
fn after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|line| line.split_once(label).map(|(_, rest)| rest.trim()))
        .unwrap_or_else(|| panic!("no '{label}' in {out}"))
}

async fn post(client: &reqwest::Client, url: String, key: &str, body: Value) -> Value {
    let response = client.post(url).bearer_auth(key).json(&body).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The raw `_ga` cookie of the i-th visitor, and the visitor key Leadline derives from it.
fn ga_cookie(i: usize) -> (String, String) {
    let client = format!("{}.1700000000", 1_000_000 + i);
    (format!("GA1.1.{client}"), format!("ga:{client}"))
}

/// A visit registered as the snippet does on the site's page (with a `_ga` cookie and a
/// click id); returns its public id.
async fn visit(client: &reqwest::Client, base: &str, site: &str, i: usize) -> String {
    let body = json!({
        "site": site,
        "url": format!("https://acme.example/contact?gclid=click-{i}"),
        "ga": ga_cookie(i).0,
    });
    let response = client
        .post(format!("{base}/v1/visits"))
        .header("origin", "https://acme.example")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let state: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {state}");
    state["visit"].as_str().unwrap().to_owned()
}

/// 34 form submissions, each from a visit of its own (four from leads whose e-mail the
/// receiver refuses for good, seven that fail on their first try) and six notes: 40 events.
async fn make_events(base: &str, key: &str, site: &str) -> usize {
    let client = reqwest::Client::new();
    let mut refs = Vec::new();
    for i in 0..SUBMISSIONS {
        let who = match i {
            _ if i % 10 == 3 => "gone",
            _ if i % 5 == 1 => "flaky",
            _ => "ok",
        };
        let visit = visit(&client, base, site, i).await;
        let body = json!({
            "site": site,
            "fields": {
                "email": format!("{who}-{i}@example.com"),
                "message": "Please call me back",
                "leadline_visit": visit,
            },
        });
        let receipt = post(&client, format!("{base}/v1/submissions"), key, body).await;
        if who == "ok" {
            refs.push(receipt["lead"].as_u64().unwrap());
        }
    }
    for lead in refs.iter().take(NOTES) {
        let body = json!({ "text": "Wants blue velvet" });
        post(&client, format!("{base}/v1/leads/{lead}/notes"), key, body).await;
    }
    SUBMISSIONS + NOTES
}

async fn deliveries(store: &SqlStore, status: Option<DeliveryStatus>) -> Vec<Delivery> {
    store.list_deliveries(None, status, 10_000).await.unwrap()
}

fn scenario(cli: &Cli, database: &Database, runtime: &tokio::runtime::Runtime) {
    std::fs::write(
        cli.path("leadline.toml"),
        "outbox_poll_ms = 50\noutbox_batch = 2\noutbox_lease_seconds = 2\noutbox_timeout_seconds = 1\n\
         outbox_max_attempts = 6\noutbox_backoff_base_ms = 100\nrate_limit_per_second = 1000\n\
         visit_registrations_per_ip_per_minute = 1000\nvisit_registrations_per_site_per_minute = 1000000\n",
    )
    .unwrap();
    std::fs::write(cli.path("hook.secret"), format!("{SECRET}\n")).unwrap();
    let db = |rest: &[&str]| cli.ok(&database.args(rest));
    let site = acme_site(cli, database);
    let key = after(
        &db(&["api-key", "create", "--business", BUSINESS, "--name", "Forms"]),
        "stored only as a hash):",
    )
    .to_owned();

    let seen: Shared = Arc::default();
    let receiver = runtime.block_on(async {
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    let secret_file = cli.path("hook.secret").display().to_string();
    let hook_url = format!("http://{receiver}/hook");
    db(&[
        "integration",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Warehouse",
        "webhook",
        "--url",
        &hook_url,
        "--secret-file",
        &secret_file,
    ]);

    let server = Server::start(cli, &database.args);
    let events = runtime.block_on(make_events(&server.base_url, &key, &site));

    // Kill it once a few deliveries have arrived, while the receiver has just begun to
    // answer one (so the answer cannot reach the server before it dies).
    let deadline = Instant::now() + Duration::from_secs(60);
    let cut_off = loop {
        {
            let seen = seen.lock().unwrap();
            let fresh: BTreeSet<String> = seen
                .answering
                .iter()
                .filter(|(_, (_, since))| since.elapsed() < SLOW / 2)
                .map(|(key, _)| key.clone())
                .collect();
            if seen.arrivals.len() >= 12 && !fresh.is_empty() {
                break fresh;
            }
        }
        assert!(Instant::now() < deadline, "no delivery in flight after 60 s");
        std::thread::sleep(Duration::from_millis(5));
    };
    server.kill();

    let store = runtime.block_on(SqlStore::open_and_migrate(
        &database.url,
        &OpenOptions {
            sealer: Some(cli.sealer()),
            ..OpenOptions::default()
        },
    ));
    let store = store.unwrap();
    let at_crash = runtime.block_on(deliveries(&store, None));
    assert_eq!(at_crash.len(), events, "one delivery per event");
    let unfinished = at_crash
        .iter()
        .filter(|d| matches!(d.status, DeliveryStatus::Pending | DeliveryStatus::InFlight))
        .count();
    assert!(unfinished > 0, "the crash came too late: every delivery had finished");
    let in_flight = at_crash.iter().filter(|d| d.status == DeliveryStatus::InFlight).count();
    assert!(in_flight > 0, "the server died with deliveries in flight");

    // Start again: leases run out, and everything due is delivered.
    let server = Server::start(cli, &database.args);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending = runtime
            .block_on(deliveries(&store, Some(DeliveryStatus::Pending)))
            .len()
            + runtime
                .block_on(deliveries(&store, Some(DeliveryStatus::InFlight)))
                .len();
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} deliveries still unfinished after 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pending_list = db(&["outbox", "list", "--status", "pending"]);
    assert_eq!(pending_list.lines().count(), 1, "only the header: {pending_list}");
    let metrics = runtime.block_on(async {
        let url = format!("{}/metrics", server.base_url);
        reqwest::get(url).await.unwrap().text().await.unwrap()
    });
    for (status, count) in [("delivered", events - 4), ("dead", 4), ("pending", 0), ("in_flight", 0)] {
        let line = format!("leadline_outbox_deliveries{{status=\"{status}\"}} {count}");
        assert!(
            metrics.lines().any(|l| l == line),
            "no '{line}' in /metrics:\n{metrics}"
        );
    }
    server.stop();
    // Answers still being slept on belong to no live server; let them end.
    std::thread::sleep(SLOW * 2);

    let all = runtime.block_on(deliveries(&store, None));
    let seen = seen.lock().unwrap();
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    let keys: BTreeSet<String> = all.iter().map(Delivery::idempotency_key).collect();
    assert_eq!(keys.len(), events, "every event has its own key");
    let arrived: BTreeSet<String> = seen.arrivals.keys().cloned().collect();
    assert_eq!(
        arrived, keys,
        "after dedupe by key the receiver has each event exactly once"
    );
    for d in &all {
        let key = d.idempotency_key();
        let times = seen.arrivals[&key];
        assert!(
            times <= d.attempts,
            "{key} arrived {times} times in {} attempts: re-sends are attempts of the same delivery",
            d.attempts
        );
        let event = &seen.events[&key];
        assert_eq!(event.kind(), d.event_kind);
        let email = event.lead.as_ref().and_then(|l| l.email.clone()).unwrap_or_default();
        if email.starts_with("gone") {
            assert_eq!(d.status, DeliveryStatus::Dead, "{key} ({email})");
            let error = d.last_error.as_deref().unwrap_or("");
            assert!(error.contains("410"), "{key}: {error}");
        } else {
            assert_eq!(
                d.status,
                DeliveryStatus::Delivered,
                "{key} ({email}): {:?}",
                d.last_error
            );
        }
        if email.starts_with("flaky") {
            assert!(times >= 2, "{key} failed once, so it came again");
        }
        // Every record carries the identifiers of the visitor it came from.
        let i: usize = email.split(['-', '@']).nth(1).unwrap().parse().unwrap();
        let (ga, visitor_key) = ga_cookie(i);
        assert_eq!(
            event.visitor.visitor_key.as_deref(),
            Some(visitor_key.as_str()),
            "{key}"
        );
        assert_eq!(event.visitor.ga_cookie.as_deref(), Some(ga.as_str()), "{key}");
        assert_eq!(
            event.visitor.click_ids.gclid.as_ref().map(ClickId::as_str),
            Some(format!("click-{i}").as_str()),
            "{key}"
        );
    }
    let resent: Vec<&String> = cut_off.iter().filter(|key| seen.arrivals[*key] >= 2).collect();
    assert!(
        !resent.is_empty(),
        "what was in flight at the crash ({cut_off:?}) was sent again after the restart"
    );
    drop(seen);

    let dead: Vec<i64> = all
        .iter()
        .filter(|d| d.status == DeliveryStatus::Dead)
        .map(|d| d.id)
        .collect();
    assert_eq!(dead.len(), 4, "the four refused for good");
    let listed = db(&["outbox", "list", "--status", "dead"]);
    assert_eq!(listed.lines().count(), dead.len() + 1, "{listed}");
    for id in dead {
        let row = listed
            .lines()
            .find(|line| line.split_whitespace().next() == Some(id.to_string().as_str()))
            .unwrap_or_else(|| panic!("dead delivery {id} is not listed: {listed}"));
        assert!(row.contains("dead") && row.contains("HTTP 410"), "{row}");
    }
    runtime.block_on(store.close());
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_server_killed_mid_delivery_loses_nothing_and_sends_each_event_once_per_key() {
    let cli = Cli::new();
    let runtime = runtime();
    let database = Database::sqlite(&cli);
    scenario(&cli, &database, &runtime);
}

#[test]
fn the_same_holds_on_postgres() {
    on_postgres("outbox", scenario);
}

/// Runs `scenario` on a fresh PostgreSQL database named for it (`label`), dropped afterwards
/// whatever the outcome; skipped (a failure on CI) without `LEADLINE_TEST_POSTGRES_URL`.
pub(crate) fn on_postgres(label: &str, scenario: fn(&Cli, &Database, &tokio::runtime::Runtime)) {
    let Ok(admin) = std::env::var("LEADLINE_TEST_POSTGRES_URL") else {
        leadline_testkit::skip(&format!(
            "the {label} crash test on PostgreSQL: LEADLINE_TEST_POSTGRES_URL is not set"
        ));
        return;
    };
    let cli = Cli::new();
    let runtime = runtime();
    let database = Database::postgres(&runtime, &admin, label);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&cli, &database, &runtime)));
    database.drop_with(&runtime);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
