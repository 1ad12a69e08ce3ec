//! Settings → Sources: an owner adds an offline source with its printed code from the browser
//! and gets its link and QR code; bad input comes back with the reason and adds nothing.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::store::SourceStore;
use leadline_core::tenant::Role;

async fn an_owner_adds_a_printed_source_and_bad_input_adds_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings/sources").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    let site = seeded.site.id.0.to_string();
    let flyer = |code: &str, name: &str, csrf: &str| -> Vec<(String, String)> {
        [
            ("name", name),
            ("site", site.as_str()),
            ("utm_source", "flyer"),
            ("utm_medium", "print"),
            ("reserve_code", code),
            ("csrf", csrf),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let send = |fields: Vec<(String, String)>| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = post(app, &cookie, "/app/settings/sources", &borrowed).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    assert_eq!(send(flyer("7", "Spring flyer", "")).await.0, 403);
    let (status, _) = send(flyer("7", "Spring flyer", &csrf)).await;
    assert_eq!(status, 303);
    let sources = app.store.list_sources(business).await.unwrap();
    assert_eq!((sources.len(), sources[0].reserved_code), (1, Some(7)));
    let key = sources[0].key.to_string();
    let (_, html) = page(&app, &cookie, "/app/settings/sources").await;
    assert!(
        html.contains(&format!(r#"src="/c/{key}/qr.svg""#)) && html.contains(&format!("/c/{key}\"")),
        "{html}"
    );
    assert!(html.contains("Printed code: <strong>7</strong>"));
    let qr = app.get(&format!("/c/{key}/qr.svg")).await;
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");

    for (fields, reason) in [
        (flyer("", "", &csrf), "name"),
        (flyer("abc", "Autumn flyer", &csrf), "is not a code"),
        (flyer("0", "Autumn flyer", &csrf), "start at 1"),
        (flyer("7", "Autumn flyer", &csrf), "code 7 is already reserved"),
    ] {
        let (status, html) = send(fields).await;
        assert_eq!(status, 400, "{reason}: {html}");
        assert!(
            html.contains(r#"role="alert""#) && html.contains(reason),
            "{reason}: {html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "the field is marked: {html}");
    }
    assert_eq!(
        app.store.list_sources(business).await.unwrap().len(),
        1,
        "nothing added"
    );

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let rex = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    let (_, theirs) = page(&app, &rex, "/app/settings/sources").await;
    assert!(!theirs.contains("Spring flyer"));
    let fields = [
        ("csrf", csrf_of(&theirs)),
        ("name", "Stolen".into()),
        ("site", site.clone()),
        ("utm_source", "x".into()),
        ("utm_medium", "y".into()),
    ];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        post(&app, &rex, "/app/settings/sources", &borrowed).await.status(),
        400,
        "not their site"
    );
    assert_eq!(app.store.list_sources(business).await.unwrap().len(), 1);
    assert!(app.store.list_sources(rival.id).await.unwrap().is_empty());

    user(&app, business, "otto@example.com", Role::Operator).await;
    let otto = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &otto, "/app/settings/sources").await.0, 404);
    app.finish().await;
}

crate::on_both_engines!(an_owner_adds_a_printed_source_and_bad_input_adds_nothing);
