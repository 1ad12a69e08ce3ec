//! Reports on a busy year: one business with 1,000,000 visits (a tenth of them clicking a call
//! element), 100,000 calls and 20,000 sales over 365 days, its ads and keywords grouped.
//! Measures how long rebuilding every day's rollup takes, how long a report for a 90-day range
//! takes (p50, p95, max, over every dimension, with and without the previous period), and what
//! keeping reports costs a call and a sale: the same writes timed with the stale-day marks on
//! and off, in alternating blocks, in the same run. SQLite always, PostgreSQL too when
//! LEADLINE_TEST_POSTGRES_URL is set. Results: docs/benchmarks.md.
//! Without `--bench` (`cargo test --benches`) it seeds 1% of that, as a check.

#[path = "support/stats.rs"]
mod stats;
#[path = "support/mod.rs"]
mod support;

use chrono::Utc;
use leadline::app::reports::query::RawReportQuery;
use leadline::app::reports::{ReportQuery, report};
use leadline_core::adgroup::AdGroupStore;
use leadline_core::adgroup::{AdRule, NewMasterAd, NewMasterPhrase};
use leadline_core::call::{CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::lead::{Author, LeadChange, NewSale};
use leadline_core::names::Name;
use leadline_core::provider::{CallSid, Caller, CallerPlace};
use leadline_core::report::days::local_day;
use leadline_core::report::{DayRange, ReportStore};
use leadline_core::store::{CallStore, LeadStore, NumberStore};
use leadline_core::tenant::Site;
use leadline_core::visit::Selector;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use std::time::{Duration, Instant};

const POSTGRES_ENV: &str = "LEADLINE_TEST_POSTGRES_URL";
const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Copy)]
struct Size {
    visits: i64,
    calls: i64,
    sales: i64,
    /// Timed reports per dimension and comparison.
    reports: usize,
    /// Timed writes of each kind, with marks and without.
    writes: usize,
}

const FULL: Size = Size {
    visits: 1_000_000,
    calls: 100_000,
    sales: 20_000,
    reports: 10,
    writes: 1_000,
};
const QUICK: Size = Size {
    visits: 10_000,
    calls: 1_000,
    sales: 200,
    reports: 2,
    writes: 10,
};

/// The dimensions timed: every one a report can group by (a page variable, master ads and
/// master phrases included).
const DIMENSIONS: [&str; 16] = [
    "source",
    "campaign",
    "keyword",
    "landing-page",
    "element",
    "device",
    "operator",
    "hour",
    "weekday",
    "city",
    "state",
    "country",
    "returning",
    "master-ad",
    "master-phrase",
    "variable",
];
fn main() {
    let size = if std::env::args().any(|a| a == "--bench") {
        FULL
    } else {
        QUICK
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    runtime.expect("tokio runtime").block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        run(DatabaseUrl::Sqlite(dir.path().join("leadline.db")), size).await;
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) => {
                support::on_new_postgres(&admin_url, "reports", move |url| async move {
                    run(url, size).await;
                    Vec::new()
                })
                .await;
            }
            Err(_) => println!("\nSKIPPED PostgreSQL: {POSTGRES_ENV} is not set"),
        }
    });
}

async fn run(url: DatabaseUrl, size: Size) {
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&url, &options).await.expect("store");
    let site = support::seed(&store, "+12025550100", "0123456789abcdef0123").await;
    let engine = store.engine_kind().name();
    println!(
        "\n== {engine}: {} visits, {} calls, {} sales over 365 days",
        size.visits, size.calls, size.sales
    );
    let started = Instant::now();
    fill(&store, &site, size).await;
    group_ads(&store, &site).await;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let mut days = 0;
    loop {
        let stale = store.stale_report_days(200).await.expect("stale days");
        if stale.is_empty() {
            break;
        }
        for day in stale {
            store.rebuild_report_day(day).await.expect("rebuild");
            days += 1;
        }
    }
    let built = started.elapsed();
    println!(
        "rollups built: {days} UTC days in {:.1} s ({:.0} ms a day)",
        built.as_secs_f64(),
        built.as_secs_f64() * 1000.0 / f64::from(days.max(1))
    );
    reports(&store, &site, size).await;
    writes(&store, &site, size).await;
    store.close().await;
}

