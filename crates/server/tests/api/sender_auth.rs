//! Replies refused when they fail SPF/DKIM/DMARC and their business asks for it: over the
//! SMTP listener, whose checks read DNS answers the test publishes in the checker's cache
//! (never real DNS), a reply DKIM-signed by the operator's domain with a key made here is
//! recorded and a forged one is refused with 550 and changes nothing (and is recorded when
//! the business has not turned the check on); over SendGrid and Mailgun, a failing result they
//! report is refused; the owners' settings page sets the switch.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::inbound::{ANN_EMAIL, replies};
use crate::operator::{csrf_of, log_in, operator, page, post};
use crate::settings_setup::owner;
use crate::smtp::{Client, listen};
use base64::Engine as _;
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::secret::Secret;
use leadline_core::sender_auth::SenderAuthStore;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use std::net::Ipv4Addr;
use std::sync::Arc;

const TOKEN: &str = "inbound-token-0123456789";

/// A listener whose business requires authentication (or not), its state's checker ready for
/// the test's DNS answers; Ann's domain says `v=spf1 -all` and `p=reject`.
async fn listener(engine: Engine, required: bool) -> (TestApp, Seeded, u16, u64, Vec<u8>) {
    let (app, seeded, _, record) = listen(engine, Config::default()).await;
    app.store
        .set_sender_auth_required(seeded.site.business_id, required)
        .await
        .unwrap();
    let state = AppState::new(
        Arc::new(app.store.clone()),
        &Config::default(),
        Secret::new("a test install secret that is long enough"),
    )
    .unwrap();
    let checker = &state.inbound.sender_auth;
    checker.publish_txt("example.com", Some("v=spf1 -all"));
    checker.publish_txt("_dmarc.example.com", Some("v=DMARC1; p=reject"));
    checker.publish_txt("_dmarc.com", None);
    let signing = Ed25519Key::generate_pkcs8().unwrap();
    let public = Ed25519Key::from_pkcs8_der(&signing).unwrap().public_key();
    checker.publish_txt(
        "s1._domainkey.example.com",
        Some(&format!(
            "v=DKIM1; k=ed25519; p={}",
            base64::engine::general_purpose::STANDARD.encode(public)
        )),
    );
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    tokio::spawn(leadline::inbound::serve_smtp(tcp, state));
    (app, seeded, port, record, signing)
}

/// Ann's reply to `record`, DKIM-signed by example.com with the published key (PKCS#8) when
/// one is given.
fn reply(record: u64, note: &str, key: Option<&[u8]>) -> String {
    let message = format!(
        "From: Ann Operator <{ANN_EMAIL}>\r\nTo: replies@leadline.test\r\nSubject: Re: Call {record}\r\n\
         Message-ID: <auth-{record}@example.com>\r\n\r\n{note}\r\n"
    );
    let Some(key) = key else {
        return message;
    };
    let key = Ed25519Key::from_pkcs8_der(key).unwrap();
    let signature = DkimSigner::from_key(key)
        .domain("example.com")
        .selector("s1")
        .headers(["From", "To", "Subject", "Message-ID"])
        .sign(message.as_bytes())
        .unwrap();
    format!("{}{message}", signature.to_header())
}

/// Sends `message` as Ann from 127.0.0.1; the answer to its end of data.
async fn send(port: u16, message: &str) -> String {
    let mut client = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
    assert!(client.line().await.starts_with("220"));
    assert!(client.command("EHLO mail.example.com").await.starts_with("250"));
    assert!(
        client
            .command(&format!("MAIL FROM:<{ANN_EMAIL}>"))
            .await
            .starts_with("250")
    );
    assert!(
        client
            .command("RCPT TO:<replies@leadline.test>")
            .await
            .starts_with("250")
    );
    assert!(client.command("DATA").await.starts_with("354"));
    assert!(
        !message.contains("\r\n."),
        "no line of these messages starts with a dot"
    );
    client.command(&format!("{message}.")).await
}

