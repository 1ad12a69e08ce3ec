//! The snippet in a real browser: headless Chromium loads pages that embed it from a running
//! server. The pages are served as `localhost` and the snippet and API as `127.0.0.1`, so
//! every request crosses origins as on a real site. Skipped, saying so, only where no
//! Chromium is installed (`.ci/run` installs it).

use crate::helpers::{Seeded, TestApp};
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::site::{ExtensionMode, SiteSettings};
use leadline_core::store::VisitStore;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| Path::new(dir).join(name))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        leadline_testkit::skip("browser tests: no chromium on PATH (apt-get install chromium)");
    }
    found
}

/// The page's DOM once its scripts have run (virtual time lets fetches and timers finish).
pub(crate) async fn rendered(browser: &Path, profile: &Path, url: &str, user_agent: Option<&str>) -> String {
    let mut command = tokio::process::Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=5000",
        "--dump-dom",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    if let Some(agent) = user_agent {
        command.arg(format!("--user-agent={agent}"));
    }
    command.arg(url).kill_on_drop(true).stderr(std::process::Stdio::null());
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("chromium finished within a minute")
        .expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The same page as the browser would reach it by name rather than address.
pub(crate) fn page(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.base_url.replace("127.0.0.1", "localhost"))
}

/// The extension the page shows in its marked number, if any.
fn shown_code(dom: &str) -> Option<String> {
    let start = dom.find("data-leadline-number")?;
    let text = &dom[start..];
    let ext = text.find(" ext. ")? + " ext. ".len();
    Some(text[ext..].chars().take_while(char::is_ascii_digit).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_sees_the_number_with_their_own_extension() {
    let Some(browser) = chromium() else { return };
    let (app, _seeded) = TestApp::spawn_site(
        crate::helpers::Engine::Sqlite,
        Config::default(),
        SiteSettings::default(),
    )
    .await;
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let dom = rendered(&browser, first.path(), &page(&app, "/demo/contact.html"), None).await;
    let code = shown_code(&dom).unwrap_or_else(|| panic!("no extension on the page:\n{dom}"));
    assert_eq!(code, "1");
    assert!(
        dom.contains("<strong data-leadline-number=\"\">(202) 555-0100 ext. 1</strong>"),
        "{dom}"
    );
    assert!(
        dom.contains("href=\"tel:+12025550100;ext=1\""),
        "the tel: link must carry the code:\n{dom}"
    );
    assert!(
        dom.contains("Call <span data-leadline-number=\"\">(202) 555-0100 ext. 1</span>"),
        "plain text number:\n{dom}"
    );

    let again = rendered(&browser, first.path(), &page(&app, "/demo/services.html"), None).await;
    assert_eq!(
        shown_code(&again).as_deref(),
        Some("1"),
        "a second page view keeps the code:\n{again}"
    );

    let other = rendered(&browser, second.path(), &page(&app, "/demo/"), None).await;
    assert_eq!(
        shown_code(&other).as_deref(),
        Some("2"),
        "another browser gets another code:\n{other}"
    );

    let crawler = tempfile::tempdir().unwrap();
    let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let seen_by_bot = rendered(&browser, crawler.path(), &page(&app, "/demo/"), Some(bot)).await;
    assert!(seen_by_bot.contains("(202) 555-0100"), "{seen_by_bot}");
    assert!(
        !seen_by_bot.contains(" ext. "),
        "a crawler keeps the plain number:\n{seen_by_bot}"
    );
    app.finish().await;
}

/// A page whose script clicks the call button once the snippet has loaded.
async fn clicking_page(State(state): State<AppState>) -> Html<String> {
    let key = state.demo.as_ref().map(|d| d.key.to_string()).unwrap_or_default();
    Html(format!(
        r#"<!doctype html><html><head><title>Call</title>
<script async src="{base}/t.js" data-site="{key}"></script></head>
<body><p>Phone: <strong data-leadline-number>(202) 555-0100</strong></p>
<button id="call-now" data-leadline-call>Call now</button>
<script>setTimeout(function () {{ document.getElementById('call-now').click(); }}, 1000);</script>
</body></html>"#,
        base = state.base_url
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_click_mode_a_click_gets_a_code() {
    let Some(browser) = chromium() else { return };
    let settings = SiteSettings {
        mode: ExtensionMode::Click,
        ..SiteSettings::default()
    };
    let extra = Router::new().route("/test/click.html", get(clicking_page));
    let (app, seeded): (TestApp, Seeded) =
        TestApp::spawn_site_with(crate::helpers::Engine::Sqlite, Config::default(), settings, extra).await;
    let profile = tempfile::tempdir().unwrap();

    let before = rendered(&browser, profile.path(), &page(&app, "/demo/contact.html"), None).await;
    assert_eq!(shown_code(&before), None, "no code before a click:\n{before}");

    let dom = rendered(&browser, profile.path(), &page(&app, "/test/click.html"), None).await;
    assert_eq!(shown_code(&dom).as_deref(), Some("1"), "the click got a code:\n{dom}");
    assert_eq!(app.store.live_codes_of_site(seeded.site.id).await.unwrap(), 1);
    app.finish().await;
}
