//! Time from the provider's request to Leadline's answer, with 200 calls in flight, as ratios
//! to one call at a time in the same run. The real router and server loop run in-process on
//! 127.0.0.1:0 and the benchmark plays the provider: each call is the voice webhook, the
//! gather with a live visit code, the whisper, the dial action and the status callback, all
//! signed. SQLite always, PostgreSQL too when LEADLINE_TEST_POSTGRES_URL is set. What it
//! measures and the results: docs/benchmarks.md. Without `--bench` (`cargo test --benches`)
//! it only runs a few calls and checks them.

use leadline::launch::{Application, Options};
use leadline_core::E164;
use leadline_core::call::{Call, CallKey, CallOutcome, MatchedBy};
use leadline_core::provider::CallSid;
use leadline_core::store::{CallStore, NumberStore, VisitStore};
use leadline_core::tenant::Site;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[path = "support/server.rs"]
mod server;
#[path = "support/mod.rs"]
mod support;

const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";
const AUTH_TOKEN: &str = "0123456789abcdef0123";
const TRACKING: &str = "+12025550100";
/// The visits: a browser's user agent, a landing page with a paid source.
const UA: &str = "Mozilla/5.0 Chrome/156";
const LANDING: &str = "http://localhost/sofas?utm_source=google&utm_medium=cpc";
/// The provider requests of one call, in order, and the verb each answer must start with.
const KINDS: [&str; 5] = ["voice", "gather", "whisper", "dial", "status"];
const VERBS: [&str; 5] = ["Gather", "Dial", "Say", "Hangup", "(none)"];

/// Calls in flight at once, and calls each of them makes in turn, of the warm-up (untimed), the
/// baseline and the load. Without `--bench`, a quick check.
type Phases = [(usize, usize); 3];
const FULL: Phases = [(1, 10), (1, 200), (200, 3)];
const QUICK: Phases = [(1, 2), (1, 5), (20, 1)];

/// Warnings and errors the server logged (a report it could not record still answers 200).
static SERVER_WARNINGS: AtomicUsize = AtomicUsize::new(0);
struct CountWarnings;
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountWarnings {
    fn on_event(&self, _event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        SERVER_WARNINGS.fetch_add(1, Ordering::Relaxed); // only WARN and ERROR get through the filter
    }
}

fn main() {
    let plan = if std::env::args().any(|a| a == "--bench") {
        FULL
    } else {
        QUICK
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::WARN)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(CountWarnings)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    runtime.expect("tokio runtime").block_on(async {
        let started = Instant::now();
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut failures = run(DatabaseUrl::Sqlite(dir.path().join("leadline.db")), plan).await;
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) => failures.extend(on_postgres(&admin_url, plan).await),
            Err(_) => println!("\nSKIPPED PostgreSQL: {POSTGRES_ENV} is not set"),
        }
        println!("\nwhole run: {:.0} s", started.elapsed().as_secs_f64());
        assert!(failures.is_empty(), "failed checks:\n{}", failures.join("\n"));
    });
}

/// Runs on a new PostgreSQL database, dropped afterwards even when something panics.
async fn on_postgres(admin_url: &str, plan: Phases) -> Vec<String> {
    support::on_new_postgres(admin_url, "voice", move |url| run(url, plan)).await
}

/// One engine: seed, start the server, register the visits, run the calls, check, print.
/// Returns the failed checks.
async fn run(url: DatabaseUrl, plan: Phases) -> Vec<String> {
    let engine = url.engine().name();
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
    let site = support::seed(&store, TRACKING, AUTH_TOKEN).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async { _ = stopped.await };
    let application = Application::build(&config, store.clone(), listener, Options::default(), shutdown)
        .await
        .expect("server");
    let server = tokio::spawn(application.wait());
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build();
    let provider = Arc::new(Provider {
        client: client.expect("client"),
        base,
        engine,
    });
    SERVER_WARNINGS.store(0, Ordering::Relaxed);

    let calls = plan.map(|(slots, rounds)| slots * rounds);
    let codes = Arc::new(provider.register_visits(&site, calls.iter().sum()).await);
    let sid = |i: usize| sid(engine, i);
    let mut failures = Vec::new();
    phase(&provider, &codes, 0, plan[0], &mut failures).await;
    let (one, one_wall) = phase(&provider, &codes, calls[0], plan[1], &mut failures).await;
    let (many, wall) = phase(&provider, &codes, calls[0] + calls[1], plan[2], &mut failures).await;
    let rates = [calls[1] as f64 / one_wall, calls[2] as f64 / wall];

    // Cannot lie: every call ended in the store, attributed to its code, and no code is live.
    let number = store
        .number_by_e164(&E164::parse(TRACKING).expect("number"))
        .await
        .expect("tracking number")
        .id;
    for i in 0..codes.len() {
        let sid = CallSid::parse(&sid(i)).expect("a provider call id");
        let call = store
            .call(CallKey::Provider { number, sid: &sid })
            .await
            .map_err(|e| e.to_string());
        let code = Some(codes[i].clone());
        let right = |c: &Call| {
            (c.status.as_str(), c.ended_at.is_some(), c.outcome) == ("completed", true, Some(CallOutcome::Answered))
                && (c.origin.matched_by, c.code.map(|n| n.to_string())) == (MatchedBy::Code, code)
        };
        if !call.as_ref().is_ok_and(right) {
            failures.push(format!("{sid}: not stored as completed with its code: {call:?}"));
        }
    }
    let live = store.live_codes_of_site(site.id).await.expect("live codes");
    if live != 0 {
        failures.push(format!("{engine}: {live} codes still live after every call ended"));
    }
    let warnings = SERVER_WARNINGS.load(Ordering::Relaxed);
    print(engine, plan, &one, &many, rates, wall);
    println!(
        "checks: {} failed, {live} codes live at the end, {warnings} server warnings/errors logged",
        failures.len()
    );
    drop(provider);
    let _ = stop.send(());
    server.await.expect("server task").expect("server and jobs");
    store.close().await;
    failures
}

