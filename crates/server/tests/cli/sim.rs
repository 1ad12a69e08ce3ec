//! `leadline sim call`, the sandbox phone, placing whole calls against `leadline demo`: the
//! visitor's code reaches the operator's whisper, an unanswered call ends in voicemail, and a
//! wrongly signed call is refused.

use crate::harness::Cli;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `leadline demo --port 0` running in a directory of its own; stopped when dropped.
pub(crate) struct Demo {
    pub(crate) cli: Cli,
    child: Child,
    pub(crate) facts: Value,
}

impl Demo {
    pub(crate) fn start() -> Self {
        let cli = Cli::new();
        let mut child = cli
            .command(&["demo", "--port", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let facts = wait_for_demo_json(&cli.path("data/demo.json"), &mut child);
        Self { cli, child, facts }
    }

    fn fact(&self, key: &str) -> &str {
        self.facts[key]
            .as_str()
            .unwrap_or_else(|| panic!("demo.json lacks {key}"))
    }

    /// A visit registered as the snippet on the demo site would; returns its code.
    fn visit_code(&self, query: &str) -> String {
        let base = self.fact("base_url");
        let body = json!({ "site": self.fact("site_key"), "url": format!("{base}/demo/?{query}") });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let state: Value = runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{base}/v1/visits"))
                .header("origin", base)
                .header(
                    "user-agent",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                )
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.json().await.unwrap()
        });
        state["code"]
            .as_str()
            .unwrap_or_else(|| panic!("the visit got no code: {state}"))
            .to_owned()
    }

    /// `leadline sim call --demo demo.json` with `args`.
    fn sim(&self, args: &[&str]) -> Output {
        let demo_json = self.cli.path("data/demo.json");
        let mut all = vec!["sim", "call", "--demo", demo_json.to_str().unwrap()];
        all.extend_from_slice(args);
        self.cli.run(&all)
    }