async fn a_reply_dkim_signed_by_the_operators_domain_is_recorded_when_the_business_requires_authentication(
    engine: Engine,
) {
    let (app, seeded, port, record, key) = listener(engine, true).await;
    // SPF fails (127.0.0.1 is not in `-all`), but the aligned signature passes DMARC.
    let answer = send(port, &reply(record, "Signed note", Some(&key))).await;
    assert!(answer.starts_with("250"), "{answer}");
    let notes = replies(&app, seeded.site.business_id, record).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].detail.to_string().contains("Signed note"));
    app.finish().await;
}

async fn a_forged_reply_is_refused_with_550_and_changes_nothing_when_the_business_requires_authentication(
    engine: Engine,
) {
    let (app, seeded, port, record, key) = listener(engine, true).await;
    let answer = send(port, &reply(record, "Forged note", None)).await;
    assert!(answer.starts_with("550 5.7.1 "), "{answer}");
    // The same answer a stranger gets: it tells nobody that the address is an operator's.
    let stranger = send(port, &reply(record, "x", None).replace(ANN_EMAIL, "eve@example.org")).await;
    assert_eq!(answer, stranger);
    // A signature that does not verify (the text changed after signing) is no better.
    let tampered = reply(record, "Signed note", Some(&key)).replace("Signed note", "Tampered note");
    assert!(send(port, &tampered).await.starts_with("550 5.7.1 "));
    assert!(replies(&app, seeded.site.business_id, record).await.is_empty());
    app.finish().await;
}

async fn a_forged_reply_is_recorded_when_the_business_has_not_turned_the_check_on(engine: Engine) {
    let (app, seeded, port, record, _) = listener(engine, false).await;
    let answer = send(port, &reply(record, "Unchecked note", None)).await;
    assert!(answer.starts_with("250"), "{answer}");
    assert_eq!(replies(&app, seeded.site.business_id, record).await.len(), 1);
    app.finish().await;
}

