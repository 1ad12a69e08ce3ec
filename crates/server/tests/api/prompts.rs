//! Post-call prompts end to end: a sandbox call completes, the outbox worker asks the
//! operator who answered for notes, by SMS through a local stand-in for the provider's REST
//! API (checking the path, HTTP Basic and the form) or by e-mail through a local SMTP sink
//! (checking the envelope and the headers). Nobody answering sends nothing.

use crate::fakes::FakeApi;
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use leadline::config::Config;
use leadline::mail::Mailer;
use leadline::metrics::Metrics;
use leadline::outbox::worker::{Settings, Worker};
use leadline_core::E164;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::outbox::{
    Delivery, DeliveryStatus, IntegrationConfig, IntegrationId, NewIntegration, PromptChannel,
};
use leadline_core::routing::Rule;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use leadline_core::store::{DestinationStore, OutboxStore, RoutingStore, UserStore};
use leadline_core::tenant::{NewDestination, NewUser, Role};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const TRACKING: &str = "+12025550100";
/// The first destination of the seeded business: the sandbox's first rung number answers.
const ANN: &str = "+12025550111";

/// The provider's Messages endpoint: checks the request, and accepts it with a message sid
/// when its credentials are right.
async fn messages(Path(account): Path<String>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    assert_eq!(account, "AC1", "the tracking number's account");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("AC1:{AUTH_TOKEN}"))
    );
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    if authorization != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, r#"{"message":"bad credentials"}"#.into());
    }
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut keys: Vec<&str> = form.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["Body", "From", "To"], "{form:?}");
    (
        StatusCode::CREATED,
        json!({"sid": "SM0123456789abcdef", "status": "queued"}).to_string(),
    )
}

pub(crate) async fn start_provider() -> FakeApi {
    let router = Router::new().route("/2010-04-01/Accounts/{account}/Messages.json", post(messages));
    FakeApi::start(router).await
}

/// The forms of the messages the provider accepted.
pub(crate) fn texts(provider: &FakeApi) -> Vec<HashMap<String, String>> {
    let accepted = provider.requests().into_iter().filter(|r| r.status == 201);
    accepted.map(|r| r.form().into_iter().collect()).collect()
}

/// One message an SMTP client handed over.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) mail_from: String,
    pub(crate) rcpt_to: Vec<String>,
    pub(crate) data: String,
}

/// A minimal SMTP server that accepts everything and keeps each message.
pub(crate) async fn start_smtp_sink() -> (Arc<Mutex<Vec<Received>>>, u16) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut current = Received {
                    mail_from: String::new(),
                    rcpt_to: Vec::new(),
                    data: String::new(),
                };
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_owned();
                    let upper = command.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        current.mail_from = command[10..].trim().to_owned();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        current.rcpt_to.push(command[8..].trim().to_owned());
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 end with .\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" || line == ".\n" {
                                break;
                            }
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        }
                        current.data = data;
                        kept.lock().unwrap().push(current.clone());
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (received, port)
}

/// A header's value in a message (unfolded).
pub(crate) fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ");
    head.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

/// The message's body, decoded when it is quoted-printable.
pub(crate) fn body(data: &str) -> String {
    let text = data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let quoted = header(data, "Content-Transfer-Encoding").is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
    if !quoted {
        return text.trim_end().to_owned();
    }
    let joined = text.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap().trim_end().to_owned()
}

async fn add_prompt(app: &TestApp, seeded: &Seeded, channel: PromptChannel) -> IntegrationId {
    let new = NewIntegration {
        business_id: seeded.site.business_id,
        site_id: Some(seeded.site.id),
        name: "Post-call prompt".into(),
        config: IntegrationConfig::OperatorPrompt { channel },
    };
    app.store.add_integration(&new).await.unwrap().id
}

pub(crate) fn worker(app: &TestApp, provider_api_base: &str, mailer: Option<Mailer>) -> tokio::task::JoinHandle<()> {
    let mut settings = Settings::from_config(&crate::helpers::local_config());
    settings.poll = Duration::from_millis(50);
    settings.backoff_base = Duration::from_millis(100);
    settings.provider_api_base = provider_api_base.to_owned();
    Worker::new(Arc::new(app.store.clone()), Arc::new(Metrics::new()), settings)
        .unwrap()
        .with_mailer(mailer.map(Arc::new))
        .spawn()
}

/// Registers a visit from a Google Ads click and places a sandbox call with its code.
pub(crate) async fn call_from_google(app: &TestApp, seeded: &Seeded, no_answer: bool) {
    let visit = app
        .register_visit(seeded, "http://localhost/?utm_source=google&utm_medium=cpc")
        .await;
    app.demo_call("+12025550169", &visit["code"], no_answer).await;
}

