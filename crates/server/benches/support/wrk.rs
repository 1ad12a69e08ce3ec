//! Driving a server with wrk: the Lua scripts that give each request its own body (and, for
//! the provider's webhooks, its own signature), running wrk, reading what it measured, and
//! the ceiling server the ratios are taken against.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use leadline_store::DatabaseUrl;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// wrk on PATH.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("wrk"))
        .find(|p| p.is_file())
}

/// One path under load: its base URL, the Lua script that makes its requests (none: a plain
/// GET of `path`), and the connections kept open.
pub struct Load {
    pub name: String,
    url: String,
    script: Option<PathBuf>,
    connections: u32,
}

impl Load {
    pub fn get(name: &str, base: &str, path: &str, connections: u32) -> Self {
        Self {
            name: name.to_owned(),
            url: format!("{base}{path}"),
            script: None,
            connections,
        }
    }

    pub fn post_script(name: &str, base: &str, script: PathBuf, connections: u32) -> Self {
        Self {
            name: name.to_owned(),
            url: base.to_owned(),
            script: Some(script),
            connections,
        }
    }
}

/// What wrk measured of one path.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub requests: u64,
    /// Requests per second.
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Socket errors and answers that were not 2xx or 3xx.
    pub errors: u64,
}

impl Outcome {
    /// Two runs of one ceiling as the machine's best: the higher throughput and the lower
    /// latencies (a ratio to it is never flattered by the slower run).
    pub fn best_of(&self, other: &Outcome) -> Outcome {
        Outcome {
            requests: self.requests + other.requests,
            rate: self.rate.max(other.rate),
            p50_ms: self.p50_ms.min(other.p50_ms),
            p99_ms: self.p99_ms.min(other.p99_ms),
            errors: self.errors + other.errors,
        }
    }

    /// The path's line of the table.
    pub fn line(&self, name: &str) -> String {
        format!(
            "  {name:<48} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   {} errors",
            self.rate, self.p50_ms, self.p99_ms, self.errors
        )
    }
}

/// Appended to every script: wrk prints its exact figures as one JSON line when it is done.
const DONE: &str = r#"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\n{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"#;

