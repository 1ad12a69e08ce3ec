//! Attachments: the default directory, a business's own directory or bucket, an
//! S3-compatible bucket (a real one: Python's moto server, skipped without it), and the
//! signed download route.

use crate::helpers::{Engine, TestApp};
use crate::on_both_engines;
use bytes::Bytes;
use leadline::app::AppState;
use leadline::attachments::Attachments;
use leadline::attachments::storage::{S3Spec, StorageSpec};
use leadline::config::Config;
use leadline_core::form::{FormIdentity, MessageId, NewAttachment, NewSubmission, StoredName, SubmissionVia};
use leadline_core::lead::Contact;
use leadline_core::net::Email;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use leadline_core::store::{BusinessStore, LeadStore};
use leadline_store::SqlStore;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The install secret `TestApp` runs with (helpers.rs).
fn secret() -> Secret {
    Secret::new("a test install secret that is long enough")
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec()
}

fn stored(site: i64, original: &str) -> StoredName {
    StoredName::derive(&secret(), &MessageId::generate(), leadline_core::SiteId(site), original)
}

fn attachments(config: &Config, store: &SqlStore) -> Attachments {
    Attachments::from_config(config, secret())
        .unwrap()
        .with_store(Arc::new(store.clone()))
}

fn dir_spec(path: &Path) -> String {
    StorageSpec::Dir { path: path.to_owned() }.to_json()
}

async fn a_business_with_its_own_directory_keeps_its_files_there(engine: Engine) {
    let root = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: root.path().join("data"),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let files = attachments(&config, &app.store);
    let global_dir = root.path().join("data/attachments");

    let first = stored(seeded.site.id.0, "a.pdf");
    files.put(business, &first, Bytes::from(pdf())).await.unwrap();
    assert!(global_dir.join(first.as_str()).exists());

    let hosting = root.path().join("hosting");
    std::fs::create_dir(&hosting).unwrap();
    app.store
        .set_attachment_storage(business, Some(&dir_spec(&hosting)))
        .await
        .unwrap();
    let second = stored(seeded.site.id.0, "b.pdf");
    files.put(business, &second, Bytes::from(pdf())).await.unwrap();
    assert!(hosting.join(second.as_str()).exists());
    assert!(!global_dir.join(second.as_str()).exists());
    assert_eq!(files.get(business, &second).await.unwrap(), Some(Bytes::from(pdf())));
    assert_eq!(
        files.get(business, &first).await.unwrap(),
        None,
        "read from the business's storage"
    );
    // Another business still uses the default storage.
    let other = app.add_business("other", "Other").await.id;
    assert_eq!(files.get(other, &second).await.unwrap(), None);

    // A change of storage is seen at once, even with the old one cached.
    let moved = root.path().join("moved");
    std::fs::create_dir(&moved).unwrap();
    app.store
        .set_attachment_storage(business, Some(&dir_spec(&moved)))
        .await
        .unwrap();
    let third = stored(seeded.site.id.0, "c.pdf");
    files.put(business, &third, Bytes::from(pdf())).await.unwrap();
    assert!(moved.join(third.as_str()).exists());

    // A business's volume that has gone away fails; it never falls back to the local disk.
    std::fs::remove_dir_all(&moved).unwrap();
    let gone = root.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    app.store
        .set_attachment_storage(business, Some(&dir_spec(&gone)))
        .await
        .unwrap();
    std::fs::remove_dir(&gone).unwrap();
    let fourth = stored(seeded.site.id.0, "d.pdf");
    assert!(files.put(business, &fourth, Bytes::from(pdf())).await.is_err());
    assert!(!global_dir.join(fourth.as_str()).exists());
    assert!(!gone.exists());

    app.store.set_attachment_storage(business, None).await.unwrap();
    assert_eq!(files.get(business, &first).await.unwrap(), Some(Bytes::from(pdf())));
    app.finish().await;
}

