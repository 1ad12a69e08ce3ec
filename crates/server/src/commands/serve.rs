//! `leadline serve`: the server, until SIGINT or SIGTERM.

use crate::commands::open_store;
use crate::config::Config;
use crate::http::{self, AppState, Limits};
use crate::jobs;
use crate::sandbox::DemoSite;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Opens and migrates the database, binds the configured address and serves.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let shutdown = crate::shutdown::signal();
    let store = open_store(config, false).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    serve_on(listener, store, config, None, shutdown).await
}

/// Serves on an already bound listener (the demo binds first to learn its port), with the
/// demo pages when `demo` names a site, until `shutdown` resolves.
pub async fn serve_on(
    listener: TcpListener,
    store: leadline_store::SqlStore,
    config: &Config,
    demo: Option<DemoSite>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (url, _) = config.database()?;
    tracing::info!(
        listen = %listener.local_addr()?,
        base_url = %config.base_url(),
        database = %url,
        "leadline is serving"
    );
    let mut state = AppState::new(Arc::new(store.clone()), config, config.install_secret()?)?;
    state.demo = demo.map(Arc::new);
    state.spawn_pruning();
    jobs::spawn_sweeper(state.store.clone(), Duration::from_secs(config.sweep_interval_seconds));
    let settings = crate::outbox::worker::Settings::from_config(config);
    let worker = crate::outbox::worker::Worker::new(state.store.clone(), state.metrics.clone(), settings)?
        .with_mailer(state.mailer.clone());
    if config.crm_pull_interval_seconds > 0 {
        worker.spawn_puller(Duration::from_secs(config.crm_pull_interval_seconds));
    }
    worker.spawn();
    if let Some(address) = config.smtp_listen {
        let smtp = tokio::net::TcpListener::bind(address).await?;
        tracing::info!(listen = %smtp.local_addr()?, "SMTP listener for operators' replies");
        tokio::spawn(crate::inbound::serve_smtp(smtp, state.clone()));
    }
    let app = http::app(state, Limits::from_config(config));
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    http::serve(listener, app, shutdown, grace).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
