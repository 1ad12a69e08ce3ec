//! `leadline provider …` against a small stand-in for Twilio's numbers API (the API tests'
//! fake checks every request in detail): a refused token exits 2 with the provider's message,
//! a good one is stored, and a number bought for a site is then a tracking number.

use crate::harness::Cli;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::json;

const ACCOUNT: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "c0ffeec0ffeec0ffeec0ffeec0ffeec0";

fn authenticated(headers: &HeaderMap) -> bool {
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Basic {expected}"))
}

fn refused() -> Response {
    let body = json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

/// Serves the stand-in on a port of its own for as long as the test runs.
fn start_fake() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let base = format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json");
    let router = Router::new().route(
        &base,
        get(|headers: HeaderMap| async move {
            if !authenticated(&headers) {
                return refused();
            }
            let number = json!({"sid": format!("PN{}", "2".repeat(32)), "phone_number": "+14155550199", "friendly_name": "(415) 555-0199"});
            axum::Json(json!({"incoming_phone_numbers": [number]})).into_response()
        })
        .post(|headers: HeaderMap, body: String| async move {
            if !authenticated(&headers) {
                return refused();
            }
            let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
            let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            if field("VoiceUrl").as_deref() != Some("https://track.example/twilio/voice") {
                return (StatusCode::BAD_REQUEST, "unexpected VoiceUrl").into_response();
            }
            let number = json!({"sid": format!("PN{}", "3".repeat(32)), "phone_number": field("PhoneNumber")});
            (StatusCode::CREATED, axum::Json(number)).into_response()
        }),
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    url
}

#[test]
fn an_account_is_connected_from_the_command_line_and_a_number_bought_for_a_site() {
    let api = start_fake();
    let cli = Cli::new();
    let key = cli.with_site();
    let run = |args: &[&str], stdin: &str, public: bool| {
        use std::io::Write;
        let mut command = cli.command(args);
        command.env("LEADLINE_TELEPHONY_API_BASE_URL", &api);
        if public {
            command.env("LEADLINE_PUBLIC_BASE_URL", "https://track.example");
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let business = ["--business", "acme-upholstery"];
    let connect = |token: &str| {
        let mut args = vec!["provider", "connect", "--account-sid", ACCOUNT, "--auth-token-stdin"];
        args.extend(business);
        run(&args, &format!("{token}\n"), false)
    };

    let out = connect("a-wrong-token-of-some-length");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the provider refused the account: Authenticate (error 20003)"),
        "{err}"
    );
    let out = run(&["provider", "numbers", "--business", "acme-upholstery"], "", false);
    assert_eq!(out.status.code(), Some(2), "nothing was stored");

    let out = connect(TOKEN);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("it holds 1 number(s)"));
    let out = run(&["provider", "numbers", "--business", "acme-upholstery"], "", false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("+14155550199"));

    let buy = [
        "provider",
        "buy",
        "+14155550123",
        "--site",
        &key,
        "--business",
        "acme-upholstery",
    ];
    let out = run(&buy, "", false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set public_base_url"));
    let out = run(&buy, "", true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = cli.ok(&["number", "list", "--business", "acme-upholstery"]);
    assert!(listed.contains("+14155550123"), "{listed}");
}
