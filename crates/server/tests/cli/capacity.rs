//! `leadline plan capacity`: a site's plan from its seeded history, as a table, JSON and an
//! SVG chart; bad input is refused.

use crate::harness::{Cli, site_key_in};
use leadline_core::capacity::{WRONG_TARGET, dni_pool};
use leadline_core::site::SiteKey;
use leadline_core::store::SiteStore;

/// 2026-03-02T00:00:00Z.
const DAY0: i64 = 1_772_409_600_000;
const HOUR: i64 = 3_600_000;

/// A business with a site on UTC, and a week of history: 120 three-minute visits at 10:00
/// every day and one at 03:00.
fn set_up(cli: &Cli) -> String {
    cli.ok(&["business", "add", "Acme Upholstery"]);
    let out = cli.ok(&[
        "site",
        "add",
        "--business",
        "acme-upholstery",
        "--name",
        "Main",
        "--domain",
        "acme.example",
        "--timezone",
        "UTC",
    ]);
    let key = site_key_in(&out);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = cli.store().await;
        let site = store.site_by_key(&SiteKey::parse(&key).unwrap()).await.unwrap();
        let mut rows = Vec::new();
        for day in 0..7 {
            let base = DAY0 + day * 24 * HOUR;
            for i in 0..120 {
                rows.push((format!("cap-{day}-{i}"), base + 10 * HOUR + i * 20_000));
            }
            rows.push((format!("cap-{day}-night"), base + 3 * HOUR));
        }
        let values: Vec<String> = rows
            .iter()
            .map(|(id, start)| {
                format!(
                    "('{id}', {}, 'fp:{id}', 'https://acme.example/', 'google', 'organic', 'desktop', {start}, {})",
                    site.id.0,
                    start + 180_000
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO visits (public_id, site_id, visitor_key, landing_url, source, medium, device,
                 started_at, last_seen_at) VALUES {}",
            values.join(", ")
        );
        store.execute_script(&sql).await.unwrap();
    });
    key
}

#[test]
fn plan_capacity_reads_the_sites_history_into_a_table_json_and_a_chart() {
    let cli = Cli::new();
    let key = set_up(&cli);
    let range = ["--from", "2026-03-02", "--to", "2026-03-08"];
    let mut args = vec!["plan", "capacity", "--site", key.as_str()];
    args.extend(range);

    let table = cli.ok(&args);
    let ten = table.lines().find(|l| l.starts_with("10:00")).expect("a row for 10:00");
    assert!(ten.contains("120.0"), "{ten}");
    assert!(table.contains("Code length: 2 digits"), "{table}");
    assert!(table.contains("Visits: 847 in 7 days"), "{table}");

    let svg = cli.path("plan.svg");
    let mut json_args = args.clone();
    json_args.extend(["--json", "--svg", svg.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_str(&cli.ok(&json_args)).unwrap();
    let plan = &json["plan"];
    assert_eq!(plan["visits"], 847);
    assert_eq!(plan["busiest_hour_visits"], 120);
    assert_eq!(plan["hours"][10]["visits_per_hour"], 120.0);
    assert_eq!(
        (plan["code_digits_p50"].clone(), plan["code_digits_p99"].clone()),
        (2.into(), 2.into())
    );
    // 120 visits an hour, each holding a number for 3 + 30 minutes: a load of 66.
    assert_eq!(plan["dni_pool"], dni_pool(66.0, 0.0, WRONG_TARGET));
    assert_eq!(plan["attribution"]["measured"], false, "no calls were seeded");
    assert_eq!(json["from"], "2026-03-02");
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.starts_with("<svg") && drawn.contains("DNI pool needed"),
        "{drawn}"
    );
}

#[test]
fn plan_capacity_refuses_an_unknown_site_and_a_half_or_reversed_range() {
    let cli = Cli::new();
    let key = set_up(&cli);
    let err = cli.refused(&["plan", "capacity", "--site", "nosuchsitekey1234"]);
    assert!(err.contains("site"), "{err}");
    let err = cli.refused(&["plan", "capacity", "--site", &key, "--from", "2026-03-02"]);
    assert!(err.contains("--to"), "{err}");
    let err = cli.refused(&[
        "plan",
        "capacity",
        "--site",
        &key,
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-02",
    ]);
    assert!(err.contains("after"), "{err}");
}