/// Flips one hex digit of `text` at `index`.
fn flip(text: &str, index: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    chars[index] = if chars[index] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

async fn a_signed_link_downloads_the_file_and_nothing_else_does(engine: Engine) {
    let root = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: root.path().join("data"),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let files = attachments(&config, &app.store);
    let message = MessageId::generate();
    let original = "Résumé 2024; final.pdf";
    let name = StoredName::derive(&secret(), &message, seeded.site.id, original);
    let content_type = files.check(original, &pdf()).unwrap();
    files.put(business, &name, Bytes::from(pdf())).await.unwrap();
    app.store
        .add_submission(&NewSubmission {
            business_id: business,
            site_id: seeded.site.id,
            message_id: message,
            via: SubmissionVia::Browser,
            identity: FormIdentity::default(),
            contact: Contact {
                email: Some(Email::parse("ann@example.com").unwrap()),
                ..Contact::default()
            },
            fields: vec![("email".into(), "ann@example.com".into())],
            page_url: None,
            attachments: vec![NewAttachment {
                original_name: original.into(),
                stored_name: name.clone(),
                content_type,
                size_bytes: pdf().len() as u64,
            }],
        })
        .await
        .unwrap();

    let link = files.signed_link(&app.base_url, &name, Duration::from_secs(60));
    let response = app.client.get(&link).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |n: &str| response.headers().get(n).unwrap().to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"R_sum_ 2024_ final.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202024%3B%20final.pdf"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "private, no-store");
    assert_eq!(response.bytes().await.unwrap(), Bytes::from(pdf()));

    let (path, query) = link.split_once('?').unwrap();
    let sig_at = link.find("sig=").unwrap() + 4;
    let name_at = path.rfind('-').unwrap() + 1;
    let now = chrono::Utc::now().timestamp();
    let guessed = stored(seeded.site.id.0, original);
    let tampered_name = StoredName::parse(&flip(name.as_str(), name.as_str().len() - 1)).unwrap();
    let refused = [
        // A tampered signature.
        flip(&link, sig_at),
        flip(&link, link.len() - 1),
        // A tampered name: one hex digit changed, with the original signature and re-signed.
        format!("{}?{query}", flip(path, name_at)),
        files.signed_link(&app.base_url, &tampered_name, Duration::from_secs(60)),
        // An expired link, signed as the server would have.
        files.link_until(&app.base_url, &name, now - 1),
        // A guessed name, unsigned and signed.
        format!("{}/v1/attachments/{}", app.base_url, guessed.as_str()),
        files.signed_link(&app.base_url, &guessed, Duration::from_secs(60)),
        // The right name without or with a broken signature or expiry.
        path.to_owned(),
        format!("{path}?expires={}", now + 60),
        format!("{path}?sig=00"),
        format!("{path}?expires=soon&sig=00"),
        // Not a stored name at all.
        format!("{}/v1/attachments/{}?{query}", app.base_url, message_id_only(&name)),
        format!("{}/v1/attachments/%FF%FE?{query}", app.base_url),
    ];
    for url in refused {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({ "error": "not found" }), "{url}");
    }

    // The operator pages' download: only within the file's own business.
    let state = AppState::new(Arc::new(app.store.clone()), &config, secret()).unwrap();
    let served = leadline::http::attachments::download(&state, business, name.as_str()).await;
    assert_eq!(served.status(), 200);
    let other = app.add_business("other", "Other").await.id;
    for (who, what) in [(other, name.as_str()), (business, guessed.as_str()), (business, "../x")] {
        let served = leadline::http::attachments::download(&state, who, what).await;
        assert_eq!(served.status(), 404, "{who} {what}");
    }
    app.finish().await;
}

fn message_id_only(name: &StoredName) -> String {
    name.as_str().split('-').next().unwrap().to_owned()
}

