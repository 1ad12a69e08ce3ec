//! The call-element heatmap over HTTP: the snippet's click events carry where the click
//! landed, heartbeats carry batched `tel:` link clicks, and `/app/reports/heatmap` draws them
//! over the framed page with each element's clicks and the calls that followed. Bad places
//! are refused with the reason and record nothing; another business's site is not found.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, log_in, operator, page};
use leadline::config::Config;
use leadline_core::heatmap::{HeatQuery, HeatmapStore};
use leadline_core::site::SiteSettings;
use serde_json::{Value, json};

const OFFER: &str = "http://localhost/offer?utm_source=google&utm_medium=cpc";

/// Posts an event of the visit `state` as the snippet does; status and answer.
pub(crate) async fn event(app: &TestApp, seeded: &Seeded, state: &Value, event: Value) -> (u16, Value) {
    let mut body = json!({ "site": seeded.site.key.as_str(), "token": state["token"] });
    body.as_object_mut().unwrap().extend(event.as_object().unwrap().clone());
    let response = app
        .client
        .post(format!(
            "{}/v1/visits/{}/events",
            app.base_url,
            state["visit"].as_str().unwrap()
        ))
        .header("origin", "http://localhost")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A place on a 1280 × 3000 page seen in a 1280 × 800 window.
fn place(x: i64, y: i64, px: i64, py: i64) -> Value {
    json!({ "x": x, "y": y, "px": px, "py": py, "pw": 1280, "ph": 3000, "vw": 1280, "vh": 800 })
}

fn with(mut base: Value, extra: Value) -> Value {
    base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    base
}

async fn a_clicks_place_and_batched_phone_link_clicks_are_drawn_over_the_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let ann = app.register_visit(&seeded, OFFER).await;
    let click = with(
        json!({ "type": "click", "element": "call-now", "url": OFFER }),
        place(500, 250, 640, 900),
    );
    assert_eq!(event(&app, &seeded, &ann, click).await.0, 200);
    let batched = json!({ "type": "heartbeat", "clicks": [
        with(json!({ "element": "tel0", "url": OFFER }), place(0, 1000, 320, 2950)),
        { "element": "tel0", "url": OFFER },
    ] });
    assert_eq!(event(&app, &seeded, &ann, batched).await.0, 200);
    app.demo_call("+12025550169", &ann["code"], false).await;

    operator(&app, seeded.site.business_id, "otto@example.com").await;
    let cookie = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let response = crate::operator::client()
        .get(format!("{}/app/reports/heatmap", app.base_url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.ends_with("; frame-src http://localhost"), "{policy}");
    assert!(
        policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            r#"<iframe src="http://localhost/offer" sandbox="" referrerpolicy="no-referrer" width="1280" height="3000""#
        ),
        "the page framed without its query or scripts: {html}"
    );
    assert!(
        html.contains(r#"<option value="localhost/offer" selected>localhost/offer (3 clicks)</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<circle cx="640" cy="900" r="14" class="heat-dot heat-5" data-element="call-now">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<circle cx="320" cy="2950" r="14" class="heat-dot heat-9" data-element="tel0">"#),
        "{html}"
    );
    assert_eq!(
        html.matches("<circle").count(),
        2,
        "the click without a place is not drawn"
    );
    let row = |element: &str, clicks: u32, followed: u32, rate: &str| {
        format!(
            r#"{element}</th><td class="num">{clicks}</td><td class="num">{followed}</td><td class="num">{rate}</td>"#
        )
    };
    assert!(
        html.contains(&row("tel0", 2, 2, "100.0%")),
        "the call came after both: {html}"
    );
    assert!(html.contains(&row("call-now", 1, 1, "100.0%")), "{html}");

    let (_, phones) = page(&app, &cookie, "/app/reports/heatmap?device=mobile").await;
    assert!(phones.contains(r#"<option value="mobile" selected>"#), "{phones}");
    assert!(!phones.contains("<circle"), "no phone clicked: {phones}");
    let (_, reports) = page(&app, &cookie, "/app/reports").await;
    assert!(reports.contains(r#"id="heatmap-link""#), "{reports}");
    app.finish().await;
}

async fn bad_click_places_are_refused_with_the_reason_and_record_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let ann = app.register_visit(&seeded, OFFER).await;
    let click = |spot: Value| with(json!({ "type": "click", "element": "call-now", "url": OFFER }), spot);
    let tel = |extra: Value| json!({ "type": "heartbeat", "clicks": [extra] });
    let too_many: Vec<Value> = (0..21).map(|_| json!({ "element": "tel0", "url": OFFER })).collect();
    for (bad, says) in [
        (click(place(1001, 0, 0, 0)), "x 1001 is not a permille"),
        (click(place(0, 0, 1281, 0)), "the page x 1281 is outside the page"),
        (
            click(json!({ "x": 10, "y": 10 })),
            "needs all of x, y, px, py, pw, ph, vw and vh",
        ),
        (click(with(place(0, 0, 0, 0), json!({ "vw": 0 }))), "the window width 0"),
        (click(json!({ "x": "left" })), "x"),
        (tel(json!({ "element": "tel0" })), "a batched click needs url"),
        (tel(json!({ "element": "tel0", "url": "javascript:alert(1)" })), "url"),
        (
            json!({ "type": "heartbeat", "clicks": too_many }),
            "at most 20 clicks, not 21",
        ),
    ] {
        let (status, answer) = event(&app, &seeded, &ann, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{bad}: {error}");
    }
    let query = HeatQuery {
        site: seeded.site.id,
        page: "localhost/offer".into(),
        from: chrono::Utc::now() - chrono::Duration::hours(1),
        to: chrono::Utc::now() + chrono::Duration::hours(1),
        device: None,
    };
    let recorded = app.store.heatmap(&query).await.unwrap();
    assert_eq!(recorded.elements, [], "nothing refused was recorded");
    app.finish().await;
}

async fn another_business_s_site_is_not_found_and_bad_queries_say_why(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let rival = app.add_business("rival", "Rival").await;
    let theirs = app.add_site(rival.id, "rival.example").await;
    operator(&app, seeded.site.business_id, "otto@example.com").await;
    let cookie = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, &format!("/app/reports/heatmap?site={}", theirs.id.0)).await;
    assert_eq!(status, 404);
    assert!(html.contains("There is no such site in this business."), "{html}");
    for (query, says) in [
        ("device=fridge", "fridge"),
        ("from=2026-01-01", "give both &#39;from&#39; and &#39;to&#39;"),
        ("from=2026-02-01&to=2026-01-01", "date range"),
        ("site=first", "site must be a site&#39;s number"),
        (
            "page=localhost/nowhere",
            "no call element of &#39;localhost/nowhere&#39; was clicked",
        ),
    ] {
        let (status, html) = page(&app, &cookie, &format!("/app/reports/heatmap?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains(says), "{query}: {html}");
    }
    let (status, empty) = page(&app, &cookie, "/app/reports/heatmap").await;
    assert_eq!(status, 200);
    assert!(empty.contains(r#"id="heat-empty""#), "{empty}");
    let anonymous = crate::operator::client()
        .get(format!("{}/app/reports/heatmap", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303, "a visitor without a session is sent to log in");
    app.finish().await;
}

crate::on_both_engines!(
    a_clicks_place_and_batched_phone_link_clicks_are_drawn_over_the_page,
    bad_click_places_are_refused_with_the_reason_and_record_nothing,
    another_business_s_site_is_not_found_and_bad_queries_say_why,
);
