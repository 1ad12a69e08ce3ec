//! `spawn_app`: the real router and server loop on port 0, against a fresh SQLite file (or a
//! fresh PostgreSQL database when asked and `LEADLINE_TEST_POSTGRES_URL` is set).

use axum::Router;
use leadline::app::AppState;
use leadline::app::DemoSite;
use leadline::config::Config;
use leadline::launch::{Application, Options};
use leadline_core::E164;
use leadline_core::names::{Name, Slug};
use leadline_core::net::DomainName;
use leadline_core::secret::Secret;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{BusinessStore, DestinationStore, NumberStore, SiteStore};
use leadline_core::tenant::{AccountSid, NewBusiness, NewDestination, NewSite, NewTrackingNumber, Provider, Site};
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use sqlx::{Connection, Executor, PgConnection};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server and what a test needs to talk to it and stop it.
pub struct TestApp {
    pub base_url: String,
    pub store: SqlStore,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    postgres_db: Option<(String, String)>,
    /// The database, for a second server on the same one.
    database: DatabaseUrl,
}

/// The default configuration with outbound requests allowed to reach this machine, where
/// the tests' fakes listen (`outbound_loopback`, off by default).
pub fn local_config() -> Config {
    Config {
        outbound_loopback: true,
        ..Config::default()
    }
}

/// The configuration of a test that delivers the outbox itself, round by round: no background
/// worker races it for the deliveries.
pub fn delivering_by_hand() -> Config {
    Config {
        outbox_worker: false,
        ..Config::default()
    }
}

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The auth token of the seeded tracking number.
pub const AUTH_TOKEN: &str = "0123456789abcdef0123";

/// What `spawn_site` set up.
pub struct Seeded {
    pub site: Site,
    pub number: E164,
}

/// A fresh, migrated database of `engine`, with what removes it afterwards.
/// A store, the directory it lives in, the PostgreSQL database to drop afterwards, its URL.
type Opened = (SqlStore, tempfile::TempDir, Option<(String, String)>, DatabaseUrl);

async fn open_store(engine: Engine) -> Opened {
    let dir = tempfile::tempdir().unwrap();
    let (url, postgres_db) = match engine {
        Engine::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("leadline.db")), None),
        Engine::Postgres => {
            let admin = postgres_admin_url().expect("caller checks postgres_admin_url first");
            let name = format!(
                "leadline_test_{}",
                leadline_core::secret::random_token(12).to_lowercase()
            );
            let mut conn = PgConnection::connect(&admin).await.unwrap();
            conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .unwrap();
            let mut db_url = url::Url::parse(&admin).unwrap();
            db_url.set_path(&name);
            (DatabaseUrl::parse(db_url.as_str()).unwrap(), Some((admin, name)))
        }
    };
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&url, &options).await.unwrap();
    (store, dir, postgres_db, url)
}

/// A business with one site and its tracking number.
async fn seed_site(store: &SqlStore, settings: SiteSettings) -> Seeded {
    let name = |n: &str| Name::parse_as("name", n).unwrap();
    let business = store
        .create_business(&NewBusiness {
            slug: Slug::parse("acme").unwrap(),
            name: name("Acme"),
        })
        .await
        .unwrap();
    let site = store
        .create_site(&NewSite {
            business_id: business.id,
            name: name("Acme site"),
            key: SiteKey::generate(),
            domains: ["127.0.0.1", "localhost", "acme.example"]
                .iter()
                .map(|d| DomainName::parse(d).unwrap())
                .collect(),
            timezone: Timezone::parse("America/New_York").unwrap(),
            currency: Currency::parse("USD").unwrap(),
            settings,
        })
        .await
        .unwrap();
    let number = store
        .create_number(&NewTrackingNumber {
            number: E164::parse("+12025550100").unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: Secret::new(AUTH_TOKEN),
            site_ids: vec![site.id],
        })
        .await
        .unwrap();
    for (person, phone) in [("Ann", "+12025550111"), ("Ben", "+12025550112")] {
        let destination = NewDestination {
            business_id: business.id,
            name: name(person),
            number: E164::parse(phone).unwrap(),
            department: None,
            user_id: None,
        };
        store.create_destination(&destination).await.unwrap();
    }
    Seeded {
        site,
        number: number.number,
    }
}

