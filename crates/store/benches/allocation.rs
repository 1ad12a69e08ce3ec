//! What one extension allocation costs as a pool fills up: `register_visit` on a pool holding
//! 10, 1,000 and 100,000 live codes (a fresh database each), as ratios to the 10-code mean of
//! the same run. `reuse` frees a low code and allocates it again (the free list); `fresh`
//! allocates above the high-water mark. SQLite always, PostgreSQL too when
//! LEADLINE_TEST_POSTGRES_URL is set. How to run it and why the pools are filled with SQL:
//! docs/benchmarks.md. Run without `--bench` (`cargo test --benches`) it only checks itself.

use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::names::{Name, Slug};
use leadline_core::net::DomainName;
use leadline_core::secret::{Secret, random_token};
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{BusinessStore, NumberStore, SiteStore, StoreError, VisitStore};
use leadline_core::tenant::{AccountSid, NewBusiness, NewSite, NewTrackingNumber, Provider};
use leadline_core::visit::{
    AllocationPolicy, CodeOutcome, CodePlan, CodeRequest, NewVisit, PoolKey, Selector, VisitRef,
};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{E164, SiteId};
use leadline_store::{DatabaseUrl, Engine, OpenOptions, SqlStore};
use sqlx::{AnyConnection, Connection, Executor, PgConnection};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";
/// `api` fills the pools through `register_visit` instead of SQL (slow: see the docs).
const FILL_ENV: &str = "LEADLINE_BENCH_FILL";
const DAY_MS: i64 = 24 * 3_600_000;

/// Pool sizes (the first is the baseline), and timed cycles per size. The cycles run in 10
/// rounds that alternate between the sizes, so a change in machine load hits every size alike.
const SIZES: &[u64] = &[10, 1_000, 100_000];
const CYCLES: usize = 1_000;
const ROUNDS: usize = 10;

fn main() {
    // Without `--bench` (`cargo test --benches`), a quick check of small pools.
    let (sizes, cycles) = match std::env::args().any(|a| a == "--bench") {
        true => (SIZES, CYCLES),
        false => (&[10, 100][..], ROUNDS),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    runtime.expect("tokio runtime").block_on(async {
        let started = Instant::now();
        let dir = tempfile::tempdir().expect("temporary directory");
        let sqlite = |n: &u64| DatabaseUrl::Sqlite(dir.path().join(format!("{n}.db")));
        run(sizes.iter().map(sqlite).collect(), sizes, cycles).await;
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) => on_postgres(&admin_url, sizes, cycles).await,
            Err(_) => println!("\nSKIPPED PostgreSQL: {POSTGRES_ENV} is not set"),
        }
        println!("\nwhole run: {:.0} s", started.elapsed().as_secs_f64());
    });
}

