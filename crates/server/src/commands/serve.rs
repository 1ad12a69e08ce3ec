//! `leadline serve`: the server, until SIGINT or SIGTERM.

use crate::commands::open_store;
use crate::config::Config;
use crate::http::{self, AppState, Limits};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Opens and migrates the database, binds the configured address and serves.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config, false).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    serve_on(listener, store, config).await
}

/// Serves on an already bound listener (the demo binds first to learn its port).
pub async fn serve_on(listener: TcpListener, store: leadline_store::SqlStore, config: &Config) -> anyhow::Result<()> {
    let (url, _) = config.database()?;
    tracing::info!(
        listen = %listener.local_addr()?,
        base_url = %config.base_url(),
        database = %url,
        "leadline is serving"
    );
    let state = AppState::new(Arc::new(store.clone()), config);
    http::rate_limit::spawn_pruning(state.limiter.clone());
    let app = http::app(state, Limits::from_config(config));
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    http::serve(listener, app, crate::shutdown::signal(), grace).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