/// The PostgreSQL admin URL, or `None` (and a note on the terminal) when it is not set.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("LEADLINE_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        leadline_testkit::skip("PostgreSQL server test: LEADLINE_TEST_POSTGRES_URL is not set");
    }
    url
}

impl TestApp {
    /// Starts the application on SQLite with the default configuration.
    pub async fn spawn() -> Self {
        Self::spawn_with(Engine::Sqlite, Config::default(), Router::new()).await
    }

    /// Starts the application with `config`, plus `extra` routes, on `engine`.
    pub async fn spawn_with(engine: Engine, config: Config, extra: Router<AppState>) -> Self {
        Self::start(open_store(engine).await, config, extra, None, false).await
    }

    /// Starts the application with a seeded site (domains 127.0.0.1, localhost and
    /// acme.example; tracking number +12025550100) whose pages `/demo/` serves.
    pub async fn spawn_site(engine: Engine, config: Config, settings: SiteSettings) -> (Self, Seeded) {
        Self::spawn_site_with(engine, config, settings, Router::new()).await
    }

    /// [`TestApp::spawn_site`] with `extra` routes.
    pub async fn spawn_site_with(
        engine: Engine,
        config: Config,
        settings: SiteSettings,
        extra: Router<AppState>,
    ) -> (Self, Seeded) {
        Self::spawn_seeded(engine, config, settings, extra, false).await
    }

    /// [`TestApp::spawn_site`] with `config` as it is: outbound requests reach this machine
    /// only if `config.outbound_loopback` says so (other spawns allow it, for the fakes).
    pub async fn spawn_site_strict(engine: Engine, config: Config, settings: SiteSettings) -> (Self, Seeded) {
        Self::spawn_seeded(engine, config, settings, Router::new(), true).await
    }

    async fn spawn_seeded(
        engine: Engine,
        config: Config,
        settings: SiteSettings,
        extra: Router<AppState>,
        strict: bool,
    ) -> (Self, Seeded) {
        let (store, dir, postgres_db, database) = open_store(engine).await;
        let seeded = seed_site(&store, settings).await;
        let demo = DemoSite {
            key: seeded.site.key.clone(),
            number: seeded.number.clone(),
            auth_token: Secret::new(AUTH_TOKEN),
        };
        let opened = (store, dir, postgres_db, database);
        let app = Self::start(opened, config, extra, Some(demo), strict).await;
        (app, seeded)
    }

