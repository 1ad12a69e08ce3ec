//! A person's export: the ZIP `GET /v1/leads/{ref}/export` and the lead page's owners get
//! holds the lead with its whole timeline (visits, calls with their recording link, forms
//! with every field) and every file they sent, and nothing of anyone else; another business's
//! key, and an operator who is not an owner, get nothing.

use crate::helpers::{Engine, TestApp, key_for};
use crate::leads::spawn;
use crate::operator::{PASSWORD, PDF, form_with_file, log_in, page, user};
use crate::settings_setup::owner;
use leadline_core::form::MessageId;
use leadline_core::store::LeadStore;
use leadline_core::tenant::Role;
use serde_json::Value;
use std::io::Read;

/// The entries of a ZIP by name.
fn unzipped(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().into_owned(), content)
        })
        .collect()
}

async fn download(app: &TestApp, path: &str, key: Option<&str>, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base_url));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn a_persons_export_holds_their_lead_timeline_and_files_and_nothing_of_anyone_else(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sent = form_with_file(&app, &seeded, "quote.pdf", PDF.to_vec()).await;
    assert_eq!(sent.status(), 201);
    let message: Value = sent.json().await.unwrap();
    let message = MessageId::parse(message["message_id"].as_str().unwrap()).unwrap();
    let submission = app.store.submission(business, &message).await.unwrap();
    let lead = app.store.lead_by_id(business, submission.lead_id).await.unwrap();
    let someone_else = crate::leads::call(&app, &seeded, "CA-else", None, 30).await;

    let path = format!("/v1/leads/{}/export", lead.record_ref);
    let response = download(&app, &path, Some(&key.key), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"lead-{}.zip\"", lead.record_ref).as_str()
    );
    let entries = unzipped(&response.bytes().await.unwrap());
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    let file = format!("files/{}/1-quote.pdf", message.as_str());
    assert_eq!(names, ["README.txt", file.as_str(), "lead.json"]);
    assert_eq!(entries[&file], PDF, "the file as sent");
    let document: Value = serde_json::from_slice(&entries["lead.json"]).unwrap();
    assert_eq!(document["email"], "ann@example.com");
    let timeline = document["timeline"].as_array().unwrap();
    let form = timeline
        .iter()
        .find(|e| e["type"] == "submission")
        .expect("the form is in the timeline");
    assert!(
        form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"] == "ann@example.com")
    );
    let text = String::from_utf8(entries["lead.json"].clone()).unwrap();
    assert!(
        !text.contains("CA-else") && !text.contains(&someone_else.caller),
        "nobody else's data"
    );
    assert!(String::from_utf8_lossy(&entries["README.txt"]).contains(&format!("lead {}", lead.record_ref)));

    let other = app.add_business("other", "Other").await;
    let stranger = key_for(&app, other.id).await;
    assert_eq!(download(&app, &path, Some(&stranger.key), None).await.status(), 404);
    assert_eq!(download(&app, &path, None, None).await.status(), 401);

    let owner_cookie = owner(&app, business).await;
    let lead_page = format!("/app/leads/{}", lead.record_ref);
    let (_, html) = page(&app, &owner_cookie, &lead_page).await;
    assert!(
        html.contains(&format!(r#"href="{lead_page}/export""#)),
        "owners are offered it: {html}"
    );
    let response = download(&app, &format!("{lead_page}/export"), None, Some(&owner_cookie)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(unzipped(&response.bytes().await.unwrap())[&file], PDF);

    user(&app, business, "oscar@example.com", Role::Operator).await;
    let operator_cookie = log_in(&app, "oscar@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &operator_cookie, &lead_page).await;
    assert!(!html.contains("/export"), "an operator is not offered it");
    let refused = download(&app, &format!("{lead_page}/export"), None, Some(&operator_cookie)).await;
    assert_eq!(refused.status(), 404);
    app.finish().await;
}

crate::on_both_engines!(a_persons_export_holds_their_lead_timeline_and_files_and_nothing_of_anyone_else);
