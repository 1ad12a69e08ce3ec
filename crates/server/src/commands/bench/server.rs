//! The server a bench run drives: the real application (`launch::Application`, as `serve`
//! starts it) on a temporary database and a loopback port, with the limits for one client
//! lifted and the code sweep left to the bench, which runs it on the simulated clock.

use crate::commands::open_store;
use crate::config::Config;
use crate::launch::{Application, Options};
use leadline_core::names::{Name, Slug};
use leadline_core::net::DomainName;
use leadline_core::secret::random_token;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::Store;
use leadline_core::tenant::{
    AccountSid, NewBusiness, NewDestination, NewSite, NewTrackingNumber, Provider, parse_auth_token,
};
use leadline_core::{BusinessId, E164, NumberId, SiteId};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running bench server and the business its sites belong to.
pub struct BenchServer {
    pub base_url: String,
    pub store: Arc<dyn Store>,
    pub business: BusinessId,
    app: Option<Application>,
    stop: Option<oneshot::Sender<()>>,
    dir: PathBuf,
    dropped_database: Option<(String, String)>,
}

/// A site made for one arm: its key and the numbers a visitor may be shown, with the token
/// each signs with.
pub struct BenchSite {
    pub id: SiteId,
    /// The domain its pages are on (one per site).
    pub domain: String,
    pub key: SiteKey,
    pub numbers: Vec<(E164, NumberId)>,
    pub auth_token: String,
}

impl BenchServer {
    /// Starts the application on a temporary SQLite file, or on a temporary database of the
    /// PostgreSQL server `postgres` names.
    pub async fn start(postgres: Option<&str>) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("leadline-bench-{}", random_token(12).to_lowercase()));
        leadline_store::private_dir(&dir)?;
        let mut config = Config {
            data_dir: dir.clone(),
            secret_key: Some(random_token(64)),
            rate_limit_per_second: 1_000_000,
            connections_per_address: 1_000,
            visit_registrations_per_ip_per_minute: 100_000_000,
            visit_registrations_per_site_per_minute: 100_000_000,
            visit_events_per_ip_per_minute: 100_000_000,
            // The bench sweeps on the simulated clock; the reports are not read.
            sweep_interval_seconds: 365 * 86_400,
            report_rebuild_ms: 3_600_000,
            retention_sweep_seconds: 0,
            outbox_worker: false,
            ..Config::default()
        };
        let dropped_database = match postgres {
            Some(server) => {
                let suffix = random_token(10).to_lowercase();
                config.database_url = Some(leadline_store::create_scratch_database(server, &suffix).await?);
                Some((server.to_owned(), suffix))
            }
            None => None,
        };
        let store = open_store(&config, true).await?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        config.listen = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Application::build(&config, store, listener, Options::default(), async {
            let _ = stopped.await;
        })
        .await?;
        let store = app.state().store.clone();
        let business = store
            .create_business(&NewBusiness {
                slug: Slug::parse("bench")?,
                name: name("Bench Upholstery"),
            })
            .await?;
        store
            .create_destination(&NewDestination {
                business_id: business.id,
                name: name("Operator"),
                number: E164::parse("+12025550199")?,
                department: None,
                user_id: None,
            })
            .await?;
        Ok(Self {
            base_url: format!("http://{}", app.address()),
            store,
            business: business.id,
            app: Some(app),
            stop: Some(stop),
            dir,
            dropped_database,
        })
    }

    /// A new site with these settings, its main number and, for a number-pool site, `pool`
    /// more numbers in its pool (`arm` keeps the numbers of arms apart).
    pub async fn site(&self, arm: usize, settings: SiteSettings, pool: usize) -> anyhow::Result<BenchSite> {
        let numbers = 1 + pool;
        let domain = format!("arm{arm}.bench.example");
        let site = self
            .store
            .create_site(&NewSite {
                business_id: self.business,
                name: name(&format!("Bench site {arm}")),
                key: SiteKey::generate(),
                domains: vec![DomainName::parse(&domain)?],
                timezone: Timezone::parse("UTC")?,
                currency: Currency::parse("USD")?,
                settings,
            })
            .await?;
        let auth_token = random_token(32);
        let mut made = Vec::with_capacity(numbers);
        for n in 0..numbers {
            // Each arm its own block of a 303 exchange: 80 arms of 100,000 numbers.
            let number = E164::parse(&format!("+1303{}{}{:05}", 2 + arm % 8, (arm / 8) % 10, n))?;
            let created = self
                .store
                .create_number(&NewTrackingNumber {
                    number,
                    provider: Provider::Twilio,
                    account_sid: AccountSid::parse(&format!("AC{}", random_token(32).to_lowercase()))?,
                    auth_token: parse_auth_token(&auth_token)?,
                    site_ids: vec![site.id],
                })
                .await?;
            if n > 0 {
                self.store.add_pool_number(site.id, created.id).await?;
            }
            made.push((created.number, created.id));
        }
        Ok(BenchSite {
            id: site.id,
            domain,
            key: site.key,
            numbers: made,
            auth_token,
        })
    }

    /// Stops the server and removes its temporary database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(app) = self.app.take() {
            app.wait().await?;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((server, suffix)) = self.dropped_database.take() {
            leadline_store::drop_scratch_database(&server, &suffix).await?;
        }
        Ok(())
    }
}

fn name(text: &str) -> Name {
    Name::parse_as("name", text).expect("the bench's names are valid")
}
