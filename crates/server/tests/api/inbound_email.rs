//! Operators' replies by e-mail: real SMTP from Python's smtplib to the listener, SendGrid
//! Inbound Parse posts (parsed and raw mode) and Mailgun route posts (signed, and wrongly
//! signed); each lands as a note on the right record, and what is malformed, too large or
//! from a stranger is refused and changes nothing.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::inbound::{ANN_EMAIL, place_call, replies, seed_operator};
use hmac::{Hmac, Mac};
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;

pub(crate) const TOKEN: &str = "inbound-token-0123456789";
const MAILGUN_KEY: &str = "key-0123456789abcdef";
const MAX_BYTES: usize = 8192;

fn config() -> Config {
    Config {
        inbound_email_token: Some(TOKEN.into()),
        mailgun_signing_key: Some(MAILGUN_KEY.into()),
        inbound_max_message_bytes: MAX_BYTES,
        ..Config::default()
    }
}

pub(crate) async fn spawn(engine: Engine) -> (TestApp, Seeded, u64) {
    let (app, seeded) = TestApp::spawn_site(engine, config(), SiteSettings::default()).await;
    seed_operator(&app, &seeded).await;
    let record = place_call(&app, &seeded, "+12025550169").await;
    (app, seeded, record)
}

/// Sends one message with smtplib; the SMTP code and text of the answer to DATA, or `None`
/// (after printing `SKIPPED:`) without python3.
fn smtplib(port: u16, from: &str, subject: &str, body: &str, raw: Option<&str>) -> Option<String> {
    let script = r#"
import smtplib, sys
from email.message import EmailMessage
port, sender, subject, body, raw = sys.argv[1:6]
s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
try:
    if raw:
        s.sendmail(sender, ["replies@leadline.test"], raw.encode("utf-8"))
    else:
        m = EmailMessage()
        m["From"] = "Ann Operator <%s>" % sender
        m["To"] = "replies@leadline.test"
        m["Subject"] = subject
        m["Message-ID"] = "<smtp-test@example.com>"
        m.set_content(body)
        s.send_message(m)
    print("250")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode("utf-8", "replace"))
finally:
    s.quit()
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script, &port.to_string(), from, subject, body, raw.unwrap_or("")])
        .output();
    match output {
        Err(e) => {
            leadline_testkit::skip(&format!("python3 is not available ({e})"));
            None
        }
        Ok(output) => {
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            Some(String::from_utf8(output.stdout).unwrap().trim().to_owned())
        }
    }
}

async fn replies_by_smtp_become_notes(engine: Engine) {
    let (app, seeded, record) = spawn(engine).await;
    let business = seeded.site.business_id;
    let state = AppState::new(
        Arc::new(app.store.clone()),
        &config(),
        Secret::new("a test install secret that is long enough"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = tokio::spawn(leadline::inbound::serve_smtp(listener, state));
    let send = |from: &'static str, subject: String, body: &'static str, raw: Option<String>| {
        tokio::task::spawn_blocking(move || smtplib(port, from, &subject, body, raw.as_deref()))
    };

    let subject = format!("Re: Call {record} from Google Ads");
    let Some(answer) = send(
        ANN_EMAIL,
        subject.clone(),
        "Wants the café velvet sofa\n\nOn Mon, Nov 30, 2026 at 9:12 AM Leadline <calls@leadline.test> wrote:\n> Call",
        None,
    )
    .await
    .unwrap() else {
        smtp.abort();
        app.finish().await;
        return;
    };
    assert_eq!(answer, "250", "{answer}");
    let notes = replies(&app, business, record).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].author.as_str(), format!("email:{ANN_EMAIL}"));
    let detail = notes[0].detail.to_string();
    assert!(
        detail.contains("Wants the café velvet sofa") && !detail.contains("wrote"),
        "{detail}"
    );

    // A stranger and an operator's unknown record get one answer (tests/api/smtp.rs).
    let answer = send("bob@nowhere.test", subject.clone(), "A stranger", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "550 5.7.1 the reply was not recorded");
    let answer = send(ANN_EMAIL, "Re: Call 987654".into(), "Unknown", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "550 5.7.1 the reply was not recorded");
    let malformed = "this is not an e-mail at all\r\n".to_owned();
    let answer = send(ANN_EMAIL, String::new(), "", Some(malformed))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("554") && answer.contains("malformed"), "{answer}");
    let no_boundary = format!(
        "From: {ANN_EMAIL}\r\nSubject: {subject}\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts\r\n"
    );
    let answer = send(ANN_EMAIL, String::new(), "", Some(no_boundary))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("554") && answer.contains("MIME"), "{answer}");
    let huge = format!(
        "From: {ANN_EMAIL}\r\nSubject: {subject}\r\n\r\n{}\r\n",
        "word ".repeat(3000)
    );
    let answer = send(ANN_EMAIL, String::new(), "", Some(huge)).await.unwrap().unwrap();
    assert!(answer.starts_with("552"), "{answer}");
    assert_eq!(
        replies(&app, business, record).await.len(),
        1,
        "the refusals changed nothing"
    );
    smtp.abort();
    app.finish().await;
}

