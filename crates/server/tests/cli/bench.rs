//! `leadline bench attribution` on a tiny day (an hour, a high call share): every call is
//! judged once and the breakdowns add up, on extension and number-pool sites alike, a seeded
//! run gives the same figures again, on
//! SQLite and on PostgreSQL, and flags that make no day are refused with the reason.

use crate::harness::Cli;
use serde_json::Value;

const TINY: [&str; 12] = [
    "bench",
    "attribution",
    "--rate",
    "600",
    "--hours",
    "1",
    "--seed",
    "7",
    "--call-share",
    "0.25",
    "--json",
    "--compare=extensions,extensions+no-levers+check-digit,pool:30",
];

fn run(cli: &Cli, extra: &[&str]) -> Value {
    let mut args = TINY.to_vec();
    args.extend_from_slice(extra);
    serde_json::from_str(&cli.ok(&args)).expect("the bench prints JSON")
}

fn counts_add_up(arm: &Value) {
    let tally = &arm["tally"];
    let n = |path: &[&str]| -> u64 {
        let mut value = tally;
        for key in path {
            value = &value[key];
        }
        value.as_u64().unwrap_or_else(|| panic!("{path:?} in {arm}"))
    };
    let calls = n(&["all", "calls"]);
    assert!(calls >= 5, "a tiny day still has calls: {arm}");
    assert_eq!(
        calls,
        n(&["all", "correct"]) + n(&["all", "wrong"]) + n(&["all", "unattributed"])
    );
    assert_eq!(calls, n(&["first_calls", "calls"]) + n(&["redials", "calls"]));
    assert_eq!(
        n(&["first_calls", "calls"]),
        n(&["on_page", "calls"]) + n(&["after_leaving", "calls"])
    );
    let by_match: u64 = tally["by_match"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(by_match, calls, "every call has one way it was matched");
    let shown: u64 = tally["code_lengths"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c.as_u64().unwrap())
        .sum();
    if arm["arm"].as_str().unwrap().starts_with("pool:") {
        assert_eq!(shown, 0, "a pool site shows numbers, not codes");
        assert!(
            arm["pool_overwrites"].is_u64(),
            "a pool arm counts its overwrites: {arm}"
        );
        assert!(
            tally["by_match"].get("code").is_none(),
            "no call to a pool number is matched by a code"
        );
    } else {
        assert_eq!(
            shown,
            n(&["visits"]),
            "every visit of an extension site is shown a code"
        );
    }
}

fn repeatable(extra: &[&str]) {
    let cli = Cli::new();
    let first = run(&cli, extra);
    let arms = first["arms"].as_array().unwrap();
    assert_eq!(arms.len(), 3);
    assert_eq!(arms[0]["tally"]["visits"], first["visitors"]);
    for arm in arms {
        counts_add_up(arm);
    }
    let lengths = |arm: &Value| arm["summary"]["code_length_mean"].as_f64().unwrap();
    assert!(
        lengths(&arms[1]) > lengths(&arms[0]),
        "a check digit makes codes longer"
    );
    let again = run(&cli, extra);
    assert_eq!(first, again, "the same seed gives the same figures");
}

#[test]
fn a_seeded_bench_run_is_repeatable_and_its_counts_add_up() {
    repeatable(&[]);
}

#[test]
fn a_seeded_bench_run_on_postgresql_is_repeatable_and_its_counts_add_up() {
    let Ok(server) = std::env::var("LEADLINE_TEST_POSTGRES_URL") else {
        leadline_testkit::skip("the bench on PostgreSQL: LEADLINE_TEST_POSTGRES_URL is not set");
        return;
    };
    repeatable(&["--postgres", &server]);
}

#[test]
fn flags_that_make_no_day_are_refused_with_the_reason() {
    let cli = Cli::new();
    let refused = |flags: &[&str]| {
        let mut args = vec!["bench", "attribution"];
        args.extend_from_slice(flags);
        cli.refused(&args)
    };
    assert!(refused(&["--rate", "0"]).contains("--rate"));
    assert!(refused(&["--call-share", "1.5"]).contains("--call-share"));
    assert!(refused(&["--compare", "dni"]).contains("'dni' is not an arm"));
    assert!(refused(&["--compare", "extensions+sometimes"]).contains("'sometimes' is not a change"));
    assert!(refused(&["--compare", "pool:0"]).contains("1 to 10000"));
}
