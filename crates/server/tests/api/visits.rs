//! The public visit API as the snippet and an attacker use it.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::click_id::ClickId;
use leadline_core::site::{ExtensionMode, SiteSettings};
use leadline_core::store::VisitStore;
use serde_json::{Value, json};
use std::collections::HashSet;

const ORIGIN: &str = "http://localhost";
const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

async fn spawn(config: Config, settings: SiteSettings) -> (TestApp, Seeded) {
    TestApp::spawn_site(Engine::Sqlite, config, settings).await
}

fn registration(seeded: &Seeded) -> Value {
    json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/sofas?gclid=abc123", "referrer": "https://www.google.com/" })
}

impl TestApp {
    async fn post_as(&self, path: &str, body: &Value, origin: &str, forwarded_for: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "text/plain;charset=UTF-8")
            .header("origin", origin)
            .header("user-agent", BROWSER)
            .body(body.to_string());
        if let Some(ip) = forwarded_for {
            request = request.header("x-forwarded-for", ip);
        }
        request.send().await.unwrap()
    }

    async fn register(&self, body: &Value) -> reqwest::Response {
        self.post_as("/v1/visits", body, ORIGIN, None).await
    }

    async fn event(&self, state: &Value, seeded: &Seeded, event: Value) -> reqwest::Response {
        let mut body = json!({ "site": seeded.site.key.as_str(), "token": state["token"] });
        body.as_object_mut().unwrap().extend(event.as_object().unwrap().clone());
        self.post_as(
            &format!("/v1/visits/{}/events", state["visit"].as_str().unwrap()),
            &body,
            ORIGIN,
            None,
        )
        .await
    }

    pub(crate) async fn metrics_text(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }
}

async fn error_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn registration_answers_the_code_and_later_events_keep_it(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let response = app.register(&registration(&seeded)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    let state: Value = response.json().await.unwrap();
    assert_eq!(state["code"], "1");
    assert_eq!(state["display"], "(202) 555-0100 ext. 1");
    assert_eq!(state["tel"], "tel:+12025550100,1");
    assert_eq!(state["tel_ext"], "tel:+12025550100;ext=1");
    assert_eq!(
        (state["match"].as_str(), state["country_code"].as_str()),
        (Some("2025550100"), Some("1"))
    );
    assert!(state["vid"].as_str().unwrap().len() >= 16);
    let page = json!({ "type": "page_view", "url": "http://localhost/contact", "title": "Contact" });
    let next: Value = app.event(&state, &seeded, page).await.json().await.unwrap();
    assert_eq!(next["code"], "1");
    assert!(next.get("token").is_none());
    let beat: Value = app
        .event(&state, &seeded, json!({ "type": "heartbeat" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(beat["code"], "1");
    let visit = leadline_core::visit::VisitRef::parse(state["visit"].as_str().unwrap()).unwrap();
    let stored = app.store.visit(seeded.site.id, &visit).await.unwrap();
    assert_eq!(
        (stored.attribution.source.as_str(), stored.attribution.medium.as_str()),
        ("google", "cpc")
    );
    assert_eq!(stored.click_ids.gclid.as_ref().map(ClickId::as_str), Some("abc123"));
    assert_eq!(stored.page_views, 2);
    app.finish().await;
}

#[tokio::test]
async fn a_returning_browser_keeps_its_code_and_another_gets_a_new_one() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let first: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    let mut again = registration(&seeded);
    again["vid"] = first["vid"].clone();
    let second: Value = app.register(&again).await.json().await.unwrap();
    assert_eq!(second["code"], first["code"]);
    assert_ne!(second["visit"], first["visit"]);
    let other: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    assert_eq!(other["code"], "2");
    app.finish().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_store_nothing() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let unknown = json!({ "site": "AAAAAAAAAAAAAAAAAAAA", "url": "http://localhost/" });
    let response = app.register(&unknown).await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_of(response).await, "not found");
    let foreign = app
        .post_as("/v1/visits", &registration(&seeded), "https://evil.example", None)
        .await;
    assert_eq!(foreign.status(), 403);
    assert!(foreign.headers().get("access-control-allow-origin").is_none());
    assert!(
        error_of(foreign)
            .await
            .contains("https://evil.example is not a domain of this site")
    );
    let lookalike = app
        .post_as("/v1/visits", &registration(&seeded), "https://notacme.example", None)
        .await;
    assert_eq!(lookalike.status(), 403);
    let garbage = app.post_as("/v1/visits", &json!("not an object"), ORIGIN, None).await;
    assert_eq!(garbage.status(), 400);
    assert!(error_of(garbage).await.contains("not valid JSON"));
    let bad_url = json!({ "site": seeded.site.key.as_str(), "url": "javascript:alert(1)" });
    assert_eq!(app.register(&bad_url).await.status(), 400);
    let huge = json!({ "site": seeded.site.key.as_str(), "url": "http://localhost/", "title": "x".repeat(9000) });
    let response = app.register(&huge).await;
    assert_eq!(response.status(), 413);
    assert!(error_of(response).await.contains("larger than 8192 bytes"));
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), 0);
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(r#"leadline_visit_registrations_total{outcome="refused_origin"} 2"#),
        "{metrics}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_subdomain_of_a_site_domain_is_allowed() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let response = app
        .post_as("/v1/visits", &registration(&seeded), "https://shop.acme.example", None)
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.acme.example"
    );
    app.finish().await;
}

