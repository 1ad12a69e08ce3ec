//! Accessibility measured, not claimed: every page of the application an owner or an operator
//! can reach is loaded in headless Chromium at a desktop's and a phone's width, axe-core is
//! injected through WebDriver (the pages' CSP forbids inline script, but not the driver's),
//! and every serious or critical violation fails the test, listed with its rule, impact and
//! elements. axe-core comes from the npm registry (`.ci/run` installs it; see
//! `LEADLINE_AXE_JS`). With `LEADLINE_SCREENSHOTS=<dir>` the same run saves the pictures of
//! docs/app.md and docs/reports.md (into docs/app/). Skipped, saying so, only where Chromium,
//! chromedriver or axe-core is missing.

use crate::app_browser::{finish, log_in, person, status_of_page};
use crate::calls::CALLER;
use crate::helpers::{Engine, TestApp};
use crate::operator::seeded_lead;
use crate::webdriver::{Browser, tools, until};
use futures::FutureExt;
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::audit::{AuditAction, AuditDetail, AuditStore, AuditSubject, NewAuditEntry};
use leadline_core::heatmap::{ClickSpot, HeatmapStore, PageClick, RawSpot};
use leadline_core::lead::Author;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::routing::{Condition, Rule};
use leadline_core::site::SiteSettings;
use leadline_core::store::{OutboxStore, RoutingStore};
use leadline_core::tenant::Role;
use leadline_core::visit::VisitRef;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

/// Who opens a page: nobody logged in, anyone of the business, or its owners only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    LoggedOut,
    Everyone,
    Owners,
}

/// A page of the application to audit: its path (`{lead}` stands for a lead's ref), who opens
/// it, the status it answers, and the name of its screenshot, if it is one of those of
/// docs/app.md or docs/reports.md.
struct AppPage {
    path: &'static str,
    who: Who,
    status: u64,
    picture: Option<&'static str>,
}

const fn page(path: &'static str, who: Who) -> AppPage {
    AppPage {
        path,
        who,
        status: 200,
        picture: None,
    }
}

/// Every page of the application. A new page gets its line here.
const PAGES: &[AppPage] = &[
    page("/app/login", Who::LoggedOut),
    page("/app/password/forgot", Who::LoggedOut),
    AppPage {
        picture: Some("activity"),
        ..page("/app/activity", Who::Everyone)
    },
    AppPage {
        status: 400,
        ..page("/app/activity?outcome=lost", Who::Everyone)
    },
    page("/app/activity?type=form", Who::Everyone),
    page("/app/leads", Who::Everyone),
    AppPage {
        picture: Some("lead"),
        ..page("/app/leads/{lead}", Who::Everyone)
    },
    page("/app/reports", Who::Everyone),
    AppPage {
        picture: Some("reports"),
        ..page("/app/reports?dimension=campaign&compare=on&model=first", Who::Everyone)
    },
    AppPage {
        status: 400,
        ..page("/app/reports?from=2026-03-10&to=2026-03-01", Who::Everyone)
    },
    AppPage {
        picture: Some("heatmap"),
        ..page("/app/reports/heatmap", Who::Everyone)
    },
    AppPage {
        status: 400,
        ..page("/app/reports/heatmap?device=fridge", Who::Everyone)
    },
    AppPage {
        picture: Some("settings"),
        ..page("/app/settings", Who::Owners)
    },
    // The seeded business's first site, number and destination (a fresh database: ids 1).
    page("/app/settings/sites", Who::Owners),
    page("/app/settings/sites/1", Who::Owners),
    page("/app/settings/sites/1/calls", Who::Owners),
    page("/app/settings/numbers", Who::Owners),
    page("/app/settings/numbers/1", Who::Owners),
    page("/app/settings/destinations", Who::Owners),
    page("/app/settings/destinations/1", Who::Owners),
    page("/app/settings/routing", Who::Owners),
    page("/app/settings/sources", Who::Owners),
    page("/app/settings/ads", Who::Owners),
    page("/app/settings/integrations", Who::Owners),
    page("/app/settings/integrations/1", Who::Owners),
    page("/app/settings/routing/1/edit", Who::Owners),
    page("/app/settings/users", Who::Owners),
    page("/app/settings/api-keys", Who::Owners),
    page("/app/settings/retention", Who::Owners),
    page("/app/settings/replies", Who::Owners),
    page("/app/settings/spam", Who::Owners),
    page("/app/settings/alerts", Who::Everyone),
    page("/app/settings/transcripts", Who::Owners),
    page("/app/activity?spam=only", Who::Everyone),
    page("/app/settings/audit", Who::Owners),
    AppPage {
        status: 400,
        ..page("/app/settings/audit?action=site.exploded", Who::Owners)
    },
    page("/app/settings/provider", Who::Owners),
];

