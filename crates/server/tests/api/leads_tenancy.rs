//! The leads API's walls: one business's key never reaches another's leads (404 on every
//! endpoint), bad requests are JSON errors that change nothing, the returning-visitor lookup
//! answers only to the site's secret, and the OpenAPI document covers every public API.

use crate::helpers::{Engine, TestApp};
use crate::leads::{Key, activities, call, get, key_for, post, send, spawn, submit, visit};
use leadline::http::leads::issue_secret;
use leadline_core::form::FormIdentity;
use leadline_core::site::SiteKey;
use leadline_core::store::{LeadStore, SiteStore};
use leadline_core::tenant::Site;
use reqwest::Method;
use serde_json::{Value, json};

/// A second business ("rival") with a site of its own.
async fn rival(app: &TestApp) -> Site {
    let business = app.add_business("rival", "Rival").await;
    app.add_site(business.id, "rival.example").await
}

/// Every leads endpoint that names a lead, with a body that would succeed on one's own.
fn lead_requests(record_ref: u64) -> Vec<(Method, String, Option<Value>)> {
    let path = format!("/v1/leads/{record_ref}");
    vec![
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"name": "Mallory"}))),
        (Method::POST, format!("{path}/status"), Some(json!({"status": "lost"}))),
        (Method::POST, format!("{path}/tags"), Some(json!({"add": ["stolen"]}))),
        (Method::POST, format!("{path}/notes"), Some(json!({"text": "peek"}))),
        (
            Method::POST,
            format!("{path}/sales"),
            Some(json!({"revenue": 1, "currency": "EUR"})),
        ),
    ]
}

async fn one_business_key_never_reaches_another_business_lead(engine: Engine) {
    let (app, seeded, own) = spawn(engine).await;
    let rival_site = rival(&app).await;
    let rival_business = rival_site.business_id;
    let identity = |key: &str| FormIdentity {
        visitor_key: Some(key.into()),
        ..FormIdentity::default()
    };
    submit(
        &app,
        seeded.site.business_id,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        identity("ga:1.1"),
    )
    .await;
    for (name, email, visitor) in [
        ("Rita Vale", "rita@rival.example", "ga:2.2"),
        ("Rob Vale", "rob@rival.example", "ga:3.3"),
    ] {
        submit(&app, rival_business, rival_site.id, name, email, identity(visitor)).await;
    }
    let (status, _) = post(
        &app,
        "/v1/fields",
        &key_for(&app, rival_business).await,
        json!({"name": "secret_score", "type": "number"}),
    )
    .await;
    assert_eq!(status, 201);

    // Refs are per business: 1000 is each business's own; 1001 exists only at the rival.
    for (method, path, body) in lead_requests(1001) {
        let (status, answer) = send(&app, method.clone(), &path, Some(&own.key), body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert_eq!(
            answer,
            json!({"error": "not found"}),
            "{method} {path}: same body as a missing lead"
        );
    }
    let (missing_status, missing) = get(&app, "/v1/leads/5555", &own).await;
    assert_eq!((missing_status, missing), (404, json!({"error": "not found"})));
    let (_, mine) = get(&app, "/v1/leads/1000", &own).await;
    assert_eq!(mine["name"], "Ann Lee", "ref 1000 is the key's own business's lead");

    let (_, listed) = get(&app, "/v1/leads?limit=200", &own).await;
    let names: Vec<&str> = listed["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann Lee"]);
    for query in ["q=rival", "q=Rita", "q=1001", "tag=stolen"] {
        let (_, page) = get(&app, &format!("/v1/leads?{query}"), &own).await;
        assert_eq!(page["leads"], json!([]), "{query}");
    }
    let (_, fields) = get(&app, "/v1/fields", &own).await;
    assert_eq!(fields["fields"], json!([]), "definitions are per business");

    let untouched = app.store.lead(rival_business, 1001).await.unwrap();
    assert_eq!(untouched.contact.name.as_deref(), Some("Rob Vale"));
    assert!(untouched.tags.is_empty() && untouched.totals.is_empty());
    assert!(activities(&app, rival_business, 1001).await.is_empty());

    // The rival's site and visitors are out of reach of the own site's secret too.
    let (secret, hash) = issue_secret();
    app.store
        .set_site_secret(seeded.site.business_id, seeded.site.id, &hash)
        .await
        .unwrap();
    let (status, _) = lookup(&app, &seeded.site.key, "ga:2.2", Some(&secret)).await;
    assert_eq!(status, 404, "the rival's visitor is not this site's business's");
    let (status, _) = lookup(&app, &rival_site.key, "ga:2.2", Some(&secret)).await;
    assert_eq!(status, 401, "another site's secret");
    app.finish().await;
}

