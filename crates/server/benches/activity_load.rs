//! The Activity page of a busy business: with 100,000 calls and 50,000 leads, how long the
//! first page filtered by source and a date range takes to render, and how long a new call
//! takes from its provider webhook to an open live panel; each beside a bare request to the
//! same server in the same run. SQLite always, PostgreSQL too when LEADLINE_TEST_POSTGRES_URL
//! is set. What it measures and the results: docs/benchmarks.md. Without `--bench` (`cargo
//! test --benches`) it seeds 2,000 calls and takes a few samples, as a check.

#[path = "support/server.rs"]
mod server;
#[path = "support/stats.rs"]
mod stats;
#[path = "support/mod.rs"]
mod support;

use futures::StreamExt;
use leadline::launch::{Application, Options};
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::{NewPassword, api_key_hash, random_token};
use leadline_core::store::UserStore;
use leadline_core::tenant::{NewUser, Role, Site};
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use serde_json::Value;
use std::time::{Duration, Instant};

const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";
const AUTH_TOKEN: &str = "0123456789abcdef0123";
const TRACKING: &str = "+12025550100";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The sources visits come from, in turn; one in six is Google.
const SOURCES: [(&str, &str); 6] = [
    ("google", "cpc"),
    ("bing", "cpc"),
    ("facebook", "paid"),
    ("newsletter", "email"),
    ("(direct)", "(none)"),
    ("yelp", "referral"),
];

/// How much is seeded and measured.
#[derive(Clone, Copy)]
struct Size {
    calls: usize,
    leads: usize,
    /// Timed page loads (after as many untimed).
    pages: usize,
    /// Calls timed from webhook to live panel.
    live_calls: usize,
}

const FULL: Size = Size {
    calls: 100_000,
    leads: 50_000,
    pages: 200,
    live_calls: 50,
};
const QUICK: Size = Size {
    calls: 2_000,
    leads: 1_000,
    pages: 5,
    live_calls: 3,
};

fn main() {
    let size = if std::env::args().any(|a| a == "--bench") {
        FULL
    } else {
        QUICK
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    runtime.expect("tokio runtime").block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut failures = run(DatabaseUrl::Sqlite(dir.path().join("leadline.db")), size).await;
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) => {
                failures.extend(support::on_new_postgres(&admin_url, "activity", move |url| run(url, size)).await)
            }
            Err(_) => println!("\nSKIPPED PostgreSQL: {POSTGRES_ENV} is not set"),
        }
        assert!(failures.is_empty(), "failed checks:\n{}", failures.join("\n"));
    });
}

/// One engine: seed, start the server, measure, check, print. Returns the failed checks.
async fn run(url: DatabaseUrl, size: Size) -> Vec<String> {
    let engine = url.engine().name();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let config = server::unlimited_config(&base);
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&url, &options).await.expect("open");
    let site = support::seed(&store, TRACKING, AUTH_TOKEN).await;
    let seeding = Instant::now();
    fill(&url, &store, &site, size).await;
    println!(
        "\n{engine}: seeded {} calls and {} leads in {:.0} s",
        size.calls,
        size.leads,
        seeding.elapsed().as_secs_f64()
    );
    let cookie = session(&store, &site).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async { _ = stopped.await };
    let application = Application::build(&config, store.clone(), listener, Options::default(), shutdown)
        .await
        .expect("server");
    let server = tokio::spawn(application.wait());
    let client = reqwest::Client::new();
    let mut failures = Vec::new();

    let bare = timed_gets(&client, &format!("{base}/healthz"), None, size.pages, &mut failures).await;
    let today = chrono::Utc::now().with_timezone(&site.timezone.tz()).date_naive();
    let filter = format!("source=google&from={}&to={today}", today - chrono::Days::new(30));
    let activity = format!("{base}/app/activity?{filter}");
    let pages = timed_gets(&client, &activity, Some(&cookie), size.pages, &mut failures).await;
    let html = get(&client, &activity, Some(&cookie)).await.unwrap_or_default();
    let rows = html.matches("<tr id=\"call-").count();
    if rows != 50 {
        failures.push(format!("{engine}: the filtered first page shows {rows} calls, not 50"));
    }
    let live = live_latencies(&client, &base, &cookie, &site, size.live_calls, &mut failures).await;

    println!("{engine}: p50 / p95 / max in ms, and the p95 as a multiple of the bare request's");
    for (what, samples) in [
        ("bare GET /healthz", &bare),
        ("Activity, source + 30 days, first page", &pages),
        ("new call: gather webhook → live panel", &live),
    ] {
        let [p50, p95, max] = stats::percentiles(samples);
        let ratio = p95 / stats::percentiles(&bare)[1];
        println!("  {what:<42} {p50:>8.1} {p95:>8.1} {max:>8.1}   {ratio:>7.1}x");
    }
    println!("checks: {} failed", failures.len());
    let _ = stop.send(());
    server.await.expect("server task").expect("server and jobs");
    store.close().await;
    failures
}