/// Runs wrk (2 threads) on `load` for `seconds`.
pub async fn run(wrk: &Path, load: &Load, seconds: u32) -> Outcome {
    let script = match &load.script {
        Some(script) => script.clone(),
        None => {
            let path = std::env::temp_dir().join(format!("leadline-wrk-get-{}.lua", std::process::id()));
            std::fs::write(&path, DONE).expect("write the GET script");
            path
        }
    };
    let output = tokio::process::Command::new(wrk)
        .args([
            "-t2",
            &format!("-c{}", load.connections),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(&script)
        .arg(&load.url)
        .output()
        .await
        .expect("wrk runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| {
        panic!(
            "wrk printed no figures for {}: {stdout} {}",
            load.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let v: serde_json::Value = serde_json::from_str(json).expect("wrk's figures");
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Outcome {
        requests: n("requests"),
        rate: n("requests") as f64 / (n("duration_us").max(1) as f64 / 1e6),
        p50_ms: n("p50_us") as f64 / 1000.0,
        p99_ms: n("p99_us") as f64 / 1000.0,
        errors: n("errors"),
    }
}

/// A Lua string literal.
fn lua(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn headers_table(headers: &[(&str, &str)]) -> String {
    let fields: Vec<String> = headers
        .iter()
        .map(|(k, v)| format!("[{}] = {}", lua(k), lua(v)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// Each thread starts its own way into the list, so the two never send the same request at
/// once; `pick` returns the next entry.
const CYCLE: &str = r#"
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
local i = 0
function init(args) i = math.floor(id * #reqs / 2) end
local function pick() i = i % #reqs + 1; return reqs[i] end
"#;

/// Entries per Lua function: a function holds at most 65,536 constants, and each entry brings
/// two or three of its own.
const ENTRIES_PER_CHUNK: usize = 10_000;

/// The global `reqs` list of `entries` (Lua expressions), filled by one function per chunk.
fn reqs_table(entries: impl Iterator<Item = String>) -> String {
    let entries: Vec<String> = entries.collect();
    let mut script = String::from("reqs = {}\n");
    for chunk in entries.chunks(ENTRIES_PER_CHUNK) {
        script.push_str(";(function() local t = {\n");
        for entry in chunk {
            let _ = writeln!(script, "{entry},");
        }
        script.push_str("}\nfor _, r in ipairs(t) do reqs[#reqs + 1] = r end end)()\n");
    }
    script
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, format!("{body}{DONE}")).expect("write the script");
    path
}

/// POSTs `body` to `path`, always the same.
pub fn same_body(dir: &Path, name: &str, path: &str, body: &str) -> PathBuf {
    let script = format!(
        "function request() return wrk.format(\"POST\", {}, {{}}, {}) end\n",
        lua(path),
        lua(body)
    );
    write_script(dir, name, &script)
}

/// POSTs each of `bodies` to `path` in turn with `headers`.
pub fn bodies(dir: &Path, name: &str, path: &str, headers: &[(&str, &str)], bodies: &[String]) -> PathBuf {
    let mut script = reqs_table(bodies.iter().map(|body| lua(body)));
    script.push_str(CYCLE);
    let _ = writeln!(
        script,
        "local headers = {}\nfunction request() return wrk.format(\"POST\", {}, headers, pick()) end",
        headers_table(headers),
        lua(path)
    );
    write_script(dir, name, &script)
}

/// POSTs each (path, body) in turn with `headers`.
pub fn requests(dir: &Path, name: &str, headers: &[(&str, &str)], requests: &[(String, String)]) -> PathBuf {
    let mut script = reqs_table(
        requests
            .iter()
            .map(|(path, body)| format!("{{ {}, {} }}", lua(path), lua(body))),
    );
    script.push_str(CYCLE);
    let _ = writeln!(
        script,
        "local headers = {}\nfunction request() local r = pick(); return wrk.format(\"POST\", r[1], headers, r[2]) end",
        headers_table(headers)
    );
    write_script(dir, name, &script)
}

/// POSTs each signed provider request (path, form body, signature) in turn.
pub fn provider(dir: &Path, name: &str, signed: &[(String, String, String)]) -> PathBuf {
    let entries = signed
        .iter()
        .map(|(path, body, signature)| format!("{{ {}, {}, {} }}", lua(path), lua(body), lua(signature)));
    let mut script = reqs_table(entries);
    script.push_str(CYCLE);
    script.push_str(
        "function request()\n  local r = pick()\n  return wrk.format(\"POST\", r[1], { [\"Content-Type\"] = \"application/x-www-form-urlencoded\", [\"X-Twilio-Signature\"] = r[3] }, r[2])\nend\n",
    );
    write_script(dir, name, &script)
}

/// A provider's request to `url` with `params`, signed with `token` as Twilio signs: its
/// path and query, its form body, and the signature.
pub fn signed(token: &str, url: &str, params: &[(String, String)]) -> (String, String, String) {
    let signature = leadline_core::twilio::signature(token, url, params);
    let parsed = url::Url::parse(url).expect("a URL");
    let path = match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    (path, body, signature)
}

/// The ceiling: the same HTTP stack (tokio, hyper through axum) answering a bare GET, and
/// doing one durable INSERT per POST on the same engine, with Leadline's SQLite settings (WAL,
/// synchronous NORMAL) or PostgreSQL's defaults.
pub struct Ceiling {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Ceiling {
    pub async fn stop(self) {
        _ = self.stop.send(());
        _ = self.task.await;
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Starts the ceiling server on 127.0.0.1:0 with its own table (`ceiling_hits`).
pub async fn ceiling_server(url: &DatabaseUrl, dir: &Path) -> Ceiling {
    let create = "CREATE TABLE IF NOT EXISTS ceiling_hits (id BIGINT, body TEXT)";
    let pool = match url {
        DatabaseUrl::Sqlite(_) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join("ceiling.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(5));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(10)
                .connect_with(options)
                .await
                .expect("ceiling SQLite");
            sqlx::query(create).execute(&pool).await.expect("ceiling table");
            Pool::Sqlite(pool)
        }
        DatabaseUrl::Postgres(url) => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(10)
                .connect(url)
                .await
                .expect("ceiling PostgreSQL");
            sqlx::query(create).execute(&pool).await.expect("ceiling table");
            Pool::Postgres(pool)
        }
    };
    let app = Router::new()
        .route("/bare", get(|| async { "ok" }))
        .route("/insert", post(insert))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async { _ = stopped.await })
            .await
            .expect("ceiling server");
    });
    Ceiling { base, stop, task }
}

async fn insert(State(pool): State<Pool>, body: String) -> &'static str {
    let sql = "INSERT INTO ceiling_hits (id, body) VALUES ($1, $2)";
    let at = chrono::Utc::now().timestamp_micros();
    match pool {
        Pool::Sqlite(pool) => sqlx::query(sql).bind(at).bind(body).execute(&pool).await.map(drop),
        Pool::Postgres(pool) => sqlx::query(sql).bind(at).bind(body).execute(&pool).await.map(drop),
    }
    .expect("one durable insert");
    "ok"
}