/// `slots` calls in flight at once, each slot making `rounds` calls in turn, keyed with the
/// codes from `first` on: their latencies and the wall time in seconds.
async fn phase(
    provider: &Arc<Provider>,
    codes: &Arc<Vec<String>>,
    first: usize,
    (slots, rounds): (usize, usize),
    failures: &mut Vec<String>,
) -> (Samples, f64) {
    let timer = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for slot in 0..slots {
        let (provider, codes) = (provider.clone(), codes.clone());
        tasks.spawn(async move {
            let mut results = Vec::with_capacity(rounds);
            for i in first + slot * rounds..first + (slot + 1) * rounds {
                results.push(provider.call(&codes[i], i).await);
            }
            results
        });
    }
    let mut samples = Samples::default();
    while let Some(results) = tasks.join_next().await {
        for result in results.expect("a call task panicked") {
            samples.add(result, failures);
        }
    }
    (samples, timer.elapsed().as_secs_f64())
}

/// The benchmark's side of the wire: one client (its connections reused) and the server's URL.
struct Provider {
    client: reqwest::Client,
    base: String,
    engine: &'static str,
}

/// The CallSid of call `i`: a fresh one per call.
fn sid(engine: &str, i: usize) -> String {
    format!("CA{engine}{i:06}")
}

/// The latency of each provider request of one call, in [`KINDS`] order.
type CallTimes = [Duration; 5];

impl Provider {
    /// `n` visits registered as the snippet does, each a new visitor: their live codes.
    async fn register_visits(&self, site: &Site, n: usize) -> Vec<String> {
        let body = serde_json::json!({ "site": site.key.as_str(), "url": LANDING });
        let url = format!("{}/v1/visits", self.base);
        let mut codes = Vec::with_capacity(n);
        for _ in 0..n {
            let request = self.client.post(&url).body(body.to_string());
            let request = request.header("origin", "http://localhost").header("user-agent", UA);
            let response = request.send().await.expect("visit registration");
            assert_eq!(response.status(), 201, "visit registration refused");
            let state: serde_json::Value = response.json().await.expect("visit state");
            codes.push(state["code"].as_str().expect("a live code").to_owned());
        }
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), n, "every visit holds its own code");
        codes
    }

    /// A signed POST: the time from sending to the whole answer read (signing and encoding
    /// happen before the clock starts), and the answer.
    async fn post(&self, url: &str, params: &[(&str, &str)]) -> Result<(Duration, String), String> {
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let signature = leadline_core::twilio::signature(AUTH_TOKEN, url, &owned);
        let request = self
            .client
            .post(url)
            .header("x-twilio-signature", signature)
            .form(params);
        let request = request.build().map_err(|e| format!("{url}: {e}"))?;
        let started = Instant::now();
        let response = self.client.execute(request).await.map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        let took = started.elapsed();
        match status.as_u16() {
            200 => Ok((took, body)),
            _ => Err(format!("{url}: {status}: {body}")),
        }
    }

    /// One whole call keyed with `code`, the answers checked.
    async fn call(&self, code: &str, i: usize) -> Result<CallTimes, String> {
        let sid: &str = &sid(self.engine, i);
        let caller = format!("+1202556{i:04}");
        let call = [("CallSid", sid), ("From", caller.as_str()), ("To", TRACKING)];
        let with = |extra: &[(&'static str, &'static str)]| [&call[..], extra].concat();
        let ringing = with(&[("AccountSid", "AC1"), ("CallStatus", "ringing")]);
        let (voice, xml) = self.post(&format!("{}/twilio/voice", self.base), &ringing).await?;
        let gather_url = answer(&xml, 0, &[("Gather", "action")])?.remove(0);
        let keyed = [&ringing[..], &[("Digits", code)]].concat();
        let (gather, xml) = self.post(&gather_url, &keyed).await?;
        let mut dial = answer(&xml, 1, &[("Dial", "action"), ("Number", "url")])?;
        let (whisper_url, dial_url) = (dial.remove(1), dial.remove(0));
        let leg = format!("{sid}-leg"); // the operator's leg: its own sid, `To` the operator
        let (whisper, xml) = self
            .post(&whisper_url, &[("CallSid", &leg), ("To", "+12025550111")])
            .await?;
        answer(&xml, 2, &[])?;
        let dialled = with(&[("DialCallStatus", "completed"), ("DialCallDuration", "30")]);
        let (dial, xml) = self.post(&dial_url, &dialled).await?;
        answer(&xml, 3, &[])?;
        let ended = with(&[("CallStatus", "completed"), ("CallDuration", "40")]);
        let (status, xml) = self.post(&format!("{}/twilio/status", self.base), &ended).await?;
        answer(&xml, 4, &[])?;
        Ok([voice, gather, whisper, dial, status])
    }
}