    async fn start(
        (store, dir, postgres_db, database): Opened,
        config: Config,
        extra: Router<AppState>,
        demo: Option<DemoSite>,
        strict: bool,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        // Files the app writes (attachments) go to the test's own directory, never the crate's.
        let data_dir = if config.data_dir == Config::default().data_dir {
            dir.path().join("data")
        } else {
            config.data_dir.clone()
        };
        let config = Config {
            public_base_url: Some(url::Url::parse(&base_url).unwrap()),
            data_dir,
            ..config
        };
        // The tests' fakes listen on this machine; `spawn_strict` keeps the install's default.
        // Reports catch up with the records within a tenth of a second, so tests wait little.
        let report_rebuild_ms = if config.report_rebuild_ms == Config::default().report_rebuild_ms {
            100
        } else {
            config.report_rebuild_ms
        };
        let config = Config {
            secret_key: Some(leadline_core::sealing::TEST_INSTALL_SECRET.into()),
            report_rebuild_ms,
            outbound_loopback: config.outbound_loopback || !strict,
            ..config
        };
        let options = Options {
            demo,
            extra_routes: Some(extra),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let application = Application::build(&config, store.clone(), listener, options, shutdown)
            .await
            .unwrap();
        let server = tokio::spawn(application.wait());
        Self {
            base_url,
            store,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
            postgres_db,
            database,
        }
    }

    /// A second server on this one's database (as several servers share one PostgreSQL);
    /// finishing it leaves the database to this one.
    pub async fn spawn_beside(&self, config: Config) -> Self {
        let store = SqlStore::open(
            &self.database,
            &OpenOptions {
                sealer: Some(leadline_core::sealing::Sealer::for_tests()),
                ..OpenOptions::default()
            },
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        Self::start(
            (store, dir, None, self.database.clone()),
            config,
            Router::new(),
            None,
            false,
        )
        .await
    }

    /// Registers a visit on the seeded site as the snippet does (from `http://localhost`,
    /// with a browser's user agent) and answers the visit state.
    pub async fn register_visit(&self, seeded: &Seeded, page_url: &str) -> serde_json::Value {
        let body = serde_json::json!({ "site": seeded.site.key.as_str(), "url": page_url });
        let response = self
            .client
            .post(format!("{}/v1/visits", self.base_url))
            .header("origin", "http://localhost")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// The call with provider call id `sid` on the seeded tracking number (+12025550100).
    pub async fn call_by_sid(&self, sid: &str) -> leadline_core::store::StoreResult<leadline_core::call::Call> {
        use leadline_core::store::{CallStore, NumberStore};
        let number = self.store.number_by_e164(&E164::parse("+12025550100").unwrap()).await?;
        let sid = leadline_core::provider::CallSid::parse(sid).unwrap();
        self.store
            .call(leadline_core::call::CallKey::Provider {
                number: number.id,
                sid: &sid,
            })
            .await
    }

    /// A call from `from` through the sandbox phone (`POST /demo/phone`), keying `digits` (a
    /// visit's code, or null for none), answered unless `no_answer`: the phone's transcript.
    pub async fn demo_call(&self, from: &str, digits: &serde_json::Value, no_answer: bool) -> serde_json::Value {
        let call = serde_json::json!({ "from": from, "digits": digits, "no_answer": no_answer });
        let response = self
            .client
            .post(format!("{}/demo/phone", self.base_url))
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap()
    }

    /// Sends the shutdown signal and waits for the server and its jobs to stop.
    pub async fn shut_down(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.unwrap(),
            None => Ok(()),
        }
    }

    /// Another business on the same server, named `name`, with slug `slug` (a rival tenant).
    pub async fn add_business(&self, slug: &str, name: &str) -> leadline_core::tenant::Business {
        self.store
            .create_business(&NewBusiness {
                slug: Slug::parse(slug).unwrap(),
                name: Name::parse_as("name", name).unwrap(),
            })
            .await
            .unwrap()
    }

    /// A site of `business` on `domain` (UTC, EUR, default settings).
    pub async fn add_site(&self, business: leadline_core::BusinessId, domain: &str) -> Site {
        self.store
            .create_site(&NewSite {
                business_id: business,
                name: Name::parse_as("n", "Another site").unwrap(),
                key: SiteKey::generate(),
                domains: vec![DomainName::parse(domain).unwrap()],
                timezone: Timezone::parse("UTC").unwrap(),
                currency: Currency::parse("EUR").unwrap(),
                settings: SiteSettings::default(),
            })
            .await
            .unwrap()
    }

    /// The test's own directory: the data directory (attachments) is under it.
    pub fn own_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Stops the server and removes its database.
    pub async fn finish(mut self) {
        self.shut_down().await.unwrap();
        self.store.close().await;
        if let Some((admin, name)) = self.postgres_db.take() {
            let mut conn = PgConnection::connect(&admin).await.unwrap();
            conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

/// Turns each named `async fn NAME(engine: Engine)` into the tests `NAME::sqlite` and
/// `NAME::postgres` (the latter skipped, saying so, without `LEADLINE_TEST_POSTGRES_URL`).
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Engine::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    super::$name($crate::helpers::Engine::Postgres).await;
                }
            }
        }
    )*};
}

/// A business API key and its public prefix.
pub struct Key {
    pub key: String,
    pub prefix: String,
}

/// Issues an API key of `business` (as `leadline api-key add` does).
pub async fn key_for(app: &TestApp, business: leadline_core::BusinessId) -> Key {
    let issued = leadline_core::secret::IssuedApiKey::generate();
    let new = leadline_core::tenant::NewApiKey {
        business_id: business,
        name: leadline_core::names::Name::parse_as("n", "test key").unwrap(),
        prefix: issued.prefix.clone(),
        hash: issued.hash.clone(),
    };
    leadline_core::store::ApiKeyStore::create_api_key(&app.store, &new)
        .await
        .unwrap();
    Key {
        key: issued.key.expose().to_owned(),
        prefix: issued.prefix,
    }
}
