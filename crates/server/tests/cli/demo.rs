use crate::harness::Cli;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wait_for_demo_json(path: &Path, child: &mut std::process::Child) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
        {
            return value;
        }
        assert!(child.try_wait().unwrap().is_none(), "the demo exited early");
        assert!(Instant::now() < deadline, "no demo.json after 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

fn get(url: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::get(url).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

#[test]
fn the_demo_serves_writes_demo_json_and_reuses_its_data() {
    let cli = Cli::new();
    let facts_path = cli.path("data/demo.json");
    let mut demo = cli
        .command(&["demo", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let facts = wait_for_demo_json(&facts_path, &mut demo);
    for key in [
        "base_url",
        "site_key",
        "site_domain",
        "tracking_number",
        "destinations",
        "owner_email",
        "owner_password",
        "auth_token",
        "api_key",
    ] {
        assert!(!facts[key].is_null(), "demo.json lacks {key}: {facts}");
    }
    assert_eq!(facts["destinations"].as_array().unwrap().len(), 2);
    let base = facts["base_url"].as_str().unwrap().to_owned();
    assert_eq!(get(&format!("{base}/healthz")).0, 200);
    assert_eq!(
        get(&format!("{base}/readyz")),
        (200, r#"{"database":"sqlite","status":"ready"}"#.to_owned())
    );
    let (status, metrics) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200);
    assert!(metrics.contains("leadline_http_requests_total"), "{metrics}");
    assert!(terminate(&mut demo).success(), "SIGTERM must end the demo cleanly");

    let mut stale = facts.clone();
    stale["base_url"] = "stale".into();
    std::fs::write(&facts_path, serde_json::to_string(&stale).unwrap()).unwrap();
    let mut again = cli
        .command(&["demo", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second = loop {
        let value = wait_for_demo_json(&facts_path, &mut again);
        if value["base_url"] != "stale" {
            break value;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(get(&format!("{}/healthz", second["base_url"].as_str().unwrap())).0, 200);
    assert!(terminate(&mut again).success());
    for key in ["site_key", "owner_password", "api_key", "auth_token"] {
        assert_eq!(second[key], facts[key], "{key} changed on the second run");
    }
    let users = cli.ok(&["user", "list", "--business", "demo"]);
    assert_eq!(users.lines().count(), 3, "{users}");
}
