//! `GET /t.js` and the demo pages.

use crate::helpers::{Engine, TestApp};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use std::io::Read;

#[tokio::test]
async fn the_snippet_is_small_cacheable_and_gzipped() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/t.js", app.base_url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let gzipped = response.bytes().await.unwrap();
    assert!(
        gzipped.len() <= 3 * 1024 + 320,
        "the snippet is {} bytes gzipped",
        gzipped.len()
    );
    let mut source = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut source)
        .unwrap();
    assert_eq!(source, *leadline::http::snippet::SERVED);
    let cached = app
        .client
        .get(format!("{}/t.js", app.base_url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()["etag"], etag.as_str());
    app.finish().await;
}

#[tokio::test]
async fn the_demo_pages_carry_the_snippet_of_the_demo_site() {
    let (app, seeded) = TestApp::spawn_site(Engine::Sqlite, Config::default(), SiteSettings::default()).await;
    let page = app.get("/demo/").await.text().await.unwrap();
    assert!(page.contains(&format!(
        r#"<script async src="{}/t.js" data-site="{}">"#,
        app.base_url, seeded.site.key
    )));
    assert!(page.contains("(202) 555-0100"));
    assert!(page.contains(r#"href="tel:+12025550100""#));
    for path in ["/demo/services.html", "/demo/contact.html", "/demo/style.css"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(app.get("/demo/../Cargo.toml").await.status(), 404);
    assert_eq!(app.get("/demo/secret.key").await.status(), 404);
    app.finish().await;

    let plain = TestApp::spawn().await;
    assert_eq!(
        plain.get("/demo/").await.status(),
        404,
        "no demo pages outside the demo"
    );
    plain.finish().await;
}
