//! The signal that starts a graceful shutdown: SIGINT (Ctrl-C) or SIGTERM.

use std::future::Future;

/// Installs the SIGINT and SIGTERM handlers now, and returns a future that resolves on the
/// first of them. Installing eagerly matters: a signal that arrives after the server answers
/// its first request but before this future is first polled would otherwise kill the process
/// with the default action instead of shutting it down gracefully.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for SIGINT or SIGTERM");
                    return std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT received: finishing requests in flight"),
                _ = terminate.recv() => tracing::info!("SIGTERM received: finishing requests in flight"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C received: finishing requests in flight");
    }
}