    /// A call that must succeed; its transcript.
    fn call(&self, args: &[&str]) -> Value {
        let output = self.sim(args);
        assert!(
            output.status.success(),
            "sim call {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "the transcript is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

fn wait_for_demo_json(path: &Path, child: &mut Child) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(value) = serde_json::from_str::<Value>(&text)
        {
            return value;
        }
        assert!(child.try_wait().unwrap().is_none(), "the demo exited early");
        assert!(Instant::now() < deadline, "no demo.json after 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The requests of a transcript, in order (`POST /twilio/voice`, …).
fn requests(transcript: &Value) -> Vec<&str> {
    steps(transcript)
        .iter()
        .map(|s| s["request"].as_str().unwrap())
        .collect()
}

fn steps(transcript: &Value) -> &Vec<Value> {
    transcript["steps"].as_array().unwrap()
}

/// Whether some answer of the call held `verb`.
fn answered_with(transcript: &Value, verb: &str) -> bool {
    steps(transcript)
        .iter()
        .any(|s| s["verbs"].as_array().unwrap().iter().any(|v| v == verb))
}

#[test]
fn a_sandbox_call_keying_the_visit_code_is_whispered_to_the_first_operator() {
    let demo = Demo::start();
    let code = demo.visit_code("utm_source=google&utm_medium=cpc&utm_term=sofa");
    let transcript = demo.call(&["--digits", &code, "--talk", "42"]);

    assert_eq!(transcript["whisper"], "Call 1000 from google cpc, keyword sofa.");
    assert_eq!(transcript["answered_by"], demo.facts["destinations"][0]);
    assert_eq!(transcript["outcome"], "answered");
    assert_eq!(transcript["voicemail"], false);
    assert_eq!(transcript["to"], demo.facts["tracking_number"]);
    assert_eq!(transcript["digits"], code.as_str());
    let call_sid = transcript["call_sid"].as_str().unwrap();
    assert!(call_sid.starts_with("CA") && call_sid.len() == 34, "{call_sid}");
    assert_eq!(
        requests(&transcript),
        [
            "POST /twilio/voice",
            "POST /twilio/gather",
            "POST /twilio/whisper",
            "POST /twilio/dial",
            "POST /twilio/status",
            "POST /twilio/recording",
        ]
    );
    let steps = steps(&transcript);
    assert!(steps.iter().all(|s| s["status"] == 200), "{transcript:#}");
    assert_eq!(steps[0]["verbs"], json!(["Gather"]));
    assert_eq!(steps[1]["sent"]["Digits"], code.as_str());
    assert_eq!(
        steps[1]["verbs"],
        json!(["Say", "Dial"]),
        "the demo records, so it says so first"
    );
    assert_eq!(steps[1]["said"][0], leadline_core::call_handling::DEFAULT_DISCLOSURE);
    assert_eq!(steps[2]["sent"]["To"], demo.facts["destinations"][0]);
    assert_eq!(steps[2]["sent"]["ParentCallSid"], call_sid);
    assert_eq!(steps[3]["sent"]["DialCallStatus"], "completed");
    assert_eq!(steps[3]["sent"]["DialCallDuration"], "42");
    assert_eq!(steps[3]["verbs"], json!(["Hangup"]));
    let recording = transcript["recording_url"].as_str().unwrap();
    assert!(
        recording.starts_with("https://sandbox.leadline.invalid/Recordings/RE"),
        "the demo records calls: {recording}"
    );
    assert_eq!(steps[3]["sent"]["RecordingUrl"], recording);
    assert_eq!(steps[4]["sent"]["CallStatus"], "completed");
    assert_eq!(steps[4]["sent"]["CallDuration"], "42");
}

#[test]
fn an_unanswered_sandbox_call_goes_to_voicemail() {
    let demo = Demo::start();
    let code = demo.visit_code("utm_source=newsletter&utm_medium=email");
    let transcript = demo.call(&["--digits", &code, "--no-answer", "--talk", "15"]);

    assert_eq!(transcript["outcome"], "no-answer");
    assert_eq!(transcript["answered_by"], Value::Null);
    assert_eq!(
        transcript["whisper"],
        Value::Null,
        "nobody answered, nobody heard a whisper"
    );
    assert!(!requests(&transcript).contains(&"POST /twilio/whisper"));
    let dial = steps(&transcript)
        .iter()
        .find(|s| s["request"] == "POST /twilio/dial")
        .expect("the dial is reported");
    assert_eq!(dial["sent"]["DialCallStatus"], "no-answer");
    assert_eq!(dial["verbs"], json!(["Say", "Record", "Hangup"]));
    assert!(
        dial["said"][0].as_str().unwrap().contains("leave a message"),
        "{transcript:#}"
    );
    assert!(answered_with(&transcript, "Record"));
    assert_eq!(transcript["voicemail"], true);
    let recording = transcript["recording_url"].as_str().unwrap();
    let callback = steps(&transcript)
        .iter()
        .find(|s| s["request"] == "POST /twilio/recording")
        .expect("the voicemail's recording is reported");
    assert_eq!(callback["sent"]["RecordingUrl"], recording);
    assert_eq!(callback["sent"]["RecordingDuration"], "15");
    assert_eq!(requests(&transcript).last(), Some(&"POST /twilio/recording"));
}

#[test]
fn a_sandbox_call_signed_with_the_wrong_auth_token_is_refused_with_403() {
    let demo = Demo::start();
    let output = demo.sim(&["--auth-token", "not-the-numbers-token", "--digits", "1"]);
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(1), "a refused call is not bad input");
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("POST /twilio/voice answered 403"), "{error}");
    assert!(error.contains("--auth-token"), "the error says what to check: {error}");
    assert!(output.stdout.is_empty(), "no transcript for a refused call");
}

#[test]
fn a_sandbox_call_needs_a_server_a_number_and_a_token_and_keys_only_keypad_digits() {
    let cli = Cli::new();
    let error = cli.refused(&["sim", "call"]);
    assert!(error.contains("--server") && error.contains("--demo"), "{error}");
    let error = cli.refused(&["sim", "call", "--server", "http://127.0.0.1:9", "--auth-token", "t"]);
    assert!(error.contains("--to"), "{error}");
    let error = cli.refused(&[
        "sim",
        "call",
        "--server",
        "http://127.0.0.1:9",
        "--to",
        "+12025550100",
        "--auth-token",
        "t",
        "--digits",
        "12a",
    ]);
    assert!(error.contains("0-9, * and #"), "{error}");
    let error = cli.refused(&["sim", "call", "--demo", "missing/demo.json"]);
    assert!(error.contains("missing/demo.json"), "{error}");
}

#[test]
fn a_sandbox_call_to_a_server_that_is_not_there_says_so() {
    let cli = Cli::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let output = cli.run(&[
        "sim",
        "call",
        "--server",
        &closed,
        "--to",
        "+12025550100",
        "--auth-token",
        "t",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("cannot reach") && error.contains(&closed), "{error}");
}