/// The delivery of `integration` once it is delivered or dead.
async fn finished_delivery(app: &TestApp, seeded: &Seeded, integration: IntegrationId) -> Delivery {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let deliveries = app
            .store
            .list_deliveries(Some(seeded.site.business_id), None, 50)
            .await
            .unwrap();
        let ours: Vec<&Delivery> = deliveries.iter().filter(|d| d.integration_id == integration).collect();
        if let Some(done) = ours
            .iter()
            .find(|d| matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Dead))
        {
            assert_eq!(ours.len(), 1, "one prompt a call: {ours:?}");
            return (*done).clone();
        }
        assert!(Instant::now() < deadline, "the prompt was not delivered: {ours:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn expected_body(text: &str) {
    assert!(text.starts_with("Call 1000 from google / cpc ("), "{text}");
    assert!(
        text.ends_with(
            "). Reply with 1000 at the start to add notes to this call, \
             or [ID] 1000 [REVENUE] 1,000 to record a sale."
        ),
        "{text}"
    );
}

async fn an_answered_call_texts_the_operator_who_answered_from_the_tracking_number(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let provider = start_provider().await;
    let integration = add_prompt(&app, &seeded, PromptChannel::Sms).await;
    let worker = worker(&app, &provider.url, None);
    call_from_google(&app, &seeded, false).await;

    let delivery = finished_delivery(&app, &seeded, integration).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    assert_eq!(delivery.event_kind.as_str(), "call.completed");
    assert_eq!(
        delivery.response.as_deref(),
        Some("texted +12025550111 (message SM0123456789abcdef)")
    );
    let sent = texts(&provider);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["To"], ANN, "the operator who answered");
    assert_eq!(sent[0]["From"], TRACKING, "the number the caller dialled");
    expected_body(&sent[0]["Body"]);
    worker.abort();
    app.finish().await;
}

async fn an_answered_call_e_mails_the_operator_s_user_with_replies_going_to_the_reply_address(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = Config {
        smtp_relay_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: Some("Leadline <calls@leadline.example>".into()),
        reply_address: Some("replies@leadline.example".into()),
        ..crate::helpers::delivering_by_hand()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    // Cy, a user of the business, answers this site's calls.
    let business = seeded.site.business_id;
    let user = app
        .store
        .create_user(&NewUser {
            business_id: business,
            email: Email::parse("cy@acme.example").unwrap(),
            name: Name::parse_as("name", "Cy").unwrap(),
            role: Role::Operator,
            password_hash: Secret::new("not a real hash"),
        })
        .await
        .unwrap();
    let cy = E164::parse("+12025550113").unwrap();
    app.store
        .create_destination(&NewDestination {
            business_id: business,
            name: Name::parse_as("name", "Cy").unwrap(),
            number: cy.clone(),
            department: None,
            user_id: Some(user.id),
        })
        .await
        .unwrap();
    let rule = Rule {
        conditions: Vec::new(),
        destinations: vec![cy],
        in_turn: false,
    };
    app.store
        .add_routing_rule(business, seeded.site.id, &rule)
        .await
        .unwrap();
    let integration = add_prompt(&app, &seeded, PromptChannel::Email).await;
    let mailer = Mailer::from_config(&config).unwrap();
    assert!(mailer.is_some());
    let worker = worker(&app, "http://127.0.0.1:9", mailer);
    call_from_google(&app, &seeded, false).await;

    let delivery = finished_delivery(&app, &seeded, integration).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    assert_eq!(delivery.response.as_deref(), Some("e-mailed cy@acme.example"));
    let received = sink.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.mail_from, "<calls@leadline.example>");
    assert_eq!(mail.rcpt_to, ["<cy@acme.example>"]);
    assert_eq!(header(&mail.data, "To").as_deref(), Some("cy@acme.example"));
    assert_eq!(
        header(&mail.data, "Subject").as_deref(),
        Some("Call 1000 from google / cpc: reply with notes")
    );
    assert_eq!(
        header(&mail.data, "Reply-To").as_deref(),
        Some("replies@leadline.example")
    );
    assert!(
        header(&mail.data, "From").is_some_and(|f| f.contains("calls@leadline.example")),
        "{}",
        mail.data
    );
    expected_body(&body(&mail.data));
    worker.abort();
    app.finish().await;
}

async fn an_unanswered_call_prompts_nobody(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let provider = start_provider().await;
    let integration = add_prompt(&app, &seeded, PromptChannel::Sms).await;
    let worker = worker(&app, &provider.url, None);
    call_from_google(&app, &seeded, true).await;

    let delivery = finished_delivery(&app, &seeded, integration).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    assert_eq!(delivery.response.as_deref(), Some("nothing to send: nobody answered"));
    assert!(provider.requests().is_empty());
    worker.abort();
    app.finish().await;
}

async fn an_e_mail_prompt_without_a_relay_fails_saying_so(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let integration = add_prompt(&app, &seeded, PromptChannel::Email).await;
    let worker = worker(&app, "http://127.0.0.1:9", None);
    call_from_google(&app, &seeded, false).await;

    let delivery = finished_delivery(&app, &seeded, integration).await;
    assert_eq!(delivery.status, DeliveryStatus::Dead, "{delivery:?}");
    assert_eq!(
        delivery.last_error.as_deref(),
        Some("no SMTP relay configured (smtp_relay_url, mail_from)")
    );
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(
    an_answered_call_texts_the_operator_who_answered_from_the_tracking_number,
    an_answered_call_e_mails_the_operator_s_user_with_replies_going_to_the_reply_address,
    an_unanswered_call_prompts_nobody,
    an_e_mail_prompt_without_a_relay_fails_saying_so,
);
