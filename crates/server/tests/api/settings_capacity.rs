//! The capacity plan on a site's Settings page: drawn from the site's seeded history (the
//! summary, the chart and the hours of the day), and not shown to another business's owner.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, log_in, page, user};
use crate::settings_setup::owner;
use leadline::config::Config;
use leadline_core::capacity::{WRONG_TARGET, dni_pool};
use leadline_core::site::SiteSettings;
use leadline_core::tenant::Role;

const HOUR: i64 = 3_600_000;

/// `n` three-minute visits of the site, all started in one clock hour two days ago.
async fn seed_busy_hour(app: &TestApp, site: i64, n: i64) {
    let now = chrono::Utc::now().timestamp_millis();
    let hour = (now - 48 * HOUR) / HOUR * HOUR;
    let values: Vec<String> = (0..n)
        .map(|i| {
            let start = hour + i * 30_000;
            format!(
                "('cap-{i}', {site}, 'fp:cap-{i}', 'https://localhost/', 'google', 'organic', 'mobile', {start}, {})",
                start + 180_000
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO visits (public_id, site_id, visitor_key, landing_url, source, medium, device,
             started_at, last_seen_at) VALUES {}",
        values.join(", ")
    );
    app.store.execute_script(&sql).await.unwrap();
}

async fn a_sites_settings_page_shows_its_capacity_plan_to_its_owner_only(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    seed_busy_hour(&app, site.0, 56).await;
    let cookie = owner(&app, business).await;
    let path = format!("/app/settings/sites/{}", site.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<h2 id="capacity">Capacity plan</h2>"#), "{html}");
    assert!(html.contains("Visits: 56 in 28 days"), "{html}");
    assert!(
        html.contains("Code length: 2 digits for half the visitors of the busiest hour (56 visits)"),
        "56 visits an hour holding codes for 33 minutes keep about 31 live: {html}"
    );
    // 56 visits an hour, each holding a number for 3 + 30 minutes: a load of 30.8.
    let pool = dni_pool(56.0 * 33.0 / 60.0, 0.0, WRONG_TARGET);
    assert!(html.contains(&format!("pool needs {pool} numbers")), "{html}");
    assert!(
        html.contains("every call is assumed to come in time"),
        "no calls were seeded"
    );
    assert!(
        html.contains(r#"<svg role="img" aria-labelledby="capacity-chart-caption""#),
        "the chart is inline and labelled: {html}"
    );
    assert!(
        html.contains(r#"<td class="num">2.0</td>"#),
        "56 visits over 28 days is 2 an hour"
    );
    assert!(!html.contains("<script"), "no script on the page");

    let other = app.add_business("other", "Other").await;
    user(&app, other.id, "oscar@example.com", Role::Owner).await;
    let stranger = log_in(&app, "oscar@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &stranger, &path).await;
    assert_eq!(status, 404);
    assert!(!html.contains("Capacity plan"));
    app.finish().await;
}

crate::on_both_engines!(a_sites_settings_page_shows_its_capacity_plan_to_its_owner_only);
