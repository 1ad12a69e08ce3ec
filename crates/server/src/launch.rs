//! The composition root: the one place that builds a running Leadline from its configuration
//! and a database. `serve`, `demo`, the tests and the benchmarks all start through
//! [`Application::build`], so each runs the same HTTP routes and layers and the same background
//! jobs (the outbox worker and its CRM pull, the code sweeper, the limiters' pruning, the SMTP
//! listener), stopped together by one shutdown.

use crate::app::AppState;
use crate::app::DemoSite;
use crate::app::test_phone::{TestCall, TestCalls, TestPhone};
use crate::config::Config;
use crate::web::server::{self, Limits};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use leadline_core::sealing::Sealer;
use leadline_core::secret::Secret;
use leadline_store::SqlStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// How long background jobs get to finish their round once the HTTP server has stopped.
const JOBS_GRACE: Duration = Duration::from_secs(10);
/// How often heartbeats answered from memory are written: what a crash may lose of them.
const ACTIVITY_FLUSH: Duration = Duration::from_secs(1);

/// What a server is started with besides its configuration.
#[derive(Default)]
pub struct Options {
    /// The site whose pages `/demo/` serves (`leadline demo`).
    pub demo: Option<DemoSite>,
    /// Routes added to the application's (tests serve pages of their own with them).
    pub extra_routes: Option<Router<AppState>>,
}

/// A running server: its HTTP and SMTP addresses, its state, and the tasks to wait for.
pub struct Application {
    address: SocketAddr,
    smtp_address: Option<SocketAddr>,
    state: AppState,
    store: SqlStore,
    http: JoinHandle<std::io::Result<()>>,
    jobs: JoinSet<()>,
    stop: CancellationToken,
}

/// Every route of every surface, without the layers: the browser and API pages, the provider
/// webhooks and the reply channels.
pub fn routes() -> Router<AppState> {
    crate::http::router()
        .merge(crate::telephony::router())
        .merge(crate::inbound::router())
}

/// The routes with the layers applied once, and form posts with the attachment limits.
pub fn router(state: AppState, limits: Limits, extra: Option<Router<AppState>>) -> Router {
    let routes = match extra {
        Some(extra) => routes().merge(extra),
        None => routes(),
    };
    // Form posts carry files, so they get the attachment limits instead of the global one. It
    // is axum's own body limit (2 MiB unless set) that the multipart reader obeys, so it is the
    // one raised to the attachment limits; the form reader answers each breach in words.
    let max_upload = crate::http::forms::max_body_bytes(&state);
    let uploads = crate::http::forms::router().layer(DefaultBodyLimit::max(max_upload));
    server::finish(routes, uploads, state, limits)
}

/// Settings' test calls are placed with the sandbox phone, in real time.
struct SandboxPhone;

impl TestPhone for SandboxPhone {
    fn place(&self, call: TestCall) -> futures::future::BoxFuture<'static, anyhow::Result<()>> {
        let settings = crate::sandbox::Settings {
            server: call.server,
            to: call.number.to_string(),
            from: call.caller.to_string(),
            digits: call.keys.map(|k| k.as_str().to_owned()),
            answer_after: call.ring_seconds,
            talk: call.talk_seconds,
            no_answer: !call.operator_answers,
            auth_token: call.auth_token.expose().to_owned(),
            pace: crate::sandbox::Pace::RealTime,
        };
        Box::pin(async move { crate::sandbox::place(&settings).await.map(drop) })
    }
}

/// Checks that the store seals with the install secret's key, and seals what is still stored
/// in clear (rows written before secrets were sealed).
async fn seal_secrets(store: &SqlStore, install_secret: &Secret) -> anyhow::Result<()> {
    let expected = Sealer::new(install_secret);
    anyhow::ensure!(
        store.sealing_key_id() == Some(expected.key_id()),
        "the database was opened without the configured install secret's sealing key"
    );
    let sealed = store.reseal_secrets().await?;
    if sealed > 0 {
        tracing::info!(sealed, "secrets stored in clear are sealed now");
    }
    Ok(())
}