/// Runs on new PostgreSQL databases, dropped afterwards even when a check fails.
async fn on_postgres(admin_url: &str, sizes: &'static [u64], cycles: usize) {
    let mut admin = PgConnection::connect(admin_url).await.expect("PostgreSQL answers");
    let token = random_token(8).to_lowercase();
    let names: Vec<String> = sizes.iter().map(|n| format!("leadline_bench_{n}_{token}")).collect();
    let mut urls = Vec::new();
    for name in &names {
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .expect("create database");
        let mut url = url::Url::parse(admin_url).expect("valid PostgreSQL URL");
        url.set_path(name);
        urls.push(DatabaseUrl::parse(url.as_str()).expect("database url"));
    }
    let outcome = tokio::spawn(run(urls, sizes, cycles)).await; // a task: a failed check still drops the databases
    for name in &names {
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        admin.execute(drop.as_str()).await.expect("drop database");
    }
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

async fn run(urls: Vec<DatabaseUrl>, sizes: &[u64], cycles: usize) {
    let engine = urls[0].engine().name();
    println!("\n== {engine} ==");
    let mut pools = Vec::new();
    for (url, &n) in urls.iter().zip(sizes) {
        let options = OpenOptions {
            create_if_missing: true,
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        };
        let store = SqlStore::open_and_migrate(url, &options)
            .await
            .expect("open and migrate");
        pools.push(Pool::fill(store, url, n).await);
    }
    for pool in &mut pools {
        for _ in 0..20 {
            pool.cycle(false).await; // warm-up
        }
    }
    for _ in 0..ROUNDS {
        for pool in &mut pools {
            for _ in 0..cycles / ROUNDS {
                pool.cycle(true).await;
            }
        }
    }
    println!("live codes  path   mean µs   p50 µs   p99 µs   ratio to {}", sizes[0]);
    let base = [summary(&pools[0].reuse).0, summary(&pools[0].fresh).0];
    let mut last = [0.0; 2];
    for pool in &pools {
        pool.check().await;
        for (i, (path, samples)) in [("reuse", &pool.reuse), ("fresh", &pool.fresh)].into_iter().enumerate() {
            let (m, p50, p99) = summary(samples);
            println!(
                "{:>10}  {path}  {m:>8.0}  {p50:>7.0}  {p99:>7.0}  {:>6.2}x",
                pool.live,
                m / base[i]
            );
            last[i] = m / base[i];
        }
        pool.store.close().await;
    }
    let (n, b) = (pools[pools.len() - 1].live, pools[0].live);
    println!(
        "{engine}: {n} live codes cost {:.2}x (reuse) and {:.2}x (fresh) the {b}-code baseline",
        last[0], last[1]
    );
}

/// One pool of one site in its own database; codes 1 to `live` are live between cycles.
struct Pool {
    store: SqlStore,
    site: SiteId,
    key: PoolKey,
    live: u64,
    high_water: u64,
    visitors: u64,
    cycles: u64,
    reuse: Vec<Duration>,
    fresh: Vec<Duration>,
}

impl Pool {
    async fn fill(store: SqlStore, url: &DatabaseUrl, n: u64) -> Self {
        let (site, key) = setup(&store).await;
        let mut pool = Self {
            store,
            site,
            key,
            live: n,
            high_water: n,
            visitors: 0,
            cycles: 0,
            reuse: Vec::new(),
            fresh: Vec::new(),
        };
        let started = Instant::now();
        if std::env::var(FILL_ENV).is_ok_and(|v| v == "api") {
            for code in 1..=n {
                assert_eq!(pool.allocate().await.0, code, "the fill hands out 1, 2, 3, …");
            }
        } else {
            fill_with_sql(url, &pool, n).await;
        }
        println!("filled {n:>6} live codes in {:.1} s", started.elapsed().as_secs_f64());
        pool.check().await;
        pool
    }

    /// Checks through the store that exactly codes 1 to `live` are live.
    async fn check(&self) {
        let (store, key) = (&self.store, self.key);
        let counted = store.live_codes_of_site(self.site).await.expect("live count");
        assert_eq!(counted, self.live, "the site holds exactly the pool's live codes");
        store.live_code(key, self.live).await.expect("the top code is live");
        let above = store.live_code(key, self.high_water + 1).await;
        assert!(matches!(above, Err(StoreError::NotFound)), "above high water");
    }

    /// Registers a new visitor's visit, which allocates; returns the code and the time taken.
    async fn allocate(&mut self) -> (u64, Duration) {
        self.visitors += 1;
        let visit = new_visit(self.site, self.visitors);
        let policy = AllocationPolicy {
            idle_ms: DAY_MS,
            max_live: 1_000_000,
            quarantine_ms: 0,
        };
        let plan = CodePlan::Visit(CodeRequest { pool: self.key, policy });
        let started = Instant::now();
        let state = self.store.register_visit(&visit, plan).await.expect("register_visit");
        let took = started.elapsed();
        assert_eq!(state.outcome, CodeOutcome::Allocated);
        (state.code.expect("a code"), took)
    }

    /// Frees a low code k (7 first, then spread over the pool) and times allocating it again;
    /// then times an allocation with no free code, which must raise the high-water mark. That
    /// code is freed and reserved, which keeps it off the free list and `live` unchanged.
    async fn cycle(&mut self, record: bool) {
        let k = 1 + (6 + self.cycles * 7_919) % self.live;
        self.cycles += 1;
        assert!(self.store.free_code(self.key, k).await.expect("free"), "{k} was live");
        let (code, reuse) = self.allocate().await;
        assert_eq!(code, k, "after freeing {k} the next allocation is {k}");
        let (code, fresh) = self.allocate().await;
        self.high_water += 1;
        assert_eq!(code, self.high_water, "no free code: the high-water mark rises");
        assert!(self.store.free_code(self.key, code).await.expect("free"));
        let label = Name::parse_as("label", "bench").expect("label");
        self.store.reserve_code(self.key, code, &label).await.expect("reserve");
        if record {
            self.reuse.push(reuse);
            self.fresh.push(fresh);
        }
    }
}

/// Writes what `n` allocations through `register_visit` would leave, in one transaction: `n`
/// visits of distinct visitors with their landing pages, codes 1 to `n` live for them, the
/// pool's high-water mark at `n` and the site's live count at `n`. PostgreSQL then gets the
/// `ANALYZE` its autovacuum runs after such a load; SQLite gets none, as in production.
async fn fill_with_sql(url: &DatabaseUrl, pool: &Pool, n: u64) {
    let (site, number) = (pool.site.0, pool.key.number.0);
    let now = chrono::Utc::now().timestamp_millis();
    let connect_url = match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(raw) => raw.clone(),
    };
    let statements = [
        format!("INSERT INTO pools (number_id, selector, high_water) VALUES ({number}, '', {n})"),
        format!(
            "INSERT INTO visits (public_id, site_id, visitor_key, landing_url, source, medium, device, started_at,
                 last_seen_at)
             WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})
             SELECT CAST(1000000000000000 + i AS TEXT), {site}, 'fp:fill' || CAST(i AS TEXT),
                 'https://acme.example/', 'news', 'email', 'desktop', {now}, {now} FROM seq"
        ),
        format!("INSERT INTO page_views (visit_id, url, at) SELECT id, landing_url, {now} FROM visits"),
        format!(
            "INSERT INTO live_codes (pool_id, code, site_id, visit_id, visitor_key, last_activity_at, expires_at)
             SELECT (SELECT id FROM pools WHERE number_id = {number}), CAST(public_id AS BIGINT) - 1000000000000000,
                 site_id, id, visitor_key, {now}, {} FROM visits",
            now + DAY_MS
        ),
        format!("INSERT INTO site_live_counts (site_id, live) VALUES ({site}, {n})"),
    ];
    let mut conn = AnyConnection::connect(&connect_url).await.expect("connect");
    let mut tx = conn.begin().await.expect("begin");
    for statement in &statements {
        tx.execute(statement.as_str()).await.expect("fill");
    }
    tx.commit().await.expect("commit");
    if url.engine() == Engine::Postgres {
        conn.execute("ANALYZE").await.expect("analyze");
    }
}