#[tokio::test]
async fn events_need_the_token_of_their_visit() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let one: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    let two: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    let mut stolen = one.clone();
    stolen["token"] = two["token"].clone();
    let response = app.event(&stolen, &seeded, json!({ "type": "heartbeat" })).await;
    assert_eq!(response.status(), 403);
    assert!(error_of(response).await.contains("token"));
    let mut unknown = one.clone();
    unknown["visit"] = json!("AAAAAAAAAAAAAAAA");
    assert_eq!(
        app.event(&unknown, &seeded, json!({ "type": "heartbeat" }))
            .await
            .status(),
        403
    );
    let odd = app.event(&one, &seeded, json!({ "type": "dance" })).await;
    assert_eq!(odd.status(), 400);
    let vars = json!({ "type": "set", "vars": { "bad name": "x" } });
    assert_eq!(app.event(&one, &seeded, vars).await.status(), 400);
    app.finish().await;
}

#[tokio::test]
async fn custom_variables_and_clicks_are_recorded() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let state: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    let set = json!({ "type": "set", "vars": { "language": "es" }, "mode": "merge" });
    assert_eq!(app.event(&state, &seeded, set).await.status(), 200);
    let click = json!({ "type": "click", "element": "call-now", "url": "http://localhost/contact" });
    let clicked: Value = app.event(&state, &seeded, click).await.json().await.unwrap();
    assert_eq!(clicked["code"], "1", "in page-load mode a click keeps the visit's code");
    let visit = leadline_core::visit::VisitRef::parse(state["visit"].as_str().unwrap()).unwrap();
    let stored = app.store.visit(seeded.site.id, &visit).await.unwrap();
    assert_eq!(stored.custom.get("language").map(String::as_str), Some("es"));
    let clicks = app.store.visit_clicks(seeded.site.id, &visit).await.unwrap();
    assert_eq!((clicks.len(), clicks[0].element.as_str()), (1, "call-now"));
    app.finish().await;
}

#[tokio::test]
async fn in_click_mode_only_a_click_gets_a_code() {
    let settings = SiteSettings {
        mode: ExtensionMode::Click,
        ..SiteSettings::default()
    };
    let (app, seeded) = spawn(Config::default(), settings).await;
    let state: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    assert_eq!((state["mode"].as_str(), state["code"].is_null()), (Some("click"), true));
    let beat: Value = app
        .event(&state, &seeded, json!({ "type": "heartbeat" }))
        .await
        .json()
        .await
        .unwrap();
    assert!(beat["code"].is_null());
    let click = json!({ "type": "click", "element": "call-now", "url": "http://localhost/contact" });
    let clicked: Value = app.event(&state, &seeded, click.clone()).await.json().await.unwrap();
    assert_eq!(
        (clicked["code"].as_str(), clicked["tel"].as_str()),
        (Some("1"), Some("tel:+12025550100,1"))
    );
    let again: Value = app.event(&state, &seeded, click).await.json().await.unwrap();
    assert_eq!(again["code"], "1");
    app.finish().await;
}

#[tokio::test]
async fn a_check_digit_is_appended_to_every_code() {
    let settings = SiteSettings {
        check_digit: true,
        ..SiteSettings::default()
    };
    let (app, seeded) = spawn(Config::default(), settings).await;
    let state: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    let expected = leadline_core::damm::append(1);
    assert_eq!(state["code"].as_str(), Some(expected.as_str()));
    assert_eq!(leadline_core::damm::strip(&expected), Some(1));
    app.finish().await;
}

#[tokio::test]
async fn a_cookieless_site_stores_nothing_on_the_device_yet_recognises_the_browser() {
    let settings = SiteSettings {
        cookieless: true,
        ..SiteSettings::default()
    };
    let (app, seeded) = spawn(Config::default(), settings).await;
    let first: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    assert!(first.get("vid").is_none());
    assert_eq!(first["cookieless"], true);
    let second: Value = app.register(&registration(&seeded)).await.json().await.unwrap();
    assert_eq!(
        second["code"], first["code"],
        "same address and browser today: same visitor"
    );
    app.finish().await;
}

