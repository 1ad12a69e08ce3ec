//! Slow and idle clients cannot hold connections: a request head must arrive within
//! `header_read_timeout_seconds`, a connection with no request in progress is closed after
//! `connection_idle_timeout_seconds` of silence, and one client address holds at most
//! `connections_per_address` connections. Requests in progress are not cut.

use crate::helpers::{Engine, TestApp};
use axum::Router;
use axum::routing::{get, post};
use leadline::app::AppState;
use leadline::config::Config;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Far longer than any timeout these tests set: a connection still open after it was not cut.
const GENEROUS: Duration = Duration::from_secs(10);

/// A handler slower than the one-second idle timeout, and one that echoes its body.
fn slow_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/test/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                "done"
            }),
        )
        .route("/test/echo", post(|body: String| async move { body }))
}

async fn spawn(config: Config) -> TestApp {
    TestApp::spawn_with(Engine::Sqlite, config, slow_routes()).await
}

fn address(app: &TestApp) -> SocketAddr {
    app.base_url.trim_start_matches("http://").parse().unwrap()
}

/// A TCP connection to `app` from the loopback address `source`.
async fn connect_from(source: Ipv4Addr, app: &TestApp) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    socket.connect(address(app)).await.unwrap()
}

/// Whether the server closes the connection (end of stream or reset) within `bound`; anything
/// it sends before is skipped.
async fn closed_within(reader: &mut (impl AsyncRead + Unpin), bound: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let closing = async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(bound, closing).await.is_ok()
}

/// Reads one response with a `content-length`: its status code and body.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tokio::time::timeout(GENEROUS, stream.read(&mut buf))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(
            n > 0,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while received.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed in the middle of a response");
        received.extend_from_slice(&buf[..n]);
    }
    (
        status,
        String::from_utf8_lossy(&received[head_end..head_end + length]).into_owned(),
    )
}

async fn get_healthz(stream: &mut TcpStream) -> u16 {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: leadline.test\r\n\r\n")
        .await
        .unwrap();
    read_response(stream).await.0
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_after_the_header_timeout() {
    let app = spawn(Config {
        header_read_timeout_seconds: 1,
        ..Config::default()
    })
    .await;
    let stream = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        writer.write_all(b"GET /healthz HTTP/1.1\r\n").await?;
        for n in 0..40 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            writer.write_all(format!("x-trickle-{n}: 1\r\n").as_bytes()).await?;
        }
        std::io::Result::Ok(())
    });
    assert!(
        closed_within(&mut reader, GENEROUS).await,
        "a client sending a header every 300 ms kept its connection"
    );
    trickle.abort();
    app.finish().await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let app = spawn(Config {
        connection_idle_timeout_seconds: 1,
        ..Config::default()
    })
    .await;
    let mut stream = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    assert!(
        closed_within(&mut stream, GENEROUS).await,
        "a silent connection stayed open"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_keep_alive_connection_is_closed_after_the_idle_timeout_once_its_request_is_answered() {
    let app = spawn(Config {
        connection_idle_timeout_seconds: 1,
        ..Config::default()
    })
    .await;
    let mut stream = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    assert_eq!(get_healthz(&mut stream).await, 200);
    assert!(
        closed_within(&mut stream, GENEROUS).await,
        "an idle keep-alive connection stayed open"
    );
    app.finish().await;
}

#[tokio::test]
async fn requests_in_progress_are_not_cut_by_the_idle_or_header_timeouts() {
    let app = spawn(Config {
        connection_idle_timeout_seconds: 1,
        header_read_timeout_seconds: 1,
        ..Config::default()
    })
    .await;
    let mut stream = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    stream
        .write_all(b"GET /test/slow HTTP/1.1\r\nhost: leadline.test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut stream).await, (200, "done".to_owned()));

    // A body sent in two parts with a pause longer than both timeouts between them.
    stream
        .write_all(b"POST /test/echo HTTP/1.1\r\nhost: leadline.test\r\ncontent-length: 10\r\n\r\nhello")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stream.write_all(b"world").await.unwrap();
    assert_eq!(read_response(&mut stream).await, (200, "helloworld".to_owned()));
    app.finish().await;
}

#[tokio::test]
async fn one_address_beyond_its_connections_is_closed_at_once_and_the_others_are_served() {
    let app = spawn(Config {
        connections_per_address: 2,
        ..Config::default()
    })
    .await;
    let mut first = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    let mut second = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    assert_eq!(get_healthz(&mut first).await, 200);
    assert_eq!(get_healthz(&mut second).await, 200);

    let mut third = connect_from(Ipv4Addr::LOCALHOST, &app).await;
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: leadline.test\r\n\r\n")
        .await;
    assert!(
        closed_within(&mut third, GENEROUS).await,
        "a third connection from one address was kept"
    );

    assert_eq!(
        get_healthz(&mut first).await,
        200,
        "an existing connection stopped working"
    );
    let mut other = connect_from(Ipv4Addr::new(127, 0, 0, 2), &app).await;
    assert_eq!(get_healthz(&mut other).await, 200, "another address was refused");
    app.finish().await;
}