/// `size.leads` leads and `size.calls` calls over the last 90 days, seven in ten from a visit
/// (sources in turn), written in bulk: what a year of the webhooks would have left.
async fn fill(url: &DatabaseUrl, store: &SqlStore, site: &Site, size: Size) {
    let connect = match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(raw) => raw.clone(),
    };
    let pool = &sqlx::AnyPool::connect(&connect)
        .await
        .expect("a connection for bulk writes");
    let number: i64 = sqlx::query_scalar("SELECT id FROM tracking_numbers LIMIT 1")
        .fetch_one(pool)
        .await
        .expect("the tracking number");
    let now = chrono::Utc::now().timestamp_millis();
    let step = 90 * DAY_MS / size.calls as i64;
    let (business, site_id) = (site.business_id.0, site.id.0);
    for chunk in (0..size.leads).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|&i| {
                let at = now - 90 * DAY_MS + i as i64 * step;
                format!(
                    "({business}, {}, {site_id}, '+1202{:07}', 'Caller {i}', 'new', '[]', '{{}}', {at}, {at})",
                    1000 + i,
                    i
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO leads (business_id, record_ref, site_id, phone, name, status, tags, custom, created_at, updated_at) VALUES {}",
            values.join(", ")
        );
        sqlx::query(&sql).execute(pool).await.expect("leads");
    }
    let first_lead: i64 = sqlx::query_scalar("SELECT MIN(id) FROM leads")
        .fetch_one(pool)
        .await
        .expect("leads");
    for chunk in (0..size.calls).collect::<Vec<_>>().chunks(500) {
        let mut visits = Vec::new();
        let mut calls = Vec::new();
        for &i in chunk {
            let at = now - 90 * DAY_MS + i as i64 * step;
            let person = i % size.leads;
            let visit = if i % 10 < 7 {
                let (source, medium) = SOURCES[i % SOURCES.len()];
                visits.push(format!(
                    "('v{i}', {site_id}, 'fp:{person}', 'https://acme.example/sofas', '{source}', '{medium}', 'desktop', {at}, {at})"
                ));
                format!("(SELECT id FROM visits WHERE public_id = 'v{i}')")
            } else {
                "NULL".to_owned()
            };
            calls.push(format!(
                "({business}, {}, {site_id}, {number}, {}, {visit}, 'CAseed{i}', '+1202{person:07}', '1', '{}', 'completed', 'answered', {}, 95, {at}, {}, '[]')",
                1000 + size.leads + i,
                first_lead + person as i64,
                if visit == "NULL" { "none" } else { "code" },
                i64::from(i < size.leads),
                at + 100_000,
            ));
        }
        if !visits.is_empty() {
            let sql = format!(
                "INSERT INTO visits (public_id, site_id, visitor_key, landing_url, source, medium, device, started_at, last_seen_at) VALUES {}",
                visits.join(", ")
            );
            sqlx::query(&sql).execute(pool).await.expect("visits");
        }
        let sql = format!(
            "INSERT INTO calls (business_id, record_ref, site_id, number_id, lead_id, visit_id, provider_call_sid, caller, keyed,
                 matched_by, status, result, first_time, duration_seconds, started_at, ended_at, tags) VALUES {}",
            calls.join(", ")
        );
        sqlx::query(&sql).execute(pool).await.expect("calls");
    }
    let next = 1000 + size.leads + size.calls;
    sqlx::query(&format!(
        "INSERT INTO business_refs (business_id, next_ref) VALUES ({business}, {next})"
    ))
    .execute(pool)
    .await
    .expect("the ref counter");
    if store.engine_kind() == leadline_store::Engine::Postgres {
        sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    }
    pool.close().await;
}