async fn webhook(app: &TestApp, provider: &str, fields: &[(&str, String)]) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}/inbound/{provider}/{TOKEN}", app.base_url))
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn a_sendgrid_or_mailgun_reply_they_report_failing_is_refused_when_the_business_requires_authentication(
    engine: Engine,
) {
    let config = Config {
        inbound_email_token: Some(TOKEN.into()),
        ..Config::default()
    };
    let (app, seeded, _, record) = listen(engine, config).await;
    let business = seeded.site.business_id;
    let subject = format!("Re: Call {record}");
    let sendgrid = |spf: &str, dkim: &str, note: &str| {
        vec![
            ("from", format!("Ann Operator <{ANN_EMAIL}>")),
            ("subject", subject.clone()),
            ("text", note.to_owned()),
            ("SPF", spf.to_owned()),
            ("dkim", dkim.to_owned()),
            ("envelope", format!(r#"{{"to":["r@in.test"],"from":"{ANN_EMAIL}"}}"#)),
        ]
    };
    let mailgun = |spf: &str, dkim: &str, note: &str| {
        let headers = serde_json::json!([
            ["X-Mailgun-Spf", spf],
            ["X-Mailgun-Dkim-Check-Result", dkim],
            ["DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=s1; b=x"],
        ]);
        vec![
            ("from", format!("Ann Operator <{ANN_EMAIL}>")),
            ("sender", ANN_EMAIL.to_owned()),
            ("subject", subject.clone()),
            ("body-plain", note.to_owned()),
            ("message-headers", headers.to_string()),
        ]
    };
    app.store.set_sender_auth_required(business, true).await.unwrap();
    // SendGrid's own pass for another domain proves nothing; without results, nothing is known.
    let mut foreign = sendgrid("neutral", "{@evil.test : pass}", "SendGrid foreign");
    foreign.retain(|(name, _)| *name != "envelope");
    let mut unreported = sendgrid("", "", "SendGrid unreported");
    unreported.retain(|(name, _)| !matches!(*name, "SPF" | "dkim"));
    for body in [
        webhook(
            &app,
            "sendgrid",
            &sendgrid("fail", "{@example.com : fail}", "SendGrid forged"),
        )
        .await,
        webhook(&app, "sendgrid", &foreign).await,
        webhook(&app, "sendgrid", &unreported).await,
        webhook(&app, "mailgun", &mailgun("Fail", "Fail", "Mailgun forged")).await,
    ] {
        assert_eq!(body["recorded"], false, "{body}");
        assert!(body["reply"].as_str().unwrap().contains("SPF/DKIM/DMARC"), "{body}");
    }
    assert!(replies(&app, business, record).await.is_empty(), "nothing changed");
    let sendgrid_ok = webhook(
        &app,
        "sendgrid",
        &sendgrid("softfail", "{@example.com : pass}", "SendGrid signed"),
    )
    .await;
    assert_eq!(sendgrid_ok["recorded"], true, "{sendgrid_ok}");
    let mailgun_ok = webhook(&app, "mailgun", &mailgun("Pass", "Pass", "Mailgun passed")).await;
    assert_eq!(mailgun_ok["recorded"], true, "{mailgun_ok}");
    assert_eq!(replies(&app, business, record).await.len(), 2);
    app.finish().await;
}

async fn an_owner_turns_the_check_on_bad_input_changes_nothing_and_others_get_404(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), Default::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (status, html) = page(&app, &cookie, "/app/settings/replies").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"value="accept" checked"#),
        "off until turned on: {html}"
    );
    let csrf = csrf_of(&html);

    let response = post(
        &app,
        &cookie,
        "/app/settings/replies",
        &[("csrf", csrf.as_str()), ("unauthenticated", "maybe")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("choose whether to refuse or record replies"), "{html}");
    assert!(
        !app.store.sender_auth_required(business).await.unwrap(),
        "nothing changed"
    );

    let response = post(
        &app,
        &cookie,
        "/app/settings/replies",
        &[("csrf", csrf.as_str()), ("unauthenticated", "refuse")],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert!(app.store.sender_auth_required(business).await.unwrap());
    let (_, html) = page(&app, &cookie, "/app/settings/replies?saved=1").await;
    assert!(
        html.contains(r#"value="refuse" checked"#) && html.contains("Saved"),
        "{html}"
    );

    // Without the CSRF token nothing changes either.
    let response = post(&app, &cookie, "/app/settings/replies", &[("unauthenticated", "accept")]).await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(app.store.sender_auth_required(business).await.unwrap());
    let audited = app
        .store
        .stored_texts("SELECT actor || ' ' || detail FROM audit_log WHERE action = 'replies.sender_auth_changed'")
        .await
        .unwrap();
    assert_eq!(
        audited,
        ["user:olive@example.com refuse"],
        "the change is in the audit log"
    );

    // An operator of the business is no owner: the page and its form are a 404 to them.
    operator(&app, business, "oscar@example.com").await;
    let operator = log_in(&app, "oscar@example.com", crate::operator::PASSWORD)
        .await
        .unwrap();
    assert_eq!(page(&app, &operator, "/app/settings/replies").await.0, 404);
    let response = post(
        &app,
        &operator,
        "/app/settings/replies",
        &[("csrf", csrf.as_str()), ("unauthenticated", "accept")],
    )
    .await;
    assert_eq!(response.status(), 404);
    assert!(app.store.sender_auth_required(business).await.unwrap());
    app.finish().await;
}

crate::on_both_engines!(
    a_reply_dkim_signed_by_the_operators_domain_is_recorded_when_the_business_requires_authentication,
    a_forged_reply_is_refused_with_550_and_changes_nothing_when_the_business_requires_authentication,
    a_forged_reply_is_recorded_when_the_business_has_not_turned_the_check_on,
    a_sendgrid_or_mailgun_reply_they_report_failing_is_refused_when_the_business_requires_authentication,
    an_owner_turns_the_check_on_bad_input_changes_nothing_and_others_get_404,
);
