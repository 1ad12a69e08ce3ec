//! `leadline serve`: the server, until SIGINT or SIGTERM.

use crate::app::DemoSite;
use crate::commands::open_store;
use crate::config::Config;
use crate::launch::{Application, Options};
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
    let options = Options {
        demo,
        extra_routes: None,
    };
    Application::build(config, store, listener, options, shutdown)
        .await?
        .wait()
        .await?;
    tracing::info!("stopped");
    Ok(())
}