/// The year, written in bulk as the webhooks and forms would have left it.
async fn fill(store: &SqlStore, site: &Site, size: Size) {
    let (business, site_id) = (site.business_id.0, site.id.0);
    let now = Utc::now().timestamp_millis();
    let start = now - 365 * DAY_MS;
    let step = 365 * DAY_MS / size.visits;
    let per_call = size.visits / size.calls;
    let number: i64 = store
        .number_by_e164(&leadline_core::E164::parse("+12025550100").expect("e164"))
        .await
        .expect("number")
        .id
        .0;
    let visitors = size.visits * 7 / 10;
    let series = |count: i64| {
        format!("WITH RECURSIVE g(n) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM g WHERE n < {count})")
    };
    let script = format!(
        "{visits_series}
         INSERT INTO visits (public_id, site_id, visitor_key, landing_url, source, medium, campaign, term, device, custom,
             started_at, last_seen_at)
         SELECT 'bv' || n, {site_id}, 'fp:' || (n % {visitors}),
             CASE n % 4 WHEN 0 THEN 'https://acme.example/' WHEN 1 THEN 'https://acme.example/sofas'
                 WHEN 2 THEN 'https://acme.example/chairs' ELSE 'https://acme.example/contact' END,
             CASE n % 6 WHEN 0 THEN 'google' WHEN 1 THEN 'bing' WHEN 2 THEN 'facebook' WHEN 3 THEN 'newsletter'
                 WHEN 4 THEN '(direct)' ELSE 'yelp' END,
             CASE n % 6 WHEN 0 THEN 'cpc' WHEN 1 THEN 'cpc' WHEN 2 THEN 'paid' WHEN 3 THEN 'email'
                 WHEN 4 THEN '(none)' ELSE 'referral' END,
             CASE WHEN n % 6 < 3 THEN 'campaign-' || (n % 20) END,
             CASE WHEN n % 6 < 2 THEN 'keyword ' || (n % 500) END,
             CASE WHEN n % 3 = 0 THEN 'mobile' ELSE 'desktop' END,
             CASE WHEN n % 2 = 0 THEN '{{\"language\":\"en\"}}' ELSE '{{}}' END,
             {start} + n * {step}, {start} + n * {step}
         FROM g;
         INSERT INTO call_intents (visit_id, site_id, element, page_url, at)
         SELECT id, site_id, CASE id % 3 WHEN 0 THEN 'call-now' WHEN 1 THEN 'header-phone' ELSE 'tel0' END,
             landing_url, started_at + 5000
         FROM visits WHERE id % 10 = 0;
         {calls_series}
         INSERT INTO leads (business_id, record_ref, site_id, visitor_key, phone, status, tags, custom, created_at, updated_at)
         SELECT {business}, n, {site_id}, 'fp:' || ((n * {per_call}) % {visitors}), '+1202' || (5000000 + n),
             CASE n % 10 WHEN 0 THEN 'converted' WHEN 1 THEN 'qualified' WHEN 2 THEN 'lost' ELSE 'contacted' END,
             '[]', '{{}}', {start} + n * {per_call} * {step} + 60000, {start} + n * {per_call} * {step} + 60000
         FROM g;
         {calls_series}
         -- CROSS JOIN: SQLite keeps the series outside and finds each lead by its index.
         INSERT INTO calls (business_id, record_ref, site_id, number_id, lead_id, visit_id, provider_call_sid, caller, keyed,
             matched_by, status, result, first_time, answered_by_name, duration_seconds, from_city, from_country,
             started_at, ended_at, tags)
         SELECT {business}, n, {site_id}, {number}, l.id,
             CASE WHEN n % 10 < 7 THEN (SELECT v.id FROM visits v WHERE v.public_id = 'bv' || (n * {per_call})) END,
             'CAb' || n, l.phone, '1', 'code', 'completed',
             CASE n % 5 WHEN 0 THEN 'missed' WHEN 1 THEN 'abandoned' WHEN 2 THEN 'voicemail' ELSE 'answered' END,
             CASE WHEN n % 4 = 0 THEN 0 ELSE 1 END, CASE n % 2 WHEN 0 THEN 'Ann' ELSE 'Ben' END, 95,
             CASE n % 3 WHEN 0 THEN 'Boston' WHEN 1 THEN 'Denver' ELSE NULL END, 'US',
             l.created_at - 30000, l.created_at + 70000, '[]'
         FROM g CROSS JOIN leads l WHERE l.business_id = {business} AND l.record_ref = n;
         {sales_series}
         INSERT INTO activities (business_id, lead_id, kind, author, detail, created_at)
         SELECT {business}, l.id, 'sale', 'system', '{{}}', l.created_at + 86400000
         FROM g CROSS JOIN leads l WHERE l.business_id = {business} AND l.record_ref = n * 5;
         INSERT INTO sales (business_id, lead_id, call_id, activity_id, currency, revenue_minor, cost_minor, profit_minor,
             created_at)
         SELECT {business}, a.lead_id, NULL, a.id, 'USD', 10000 + (a.id % 50) * 1000, 500, 9500 + (a.id % 50) * 1000,
             a.created_at
         FROM activities a WHERE a.kind = 'sale';
         INSERT INTO business_refs (business_id, next_ref) VALUES ({business}, {next_ref});
         INSERT INTO report_dirty (site_id, utc_day, version)
         SELECT DISTINCT site_id, started_at / {DAY_MS}, 1 FROM visits WHERE true
         ON CONFLICT (site_id, utc_day) DO NOTHING;",
        visits_series = series(size.visits),
        calls_series = series(size.calls),
        sales_series = series(size.sales),
        next_ref = size.calls + 1,
    );
    store.execute_script(&script).await.expect("bulk seed");
    if store.engine_kind() == leadline_store::Engine::Postgres {
        store.execute_script("ANALYZE").await.expect("analyze");
    }
}

