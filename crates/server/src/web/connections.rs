//! The HTTP server's connections: each is served by hyper's HTTP/1 server and watched, so that
//! a slow or silent client cannot hold it. A connection with no request in progress is closed
//! after `idle` without a byte from the client (a fresh one too); once the client has sent the
//! first byte of a request, the whole head must follow within `header_read`. A request in
//! progress (from its head until its response is sent) is left to the request timeout.
//!
//! hyper's own `header_read_timeout` is not used: it runs from the moment hyper waits for a
//! head, which on a keep-alive connection is the end of the previous response, so it cannot
//! tell a client that is slow to send a head from one that is merely idle.

use crate::config::Config;
use crate::slots::Slot;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::Watcher;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long clients may take, and how many connections one address may hold.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The longest a request's head may take from its first byte.
    pub header_read: Duration,
    /// The longest a connection with no request in progress may stay silent.
    pub idle: Duration,
    /// Most connections open at once from one client address (IPv6: one /64).
    pub per_address: usize,
}

impl Settings {
    /// The settings a configuration sets. Behind a trusted proxy (`client_ip_header` set)
    /// every connection comes from the proxy, so the bound per address is not applied: it
    /// would limit all clients together, and the proxy bounds its own.
    pub fn from_config(config: &Config) -> Self {
        let per_address = match config.client_ip_header {
            Some(_) => usize::MAX,
            None => config.connections_per_address,
        };
        Self {
            header_read: Duration::from_secs(config.header_read_timeout_seconds),
            idle: Duration::from_secs(config.connection_idle_timeout_seconds),
            per_address,
        }
    }
}

/// Why a connection was closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    /// Nothing came for `idle` while no request was in progress.
    Idle,
    /// A request's head did not arrive whole within `header_read` of its first byte.
    SlowHead,
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Phase {
    /// Requests whose head has arrived and whose response is not yet sent.
    requests: usize,
    /// When the connection last had no request in progress (accepted, or a response sent).
    quiet_since: Instant,
    /// When the first byte after `quiet_since` arrived, while no request was in progress.
    head_since: Option<Instant>,
}

impl Phase {
    fn new(now: Instant) -> Self {
        Self {
            requests: 0,
            quiet_since: now,
            head_since: None,
        }
    }

    /// When the connection is to be closed, and why; `None` while a request is in progress.
    fn deadline(&self, settings: &Settings) -> Option<(Instant, Closed)> {
        if self.requests > 0 {
            return None;
        }
        Some(match self.head_since {
            Some(started) => (started + settings.header_read, Closed::SlowHead),
            None => (self.quiet_since + settings.idle, Closed::Idle),
        })
    }
}

/// Serves one accepted connection until it ends, its client is too slow, or `kill` (the end
/// of the shutdown grace period). `slot` is given back when it ends.
pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    settings: Settings,
    slot: Slot,
    watcher: Watcher,
    kill: CancellationToken,
) {
    let phase: Watched = Arc::new(Mutex::new(Phase::new(Instant::now())));
    let watched = phase.clone();
    let io = TokioIo::new(Observed {
        stream,
        phase: phase.clone(),
    });
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_progress = InProgress::begin(phase.clone());
        // What `into_make_service_with_connect_info` would add: the client's address.
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|body| Tracked {
                body,
                _in_progress: in_progress,
            }))
        }
    });
    let connection = watcher.watch(hyper::server::conn::http1::Builder::new().serve_connection(io, service));
    tokio::select! {
        served = connection => {
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "HTTP connection ended");
            }
        }
        closed = watchdog(watched, settings) => {
            tracing::debug!(%peer, ?closed, "HTTP connection closed: the client was too slow");
        }
        () = kill.cancelled() => {}
    }
    drop(slot);
}

/// Where a connection stands, shared by its reads, its requests and its watchdog.
type Watched = Arc<Mutex<Phase>>;

fn update(phase: &Watched, change: impl FnOnce(&mut Phase)) {
    change(&mut phase.lock().unwrap_or_else(PoisonError::into_inner));
}

/// Resolves when the connection's deadline passes: never while a request is in progress.
///
/// Nothing wakes it: it looks at the phase again at least every `min(header_read, idle)`,
/// which is never later than a deadline that a head starting or a request ending can set, so
/// no deadline is missed. (It was woken through a `watch` channel at each request's start and
/// end and at each head: three cross-task wakes and timer re-arms per request, about 5% of a
/// bare request's samples.)
async fn watchdog(phase: Watched, settings: Settings) -> Closed {
    let look_again = settings.header_read.min(settings.idle);
    loop {
        let now = Instant::now();
        let deadline = phase.lock().unwrap_or_else(PoisonError::into_inner).deadline(&settings);
        let wake = match deadline {
            Some((at, closed)) if at <= now => return closed,
            Some((at, _)) => at.min(now + look_again),
            None => now + look_again,
        };
        tokio::time::sleep_until(wake).await;
    }
}

/// A request in progress; dropping it (its response sent, or abandoned) ends it.
struct InProgress {
    phase: Watched,
}

impl InProgress {
    fn begin(phase: Watched) -> Self {
        update(&phase, |p| {
            p.requests += 1;
            p.head_since = None;
        });
        Self { phase }
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        update(&self.phase, |p| {
            p.requests -= 1;
            if p.requests == 0 {
                p.quiet_since = Instant::now();
            }
        });
    }
}

/// A response body that keeps its request in progress until hyper is done with it, so that a
/// long answer (a download, a stream of events) is not taken for an idle connection.
struct Tracked {
    body: Body,
    _in_progress: InProgress,
}

impl HttpBody for Tracked {
    type Data = <Body as HttpBody>::Data;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The client's connection, noting when the first byte of a request's head arrives.
struct Observed {
    stream: TcpStream,
    phase: Watched,
}

impl AsyncRead for Observed {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            update(&self.phase, |p| {
                if p.requests == 0 && p.head_since.is_none() {
                    p.head_since = Some(Instant::now());
                }
            });
        }
        polled
    }
}

impl AsyncWrite for Observed {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
        per_address: 64,
    };

    #[test]
    fn a_quiet_connection_closes_after_the_idle_time_and_a_started_head_after_the_header_time() {
        let start = Instant::now();
        let mut phase = Phase::new(start);
        assert_eq!(phase.deadline(&SETTINGS), Some((start + SETTINGS.idle, Closed::Idle)));
        let first_byte = start + Duration::from_secs(5);
        phase.head_since = Some(first_byte);
        assert_eq!(
            phase.deadline(&SETTINGS),
            Some((first_byte + SETTINGS.header_read, Closed::SlowHead))
        );
        phase.requests = 1;
        assert_eq!(phase.deadline(&SETTINGS), None);
    }
}
