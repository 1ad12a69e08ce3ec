//! Calls as they change, for the live panel. Every server must hear of every change, whichever
//! server took the webhook: on PostgreSQL the change's transaction sends a `NOTIFY`, delivered
//! at commit to every server's one `LISTEN` connection; SQLite has one server, so the change is
//! handed over in process after the commit. The same connection hears tenant changes for the
//! tenant cache (`tenant_cache.rs`).

use crate::errors::backend;
use crate::tenant_cache::{self, TenantCache};
use crate::visits::activity::{self, Ledger};
use crate::{Engine, SqlStore};
use leadline_core::BusinessId;
use leadline_core::interaction::{CallChanged, CallFeed, LiveEvent};
use leadline_core::store::StoreResult;
use sqlx::AnyConnection;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// The PostgreSQL channel call changes are announced on.
const CHANNEL: &str = "leadline_calls";
/// How many changes a slow subscriber may fall behind before it is told it missed some.
const BACKLOG: usize = 1024;

/// The store's side of the live feed: the in-process hand-over and, on PostgreSQL, the
/// listener that feeds it.
#[derive(Debug)]
pub(crate) struct LiveCalls {
    engine: Engine,
    sender: broadcast::Sender<LiveEvent>,
    /// The PostgreSQL URL to listen on.
    listen_url: Option<String>,
    listening: AtomicBool,
    closed: Notify,
    /// Told when the connection comes and goes and when a tenant changes.
    tenants: Arc<TenantCache>,
    /// Told when a code leaves its visit on any server.
    codes: Arc<Ledger>,
}

impl LiveCalls {
    pub(crate) fn new(
        engine: Engine,
        listen_url: Option<String>,
        tenants: Arc<TenantCache>,
        codes: Arc<Ledger>,
    ) -> Arc<Self> {
        Arc::new(Self {
            engine,
            sender: broadcast::channel(BACKLOG).0,
            listen_url,
            listening: AtomicBool::new(false),
            closed: Notify::new(),
            tenants,
            codes,
        })
    }

    /// Starts the server's one `LISTEN` connection on PostgreSQL, unless it runs already.
    pub(crate) fn ensure_listening(self: &Arc<Self>) {
        if let Some(url) = &self.listen_url
            && !self.listening.swap(true, Ordering::SeqCst)
        {
            tokio::spawn(listen(Arc::clone(self), url.clone()));
        }
    }

    /// After a change's commit: hands it to this server's subscribers (SQLite; on PostgreSQL
    /// the `NOTIFY` reaches every server, this one included).
    pub(crate) fn published(&self, business: i64, call: i64) {
        if self.engine == Engine::Sqlite {
            let _ = self.sender.send(changed(business, call));
        }
    }

    /// Stops the listener (the store is closing).
    pub(crate) fn close(&self) {
        self.closed.notify_waiters();
    }

    fn subscribe(self: &Arc<Self>) -> Subscription {
        let receiver = self.sender.subscribe();
        self.ensure_listening();
        Subscription { receiver }
    }
}

fn changed(business: i64, call: i64) -> LiveEvent {
    LiveEvent::Changed(CallChanged {
        business: BusinessId(business),
        call,
    })
}

/// Inside the change's transaction: on PostgreSQL, announces it at commit.
pub(crate) async fn notify(conn: &mut AnyConnection, engine: Engine, business: i64, call: i64) -> StoreResult<()> {
    notify_many(conn, engine, &[(business, call)]).await
}

/// Announces several calls' changes (business, call) in one statement, as [`notify`] does.
pub(crate) async fn notify_many(conn: &mut AnyConnection, engine: Engine, changes: &[(i64, i64)]) -> StoreResult<()> {
    if engine != Engine::Postgres || changes.is_empty() {
        return Ok(());
    }
    let calls: Vec<String> = (0..changes.len())
        .map(|i| format!("pg_notify($1, ${})", i + 2))
        .collect();
    let sql = format!("SELECT {}", calls.join(", "));
    let mut query = sqlx::query(&sql).bind(CHANNEL);
    for (business, call) in changes {
        query = query.bind(format!("{business}:{call}"));
    }
    query.execute(&mut *conn).await.map_err(backend)?;
    Ok(())
}

/// Reads a freed code's `NOTIFY` payload (`pool_id:code`).
fn parse_code(payload: &str) -> Option<(i64, i64)> {
    let (pool, code) = payload.split_once(':')?;
    Some((pool.parse().ok()?, code.parse().ok()?))
}

/// Reads a `NOTIFY` payload (`business:call`).
fn parse_payload(payload: &str) -> Option<LiveEvent> {
    let (business, call) = payload.split_once(':')?;
    Some(changed(business.parse().ok()?, call.parse().ok()?))
}

/// The server's one `LISTEN` connection, reconnecting after a failure (subscribers are told
/// they missed changes) until the store closes.
async fn listen(live: Arc<LiveCalls>, url: String) {
    loop {
        let closed = live.closed.notified();
        tokio::select! {
            () = closed => return,
            failure = relay(&live, &url) => {
                tracing::warn!(error = %failure, "the live call feed lost its database connection; reconnecting");
                live.tenants.listening(false);
                let _ = live.sender.send(LiveEvent::Missed);
            }
        }
        tokio::select! {
            () = live.closed.notified() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Relays notifications until the connection fails.
async fn relay(live: &LiveCalls, url: &str) -> sqlx::Error {
    let mut listener = match PgListener::connect(url).await {
        Ok(listener) => listener,
        Err(e) => return e,
    };
    if let Err(e) = listener
        .listen_all([CHANNEL, tenant_cache::CHANNEL, activity::CHANNEL])
        .await
    {
        return e;
    }
    live.tenants.listening(true);
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) if notification.channel() == tenant_cache::CHANNEL => live.tenants.changed(),
            Ok(Some(notification)) if notification.channel() == activity::CHANNEL => {
                match parse_code(notification.payload()) {
                    Some((pool_id, code)) => live.codes.forget_code(pool_id, code),
                    // Unreadable: forgetting everything is always safe.
                    None => live.tenants.changed(),
                }
            }
            Ok(Some(notification)) => {
                if let Some(event) = parse_payload(notification.payload()) {
                    let _ = live.sender.send(event);
                }
            }
            // Reconnecting inside `try_recv` would hide the gap from the tenant cache: the
            // caller reconnects, telling everyone who listens.
            Ok(None) => return sqlx::Error::Protocol("the LISTEN connection was lost".into()),
            Err(e) => return e,
        }
    }
}

/// One subscriber's view of the feed.
struct Subscription {
    receiver: broadcast::Receiver<LiveEvent>,
}

#[async_trait::async_trait]
impl CallFeed for Subscription {
    async fn next(&mut self) -> Option<LiveEvent> {
        match self.receiver.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(LiveEvent::Missed),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl SqlStore {
    /// Every call change from now on, on whichever server it happened.
    pub(crate) fn live_feed(&self) -> Box<dyn CallFeed> {
        Box::new(self.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_names_a_business_and_a_call_or_nothing() {
        assert_eq!(parse_payload("7:42"), Some(changed(7, 42)));
        for bad in ["", "7", "7:", ":42", "x:1", "1:y"] {
            assert_eq!(parse_payload(bad), None, "{bad}");
        }
    }
}
