//! A flood of registrations from many addresses (issue 14): real visitors keep getting short
//! codes, and the flood holds none.

use crate::helpers::{Engine, Seeded, TestApp};
use futures::StreamExt;
use leadline::config::Config;
use leadline_core::flood::{meets, solve};
use leadline_core::site::SiteSettings;
use leadline_core::store::VisitStore;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost";
const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

fn registration(seeded: &Seeded) -> Value {
    json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/sofas" })
}

async fn post(app: &TestApp, body: &Value, from: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/v1/visits", app.base_url))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("origin", ORIGIN)
        .header("user-agent", BROWSER)
        .header("x-forwarded-for", from)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What a flood's answers came to.
#[derive(Debug, Default)]
struct Tally {
    refused: u32,
    challenged: u32,
    coded: Vec<u64>,
    other: u32,
}

/// `count` registrations from as many addresses (10.x.y.z), `parallel` at a time.
async fn flood(app: &TestApp, seeded: &Seeded, count: u32, parallel: usize) -> Tally {
    let body = registration(seeded);
    let answers: Vec<(u16, Value)> = futures::stream::iter(0..count)
        .map(|i| {
            let from = format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
            let body = body.clone();
            async move { post(app, &body, &from).await }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let mut tally = Tally::default();
    for (status, answer) in answers {
        match (status, answer["code"].as_str()) {
            (429, _) => tally.refused += 1,
            (202, _) if answer["challenge"].is_string() => tally.challenged += 1,
            (201, Some(code)) => tally.coded.push(code.parse().unwrap()),
            _ => tally.other += 1,
        }
    }
    tally
}

/// Registers as the snippet does from `from`: again with a proof when challenged. The final
/// answer, and whether it was challenged.
async fn register_as_browser(app: &TestApp, seeded: &Seeded, from: &str) -> ((u16, Value), bool) {
    let mut body = registration(seeded);
    let first = post(app, &body, from).await;
    let Some(challenge) = first.1["challenge"].as_str().map(str::to_owned) else {
        return (first, false);
    };
    let bits = u8::try_from(first.1["bits"].as_u64().unwrap()).unwrap();
    let nonce = solve(&challenge, bits);
    body["proof"] = json!({ "challenge": challenge, "nonce": nonce.parse::<u64>().unwrap() });
    (post(app, &body, from).await, true)
}

fn flood_config() -> Config {
    Config {
        client_ip_header: Some("x-forwarded-for".into()),
        rate_limit_per_second: 100_000,
        ..Config::default()
    }
}

async fn a_flood_from_many_addresses_leaves_an_honest_visitor_a_short_code(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, flood_config(), SiteSettings::default()).await;
    let honest = async {
        let mut answers = Vec::new();
        for i in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            answers.push(register_as_browser(&app, &seeded, &format!("198.51.100.{i}")).await);
        }
        answers
    };
    let (tally, honest) = tokio::join!(flood(&app, &seeded, 3000, 32), honest);
    let longest = tally.coded.iter().max().map_or(0, |c| c.to_string().len());
    eprintln!(
        "flood: {} refused (429), {} challenged (202), {} coded (longest {longest} digits), {} other; honest: {:?}",
        tally.refused,
        tally.challenged,
        tally.coded.len(),
        tally.other,
        honest
            .iter()
            .map(|((status, state), challenged)| (status, state["code"].clone(), challenged))
            .collect::<Vec<_>>()
    );
    for ((status, state), _) in &honest {
        assert_eq!(*status, 201, "an honest visitor was refused: {state}");
        let code = state["code"].as_str().expect("an honest visitor gets a code");
        assert!(code.len() <= 3, "an honest visitor's code is short: {code}");
    }
    assert!(
        honest.iter().any(|(_, challenged)| *challenged),
        "the flood must put the site under a flood"
    );
    assert_eq!(
        (tally.refused, tally.other),
        (0, 0),
        "the flood is challenged, not refused"
    );
    // Only the quota's burst (10) and what it refilled before the flood was seen (10 a
    // second) got codes like any visitor.
    assert!(tally.coded.len() <= 20, "the flood holds {} codes", tally.coded.len());
    let live = app.store.live_codes_of_site(seeded.site.id).await.unwrap();
    assert_eq!(live, tally.coded.len() as u64 + 3, "the challenged fakes hold no codes");
    let metrics = app.metrics_text().await;
    assert!(metrics.contains(r#"outcome="challenged""#), "{metrics}");
    assert!(metrics.contains(r#"outcome="proven"} 3"#), "{metrics}");
    app.finish().await;
}

/// A site put under a flood (a quota of 5 a minute, exceeded), and a challenge of it.
async fn flooded(engine: Engine) -> (TestApp, Seeded, Value) {
    let config = Config {
        visit_registrations_per_site_per_minute: 5,
        ..flood_config()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    for i in 0..6 {
        post(&app, &registration(&seeded), &format!("10.0.0.{i}")).await;
    }
    let (status, challenge) = post(&app, &registration(&seeded), "198.51.100.9").await;
    assert_eq!(status, 202, "{challenge}");
    (app, seeded, challenge)
}

async fn bad_or_replayed_proofs_are_refused_and_change_nothing(engine: Engine) {
    let (app, seeded, answer) = flooded(engine).await;
    let text = answer["challenge"].as_str().unwrap().to_owned();
    let bits = u8::try_from(answer["bits"].as_u64().unwrap()).unwrap();
    let nonce = solve(&text, bits);
    let with = |challenge: &str, nonce: &str| {
        let mut body = registration(&seeded);
        body["proof"] = json!({ "challenge": challenge, "nonce": nonce.parse::<u64>().unwrap() });
        body
    };
    let live = app.store.live_codes_of_site(seeded.site.id).await.unwrap();
    let wrong = (0u64..)
        .map(|n| n.to_string())
        .find(|n| !meets(&text, n, bits))
        .unwrap();
    let (status, error) = post(&app, &with(&text, &wrong), "198.51.100.9").await;
    assert_eq!(status, 400, "{error}");
    assert!(error["error"].as_str().unwrap().contains("proof"), "{error}");
    let easier = text.replacen(&format!(".{bits}."), ".0.", 1);
    let (status, error) = post(&app, &with(&easier, "0"), "198.51.100.9").await;
    assert_eq!(status, 403, "an altered challenge is not this site's: {error}");
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), live);

    let (status, state) = post(&app, &with(&text, &nonce), "198.51.100.9").await;
    assert_eq!(status, 201, "{state}");
    assert_eq!(state["visit"].as_str().unwrap(), text.split('.').next().unwrap());
    let (status, error) = post(&app, &with(&text, &nonce), "198.51.100.10").await;
    assert_eq!(status, 409, "a replayed proof: {error}");
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), live + 1);
    let metrics = app.metrics_text().await;
    assert!(metrics.contains(r#"outcome="refused_proof"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"outcome="refused_replayed_proof"} 1"#), "{metrics}");
    app.finish().await;
}

crate::on_both_engines!(
    a_flood_from_many_addresses_leaves_an_honest_visitor_a_short_code,
    bad_or_replayed_proofs_are_refused_and_change_nothing,
);