/// The widths audited: a desktop's and a phone's (CSS pixels), named for the screenshots.
const VIEWPORTS: &[(&str, u32, u32, bool)] = &[("desktop", 1280, 900, false), ("phone", 390, 844, true)];

/// Where axe-core's `axe.min.js` is: `LEADLINE_AXE_JS`, or where `.ci/run` installs it
/// (`npm install --prefix target/axe axe-core@4`, inside the ignored `target/`).
fn axe_script() -> Option<String> {
    let path = std::env::var_os("LEADLINE_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(e) => {
            leadline_testkit::skip(&format!(
                "accessibility audit: no axe-core at {} ({e}); run `npm install --no-save --prefix target/axe axe-core@4` or set LEADLINE_AXE_JS",
                path.display()
            ));
            None
        }
    }
}

/// Runs axe on the page and answers its serious and critical violations, one line each.
const RUN_AXE: &str = r#"
    return axe.run(document, { resultTypes: ['violations'] }).then(results => results.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}) at ${v.nodes.map(n => n.target.join(' ')).join(', ')}: ${v.help}`));
"#;

/// The serious and critical violations of the page the browser shows.
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    if browser.run("return typeof axe").await != "object" {
        browser.run(axe).await;
    }
    let found = browser.run(RUN_AXE).await;
    let lines = found.as_array().unwrap_or_else(|| panic!("axe answered {found}"));
    lines.iter().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// Loads each page `who` opens at each width, audits it, and saves its picture when asked.
async fn audit(browser: &Browser, app: &TestApp, who: Who, lead: &str, axe: &str, found: &mut Vec<String>) {
    let pictures = std::env::var_os("LEADLINE_SCREENSHOTS").map(PathBuf::from);
    for &(width_name, width, height, phone) in VIEWPORTS {
        browser.viewport(width, height, phone).await;
        for page in PAGES
            .iter()
            .filter(|p| p.who == who || (p.who == Who::Everyone && who == Who::Owners))
        {
            let path = page.path.replace("{lead}", lead);
            browser.goto(&format!("{}{path}", app.base_url)).await;
            assert_eq!(status_of_page(browser).await, page.status, "{path} as {who:?}");
            if path.starts_with("/app/activity") {
                until("the live panel to connect", || async {
                    let state = browser.text("#live-state").await?;
                    state.starts_with("Live").then_some(())
                })
                .await;
            }
            for violation in violations(browser, axe).await {
                found.push(format!("{path} as {who:?} at {width_name} width: {violation}"));
            }
            if let (Some(dir), Some(name), Who::Owners) = (&pictures, page.picture, who) {
                std::fs::create_dir_all(dir).unwrap();
                browser.screenshot(&dir.join(format!("{name}-{width_name}.png"))).await;
            }
        }
    }
}

/// Two clicks on the demo page of the seeded site (served by this app, so it can be framed).
async fn heat(app: &TestApp, seeded: &crate::helpers::Seeded) {
    let demo = format!("{}/demo/", app.base_url.replace("127.0.0.1", "localhost"));
    let state = app.register_visit(seeded, &demo).await;
    let visit = VisitRef::parse(state["visit"].as_str().unwrap()).unwrap();
    let spot = RawSpot {
        x: 500,
        y: 500,
        page_x: 300,
        page_y: 400,
        page_width: 1280,
        page_height: 1400,
        view_width: 1280,
        view_height: 900,
    };
    let clicks = [
        PageClick {
            element: "tel0".into(),
            url: demo.clone(),
            spot: Some(ClickSpot::new(spot).unwrap()),
        },
        PageClick {
            element: "call-now".into(),
            url: demo,
            spot: None,
        },
    ];
    app.store
        .record_page_clicks(seeded.site.id, &visit, &clicks)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_the_app_at_desktop_and_phone_width_has_no_serious_accessibility_violation() {
    let Some(tools) = tools() else { return };
    let Some(axe) = axe_script() else { return };
    let (app, seeded) = TestApp::spawn_site(Engine::Sqlite, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    person(&app, business, "olive@example.com", "Olive Owner", Role::Owner).await;
    person(&app, business, "otto@example.com", "Otto Operator", Role::Operator).await;
    // An ended call with its visit, and one still ringing: the list, the panel and the badge.
    seeded_lead(&app, &seeded).await;
    let code = app
        .visit_with_code(
            &seeded,
            "http://localhost/sofas?utm_source=bing&utm_medium=cpc&utm_term=reupholstery",
        )
        .await;
    app.call_until_dial("CA-audit-ringing", CALLER, &code).await;
    // Clicks on the demo page, placed and not, so the heatmap draws its frame, dots and table.
    heat(&app, &seeded).await;
    // An integration and a routing rule, so their rows and edit pages are audited too.
    let hook = NewIntegration {
        business_id: business,
        site_id: None,
        name: "Ops hook".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.acme.example/leadline".into(),
            secret: "whsec_enough_length_secret".into(),
        },
    };
    app.store.add_integration(&hook).await.unwrap();
    let rule = Rule {
        conditions: vec![Condition::Source("google".into())],
        destinations: vec![E164::parse("+12025550111").unwrap()],
        in_turn: false,
    };
    app.store
        .add_routing_rule(business, seeded.site.id, &rule)
        .await
        .unwrap();
    // A change in the audit log, so its table is audited too.
    let change = NewAuditEntry {
        at: chrono::Utc::now(),
        actor: Author::from_stored("user:olive@example.com"),
        address: Some("203.0.113.9".parse().unwrap()),
        action: AuditAction::RoutingRuleAdded,
        subject: AuditSubject::of("routing of site", seeded.site.id.0),
        detail: AuditDetail::new("rings 1 destination(s)"),
    };
    app.store.append_audit(business, &change).await.unwrap();
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        let mut found = Vec::new();
        audit(&browser, &app, Who::LoggedOut, "", &axe, &mut found).await;
        log_in(&browser, &app, "olive@example.com").await;
        browser.goto(&format!("{}/app/activity", app.base_url)).await;
        let lead = browser
            .client
            .execute(
                "return document.querySelector('#activity-rows tr:last-child a').getAttribute('href').split('/').pop()",
                vec![],
            )
            .await
            .unwrap();
        let lead = lead.as_str().expect("a lead link").to_owned();
        audit(&browser, &app, Who::Owners, &lead, &axe, &mut found).await;
        browser.client.delete_all_cookies().await.unwrap();
        log_in(&browser, &app, "otto@example.com").await;
        audit(&browser, &app, Who::Everyone, &lead, &axe, &mut found).await;
        assert!(
            found.is_empty(),
            "{} serious or critical accessibility violations:\n{}",
            found.len(),
            found.join("\n")
        );
    })
    .catch_unwind()
    .await;
    finish(browser, app, outcome).await;
}