pub(crate) async fn post_sendgrid(app: &TestApp, token: &str, form: reqwest::multipart::Form) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/inbound/sendgrid/{token}", app.base_url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn sendgrid_posts_become_notes(engine: Engine) {
    let (app, seeded, record) = spawn(engine).await;
    let business = seeded.site.business_id;
    let parsed = |from: &str, text: String| {
        reqwest::multipart::Form::new()
            .text("from", format!("Ann Operator <{from}>"))
            .text("to", "replies@leadline.test")
            .text("subject", format!("RE: [Leadline] Call {record}"))
            .text("text", text)
            .text("html", "<p>ignored when there is text</p>")
            .text(
                "headers",
                "Message-ID: <sg-1@example.com>\nFrom: Ann Operator <ann@example.com>\n",
            )
            .text(
                "envelope",
                json!({"to": ["replies@leadline.test"], "from": from}).to_string(),
            )
            .text(
                "charsets",
                json!({"from": "UTF-8", "subject": "UTF-8", "text": "utf-8"}).to_string(),
            )
    };
    let (status, body) = post_sendgrid(&app, TOKEN, parsed(ANN_EMAIL, "Parsed mode note".into())).await;
    assert_eq!((status, &body["recorded"]), (200, &json!(true)), "{body}");
    let raw = format!(
        "From: \"Ann\" <{ANN_EMAIL}>\r\nTo: replies@leadline.test\r\nSubject: =?UTF-8?Q?Re:_Call_{record}?=\r\n\
         Message-ID: <raw-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         Raw mode, tr=E8s bien\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b1--\r\n"
    );
    let form = reqwest::multipart::Form::new()
        .text("email", raw)
        .text("to", "replies@leadline.test");
    let (status, body) = post_sendgrid(&app, TOKEN, form).await;
    assert_eq!((status, &body["recorded"]), (200, &json!(true)), "{body}");
    let notes: Vec<String> = replies(&app, business, record)
        .await
        .iter()
        .map(|a| a.detail.to_string())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("Parsed mode note") && notes[1].contains("Raw mode, très bien"),
        "{notes:?}"
    );

    let (status, body) = post_sendgrid(&app, TOKEN, parsed("bob@nowhere.test", "stranger".into())).await;
    assert_eq!((status, &body["recorded"]), (200, &json!(false)), "{body}");
    let form = reqwest::multipart::Form::new().text("email", "no headers, just words\r\n");
    let (status, body) = post_sendgrid(&app, TOKEN, form).await;
    assert_eq!(status, 200, "SendGrid would retry anything else");
    assert!(body["error"].as_str().unwrap().contains("malformed"), "{body}");
    // The server answers 413 as soon as the limit is passed and closes the connection; a
    // client still uploading may see that as a broken pipe instead of the answer.
    let oversized = app
        .client
        .post(format!("{}/inbound/sendgrid/{TOKEN}", app.base_url))
        .multipart(parsed(ANN_EMAIL, "x".repeat(MAX_BYTES)))
        .send()
        .await;
    if let Ok(response) = oversized {
        assert_eq!(response.status(), 413);
    }
    let (status, _) = post_sendgrid(&app, "wrong-token-0123456789", parsed(ANN_EMAIL, "y".into())).await;
    assert_eq!(status, 404);
    assert_eq!(
        replies(&app, business, record).await.len(),
        2,
        "the refusals changed nothing"
    );
    app.finish().await;
}

async fn mailgun_posts_are_checked_and_become_notes(engine: Engine) {
    let (app, seeded, record) = spawn(engine).await;
    let business = seeded.site.business_id;
    let post = |key: &'static str, timestamp: i64, text: &'static str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        let token = "4e1d3c6a0f9b8e7d6c5b4a39281706f5e4d3c2b1a0";
        mac.update(format!("{timestamp}{token}").as_bytes());
        let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let form = vec![
            ("sender", ANN_EMAIL.to_owned()),
            ("from", format!("Ann Operator <{ANN_EMAIL}>")),
            ("recipient", "replies@leadline.test".to_owned()),
            ("subject", format!("Re: Call {record}")),
            ("body-plain", format!("{text}\n\n> quoted")),
            ("stripped-text", text.to_owned()),
            ("Message-Id", "<mg-1@example.com>".to_owned()),
            ("timestamp", timestamp.to_string()),
            ("token", token.to_owned()),
            ("signature", signature),
        ];
        let request = app
            .client
            .post(format!("{}/inbound/mailgun/{TOKEN}", app.base_url))
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let now = chrono::Utc::now().timestamp();
    let (status, body) = post(MAILGUN_KEY, now, "Mailgun note").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Note added"), "{body}");
    let (status, body) = post("key-not-the-right-one", now, "forged").await;
    assert_eq!(status, 406, "{body}");
    let (status, body) = post(MAILGUN_KEY, now - 3600, "replayed").await;
    assert_eq!(status, 406, "{body}");
    let notes = replies(&app, business, record).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].detail.to_string().contains("Mailgun note"));
    assert_eq!(notes[0].author.as_str(), format!("email:{ANN_EMAIL}"));
    app.finish().await;
}

crate::on_both_engines!(
    replies_by_smtp_become_notes,
    sendgrid_posts_become_notes,
    mailgun_posts_are_checked_and_become_notes,
);