/// An owner's session cookie, as logging in would have made it.
async fn session(store: &SqlStore, site: &Site) -> String {
    let user = NewUser {
        business_id: site.business_id,
        email: Email::parse("owner@acme.example").expect("e-mail"),
        name: Name::parse_as("name", "Olive Owner").expect("name"),
        role: Role::Owner,
        password_hash: NewPassword::parse("a long enough benchmark password")
            .expect("password")
            .hash(),
    };
    let user = store.create_user(&user).await.expect("owner");
    let token = random_token(32);
    let expires = chrono::Utc::now().timestamp_millis() + DAY_MS;
    store
        .create_session(user.id, site.business_id, &api_key_hash(&token), expires)
        .await
        .expect("session");
    format!("leadline_session={token}")
}

async fn get(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> Result<String, String> {
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url}: {status}"))
    }
}

/// `count` untimed GETs, then `count` timed ones, one at a time.
async fn timed_gets(
    client: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    count: usize,
    failures: &mut Vec<String>,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(count);
    for round in 0..2 * count {
        let start = Instant::now();
        let answer = get(client, url, cookie).await;
        let took = start.elapsed();
        match answer {
            Ok(_) if round >= count => samples.push(took),
            Ok(_) => {}
            Err(e) => failures.push(e),
        }
    }
    samples
}

/// For each of `count` calls, one after another: the time from sending the gather webhook (the
/// call opens) to the live feed's event about it.
async fn live_latencies(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    site: &Site,
    count: usize,
    failures: &mut Vec<String>,
) -> Vec<Duration> {
    let response = client
        .get(format!("{base}/app/live"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the live feed");
    let mut feed = response.bytes_stream();
    let mut buffer = String::new();
    let mut samples = Vec::new();
    for i in 0..count {
        let code = visit_code(client, base, site).await;
        let sid = format!("CAlive{i}");
        let call = [("CallSid", sid.as_str()), ("From", "+12025550999"), ("To", TRACKING)];
        let voice = post_signed(client, &format!("{base}/twilio/voice"), &call).await;
        let Some(action) = attribute(&voice, "action") else {
            failures.push(format!("no <Gather> action: {voice}"));
            continue;
        };
        let mut keyed = call.to_vec();
        keyed.push(("Digits", code.as_str()));
        let start = Instant::now();
        post_signed(client, &action, &keyed).await;
        let arrived = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    let data = event.lines().find_map(|l| l.strip_prefix("data: "));
                    if let Some(row) = data.and_then(|d| serde_json::from_str::<Value>(d).ok())
                        && row["result"] == "in_call"
                    {
                        return start.elapsed();
                    }
                }
                let chunk = feed.next().await.expect("the feed stays open").expect("a chunk");
                buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        match arrived {
            Ok(took) => samples.push(took),
            Err(_) => failures.push(format!("call {sid}: no live event within 10 s")),
        }
        let status = [("CallSid", sid.as_str()), ("To", TRACKING), ("CallStatus", "completed")];
        post_signed(client, &format!("{base}/twilio/status?number=%2B12025550100"), &status).await;
    }
    samples
}

/// A new visit of the site and the code its page shows.
async fn visit_code(client: &reqwest::Client, base: &str, site: &Site) -> String {
    let body =
        serde_json::json!({ "site": site.key.as_str(), "url": "http://localhost/?utm_source=google&utm_medium=cpc" });
    let state: Value = client
        .post(format!("{base}/v1/visits"))
        .header("origin", "http://localhost")
        .header("user-agent", "Mozilla/5.0 Chrome/156")
        .body(body.to_string())
        .send()
        .await
        .expect("visit")
        .json()
        .await
        .expect("visit state");
    state["code"].as_str().expect("a code").to_owned()
}

/// Posts a provider request signed as Twilio signs it; answers the TwiML.
async fn post_signed(client: &reqwest::Client, url: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let signature = leadline_core::twilio::signature(AUTH_TOKEN, url, &owned);
    client
        .post(url)
        .header("x-twilio-signature", signature)
        .form(params)
        .send()
        .await
        .expect("webhook")
        .text()
        .await
        .expect("TwiML")
}

/// The first `name="…"` attribute of `xml`, unescaped.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + xml[start..].find('"')?;
    Some(xml[start..end].replace("&amp;", "&"))
}
