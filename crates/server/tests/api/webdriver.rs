//! The WebDriver harness of the browser tests: headless Chromium driven through Debian's
//! `chromedriver` with fantoccini. A test asks [`tools`] first (it skips, saying so, where
//! either is missing, and fails on CI), starts a [`Browser`], and polls the page with
//! [`until`] rather than sleeping.

use crate::helpers::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The browser and its driver, found on `PATH`.
pub(crate) struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` after [`leadline_testkit::skip`] (a failure on CI).
pub(crate) fn tools() -> Option<Tools> {
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = on_path(&["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Tools { chromium, chromedriver }),
        (chromium, _) => {
            let missing = if chromium.is_none() { "chromium" } else { "chromedriver" };
            leadline_testkit::skip(&format!(
                "browser tests: no {missing} on PATH (apt-get install chromium chromium-driver)"
            ));
            None
        }
    }
}

/// Polls `probe` every 100 ms until it answers, for at most 30 seconds.
pub(crate) async fn until<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    until_within(what, Duration::from_secs(30), probe).await
}

/// Polls `probe` every 100 ms until it answers, giving up after about `limit` (a bound on
/// waiting, not a measure of speed: it counts polls, so a slow probe stretches it).
pub(crate) async fn until_within<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let polls = limit.as_millis() / 100;
    for _ in 0..polls {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting {limit:?} for {what}");
}

/// A headless Chromium session of its own chromedriver (killed when dropped).
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver_url: String,
    _driver: tokio::process::Child,
}

impl Browser {
    pub(crate) async fn start(tools: &Tools) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        until("chromedriver to be ready", || async {
            let status = http.get(format!("{driver_url}/status")).send().await.ok()?;
            let body: Value = status.json().await.ok()?;
            body["value"]["ready"].as_bool().filter(|ready| *ready)
        })
        .await;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": tools.chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a Chromium session starts");
        Self {
            client,
            driver_url,
            _driver: driver,
        }
    }

    /// Sends a DevTools command to the page through chromedriver and answers its result.
    pub(crate) async fn devtools(&self, cmd: &str, params: Value) -> Value {
        let session = self.client.session_id().await.unwrap().expect("a session id");
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{cmd}: {}", response.status());
        let answer: Value = response.json().await.unwrap();
        answer["value"].clone()
    }

    /// Makes the page `width` × `height` CSS pixels; `phone` also makes it a touch device
    /// that honours the page's viewport tag, as a phone's browser does.
    pub(crate) async fn viewport(&self, width: u32, height: u32, phone: bool) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone }),
        )
        .await;
        self.devtools("Emulation.setTouchEmulationEnabled", json!({ "enabled": phone }))
            .await;
    }

    /// Opens `url` and waits until its document has loaded.
    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect(url);
    }

    /// The text of the first element `css` selects, if there is one.
    pub(crate) async fn text(&self, css: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// Saves what the viewport shows as a PNG at `path`.
    pub(crate) async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    pub(crate) async fn run(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect(script)
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.send_keys(text).await.expect(css);
    }

    pub(crate) async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect(css);
    }

    pub(crate) async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The demo page as the browser reaches it by name, while the tracker is `127.0.0.1`.
pub(crate) fn page(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.base_url.replace("127.0.0.1", "localhost"))
}
