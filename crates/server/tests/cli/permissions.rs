//! What Leadline writes to disk (the database and its WAL and shared-memory files, the install
//! secret, demo.json, attachments) holds leads, recordings' links and secrets: only the user
//! the server runs as may read it, whatever the umask it was started with.

use crate::harness::Cli;
use crate::sim::Demo;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The permission bits of `path`, in octal.
fn mode(path: &Path) -> String {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:o}", meta.permissions().mode() & 0o777)
}

/// Posts the demo site's form with one small text file, as a browser does.
fn post_form_with_file(facts: &serde_json::Value) {
    let base = facts["base_url"].as_str().unwrap();
    let origin = format!("http://{}", facts["site_domain"].as_str().unwrap());
    let form = reqwest::multipart::Form::new()
        .text("leadline_site", facts["site_key"].as_str().unwrap().to_owned())
        .text("email", "ann@example.com")
        .part(
            "notes",
            reqwest::multipart::Part::bytes(b"room,size\nhall,12\n".to_vec()).file_name("rooms.csv"),
        );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/v1/forms"))
            .header("origin", origin)
            .header("accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);
}

/// Every file and directory under `dir`, itself included.
fn tree(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = vec![dir.to_owned()];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(tree(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_demo_keeps_its_data_directory_readable_by_its_owner_only() {
    let demo = Demo::start();
    let data = demo.cli.path("data");
    post_form_with_file(&demo.facts);
    // While the server runs, SQLite's write-ahead log and shared memory exist too.
    let expected = [
        ("", "700"),
        ("leadline.db", "600"),
        ("leadline.db-wal", "600"),
        ("leadline.db-shm", "600"),
        ("demo.json", "600"),
        ("secret.key", "600"),
        ("attachments", "700"),
    ];
    for (name, bits) in expected {
        assert_eq!(mode(&data.join(name)), bits, "{name:?}");
    }
    let attachments = tree(&data.join("attachments"));
    assert!(attachments.len() > 1, "the form's file is stored: {attachments:?}");
    for path in attachments {
        let bits = if path.is_dir() { "700" } else { "600" };
        assert_eq!(mode(&path), bits, "{}", path.display());
    }
}

#[test]
fn a_database_created_by_a_set_up_command_is_readable_by_its_owner_only() {
    let cli = Cli::new();
    cli.ok(&["business", "add", "Acme Upholstery"]);
    assert_eq!(mode(&cli.path("data")), "700");
    assert_eq!(mode(&cli.path("data/leadline.db")), "600");
}

#[test]
fn a_database_at_an_explicit_path_is_created_readable_by_its_owner_only() {
    let cli = Cli::new();
    let url = format!("sqlite://{}", cli.path("elsewhere/crm.db").display());
    let output = cli
        .command(&["migrate", "--create-database"])
        .env("LEADLINE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(mode(&cli.path("elsewhere")), "700");
    assert_eq!(mode(&cli.path("elsewhere/crm.db")), "600");
}
