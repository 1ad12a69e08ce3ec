//! STARTTLS and AUTH on the SMTP listener, spoken to by lettre (a real SMTP client with
//! rustls) and by a plain TCP client: credentials are never taken in clear, a listener that
//! requires them refuses mail without them, a wrong password is refused, and a relay that
//! authenticates over TLS delivers an operator's reply that is recorded.

use crate::helpers::Engine;
use crate::inbound::{ANN_EMAIL, replies};
use crate::smtp::{Client, listen};
use leadline::config::Config;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::net::Ipv4Addr;

const PASSWORD: &str = "correct horse battery staple";

/// A listener config with a self-signed certificate for `localhost` (its PEM returned) and
/// the relay's credentials, required.
fn secured(dir: &std::path::Path) -> (Config, String) {
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("smtp.crt"), dir.join("smtp.key"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.key_pair.serialize_pem()).unwrap();
    let config = Config {
        smtp_tls_cert_file: Some(cert),
        smtp_tls_key_file: Some(key),
        smtp_auth_username: Some("relay".into()),
        smtp_auth_password: Some(PASSWORD.into()),
        smtp_require_auth: true,
        ..Config::default()
    };
    (config, issued.cert.pem())
}

fn relay(port: u16, cert_pem: &str, password: &str) -> AsyncSmtpTransport<Tokio1Executor> {
    let tls = TlsParameters::builder("localhost".to_owned())
        .add_root_certificate(Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .build_rustls()
        .unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost")
        .port(port)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new("relay".into(), password.into()))
        .authentication(vec![Mechanism::Plain])
        .build()
}

async fn credentials_travel_only_over_tls_and_an_authenticated_relays_reply_is_recorded(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let (config, cert_pem) = secured(dir.path());
    let (app, seeded, port, record) = listen(engine, config).await;

    let mut plain = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
    plain.line().await;
    let offered = plain.command("EHLO relay.example").await;
    assert!(offered.contains("250-STARTTLS\r\n"), "{offered}");
    assert!(!offered.contains("AUTH"), "no AUTH before TLS: {offered}");
    let refused = plain
        .command("AUTH PLAIN AHJlbGF5AGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=")
        .await;
    assert!(
        refused.starts_with("538 "),
        "credentials in clear are refused: {refused}"
    );
    let refused = plain.command("MAIL FROM:<ann@acme.example>").await;
    assert!(refused.starts_with("530 "), "mail needs authentication: {refused}");

    let reply = Message::builder()
        .from(ANN_EMAIL.parse::<Mailbox>().unwrap())
        .to("replies@leadline.test".parse::<Mailbox>().unwrap())
        .subject(format!("Re: Call {record} from Google Ads"))
        .body("Wants the velvet sofa".to_owned())
        .unwrap();
    let wrong = relay(port, &cert_pem, "not the password").send(reply.clone()).await;
    let wrong = wrong.expect_err("a wrong password is refused").to_string();
    assert!(wrong.contains("535"), "{wrong}");
    assert!(replies(&app, seeded.site.business_id, record).await.is_empty());

    let sent = relay(port, &cert_pem, PASSWORD).send(reply).await;
    assert!(sent.is_ok(), "{sent:?}");
    assert_eq!(replies(&app, seeded.site.business_id, record).await.len(), 1);
    app.finish().await;
}

crate::on_both_engines!(credentials_travel_only_over_tls_and_an_authenticated_relays_reply_is_recorded);
