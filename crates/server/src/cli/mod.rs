//! The command line: global flags that feed the configuration, and one subcommand per job.

use crate::config::{LogFormat, Overrides};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

pub(crate) mod ad_integrations;
mod adgroup;
mod bench;
mod exports;
mod integrations;
mod provider;
mod routing;
pub(crate) mod spam;
mod tenants;
mod transcripts;

pub use adgroup::*;
pub use bench::*;
pub use exports::*;
pub use integrations::*;
pub use provider::*;
pub use routing::*;
pub use tenants::*;
pub use transcripts::*;

/// Leadline: call and lead tracking with one phone number per business.
#[derive(Debug, Parser)]
#[command(name = "leadline", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes; each overrides the configuration key of the same name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./leadline.toml when it exists).
    #[arg(long, global = true, env = "LEADLINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and local data.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://… (default: sqlite://<data_dir>/leadline.db).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info or leadline=debug.
    #[arg(long, global = true)]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// The configuration overrides these flags make.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format,
            log_level: self.log_level.clone(),
            ..Overrides::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run a demo server with a demo business, site, number and operators; writes demo.json.
    Demo(DemoArgs),
    /// Apply pending database migrations.
    Migrate(MigrateArgs),
    /// Write a consistent copy of the SQLite database to a new file, while the server runs.
    Backup(BackupArgs),
    /// Put a backup in place of the SQLite database (with the server stopped).
    Restore(RestoreArgs),
    /// Secrets at rest: seal them again under the current install secret.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Businesses (tenants).
    #[command(subcommand)]
    Business(BusinessCommand),
    /// Owners and operators of a business.
    #[command(subcommand)]
    User(UserCommand),
    /// Sites (websites running the snippet).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Tracking numbers.
    #[command(subcommand)]
    Number(NumberCommand),
    /// The provider account: connect it, list its numbers, search, buy or attach one (with
    /// its webhooks set through the provider's API).
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Destinations: operators' and departments' numbers calls are forwarded to.
    #[command(subcommand)]
    Destination(DestinationCommand),
    /// API keys of a business.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Routing rules: which operators a site's calls ring.
    #[command(subcommand)]
    Route(RouteCommand),
    /// Offline and foreign-domain sources: click-to-call links and QR codes for print.
    #[command(subcommand)]
    Source(SourceCommand),
    /// Ad aggregation: master ads (ads and campaigns counted as one, by rules) and master
    /// phrases (keyword variants counted as one) that reports roll up by.
    #[command(subcommand, name = "ad-group")]
    AdGroup(AdGroupCommand),
    /// The sandbox phone: plays the telephony provider against a Leadline server.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Benchmarks of the method: `bench attribution` replays a day of synthetic traffic.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Mark calls and form submissions as conversions for the ad platform exports.
    #[command(subcommand)]
    Conversion(ConversionCommand),
    /// Offline conversions for Google Ads or Microsoft Advertising, as CSV or XLSX.
    Export(ExportArgs),
    /// Erase one person (a lead): their data goes from every record and the business's
    /// outside systems are asked to erase them too (see docs/erasure.md). Cannot be undone.
    Erase(EraseArgs),
    /// Integrations: where a business's events are delivered (GA4, Matomo, Salesforce,
    /// HubSpot, signed webhooks).
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// The outbox: every event's delivery to each integration, with its state.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Spam and robocalls: blocked numbers, the list of known spam numbers, the settings, a
    /// call's mark.
    #[command(subcommand)]
    Spam(spam::SpamCommand),
    /// Transcripts: who transcribes a business's calls, and its rules on what was said.
    #[command(subcommand)]
    Transcripts(TranscriptsCommand),
    /// Plans drawn from a site's own history (see docs/capacity.md).
    #[command(subcommand)]
    Plan(PlanCommand),
}

/// `leadline plan …`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// The codes a site's visitors will see, the calls extensions attribute and the pool a
    /// Dynamic Number Insertion set-up would need to stay under 1 % wrong, from its history.
    Capacity(CapacityArgs),
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The site's key.
    #[arg(long)]
    pub site: String,
    /// The first day read (YYYY-MM-DD, in the site's zone; with --to). Default: 28 days ago.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// The last day read (YYYY-MM-DD, in the site's zone; with --from). Default: today.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Print the plan as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the chart (live codes and the pool needed over the day) to this SVG file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Place a call: signs every request as the provider does, follows the TwiML, prints the
    /// transcript as JSON.
    Call(SimCallArgs),
}

#[derive(Debug, Args)]
pub struct SimCallArgs {
    /// The Leadline server's public base URL (default: base_url of --demo).
    #[arg(long)]
    pub server: Option<String>,
    /// The tracking number called (default: tracking_number of --demo).
    #[arg(long)]
    pub to: Option<String>,
    /// The caller's number.
    #[arg(long, default_value = "+12025550169")]
    pub from: String,
    /// Digits keyed at the prompt (none: the caller keys nothing).
    #[arg(long)]
    pub digits: Option<String>,
    /// Seconds the operator's phone rings before it is answered.
    #[arg(long, default_value_t = 0)]
    pub answer_after: u32,
    /// Seconds of conversation (reported as the call's duration).
    #[arg(long, default_value_t = 30)]
    pub talk: u32,
    /// Nobody answers: the call goes to voicemail.
    #[arg(long)]
    pub no_answer: bool,
    /// The auth token that signs the requests (default: auth_token of --demo).
    #[arg(long, env = "LEADLINE_SIM_AUTH_TOKEN")]
    pub auth_token: Option<String>,
    /// A demo.json to take the server, number and auth token from.
    #[arg(long)]
    pub demo: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The URL the outside world reaches this server by.
    #[arg(long)]
    pub public_base_url: Option<Url>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port on 127.0.0.1 (0 picks a free one; demo.json says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Create the SQLite file if it does not exist (needed for a non-default path).
    #[arg(long)]
    pub create_database: bool,
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    /// The lead's ref (or the ref of one of its calls).
    #[arg(long)]
    pub lead: u64,
    /// Confirms the erasure, which cannot be undone.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist.
    pub path: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to restore (a file `leadline backup` wrote).
    pub path: std::path::PathBuf,
    /// Replace the database when there is one.
    #[arg(long)]
    pub replace: bool,
}

/// `leadline secrets …`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every stored secret (provider auth tokens, integration settings, attachment
    /// storage) under the key of the configured install secret. After changing the install
    /// secret, give the previous one so what it sealed can be opened; without it, seals what
    /// is still in clear and re-seals the rest with a fresh nonce.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// A file holding the previous install secret (its `secret.key`, or the old `secret_key`).
    #[arg(long)]
    pub previous_secret_file: Option<std::path::PathBuf>,
}

/// `--business SLUG`, shared by the commands that act within one business.
#[derive(Debug, Args)]
pub struct BusinessRef {
    /// The business's slug (see `leadline business list`).
    #[arg(long)]
    pub business: String,
}
