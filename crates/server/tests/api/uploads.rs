//! Form files up to `attachments_max_file_bytes` are taken whole; a larger one is a 413 that
//! names the file, its field and the limit; the whole body stays bounded by the limits.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::form_with_file;
use leadline::config::Config;
use leadline_core::lead::LeadFilter;
use leadline_core::site::SiteSettings;
use leadline_core::store::LeadStore;
use serde_json::Value;

const MIB: usize = 1024 * 1024;

async fn leads_of(app: &TestApp, seeded: &Seeded) -> usize {
    let filter = LeadFilter {
        limit: 10,
        ..LeadFilter::default()
    };
    let page = app.store.list_leads(seeded.site.business_id, &filter).await.unwrap();
    page.leads.len()
}

async fn a_file_under_the_configured_limit_is_taken_whole(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let response = form_with_file(&app, &seeded, "floor-plan.txt", vec![b'x'; 3 * MIB]).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "3 MiB is under the default 10 MiB: {body}");
    let leads = app
        .store
        .list_leads(
            seeded.site.business_id,
            &LeadFilter {
                limit: 1,
                ..LeadFilter::default()
            },
        )
        .await
        .unwrap()
        .leads;
    let submissions = app
        .store
        .lead_submissions(seeded.site.business_id, leads[0].id)
        .await
        .unwrap();
    assert_eq!(submissions[0].attachments[0].size_bytes, 3 * MIB as u64);
    app.finish().await;
}

async fn a_file_over_the_limit_is_refused_with_413_naming_it_and_the_limit(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let response = form_with_file(&app, &seeded, "floor-plan.txt", vec![b'x'; 11 * MIB]).await;
    assert_eq!(response.status(), 413);
    let error = response.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned();
    for words in ["file too large", "'floor-plan.txt'", "field 'photo'", "max 10 MiB"] {
        assert!(error.contains(words), "{words:?} in {error}");
    }
    assert_eq!(leads_of(&app, &seeded).await, 0, "nothing is stored");
    app.finish().await;
}

/// Sends `head` (the request line and headers) then `body` on a plain connection and reads the
/// answer until the server closes it: no client library in the way of an early answer.
async fn raw_post(app: &TestApp, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server answers and closes: {}",
        String::from_utf8_lossy(&answer)
    );
    String::from_utf8_lossy(&answer).into_owned()
}

async fn the_whole_body_stays_bounded_by_the_file_limits(engine: Engine) {
    let config = Config {
        attachments_max_file_bytes: 1024,
        attachments_max_files: 2,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    // 2 files of 1 KiB, 256 KiB of text and 64 KiB of framing.
    let bound = 2 * 1024 + 256 * 1024 + 64 * 1024;
    let head = |length: &str| {
        format!(
            "POST /v1/forms HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost\r\nAccept: application/json\r\n\
             Content-Type: multipart/form-data; boundary=XyZ\r\n{length}\r\n",
            app.base_url.trim_start_matches("http://")
        )
    };
    // A length over the bound is refused before the body is read.
    let declared = raw_post(&app, &head(&format!("Content-Length: {}\r\n", bound + 1)), b"").await;
    // A body sent without a length is cut where it passes the bound (here in a text field).
    let part = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"leadline_site\"\r\n\r\n{}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n",
        seeded.site.key.as_str()
    );
    let mut data = part.into_bytes();
    data.resize(bound + 1, b'x');
    let mut chunked = format!("{:x}\r\n", data.len()).into_bytes();
    chunked.extend_from_slice(&data);
    chunked.extend_from_slice(b"\r\n");
    let streamed = raw_post(&app, &head("Transfer-Encoding: chunked\r\n"), &chunked).await;
    for answer in [declared, streamed] {
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.contains("the form is too large (max 322 KiB: at most 2 files of 1 KiB each"),
            "{answer}"
        );
    }
    assert_eq!(leads_of(&app, &seeded).await, 0, "nothing is stored");
    app.finish().await;
}

crate::on_both_engines!(
    a_file_under_the_configured_limit_is_taken_whole,
    a_file_over_the_limit_is_refused_with_413_naming_it_and_the_limit,
    the_whole_body_stays_bounded_by_the_file_limits,
);