/// Master ads for the paid campaigns by source, and 50 master phrases of ten keyword variants
/// each, so the master-ad and master-phrase reports regroup as a business's would.
async fn group_ads(store: &SqlStore, site: &Site) {
    for source in ["google", "bing", "facebook"] {
        let ad = NewMasterAd {
            name: Name::parse_as("name", &format!("Paid {source}")).expect("name"),
            rules: vec![AdRule::parse(source, "campaign-*", "").expect("rule")],
        };
        store.create_master_ad(site.business_id, &ad).await.expect("master ad");
    }
    for phrase in 0..50 {
        let new = NewMasterPhrase {
            name: Name::parse_as("name", &format!("Phrase {phrase}")).expect("name"),
            variants: (0..10).map(|v| format!("keyword {}", phrase * 10 + v)).collect(),
        };
        store
            .create_master_phrase(site.business_id, &new)
            .await
            .expect("master phrase");
    }
}

/// Times every dimension's report for the last 90 days, alone and with the previous period.
async fn reports(store: &SqlStore, site: &Site, size: Size) {
    let today = local_day(Utc::now(), site.timezone.tz());
    let range = DayRange::last(today, 90);
    let mut samples = Vec::new();
    let mut rows = 0;
    for compare in [false, true] {
        for dimension in DIMENSIONS {
            let raw = RawReportQuery {
                from: Some(range.from().to_string()),
                to: Some(range.to().to_string()),
                compare: Some(compare.to_string()),
                variable: (dimension == "variable").then(|| "language".to_owned()),
                ..RawReportQuery::default()
            };
            let query = ReportQuery::parse(&raw, Some(dimension)).expect("query");
            for round in 0..=size.reports {
                let started = Instant::now();
                let answer = report(store, site.business_id, &query).await.expect("report");
                if round > 0 {
                    samples.push(started.elapsed());
                }
                rows = rows.max(answer.rows.len());
                assert_eq!(answer.stale_days, 0, "every day was rebuilt");
            }
        }
    }
    let [p50, p95, max] = stats::percentiles(&samples);
    println!(
        "90-day reports ({} samples over {} dimensions, with and without the previous period, up to {rows} rows): p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms",
        samples.len(),
        DIMENSIONS.len()
    );
}

/// Records calls and sales on the loaded database, with the report marks on and off in
/// alternating blocks; prints the median (and p95) of each and the ratio of the medians, which
/// a few slow writes (a checkpoint, the other core busy) move less than a mean.
async fn writes(store: &SqlStore, site: &Site, size: Size) {
    let number = store
        .number_by_e164(&leadline_core::E164::parse("+12025550100").expect("e164"))
        .await
        .expect("number");
    let block = 10.min(size.writes);
    // Each write's time, by kind (a call, a sale) and by whether marks were kept.
    let mut timing: [[Vec<Duration>; 2]; 2] = Default::default();
    let mut n = 0;
    for round in 0..(size.writes / block * 2) {
        let marks = round % 2 == 0;
        store.set_report_marks(marks);
        for _ in 0..block {
            n += 1;
            let sid = CallSid::parse(&format!("CAw{n}")).expect("sid");
            let new = NewCall {
                business_id: site.business_id,
                site_id: site.id,
                number_id: number.id,
                provider_call_sid: sid.clone(),
                caller: Caller::parse(&format!("+1303{:07}", 1_000_000 + n)),
                keyed: String::new(),
                code: None,
                selector: Selector::Plain,
                extension: None,
                origin: CallOrigin {
                    matched_by: MatchedBy::None,
                    visit: None,
                    intent: None,
                    source_label: None,
                    confidence: None,
                },
                place: CallerPlace::default(),
            };
            let ended = CallReport {
                outcome: Some(CallOutcome::Answered),
                answered_by: Some("+12025550111".into()),
                duration_seconds: Some(60),
                ended: true,
                ..CallReport::default()
            };
            let started = Instant::now();
            let call = store.open_call(&new).await.expect("open");
            store
                .report_call(
                    CallKey::Provider {
                        number: number.id,
                        sid: &sid,
                    },
                    &ended,
                )
                .await
                .expect("report");
            timing[0][usize::from(marks)].push(started.elapsed());
            let sale = LeadChange::Sale(NewSale {
                currency: "USD".into(),
                revenue_minor: 12_000,
                cost_minor: 500,
                profit_minor: 11_500,
                call_ref: None,
                form: None,
                cost_basis: None,
            });
            let started = Instant::now();
            let lead = leadline_core::LeadId(call.lead_id);
            store
                .change_lead(site.business_id, lead, &Author::system(), &sale)
                .await
                .expect("sale");
            timing[1][usize::from(marks)].push(started.elapsed());
        }
    }
    store.set_report_marks(true);
    for (i, what) in ["a call (opened and ended)", "a sale"].iter().enumerate() {
        let [off, off_p95, _] = stats::percentiles(&timing[i][0]);
        let [on, on_p95, _] = stats::percentiles(&timing[i][1]);
        println!(
            "{what}, p50 (p95) of {} each: {on:.2} ({on_p95:.2}) ms with reports kept, {off:.2} ({off_p95:.2}) ms without: {:.2}x at p50",
            timing[i][0].len(),
            on / off
        );
    }
}