on_both_engines!(
    a_business_with_its_own_directory_keeps_its_files_there,
    a_signed_link_downloads_the_file_and_nothing_else_does,
);

/// A moto S3 server on a free local port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
    client: reqwest::Client,
}

impl Moto {
    /// Starts `moto_server` (or `python3 -m moto.server`); `None`, saying SKIPPED, when
    /// neither is installed.
    async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let tries: [(&str, &[&str]); 2] = [
            ("moto_server", &["-H", "127.0.0.1", "-p", &port]),
            ("python3", &["-m", "moto.server", "-H", "127.0.0.1", "-p", &port]),
        ];
        for (program, args) in tries {
            let Ok(mut child) = Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            else {
                continue;
            };
            for _ in 0..300 {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                if client.get(&endpoint).send().await.is_ok() {
                    return Some(Self {
                        child,
                        endpoint,
                        client,
                    });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        leadline_testkit::skip(
            "moto_server not installed (python3 -m pip install 'moto[server]'): S3 attachment storage test",
        );
        None
    }

    async fn create_bucket(&self, bucket: &str) {
        let response = self
            .client
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{:?}", response.text().await);
    }

    /// The object's bytes as the bucket holds them (read with a client of its own, at the
    /// bucket's root), or `None`.
    async fn object(&self, bucket: &str, key: &str) -> Option<Bytes> {
        use object_store::ObjectStoreExt;
        let root = StorageSpec::S3(self.bucket(bucket, None)).build(false).unwrap();
        match root.get(&object_store::path::Path::from(key)).await {
            Ok(found) => Some(found.bytes().await.unwrap()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(other) => panic!("moto failed for {bucket}/{key}: {other}"),
        }
    }

    fn bucket(&self, bucket: &str, prefix: Option<&str>) -> S3Spec {
        S3Spec {
            bucket: bucket.into(),
            prefix: prefix.map(str::to_owned),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("testing".into()),
            secret_access_key: Some(Secret::new("testing")),
            allow_http: false,
            virtual_hosted_style: false,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_kept_in_an_s3_compatible_bucket() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("leadline-files").await;
    moto.create_bucket("acme-hosting").await;
    let root = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: root.path().join("data"),
        attachments_s3_url: Some("s3://leadline-files/forms".into()),
        attachments_s3_endpoint: Some(url::Url::parse(&moto.endpoint).unwrap()),
        attachments_s3_access_key_id: Some("testing".into()),
        attachments_s3_secret_access_key: Some("testing".into()),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(Engine::Sqlite, config.clone(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let files = attachments(&config, &app.store);

    // The server's default storage is the bucket, under its folder.
    let first = stored(seeded.site.id.0, "a.pdf");
    assert_eq!(files.get(business, &first).await.unwrap(), None);
    files.put(business, &first, Bytes::from(pdf())).await.unwrap();
    assert_eq!(files.get(business, &first).await.unwrap(), Some(Bytes::from(pdf())));
    assert_eq!(
        moto.object("leadline-files", &format!("forms/{}", first.as_str()))
            .await,
        Some(Bytes::from(pdf()))
    );
    assert!(!root.path().join("data/attachments").exists());

    // A business's own bucket.
    let own = StorageSpec::S3(moto.bucket("acme-hosting", None));
    app.store
        .set_attachment_storage(business, Some(&own.to_json()))
        .await
        .unwrap();
    let second = stored(seeded.site.id.0, "b.pdf");
    files
        .put(business, &second, Bytes::from_static(b"hello"))
        .await
        .unwrap();
    assert_eq!(
        moto.object("acme-hosting", second.as_str()).await,
        Some(Bytes::from_static(b"hello"))
    );
    assert_eq!(
        moto.object("leadline-files", &format!("forms/{}", second.as_str()))
            .await,
        None
    );
    assert_eq!(
        files.get(business, &second).await.unwrap(),
        Some(Bytes::from_static(b"hello"))
    );
    app.finish().await;
}