#[tokio::test]
async fn bots_are_refused() {
    let (app, seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let response = app
        .client
        .post(format!("{}/v1/visits", app.base_url))
        .header("origin", ORIGIN)
        .header(
            "user-agent",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        )
        .body(registration(&seeded).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), 0);
    assert!(app.metrics_text().await.contains(r#"outcome="refused_bot"} 1"#));
    app.finish().await;
}

#[tokio::test]
async fn one_address_is_held_to_its_registration_quota() {
    let config = Config {
        visit_registrations_per_ip_per_minute: 10,
        ..Config::default()
    };
    let (app, seeded) = spawn(config, SiteSettings::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = app.register(&registration(&seeded)).await;
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 201, 201, 429, 429, 429],
        "a burst of five, then refused"
    );
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), 5);
    assert!(
        app.metrics_text()
            .await
            .contains(r#"outcome="refused_rate_address"} 3"#)
    );
    app.finish().await;
}

#[tokio::test]
async fn a_flood_cannot_push_real_visitors_codes_beyond_the_cap() {
    let config = Config {
        client_ip_header: Some("x-forwarded-for".into()),
        // One a minute after a burst of five: however slowly the machine runs the flood, an
        // address gets its burst and hardly more (at 60 a minute a slow run refilled them).
        visit_registrations_per_ip_per_minute: 1,
        // The site's flood defence is another test's (visit_flood.rs): this one is the cap's.
        visit_registrations_per_site_per_minute: 1_000_000,
        ..Config::default()
    };
    let settings = SiteSettings {
        max_live_codes: 50,
        ..SiteSettings::default()
    };
    let (app, seeded) = spawn(config, settings).await;
    let real: Value = app
        .post_as("/v1/visits", &registration(&seeded), ORIGIN, Some("198.51.100.7"))
        .await
        .json()
        .await
        .unwrap();
    let (mut accepted, mut refused, mut highest) = (0, 0, 0u64);
    for i in 0..600 {
        let forged = format!("203.0.113.{}", i % 20);
        let response = app
            .post_as("/v1/visits", &registration(&seeded), ORIGIN, Some(&forged))
            .await;
        if response.status() == 429 {
            refused += 1;
            continue;
        }
        let state: Value = response.json().await.unwrap();
        highest = highest.max(state["code"].as_str().unwrap().parse().unwrap());
        accepted += 1;
        // A real page beats every minute; the flood gets far fewer than the cap in between.
        if i % 10 == 0 {
            let beat = app
                .event(&real, &seeded, json!({ "type": "heartbeat" }))
                .await
                .json::<Value>()
                .await
                .unwrap();
            assert_eq!(
                beat["code"], real["code"],
                "the real visitor lost their code to the flood"
            );
        }
    }
    assert!(
        refused > 400,
        "twenty addresses get their bursts only: {accepted} accepted, {refused} refused"
    );
    assert!(
        accepted > 50,
        "the flood must overrun the cap for this test to mean anything: {accepted}"
    );
    assert!(highest <= 50, "codes stay within the cap: highest {highest}");
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), 50);
    let beat = app
        .event(&real, &seeded, json!({ "type": "heartbeat" }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(beat["code"], real["code"]);
    let metrics = app.metrics_text().await;
    assert!(metrics.contains("leadline_codes_evicted_total"), "{metrics}");
    assert!(metrics.contains(r#"outcome="refused_rate_address""#), "{metrics}");
    app.finish().await;
}

async fn parallel_registrations_never_share_a_code(engine: Engine) {
    let config = Config {
        client_ip_header: Some("x-forwarded-for".into()),
        rate_limit_per_second: 1000,
        visit_registrations_per_site_per_minute: 1_000_000,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let body = registration(&seeded);
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let (client, url, body) = (
                app.client.clone(),
                format!("{}/v1/visits", app.base_url),
                body.to_string(),
            );
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .header("origin", ORIGIN)
                    .header("user-agent", BROWSER)
                    .header("x-forwarded-for", format!("192.0.2.{i}"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                response.json::<Value>().await.unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
        })
        .collect();
    let mut codes = HashSet::new();
    for task in tasks {
        let code = task.await.unwrap();
        assert!(codes.insert(code), "code {code} was handed out twice");
    }
    assert_eq!(codes, (1..=120).collect::<HashSet<u64>>());
    app.finish().await;
}

#[tokio::test]
async fn preflight_is_answered_for_site_domains_only() {
    let (app, _seeded) = spawn(Config::default(), SiteSettings::default()).await;
    let ask = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/v1/visits", app.base_url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = ask("https://www.acme.example").await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.acme.example"
    );
    assert_eq!(ask("https://evil.example").await.unwrap().status(), 403);
    app.finish().await;
}

crate::on_both_engines!(
    registration_answers_the_code_and_later_events_keep_it,
    parallel_registrations_never_share_a_code,
);