/// Checks that the answer to request `kind` is TwiML starting with its verb (nothing, for the
/// status callback); returns the first value of each (element, attribute) asked for.
fn answer(xml: &str, kind: usize, wanted: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let fail = |why: &str| Err(format!("{}: {why}: {xml}", KINDS[kind]));
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return fail("not XML");
    };
    let root = doc.root_element();
    let first = root.children().find(|n| n.is_element()).map(|n| n.tag_name().name());
    if root.tag_name().name() != "Response" || first.unwrap_or("(none)") != VERBS[kind] {
        return fail(&format!("expected {}", VERBS[kind]));
    }
    let value = |(element, attribute): &(&str, &str)| {
        let node = doc.descendants().find(|n| n.has_tag_name(*element));
        node.and_then(|n| n.attribute(*attribute)).map(str::to_owned)
    };
    match wanted.iter().map(value).collect::<Option<Vec<String>>>() {
        Some(values) => Ok(values),
        None => fail(&format!("no {wanted:?}")),
    }
}

/// Latencies of one phase, per request kind.
#[derive(Default)]
struct Samples {
    by_kind: [Vec<Duration>; 5],
    failed: usize,
}

impl Samples {
    fn add(&mut self, result: Result<CallTimes, String>, failures: &mut Vec<String>) {
        match result {
            Ok(times) => times.iter().zip(&mut self.by_kind).for_each(|(t, kind)| kind.push(*t)),
            Err(e) => {
                self.failed += 1;
                failures.push(e);
            }
        }
    }

    /// p50, p99 and max in milliseconds of kind `k` (5: every kind together), nearest rank.
    fn stats(&self, k: usize) -> [f64; 3] {
        let mut all = if k == 5 {
            self.by_kind.concat()
        } else {
            self.by_kind[k].clone()
        };
        all.sort();
        let rank = |p: f64| all[((p * all.len() as f64).ceil() as usize).clamp(1, all.len()) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        all.last()
            .map_or([f64::NAN; 3], |max| [ms(rank(0.5)), ms(rank(0.99)), ms(*max)])
    }
}

fn print(engine: &str, plan: Phases, one: &Samples, many: &Samples, [one_rate, many_rate]: [f64; 2], wall: f64) {
    let ([(_, baseline), (c, rounds)], (one_failed, many_failed)) = ([plan[1], plan[2]], (one.failed, many.failed));
    println!("\n== {engine} ==");
    println!(
        "1 in flight: {baseline} calls, {one_rate:.1} calls/s, {one_failed} failed; \
         {c} in flight: {} calls in {wall:.1} s, {many_rate:.1} calls/s, {many_failed} failed",
        c * rounds
    );
    let many_p50 = format!("{c}: p50");
    println!("kind       1: p50      p99      max |{many_p50:>9}      p99      max | p50 ratio p99 ratio");
    for (k, kind) in KINDS.iter().chain(&["all"]).enumerate() {
        let ([b50, b99, bmax], [l50, l99, lmax]) = (one.stats(k), many.stats(k));
        println!(
            "{kind:<8}{b50:>9.2}{b99:>9.2}{bmax:>9.2} |{l50:>9.2}{l99:>9.2}{lmax:>9.2} |{:>9.1}x{:>9.1}x",
            l50 / b50,
            l99 / b99
        );
    }
}