impl Application {
    /// Starts HTTP on `listener`, and the background jobs, until `shutdown` resolves. The SMTP
    /// listener is bound here when the configuration names one.
    pub async fn build(
        config: &Config,
        store: SqlStore,
        listener: TcpListener,
        options: Options,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<Self> {
        let address = listener.local_addr()?;
        let install_secret = config.install_secret()?;
        seal_secrets(&store, &install_secret).await?;
        let mut state = AppState::new(Arc::new(store.clone()), config, install_secret)?;
        state.configure(|state| {
            state.demo = options.demo.map(Arc::new);
            state.test_calls = Arc::new(TestCalls::with_phone(Arc::new(SandboxPhone)));
        });
        let stop = CancellationToken::new();
        let mut jobs = JoinSet::new();
        jobs.spawn(state.clone().prune_limits(stop.clone()));
        let sweep = Duration::from_secs(config.sweep_interval_seconds);
        jobs.spawn(crate::jobs::sweep(state.store.clone(), sweep, stop.clone()));
        jobs.spawn(crate::jobs::flush_activity(
            state.store.clone(),
            ACTIVITY_FLUSH,
            stop.clone(),
        ));
        if config.retention_sweep_seconds > 0 {
            let every = Duration::from_secs(config.retention_sweep_seconds);
            jobs.spawn(crate::app::retention::run(state.clone(), every, stop.clone()));
        }
        jobs.spawn(crate::app::summaries::run(state.clone(), stop.clone()));
        let rebuild = Duration::from_millis(config.report_rebuild_ms);
        jobs.spawn(crate::jobs::rebuild_reports(
            state.store.clone(),
            state.metrics.clone(),
            rebuild,
            stop.clone(),
        ));
        if config.outbox_worker {
            let settings = crate::outbox::worker::Settings::from_config(config);
            let worker = crate::outbox::worker::Worker::new(state.store.clone(), state.metrics.clone(), settings)?
                .with_mailer(state.mailer.clone())
                .with_push_key(Some(state.push_key.clone()));
            if config.crm_pull_interval_seconds > 0 {
                let interval = Duration::from_secs(config.crm_pull_interval_seconds);
                jobs.spawn(worker.puller(interval, stop.clone()));
            }
            jobs.spawn(worker.run(stop.clone()));
            let transcribing = crate::app::transcripts::Settings::from_config(config);
            jobs.spawn(crate::app::transcripts::run(state.clone(), transcribing, stop.clone()));
        }
        let smtp_address = match config.smtp_listen {
            Some(at) => {
                let smtp = TcpListener::bind(at)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen for SMTP on {at}: {e}"))?;
                let bound = smtp.local_addr()?;
                tracing::info!(listen = %bound, "SMTP listener for operators' replies");
                jobs.spawn(crate::inbound::smtp::serve_smtp_until(
                    smtp,
                    state.clone(),
                    stop.clone(),
                ));
                Some(bound)
            }
            None => None,
        };
        let app = router(state.clone(), Limits::from_config(config), options.extra_routes);
        let grace = Duration::from_secs(config.shutdown_grace_seconds);
        let connections = crate::web::connections::Settings::from_config(config);
        let closing = state.closing.clone();
        let shutdown = async move {
            shutdown.await;
            closing.cancel();
        };
        let http = tokio::spawn(server::serve(listener, app, connections, shutdown, grace));
        Ok(Self {
            address,
            smtp_address,
            state,
            store,
            http,
            jobs,
            stop,
        })
    }

    /// Where HTTP is served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where SMTP is served, when it is.
    pub fn smtp_address(&self) -> Option<SocketAddr> {
        self.smtp_address
    }

    /// The application state the server runs with.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Waits for the shutdown: HTTP drains its requests (within the grace period), then every
    /// background job finishes its round and stops, then the database is closed.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let served = self.http.await;
        self.stop.cancel();
        let jobs = async { while self.jobs.join_next().await.is_some() {} };
        if tokio::time::timeout(JOBS_GRACE, jobs).await.is_err() {
            tracing::warn!("background jobs still busy after the grace period; stopping them");
            self.jobs.abort_all();
        }
        self.store.close().await;
        served.map_err(std::io::Error::other)??;
        Ok(())
    }
}
