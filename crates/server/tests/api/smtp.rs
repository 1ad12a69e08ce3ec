//! The SMTP listener under load and probing, spoken to over real TCP: an idle session is
//! closed with `421`, one address cannot take every session (the others still get their
//! banner), a full listener says so at once instead of leaving clients hanging, and a
//! stranger cannot tell from the answers which addresses are operators'.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::inbound::{ANN_EMAIL, place_call, replies, seed_operator};
use leadline::app::AppState;
use leadline::config::Config;
use leadline_core::secret::Secret;
use leadline_core::site::SiteSettings;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

/// How long a test waits for a line before it gives up (a bound, never an expectation).
const PATIENCE: Duration = Duration::from_secs(20);
/// Sessions the listener serves at once (`MAX_SESSIONS` in smtp.rs).
const SESSIONS: usize = 64;

/// A listener serving `config` on a port of 127.0.0.1, with an operator and one call.
pub(crate) async fn listen(engine: Engine, config: Config) -> (TestApp, Seeded, u16, u64) {
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    seed_operator(&app, &seeded).await;
    let record = place_call(&app, &seeded, "+12025550169").await;
    let state = AppState::new(
        Arc::new(app.store.clone()),
        &config,
        Secret::new("a test install secret that is long enough"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(leadline::inbound::serve_smtp(listener, state));
    (app, seeded, port, record)
}

/// An SMTP client on a TCP connection from `source` (any 127.0.0.0/8 address is this machine).
pub(crate) struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    pub(crate) async fn connect_from(source: Ipv4Addr, port: u16) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind((IpAddr::V4(source), 0).into()).unwrap();
        let stream: TcpStream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        let (read, writer) = stream.into_split();
        Self {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// The next line with its CRLF; empty at the end of the stream.
    pub(crate) async fn line(&mut self) -> String {
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, self.reader.read_line(&mut line))
            .await
            .expect("the listener neither answered nor closed the connection")
            .unwrap();
        line
    }

    /// A whole reply (its `250-` continuation lines too), exactly as received.
    async fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let line = self.line().await;
            reply.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return reply;
            }
        }
    }

    pub(crate) async fn command(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }

    /// Sends one message; the reply to its end of data, exactly as received.
    async fn send(&mut self, from: &str, subject: &str, body: &str) -> String {
        assert!(self.command("EHLO mail.example").await.starts_with("250"));
        assert!(self.command(&format!("MAIL FROM:<{from}>")).await.starts_with("250"));
        assert!(self.command("RCPT TO:<replies@leadline.test>").await.starts_with("250"));
        assert!(self.command("DATA").await.starts_with("354"));
        let message = format!(
            "From: <{from}>\r\nTo: replies@leadline.test\r\nSubject: {subject}\r\n\
             Message-ID: <probe@example.com>\r\n\r\n{body}\r\n."
        );
        self.command(&message).await
    }
}

async fn an_idle_session_is_closed_with_421(engine: Engine) {
    let config = Config {
        smtp_idle_timeout_seconds: 1,
        ..Config::default()
    };
    let (app, _seeded, port, _record) = listen(engine, config).await;
    let mut client = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
    assert!(client.line().await.starts_with("220 "));
    assert!(client.command("EHLO mail.example").await.starts_with("250"));
    let closing = client.line().await;
    assert!(closing.starts_with("421 4.4.2 "), "{closing:?}");
    assert_eq!(client.line().await, "", "the session was not closed");
    app.finish().await;
}

async fn one_address_cannot_take_every_session(engine: Engine) {
    let per_address = Config::default().smtp_sessions_per_address;
    let (app, _seeded, port, _record) = listen(engine, Config::default()).await;
    let mut idle = Vec::new();
    let mut turned_away = 0;
    for _ in 0..SESSIONS {
        let mut client = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
        let banner = client.line().await;
        if banner.starts_with("220 ") {
            idle.push(client);
        } else {
            assert!(banner.starts_with("421 4.7.0 "), "{banner:?}");
            assert_eq!(client.line().await, "", "a refused session stays open");
            turned_away += 1;
        }
    }
    assert_eq!(idle.len(), per_address);
    assert_eq!(turned_away, SESSIONS - per_address);

    let mut other = Client::connect_from(Ipv4Addr::new(127, 0, 0, 2), port).await;
    let banner = other.line().await;
    assert!(banner.starts_with("220 "), "{banner:?}");
    assert!(other.command("NOOP").await.starts_with("250"));
    app.finish().await;
}

async fn a_full_listener_says_so_at_once_and_serves_again_when_a_session_ends(engine: Engine) {
    let (app, _seeded, port, _record) = listen(engine, Config::default()).await;
    let per_address = Config::default().smtp_sessions_per_address;
    let mut sessions = Vec::new();
    for n in 0..SESSIONS {
        let source = Ipv4Addr::new(127, 0, 1, u8::try_from(1 + n / per_address).unwrap());
        let mut client = Client::connect_from(source, port).await;
        assert!(client.line().await.starts_with("220 "), "session {n}");
        sessions.push(client);
    }
    let late = Ipv4Addr::new(127, 0, 2, 1);
    let mut refused = Client::connect_from(late, port).await;
    let busy = refused.line().await;
    assert!(busy.starts_with("421 4.3.2 "), "{busy:?}");

    let mut leaving = sessions.pop().unwrap();
    assert!(leaving.command("QUIT").await.starts_with("221"));
    assert_eq!(leaving.line().await, "");
    let mut next = Client::connect_from(late, port).await;
    let banner = next.line().await;
    assert!(banner.starts_with("220 "), "{banner:?}");
    app.finish().await;
}

async fn a_stranger_and_an_operator_are_refused_with_the_same_answer(engine: Engine) {
    let (app, seeded, port, record) = listen(engine, Config::default()).await;
    let reply = format!("Re: Call {record} from Google Ads");
    let mut answers = Vec::new();
    for (from, subject) in [
        ("bob@nowhere.test", reply.as_str()),
        (ANN_EMAIL, "Re: Call 987654 from Google Ads"),
        (ANN_EMAIL, "Hello there"),
    ] {
        let mut client = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
        client.line().await;
        answers.push(client.send(from, subject, "Wants the velvet sofa").await);
    }
    assert!(answers[0].starts_with("550 "), "{answers:?}");
    assert_eq!(answers[1], answers[0], "an operator's unknown record tells them apart");
    assert_eq!(
        answers[2], answers[0],
        "an operator's unreadable command tells them apart"
    );
    assert!(replies(&app, seeded.site.business_id, record).await.is_empty());

    let mut client = Client::connect_from(Ipv4Addr::LOCALHOST, port).await;
    client.line().await;
    let recorded = client.send(ANN_EMAIL, &reply, "Wants the velvet sofa").await;
    assert!(recorded.starts_with("250 "), "{recorded}");
    assert_eq!(replies(&app, seeded.site.business_id, record).await.len(), 1);
    app.finish().await;
}

crate::on_both_engines!(
    an_idle_session_is_closed_with_421,
    one_address_cannot_take_every_session,
    a_full_listener_says_so_at_once_and_serves_again_when_a_session_ends,
    a_stranger_and_an_operator_are_refused_with_the_same_answer,
);