/// Mean, p50 and p99 (nearest rank) in microseconds.
fn summary(samples: &[Duration]) -> (f64, f64, f64) {
    let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((q * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1];
    (us.iter().sum::<f64>() / us.len() as f64, at(0.50), at(0.99))
}

/// A business with one site and one tracking number serving it; returns the site and pool.
async fn setup(store: &SqlStore) -> (SiteId, PoolKey) {
    let name = |text: &str| Name::parse_as("name", text).expect("name");
    let slug = Slug::parse("acme").expect("slug");
    let business = store
        .create_business(&NewBusiness {
            slug,
            name: name("Acme"),
        })
        .await
        .expect("business");
    let site = NewSite {
        business_id: business.id,
        name: name("Main site"),
        key: SiteKey::generate(),
        domains: vec![DomainName::parse("acme.example").expect("domain")],
        timezone: Timezone::parse("America/New_York").expect("zone"),
        currency: Currency::parse("USD").expect("currency"),
        settings: SiteSettings::default(),
    };
    let site = store.create_site(&site).await.expect("site").id;
    let number = NewTrackingNumber {
        number: E164::parse("+12025550100").expect("number"),
        provider: Provider::Twilio,
        account_sid: AccountSid::parse("AC1").expect("sid"),
        auth_token: Secret::new("0123456789abcdef0123"),
        site_ids: vec![site],
    };
    let number = store.create_number(&number).await.expect("tracking number").id;
    let selector = Selector::Plain;
    (site, PoolKey { number, selector })
}

/// A visit of a new visitor (a returning one would adopt its live code, not allocate).
fn new_visit(site: SiteId, visitor: u64) -> NewVisit {
    NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(&format!("fp:bench{visitor}")).expect("visitor key"),
        landing_url: "https://acme.example/sofas?utm_source=news".into(),
        referrer: None,
        title: Some("Sofas".into()),
        attribution: Attribution {
            source: "news".into(),
            medium: "email".into(),
            campaign: None,
            term: None,
            content: None,
        },
        click_ids: ClickIds::default(),
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Desktop,
        temp_id: None,
        ads_consent: Default::default(),
    }
}
