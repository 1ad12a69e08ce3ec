//! Reports refuse what they cannot answer: an unknown dimension, a reversed, half-given or
//! enormous range, a malformed value, a missing API key, and another business's site, in the
//! API and on the page, each with what was wrong.

use crate::helpers::{Engine, TestApp, key_for};
use crate::operator::{PASSWORD, log_in, operator, page};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use serde_json::Value;

async fn bad_parameters_and_another_business_s_site_are_refused_with_the_reason(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = key_for(&app, seeded.site.business_id).await.key;
    let rival = app.add_business("rival", "Rival").await;
    let rival_site = app.add_site(rival.id, "rival.example").await;
    let get = |path: String| {
        let request = app.client.get(format!("{}{path}", app.base_url)).bearer_auth(&key);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap()["error"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    };
    let cases = [
        ("/v1/reports/colour".to_owned(), 400, "'colour' is not a dimension"),
        (
            "/v1/reports/source?from=2026-03-10&to=2026-03-01".to_owned(),
            400,
            "is after 'to'",
        ),
        (
            "/v1/reports/source?from=2020-01-01&to=2026-01-01".to_owned(),
            400,
            "at most 366",
        ),
        (
            "/v1/reports/source?from=2026-01-01".to_owned(),
            400,
            "both 'from' and 'to'",
        ),
        (
            "/v1/reports/source?from=yesterday&to=today".to_owned(),
            400,
            "YYYY-MM-DD",
        ),
        ("/v1/reports/source?model=linear".to_owned(), 400, "'last' or 'first'"),
        ("/v1/reports/source?sort=colour".to_owned(), 400, "sort must be"),
        ("/v1/reports/variable".to_owned(), 400, "needs the variable's name"),
        ("/v1/reports/source?site=abc".to_owned(), 400, "site must be"),
        (format!("/v1/reports/source?site={}", rival_site.id.0), 404, ""),
    ];
    for (path, status, message) in cases {
        let (got, error) = get(path.clone()).await;
        assert_eq!(got, status, "{path}: {error}");
        assert!(error.contains(message), "{path}: {error}");
    }
    let anonymous = app
        .client
        .get(format!("{}/v1/reports/source", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    operator(&app, seeded.site.business_id, "ann@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/reports?from=2026-03-10&to=2026-03-01").await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r#"id="report-error">date range: &#39;from&#39; (2026-03-10) is after"#)
            || html.contains("is after"),
        "{html}"
    );
    let (status, _) = page(&app, &cookie, &format!("/app/reports?site={}", rival_site.id.0)).await;
    assert_eq!(status, 404, "another business's site");
    app.finish().await;
}

crate::on_both_engines!(bad_parameters_and_another_business_s_site_are_refused_with_the_reason);
