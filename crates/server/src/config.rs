//! Configuration: built-in defaults, then `leadline.toml`, then `LEADLINE_*` variables, then
//! command-line flags. Every key is documented in docs/configuration.md with its default.

use crate::attachments::storage::{S3Spec, StorageSpec, parse_s3_url};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use leadline_core::secret::{Secret, random_token};
use leadline_store::DatabaseUrl;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

/// The file read when `--config` is not given (only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "leadline.toml";

/// Every configuration key; also the only `LEADLINE_*` variables read.
pub const KEYS: [&str; 59] = [
    "data_dir",
    "database_url",
    "database_max_connections",
    "listen",
    "public_base_url",
    "log_format",
    "log_level",
    "shutdown_grace_seconds",
    "request_timeout_seconds",
    "header_read_timeout_seconds",
    "connection_idle_timeout_seconds",
    "connections_per_address",
    "max_body_bytes",
    "rate_limit_per_second",
    "secret_key",
    "client_ip_header",
    "visit_registrations_per_ip_per_minute",
    "visit_registrations_per_site_per_minute",
    "visit_events_per_ip_per_minute",
    "sweep_interval_seconds",
    "retention_sweep_seconds",
    "report_rebuild_ms",
    "telephony_fallback_number",
    "telephony_api_base_url",
    "outbound_loopback",
    "attachments_dir",
    "attachments_s3_url",
    "attachments_s3_endpoint",
    "attachments_s3_region",
    "attachments_s3_access_key_id",
    "attachments_s3_secret_access_key",
    "attachments_s3_allow_http",
    "attachments_s3_virtual_hosted_style",
    "attachments_max_file_bytes",
    "attachments_max_files",
    "attachments_types",
    "attachments_link_ttl_seconds",
    "outbox_worker",
    "outbox_poll_ms",
    "outbox_batch",
    "outbox_lease_seconds",
    "outbox_timeout_seconds",
    "outbox_max_attempts",
    "outbox_backoff_base_ms",
    "crm_pull_interval_seconds",
    "smtp_relay_url",
    "mail_from",
    "reply_address",
    "smtp_listen",
    "smtp_idle_timeout_seconds",
    "smtp_sessions_per_address",
    "smtp_tls_cert_file",
    "smtp_tls_key_file",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_require_auth",
    "inbound_max_message_bytes",
    "inbound_email_token",
    "mailgun_signing_key",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// The effective configuration of a `leadline` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the SQLite database and other local data.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; unset means `sqlite://<data_dir>/leadline.db`.
    pub database_url: Option<String>,
    /// Upper bound of the database connection pool.
    pub database_max_connections: u32,
    /// Address and port `leadline serve` listens on.
    pub listen: SocketAddr,
    /// The URL the outside world (providers, browsers) reaches this server by; provider
    /// signatures are checked against it. Unset means `http://<listen>`.
    pub public_base_url: Option<Url>,
    /// `human` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter (`info`, `leadline=debug,sqlx=warn`); `RUST_LOG` overrides it.
    pub log_level: String,
    /// How long a shutdown waits for requests in flight before exiting.
    pub shutdown_grace_seconds: u64,
    /// A request that takes longer is answered 408.
    pub request_timeout_seconds: u64,
    /// How long a client has to send a request's whole head (request line and headers), from
    /// its first byte; a slower one is disconnected.
    pub header_read_timeout_seconds: u64,
    /// How long a connection with no request in progress may stay silent (a fresh one too)
    /// before it is closed.
    pub connection_idle_timeout_seconds: u64,
    /// Most HTTP connections open at once from one client address (one IPv6 /64); more are
    /// closed at once. Not applied when `client_ip_header` is set (behind a proxy every
    /// connection is the proxy's).
    pub connections_per_address: usize,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Sustained requests per second allowed from one client address (bursts of twice that).
    pub rate_limit_per_second: u32,
    /// The install secret that signs visit tokens (at least 32 characters). Unset: read from,
    /// or generated into, `<data_dir>/secret.key`. Servers sharing a database share it.
    pub secret_key: Option<String>,
    /// A header set by a trusted proxy that names the client's address (`x-forwarded-for`,
    /// whose last entry is taken, or `x-real-ip`, `cf-connecting-ip`). Unset: the TCP peer.
    pub client_ip_header: Option<String>,
    /// Visits one client address may register per minute.
    pub visit_registrations_per_ip_per_minute: u32,
    /// Visits one site may register per minute without a proof of work, from all addresses
    /// together; past it the site is under a flood and asks for one (docs/visit-api.md).
    pub visit_registrations_per_site_per_minute: u32,
    /// Page views, heartbeats, variables and clicks one client address may send per minute.
    pub visit_events_per_ip_per_minute: u32,
    /// How often idle extension codes are freed.
    pub sweep_interval_seconds: u64,
    /// How often records past their business's retention are pruned (0: never).
    pub retention_sweep_seconds: u64,
    /// How often the days whose records changed get their report rollups rebuilt: how far
    /// behind the records a report may be.
    pub report_rebuild_ms: u64,
    /// The number calls are forwarded to, untracked, when the database cannot be reached.
    pub telephony_fallback_number: Option<String>,
    /// The provider's REST API (outbound calls for call-me).
    pub telephony_api_base_url: Url,
    /// Whether outbound requests (deliveries, the provider's API, installation checks) may
    /// reach this machine when a URL names it (`localhost`, `127.0.0.1`): for a local relay or
    /// test fakes. Off, a URL a business enters cannot reach the server's own services.
    pub outbound_loopback: bool,
    /// Directory form attachments are stored in when no bucket is set. Unset:
    /// `<data_dir>/attachments`. Businesses may have storage of their own.
    pub attachments_dir: Option<PathBuf>,
    /// `s3://BUCKET[/PREFIX]`: store attachments in an S3-compatible bucket instead.
    pub attachments_s3_url: Option<String>,
    /// The S3-compatible service's endpoint; unset means Amazon S3.
    pub attachments_s3_endpoint: Option<Url>,
    /// The bucket's region.
    pub attachments_s3_region: String,
    /// The access key id; unset (with the secret) uses the machine's own credentials.
    pub attachments_s3_access_key_id: Option<String>,
    /// The secret access key (never printed).
    pub attachments_s3_secret_access_key: Option<String>,
    /// Allow a plain `http://` endpoint that is not on a loopback address.
    pub attachments_s3_allow_http: bool,
    /// Address the bucket as a host name (`BUCKET.ENDPOINT`) instead of a path.
    pub attachments_s3_virtual_hosted_style: bool,
    /// Largest accepted attachment, in bytes.
    pub attachments_max_file_bytes: u64,
    /// Most files one form submission may carry.
    pub attachments_max_files: usize,
    /// MIME types accepted, as found from each file's content.
    pub attachments_types: Vec<String>,
    /// How long a signed download link works.
    pub attachments_link_ttl_seconds: u64,
    /// Whether this server delivers the outbox (off for a web-only node; another server with
    /// it on delivers).
    pub outbox_worker: bool,
    /// How often the outbox worker looks for due deliveries.
    pub outbox_poll_ms: u64,
    /// Most deliveries one worker sends at once.
    pub outbox_batch: u32,
    /// How long a claimed delivery is a worker's before another may take it over (at least
    /// twice `outbox_timeout_seconds`).
    pub outbox_lease_seconds: u64,
    /// How long one delivery request may take.
    pub outbox_timeout_seconds: u64,
    /// Attempts before a delivery is dead-lettered.
    pub outbox_max_attempts: u32,
    /// The first retry's delay; each further one doubles (up to an hour), with jitter.
    pub outbox_backoff_base_ms: u64,
    /// How often status changes are pulled from Salesforce and HubSpot (0: never).
    pub crm_pull_interval_seconds: u64,
    /// The relay mail to operators goes through: `smtp://user:pass@host:587` (STARTTLS
    /// required) or `smtps://…:465`; `smtp://host:25?tls=none` only for a local relay. Unset:
    /// no mail is sent.
    pub smtp_relay_url: Option<String>,
    /// The sender of mail to operators (`Leadline <calls@example.com>`).
    pub mail_from: Option<String>,
    /// The address operators reply to (the inbox Leadline reads: the SMTP listener, or a
    /// SendGrid or Mailgun route). Unset: `mail_from`.
    pub reply_address: Option<String>,
    /// Where the built-in SMTP listener (the "scripted inbox") listens, e.g. `0.0.0.0:2525`.
    /// Unset: no listener.
    pub smtp_listen: Option<SocketAddr>,
    /// How long the SMTP listener waits for a client's next command or line before closing
    /// the session (well below RFC 5321's minutes: see docs/replies.md).
    pub smtp_idle_timeout_seconds: u64,
    /// Most SMTP sessions open at once from one client address (one IPv6 /64).
    pub smtp_sessions_per_address: usize,
    /// The SMTP listener's certificate chain (PEM): with the key, it offers STARTTLS.
    pub smtp_tls_cert_file: Option<PathBuf>,
    /// The private key of `smtp_tls_cert_file` (PEM).
    pub smtp_tls_key_file: Option<PathBuf>,
    /// The user a relay authenticates as (`AUTH PLAIN` or `LOGIN`, only over TLS).
    pub smtp_auth_username: Option<String>,
    /// That user's password (never printed).
    pub smtp_auth_password: Option<String>,
    /// Refuse mail from clients that have not authenticated (a listener fed by one relay).
    pub smtp_require_auth: bool,
    /// The largest inbound e-mail or SMS accepted, in bytes.
    pub inbound_max_message_bytes: usize,
    /// The secret path segment of the SendGrid and Mailgun inbound URLs
    /// (`/inbound/sendgrid/<token>`). Unset: those endpoints answer 404.
    pub inbound_email_token: Option<String>,
    /// Mailgun's webhook signing key; Mailgun posts are refused without a valid signature.
    pub mailgun_signing_key: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 10,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: None,
            log_format: LogFormat::Human,
            log_level: "info".to_owned(),
            shutdown_grace_seconds: 30,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
            connection_idle_timeout_seconds: 60,
            connections_per_address: 64,
            max_body_bytes: 1024 * 1024,
            rate_limit_per_second: 50,
            secret_key: None,
            client_ip_header: None,
            visit_registrations_per_ip_per_minute: 60,
            visit_registrations_per_site_per_minute: 600,
            visit_events_per_ip_per_minute: 600,
            sweep_interval_seconds: 30,
            retention_sweep_seconds: 3600,
            report_rebuild_ms: 2_000,
            telephony_fallback_number: None,
            telephony_api_base_url: Url::parse("https://api.twilio.com").expect("a valid URL"),
            outbound_loopback: false,
            attachments_dir: None,
            attachments_s3_url: None,
            attachments_s3_endpoint: None,
            attachments_s3_region: "us-east-1".to_owned(),
            attachments_s3_access_key_id: None,
            attachments_s3_secret_access_key: None,
            attachments_s3_allow_http: false,
            attachments_s3_virtual_hosted_style: false,
            attachments_max_file_bytes: 10 * 1024 * 1024,
            attachments_max_files: 5,
            attachments_types: crate::attachments::types::DEFAULT_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            attachments_link_ttl_seconds: 900,
            outbox_worker: true,
            outbox_poll_ms: 250,
            outbox_batch: 32,
            outbox_lease_seconds: 60,
            outbox_timeout_seconds: 10,
            outbox_max_attempts: 8,
            outbox_backoff_base_ms: 2000,
            crm_pull_interval_seconds: 300,
            smtp_relay_url: None,
            mail_from: None,
            reply_address: None,
            smtp_listen: None,
            smtp_idle_timeout_seconds: 30,
            smtp_sessions_per_address: 8,
            smtp_tls_cert_file: None,
            smtp_tls_key_file: None,
            smtp_auth_username: None,
            smtp_auth_password: None,
            smtp_require_auth: false,
            inbound_max_message_bytes: 1024 * 1024,
            inbound_email_token: None,
            mailgun_signing_key: None,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_base_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

/// A configuration that cannot be used, with what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `leadline.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        let config: Config = figment
            .merge(Env::prefixed("LEADLINE_").only(&KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        self.database()?;
        if self.database_max_connections == 0 {
            return invalid("database_max_connections must be at least 1");
        }
        if self.header_read_timeout_seconds == 0
            || self.connection_idle_timeout_seconds == 0
            || self.connections_per_address == 0
        {
            return invalid(
                "header_read_timeout_seconds, connection_idle_timeout_seconds and connections_per_address must be at least 1",
            );
        }
        if self.rate_limit_per_second == 0 {
            return invalid("rate_limit_per_second must be at least 1");
        }
        if let Some(secret) = &self.secret_key
            && secret.len() < 32
        {
            return invalid("secret_key must be at least 32 characters");
        }
        if let Some(header) = &self.client_ip_header
            && axum::http::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return invalid("client_ip_header must be a header name such as x-forwarded-for");
        }
        let limits = [
            self.visit_registrations_per_ip_per_minute,
            self.visit_registrations_per_site_per_minute,
            self.visit_events_per_ip_per_minute,
        ];
        if limits.contains(&0) || self.sweep_interval_seconds == 0 || self.report_rebuild_ms == 0 {
            return invalid("visit rate limits, sweep_interval_seconds and report_rebuild_ms must be at least 1");
        }
        if let Some(number) = &self.telephony_fallback_number {
            leadline_core::E164::parse(number)
                .map_err(|e| ConfigError::Invalid(format!("telephony_fallback_number: {e}")))?;
        }
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes must be at least 1024");
        }
        check_provider_api(&self.telephony_api_base_url)?;
        if let Some(url) = &self.public_base_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return invalid("public_base_url must be an http:// or https:// URL");
        }
        if self.attachments_max_file_bytes == 0 || self.attachments_max_files == 0 {
            return invalid("attachments_max_file_bytes and attachments_max_files must be at least 1");
        }
        if self.attachments_link_ttl_seconds == 0 {
            return invalid("attachments_link_ttl_seconds must be at least 1");
        }
        if self.attachments_types.is_empty() {
            return invalid("attachments_types must name at least one type");
        }
        for kind in &self.attachments_types {
            crate::attachments::types::parse_type(kind)
                .map_err(|e| ConfigError::Invalid(format!("attachments_types: {e}")))?;
        }
        if self.outbox_poll_ms == 0 || self.outbox_batch == 0 || self.outbox_max_attempts == 0 {
            return invalid("outbox_poll_ms, outbox_batch and outbox_max_attempts must be at least 1");
        }
        if self.outbox_timeout_seconds == 0 || self.outbox_lease_seconds < 2 * self.outbox_timeout_seconds {
            return invalid("outbox_lease_seconds must be at least twice outbox_timeout_seconds (at least 1)");
        }
        if self.smtp_idle_timeout_seconds == 0 || self.smtp_sessions_per_address == 0 {
            return invalid("smtp_idle_timeout_seconds and smtp_sessions_per_address must be at least 1");
        }
        smtp::check(self)?;
        if self.inbound_max_message_bytes < 1024 {
            return invalid("inbound_max_message_bytes must be at least 1024");
        }
        if let Some(token) = &self.inbound_email_token
            && (token.len() < 16
                || !token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return invalid("inbound_email_token must be at least 16 letters, digits, '_' or '-'");
        }
        if let Some(url) = &self.smtp_relay_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return invalid("smtp_relay_url must start with smtp:// or smtps://");
        }
        self.attachment_storage()
            .map_err(|e| ConfigError::Invalid(format!("attachment storage: {e}")))?;
        Ok(())
    }

    /// The server's default storage: the bucket of `attachments_s3_url` when set, else the
    /// directory `attachments_dir` (default `<data_dir>/attachments`).
    pub fn attachment_storage(&self) -> Result<StorageSpec, leadline_core::Invalid> {
        let Some(url) = &self.attachments_s3_url else {
            let s3_keys_set = self.attachments_s3_endpoint.is_some()
                || self.attachments_s3_access_key_id.is_some()
                || self.attachments_s3_secret_access_key.is_some();
            if s3_keys_set {
                return Err(leadline_core::Invalid::new(
                    "attachments_s3_url",
                    "other attachments_s3_* keys are set but the bucket (attachments_s3_url) is not",
                ));
            }
            let path = self
                .attachments_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("attachments"));
            return Ok(StorageSpec::Dir { path });
        };
        let (bucket, prefix) = parse_s3_url(url)?;
        let spec = S3Spec {
            bucket,
            prefix,
            endpoint: self
                .attachments_s3_endpoint
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_owned()),
            region: self.attachments_s3_region.clone(),
            access_key_id: self.attachments_s3_access_key_id.clone(),
            secret_access_key: self.attachments_s3_secret_access_key.clone().map(Secret::new),
            allow_http: self.attachments_s3_allow_http,
            virtual_hosted_style: self.attachments_s3_virtual_hosted_style,
        };
        spec.validate()?;
        Ok(StorageSpec::S3(spec))
    }

    /// The database to use, and whether it is the default one under the data directory
    /// (the only one created without being asked).
    pub fn database(&self) -> Result<(DatabaseUrl, bool), ConfigError> {
        match &self.database_url {
            Some(raw) => DatabaseUrl::parse(raw)
                .map(|url| (url, false))
                .map_err(|e| ConfigError::Invalid(e.to_string())),
            None => Ok((DatabaseUrl::Sqlite(self.data_dir.join("leadline.db")), true)),
        }
    }

    /// Where the generated install secret is kept when `secret_key` is unset.
    pub fn secret_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }

    /// The install secret: `secret_key`, else the secret file, generated on first use.
    pub fn install_secret(&self) -> anyhow::Result<Secret> {
        if let Some(secret) = &self.secret_key {
            return Ok(Secret::new(secret.clone()));
        }
        let path = self.secret_file();
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => return Ok(Secret::new(text.trim())),
            Ok(_) => anyhow::bail!("{} holds less than 32 characters: delete it or fix it", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
        }
        leadline_store::private_dir(&self.data_dir)?;
        let secret = random_token(64);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, secret.as_bytes())?;
                file.sync_all()?;
                Ok(Secret::new(secret))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.install_secret(),
            Err(e) => anyhow::bail!("cannot create {}: {e}", path.display()),
        }
    }

    /// What outbound requests may reach ([`Config::outbound_loopback`]).
    pub fn reach(&self) -> leadline_core::net::Reach {
        if self.outbound_loopback {
            leadline_core::net::Reach::PublicAndLoopback
        } else {
            leadline_core::net::Reach::Public
        }
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_base_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// The effective configuration as TOML, secrets redacted, defaults filled in.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if let Ok((url, _)) = self.database() {
            shown.database_url = Some(url.redacted());
        }
        if shown.secret_key.is_some() {
            shown.secret_key = Some("[redacted]".to_owned());
        }
        for secret in [
            &mut shown.smtp_relay_url,
            &mut shown.inbound_email_token,
            &mut shown.mailgun_signing_key,
            &mut shown.smtp_auth_password,
        ] {
            if secret.is_some() {
                *secret = Some("[redacted]".to_owned());
            }
        }
        if shown.attachments_s3_secret_access_key.is_some() {
            shown.attachments_s3_secret_access_key = Some("[redacted]".to_owned());
        }
        let mut text = toml::to_string(&shown).expect("the configuration always serialises");
        if self.secret_key.is_none() {
            text.push_str(&format!(
                "# secret_key unset: kept in {}\n",
                self.secret_file().display()
            ));
        }
        if self.public_base_url.is_none() {
            text.push_str(&format!("# public_base_url unset: {}\n", self.base_url()));
        }
        text
    }
}

/// The provider's API receives each account's auth token (HTTP Basic): https only, plain
/// http only to this machine (a local fake), and no credentials of its own in the URL.
fn check_provider_api(url: &Url) -> Result<(), ConfigError> {
    let refused = |why: String| Err(ConfigError::Invalid(format!("telephony_api_base_url {why}")));
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if leadline_core::net::is_loopback(url) => {}
        "http" => {
            return refused(
                "is plain http: use https, as the auth token is sent to it (http only on this machine)".into(),
            );
        }
        other => return refused(format!("must be an https:// URL, not {other}:")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refused("must not carry a user name or password".into());
    }
    Ok(())
}

#[path = "config_smtp.rs"]
mod smtp;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
