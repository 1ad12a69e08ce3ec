//! The call-element heatmap in a real browser: headless Chromium opens a landing page with the
//! snippet, a `tel:` link and a call button at known places, and a pointer clicks each at a
//! known point. The places the snippet measured must be exactly those points, the batched
//! `tel:` click must arrive with the next event, and the heatmap page must frame the live page
//! (its CSP allowing that one origin) with a dot on each click. Skipped, saying so, only where
//! Chromium or chromedriver is missing (`.ci/run` installs both).

use crate::app_browser::{finish, log_in, person};
use crate::helpers::{Engine, TestApp};
use crate::webdriver::{Browser, page, tools, until};
use axum::response::Html;
use axum::routing::get;
use futures::FutureExt;
use leadline::config::Config;
use leadline_core::heatmap::{HeatQuery, HeatmapStore};
use leadline_core::site::SiteSettings;
use leadline_core::tenant::Role;
use serde_json::json;
use std::panic::AssertUnwindSafe;

/// A 3,000-pixel page: a `tel:` link at (600, 200) sized 100 × 40, a call button at
/// (100, 1500) sized 200 × 50. The page keeps the `tel:` link from leaving it, as a desktop
/// without a phone app would.
fn landing(tracker: &str, site: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Offer</title>
<style>html, body {{ margin: 0; overflow: hidden; }} #tall {{ height: 3000px; position: relative; }}
#phone {{ position: absolute; left: 600px; top: 200px; width: 100px; height: 40px; display: block; }}
#call-now {{ position: absolute; left: 100px; top: 1500px; width: 200px; height: 50px; border: 0; padding: 0; }}</style>
<script async src="{tracker}/t.js" data-site="{site}"></script></head>
<body><div id="tall"><a href="tel:+12025550100">Call (202) 555-0100</a>
<a id="phone" href="tel:+12025550100">Call us</a>
<button id="call-now" data-leadline-call="call-now">Call now</button></div>
<script>document.addEventListener('click', e => {{ if (e.target.closest('a')) e.preventDefault(); }});</script>
</body></html>"#
    )
}

/// A left click of the mouse at (`x`, `y`) of the window.
async fn click_at(browser: &Browser, x: u32, y: u32) {
    for kind in ["mousePressed", "mouseReleased"] {
        browser
            .devtools(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            )
            .await;
    }
}

async fn clicks_measured_in_chromium_are_drawn_where_they_landed(engine: Engine) {
    let Some(tools) = tools() else { return };
    let holder = std::sync::Arc::new(std::sync::OnceLock::<(String, String)>::new());
    let served = holder.clone();
    // Times the landing page was fetched (by the visitor's tab, then by the heatmap's frame).
    let fetched = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = fetched.clone();
    let extra = axum::Router::new().route(
        "/heat-offer",
        get(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (tracker, site) = served.get().cloned().unwrap_or_default();
            async move { Html(landing(&tracker, &site)) }
        }),
    );
    let (app, seeded) = TestApp::spawn_site_with(engine, Config::default(), SiteSettings::default(), extra).await;
    holder
        .set((app.base_url.clone(), seeded.site.key.as_str().to_owned()))
        .unwrap();
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        browser.viewport(1280, 800, false).await;
        browser.goto(&page(&app, "/heat-offer")).await;
        until("the snippet to register the visit", || async {
            let code = browser.run("return window.leadline && leadline.state && leadline.state.code").await;
            code.as_str().map(str::to_owned)
        })
        .await;
        // The tel: link's centre, then the call button's point a quarter across, half down,
        // after scrolling the page 1,200 pixels.
        click_at(&browser, 650, 220).await;
        browser.run("window.scrollTo(0, 1200); return null").await;
        click_at(&browser, 150, 325).await;

        let query = HeatQuery {
            site: seeded.site.id,
            page: format!("{}/heat-offer", page(&app, "").trim_start_matches("http://").trim_end_matches('/')),
            from: chrono::Utc::now() - chrono::Duration::hours(1),
            to: chrono::Utc::now() + chrono::Duration::hours(1),
            device: None,
        };
        let map = until("both clicks to be recorded", || async {
            let map = app.store.heatmap(&query).await.ok()?;
            (map.spots.len() == 2).then_some(map)
        })
        .await;
        let measured: Vec<_> = map
            .spots
            .iter()
            .map(|h| {
                let raw = h.spot.raw();
                (h.element.as_str(), raw.x, raw.y, raw.page_x, raw.page_y, raw.page_height, raw.view_width)
            })
            .collect();
        assert_eq!(
            measured,
            [
                ("call-now", 250, 500, 150, 1525, 3000, 1280),
                ("phone", 500, 500, 650, 220, 3000, 1280),
            ],
            "the newest first"
        );

        person(&app, seeded.site.business_id, "olive@example.com", "Olive", Role::Owner).await;
        log_in(&browser, &app, "olive@example.com").await;
        let before = fetched.load(std::sync::atomic::Ordering::SeqCst);
        browser.goto(&format!("{}/app/reports/heatmap", app.base_url)).await;
        let dots = browser
            .run("return Array.from(document.querySelectorAll('#heat-overlay circle'), c => [c.dataset.element, c.getAttribute('cx'), c.getAttribute('cy')])")
            .await;
        assert_eq!(dots, json!([["call-now", "150", "1525"], ["phone", "650", "220"]]));
        // A frame the page's policy refuses is never requested from the site.
        until("the site's page to be fetched by the frame, as the page's policy allows", || async {
            (fetched.load(std::sync::atomic::Ordering::SeqCst) > before).then_some(())
        })
        .await;
    })
    .catch_unwind()
    .await;
    finish(browser, app, outcome).await;
}

crate::on_both_engines!(clicks_measured_in_chromium_are_drawn_where_they_landed);