async fn bad_requests_are_json_errors_that_change_nothing(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    submit(
        &app,
        business,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity::default(),
    )
    .await;
    let raw = |method: Method, path: &str, key: Option<&str>, body: String| {
        let mut request = app
            .client
            .request(method, format!("{}{path}", app.base_url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let huge = json!({"text": "x".repeat(70 * 1024)}).to_string();
    for (method, path, body, expected) in [
        (Method::POST, "/v1/leads/1000/notes", "{not json".to_owned(), 400),
        (
            Method::POST,
            "/v1/leads/1000/notes",
            r#"{"text": "hi", "pinned": true}"#.to_owned(),
            400,
        ),
        (
            Method::POST,
            "/v1/leads/1000/status",
            r#"{"status": 3}"#.to_owned(),
            400,
        ),
        (Method::PATCH, "/v1/leads/1000", r#"["name"]"#.to_owned(), 400),
        (Method::PATCH, "/v1/leads/1000", String::new(), 400),
        (
            Method::POST,
            "/v1/leads/1000/sales",
            r#"{"revenue": "1,200.50", "discount": 5}"#.to_owned(),
            400,
        ),
        (Method::POST, "/v1/leads/1000/notes", huge, 413),
    ] {
        let response = raw(method.clone(), path, Some(&key.key), body).await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{method} {path}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["error"].is_string(), "{method} {path}: {answer}");
    }
    assert!(activities(&app, business, 1000).await.is_empty());

    for (method, path) in [
        (Method::GET, "/v1/leads"),
        (Method::GET, "/v1/leads/1000"),
        (Method::POST, "/v1/leads/1000/notes"),
        (Method::GET, "/v1/fields"),
    ] {
        for presented in [None, Some("ll_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")] {
            let response = raw(method.clone(), path, presented, r#"{"text":"x"}"#.into())
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{method} {path}");
            let answer: Value = response.json().await.unwrap();
            assert!(answer["error"].as_str().unwrap().contains("Bearer"), "{answer}");
        }
    }
    app.finish().await;
}

async fn lookup(app: &TestApp, site: &SiteKey, visitor: &str, secret: Option<&str>) -> (u16, Value) {
    let mut request = app.client.get(format!(
        "{}/v1/sites/{}/visitors/{visitor}",
        app.base_url,
        site.as_str()
    ));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert!(
        response.headers().get("access-control-allow-origin").is_none(),
        "server to server: no CORS"
    );
    (status, response.json().await.unwrap())
}

async fn a_site_with_its_secret_learns_what_a_returning_visitor_did(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let site_key = seeded.site.key.clone();
    let (status, _) = lookup(&app, &site_key, "ga:111.222", Some("lls_anything")).await;
    assert_eq!(status, 401, "no secret was issued yet");

    let (secret, hash) = issue_secret();
    app.store
        .set_site_secret(seeded.site.business_id, seeded.site.id, &hash)
        .await
        .unwrap();
    let (status, body) = lookup(&app, &site_key, "ga:111.222", Some(&secret)).await;
    assert_eq!(status, 404, "no lead for this visitor yet: {body}");

    let from_ads = visit(&app, seeded.site.id, "ga:111.222").await;
    call(&app, &seeded, "CA1", Some(from_ads), 95).await;
    submit(
        &app,
        seeded.site.business_id,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity {
            visitor_key: Some("ga:111.222".into()),
            ..FormIdentity::default()
        },
    )
    .await;
    post(&app, "/v1/leads/1000/tags", &key, json!({"add": ["vip"]})).await;
    post(&app, "/v1/leads/1000/status", &key, json!({"status": "converted"})).await;
    post(&app, "/v1/leads/1000/sales", &key, json!({"revenue": "1,200.50"})).await;

    let (status, answer) = lookup(&app, &site_key, "ga:111.222", Some(&secret)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ref"], 1000);
    assert_eq!(
        (answer["status"].as_str(), answer["tags"].clone()),
        (Some("converted"), json!(["vip"]))
    );
    assert_eq!(answer["totals"][0]["revenue"], "1200.50");
    let calls = answer["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (
            calls[0]["ref"].as_u64(),
            calls[0]["outcome"].as_str(),
            calls[0]["duration_seconds"].as_u64()
        ),
        (Some(1000), Some("answered"), Some(95))
    );
    assert!(calls[0]["started_at"].is_string());
    for private in ["name", "email", "phone", "company"] {
        assert!(
            answer.get(private).is_none(),
            "no contact details go to the site: {private}"
        );
    }

    for wrong in [None, Some("lls_wrong"), Some(key.key.as_str()), Some("")] {
        let (status, body) = lookup(&app, &site_key, "ga:111.222", wrong).await;
        assert_eq!(status, 401, "{wrong:?}");
        assert!(body["error"].as_str().unwrap().contains("secret"), "{body}");
    }
    let (status, _) = lookup(&app, &site_key, "ga:999.999", Some(&secret)).await;
    assert_eq!(status, 404, "an unknown visitor");
    let (status, _) = lookup(&app, &SiteKey::generate(), "ga:111.222", Some(&secret)).await;
    assert_eq!(status, 401, "an unknown site");

    let (rotated, rotated_hash) = issue_secret();
    app.store
        .set_site_secret(seeded.site.business_id, seeded.site.id, &rotated_hash)
        .await
        .unwrap();
    assert_eq!(
        lookup(&app, &site_key, "ga:111.222", Some(&secret)).await.0,
        401,
        "the old secret is void"
    );
    assert_eq!(lookup(&app, &site_key, "ga:111.222", Some(&rotated)).await.0, 200);
    app.finish().await;
}

async fn the_openapi_document_describes_every_public_json_api(engine: Engine) {
    let (app, _seeded, _key): (TestApp, _, Key) = spawn(engine).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/v1/leads",
        "/v1/leads/{ref}",
        "/v1/leads/{ref}/status",
        "/v1/leads/{ref}/tags",
        "/v1/leads/{ref}/notes",
        "/v1/leads/{ref}/sales",
        "/v1/fields",
        "/v1/sites/{site_key}/visitors/{visitor_key}",
        "/v1/submissions",
        "/v1/forms",
        "/v1/attachments/{name}",
        "/v1/visits",
        "/v1/visits/{visit}/events",
        "/v1/visits/{visit}/call-me",
        "/v1/pbx/lookup",
        "/v1/pbx/calls/{record_ref}/events",
        "/v1/master-ads",
        "/v1/master-ads/{id}",
        "/v1/master-ads/{id}/move",
        "/v1/master-phrases",
        "/v1/master-phrases/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["apiKey"]["scheme"], "bearer");
    // Every reference points at a schema or response that exists.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = reference.split('"').next().unwrap();
        let (kind, name) = target.split_once('/').unwrap();
        assert!(doc["components"][kind].get(name).is_some(), "dangling $ref {target}");
    }
    app.finish().await;
}

crate::on_both_engines!(
    one_business_key_never_reaches_another_business_lead,
    bad_requests_are_json_errors_that_change_nothing,
    a_site_with_its_secret_learns_what_a_returning_visitor_did,
    the_openapi_document_describes_every_public_json_api,
);
