//! The command line: global flags that feed the configuration, and one subcommand per job.

use crate::config::{LogFormat, Overrides};
use clap::{ArgGroup, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

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
    /// The sandbox phone: plays the telephony provider against a Leadline server.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Mark calls and form submissions as conversions for the ad platform exports.
    #[command(subcommand)]
    Conversion(ConversionCommand),
    /// Offline conversions for Google Ads or Microsoft Advertising, as CSV or XLSX.
    Export(ExportArgs),
    /// Integrations: where a business's events are delivered (GA4, Matomo, Salesforce,
    /// HubSpot, signed webhooks).
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// The outbox: every event's delivery to each integration, with its state.
    #[command(subcommand)]
    Outbox(OutboxCommand),
}

// Parsed once per process: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum RouteCommand {
    /// Append a rule: when every condition given holds, ring these destinations.
    Add {
        #[command(flatten)]
        business: BusinessRef,
        /// The site's key.
        #[arg(long)]
        site: String,
        /// The visit's source, e.g. google.
        #[arg(long)]
        source: Option<String>,
        /// The visit's medium, e.g. cpc.
        #[arg(long)]
        medium: Option<String>,
        /// The visit's campaign.
        #[arg(long)]
        campaign: Option<String>,
        /// Text the visit's keyword contains.
        #[arg(long)]
        keyword: Option<String>,
        /// A custom variable, NAME=VALUE (e.g. language=es).
        #[arg(long)]
        var: Option<String>,
        /// The business extension keyed after `*`.
        #[arg(long)]
        extension: Option<String>,
        /// Business hours in the site's time zone, e.g. "mon-fri 09:00-17:00".
        #[arg(long)]
        hours: Option<String>,
        /// Destinations to ring, comma-separated E.164 numbers (at most ten).
        #[arg(long, value_delimiter = ',', required = true)]
        ring: Vec<String>,
        /// Ring them one after the other instead of all at once.
        #[arg(long)]
        in_turn: bool,
    },
    /// List a site's rules in the order they are tried.
    List {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        site: String,
    },
}

// Parsed once per process: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Create a source; prints its click-to-call URL and QR code URLs.
    Add {
        #[command(flatten)]
        business: BusinessRef,
        /// Key of the site whose number the source's calls reach.
        #[arg(long)]
        site: String,
        /// What the source is, e.g. "Herald, spring print ad".
        #[arg(long)]
        name: String,
        /// The foreign domain the link is placed on (its referrer is checked); none for print.
        #[arg(long)]
        domain: Option<String>,
        #[arg(long)]
        utm_source: String,
        #[arg(long, default_value = "offline")]
        utm_medium: String,
        #[arg(long)]
        utm_campaign: Option<String>,
        #[arg(long)]
        utm_term: Option<String>,
        #[arg(long)]
        utm_content: Option<String>,
        /// A code printed in the ad: reserved, never handed to a visit.
        #[arg(long)]
        reserve_code: Option<u64>,
    },
    /// List a business's sources.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
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

/// `--business SLUG`, shared by the commands that act within one business.
#[derive(Debug, Args)]
pub struct BusinessRef {
    /// The business's slug (see `leadline business list`).
    #[arg(long)]
    pub business: String,
}

#[derive(Debug, Subcommand)]
pub enum BusinessCommand {
    /// Create a business.
    Add {
        /// Display name, e.g. "Acme Upholstery".
        name: String,
        /// Slug used on the command line (default: derived from the name).
        #[arg(long)]
        slug: Option<String>,
    },
    /// List businesses.
    List,
    /// Where the business's form attachments are stored: a directory (such as a volume its
    /// own hosting is mounted on), an S3-compatible bucket, or the server's default. Without
    /// --dir, --s3 or --default, shows the current storage.
    Storage(StorageArgs),
}

/// `leadline business storage`: one of --dir, --s3 (with its --s3-* flags) or --default.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").args(["dir", "s3", "default"]).multiple(false)))]
pub struct StorageArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    /// An existing directory the server can write to, e.g. /mnt/acme-hosting/leadline.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// An S3-compatible bucket and optional folder: s3://BUCKET[/FOLDER].
    #[arg(long)]
    pub s3: Option<String>,
    /// The S3-compatible service's endpoint URL (default: Amazon S3).
    #[arg(long, requires = "s3")]
    pub s3_endpoint: Option<String>,
    /// The bucket's region.
    #[arg(long, requires = "s3", default_value = "us-east-1")]
    pub s3_region: String,
    /// The access key id.
    #[arg(long, requires = "s3")]
    pub s3_access_key_id: Option<String>,
    /// A file whose first line is the secret access key (kept in the database, as provider
    /// auth tokens are).
    #[arg(long, requires = "s3")]
    pub s3_secret_access_key_file: Option<PathBuf>,
    /// Allow a plain http:// endpoint that is not on this machine.
    #[arg(long, requires = "s3")]
    pub s3_allow_http: bool,
    /// Address the bucket as BUCKET.ENDPOINT instead of ENDPOINT/BUCKET.
    #[arg(long, requires = "s3")]
    pub s3_virtual_hosted_style: bool,
    /// Store the business's attachments in the server's default storage again.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an owner or operator; prints a generated password unless one is given.
    Add {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner or operator.
        #[arg(long, default_value = "operator")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List a business's users.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site; prints its snippet key and tag.
    Add {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        name: String,
        /// A domain the site is served from (repeat for several).
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
        /// IANA time zone.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// ISO 4217 currency.
        #[arg(long, default_value = "USD")]
        currency: String,
        #[command(flatten)]
        settings: SiteSettingsArgs,
    },
    /// Change a site's settings; flags not given keep their value.
    Configure {
        #[command(flatten)]
        business: BusinessRef,
        /// The site's key.
        #[arg(long)]
        site: String,
        #[command(flatten)]
        settings: SiteSettingsArgs,
        /// After an answered call, ask the operator who answered for notes by sms (from the
        /// tracking number) or email (to their user's address, through the SMTP relay); off
        /// stops it.
        #[arg(long, value_parser = ["sms", "email", "off"])]
        post_call_prompt: Option<String>,
    },
    /// List a business's sites.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Issue the site's secret for the returning-visitor lookup, replacing any earlier one;
    /// it is shown once and stored only as a hash.
    Secret {
        /// The site's key.
        #[arg(long)]
        site: String,
    },
}

/// How a site hands out extensions (see docs/setup.md); unset flags keep the current value.
#[derive(Debug, Args)]
pub struct SiteSettingsArgs {
    /// page-load (every visit gets a code) or click (a click on a call button does).
    #[arg(long, value_parser = ["page-load", "click"])]
    pub mode: Option<String>,
    /// Minutes after a visit's last activity before its code is freed.
    #[arg(long)]
    pub idle_minutes: Option<u32>,
    /// Minutes after a click before its code is freed (click mode).
    #[arg(long)]
    pub click_idle_minutes: Option<u32>,
    /// Append a Damm check digit to every code.
    #[arg(long)]
    pub check_digit: Option<bool>,
    /// Store nothing on visitors' devices.
    #[arg(long)]
    pub cookieless: Option<bool>,
    /// Most codes live at once; past it the longest idle is evicted.
    #[arg(long)]
    pub max_live_codes: Option<u32>,
    /// Minutes a freed code rests before it is handed out again.
    #[arg(long)]
    pub reuse_quarantine_minutes: Option<u32>,
    /// Key click codes after a `*`, in a pool of their own.
    #[arg(long)]
    pub star_click_codes: Option<bool>,
    /// Record calls to this site's numbers.
    #[arg(long)]
    pub record_calls: Option<bool>,
    /// What a minute of a call costs, in the site currency's minor units (50 = 0.50 USD);
    /// a sale may take its cost from call minutes at this rate. 0 unsets it.
    #[arg(long)]
    pub cost_per_minute_minor: Option<u64>,
    /// Countries call-me may ring, as two-letter codes (`US,CA`); `home` for only the
    /// tracking number's country (the default).
    #[arg(long, value_delimiter = ',')]
    pub call_me_countries: Option<Vec<String>>,
    /// Call-me calls one visit may ask for (0 turns call-me off).
    #[arg(long)]
    pub call_me_per_visit: Option<u32>,
    /// Call-me calls the site places in a day, in its time zone (0 turns call-me off).
    #[arg(long)]
    pub call_me_per_day: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum NumberCommand {
    /// Set up a tracking number held at a provider.
    Add {
        /// The number in E.164, e.g. +12025550100.
        number: String,
        /// Key of a site the number serves (repeat for several).
        #[arg(long = "site", required = true)]
        sites: Vec<String>,
        /// twilio (or a Twilio-compatible provider).
        #[arg(long, default_value = "twilio")]
        provider: String,
        /// The provider account the number belongs to.
        #[arg(long)]
        account_sid: String,
        /// The account's auth token (prefer --auth-token-stdin: flags show in `ps`).
        #[arg(long, conflicts_with = "auth_token_stdin")]
        auth_token: Option<String>,
        /// Read the auth token from the first line of standard input.
        #[arg(long)]
        auth_token_stdin: bool,
    },
    /// List the numbers serving a business's sites.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
}

#[derive(Debug, Subcommand)]
pub enum DestinationCommand {
    /// Add a number calls can be forwarded to.
    Add {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        name: String,
        /// The number in E.164.
        #[arg(long)]
        number: String,
        /// Department this destination answers for, e.g. Sales.
        #[arg(long)]
        department: Option<String>,
        /// E-mail of the operator who answers this number.
        #[arg(long)]
        user: Option<String>,
    },
    /// List a business's destinations.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Issue a key; it is shown once and stored only as a hash.
    Create {
        #[command(flatten)]
        business: BusinessRef,
        /// What the key is for, e.g. "CRM sync".
        #[arg(long)]
        name: String,
    },
    /// List a business's keys (prefixes only).
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Revoke a key.
    Revoke {
        #[command(flatten)]
        business: BusinessRef,
        /// The key's id (see `leadline api-key list`).
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Add an integration; its secret is read from a file (or standard input with `-`),
    /// never from the command line. A webhook without --secret-file gets a generated
    /// secret, shown once.
    Add(IntegrationAddArgs),
    /// List a business's integrations (secrets are never shown).
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Stop delivering to an integration: no new deliveries; pending ones wait.
    Disable {
        #[command(flatten)]
        business: BusinessRef,
        /// The integration's id (see `leadline integration list`).
        #[arg(long)]
        id: i64,
    },
    /// Deliver to an integration again.
    Enable {
        #[command(flatten)]
        business: BusinessRef,
        /// The integration's id (see `leadline integration list`).
        #[arg(long)]
        id: i64,
    },
}

/// `leadline integration add --business SLUG [--site KEY] --name NAME <KIND> …`
#[derive(Debug, Args)]
pub struct IntegrationAddArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    /// Only this site's events (default: every site of the business).
    #[arg(long)]
    pub site: Option<String>,
    /// What the integration is, e.g. "Data warehouse".
    #[arg(long)]
    pub name: String,
    #[command(subcommand)]
    pub target: IntegrationTarget,
}

/// Where an integration delivers, with what it needs.
#[derive(Debug, Subcommand)]
pub enum IntegrationTarget {
    /// GA4 Measurement Protocol for one web stream.
    Ga4 {
        /// The stream's measurement id, G-XXXXXXX.
        #[arg(long)]
        measurement_id: String,
        /// A file whose first line is the stream's Measurement Protocol API secret (`-`:
        /// standard input).
        #[arg(long)]
        api_secret_file: PathBuf,
        /// Another collection endpoint (default: https://www.google-analytics.com).
        #[arg(long)]
        endpoint: Option<String>,
        /// Send to the validation endpoint and keep GA4's messages on each delivery.
        #[arg(long)]
        debug: bool,
    },
    /// Matomo HTTP Tracking API (self-hosted analytics).
    Matomo {
        /// The Matomo base URL, e.g. https://analytics.example/.
        #[arg(long)]
        url: String,
        /// The Matomo site id.
        #[arg(long)]
        site_id: u32,
        /// A file whose first line is a token_auth (needed to backdate hits and to send the
        /// visitor's address; `-`: standard input).
        #[arg(long)]
        token_auth_file: Option<PathBuf>,
        /// The goal a completed form or call counts for.
        #[arg(long)]
        goal_id: Option<u32>,
    },
    /// Salesforce REST API (an external client app with the client-credentials flow).
    Salesforce {
        /// https://login.salesforce.com or the org's My Domain URL.
        #[arg(long)]
        login_url: String,
        /// The app's consumer key.
        #[arg(long)]
        client_id: String,
        /// A file whose first line is the app's consumer secret (`-`: standard input).
        #[arg(long)]
        client_secret_file: PathBuf,
        /// The REST API version.
        #[arg(long, default_value = "v60.0")]
        api_version: String,
        /// SOURCE=CAMPAIGN_ID: leads from this source join this Campaign (repeat for several).
        #[arg(long = "campaign")]
        campaigns: Vec<String>,
    },
    /// HubSpot CRM with a private-app token.
    Hubspot {
        /// A file whose first line is the private app's access token (`-`: standard input).
        #[arg(long)]
        token_file: PathBuf,
        /// Another API endpoint (default: https://api.hubapi.com).
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// A signed webhook: every event's JSON POSTed to a URL (see docs/webhooks.md).
    Webhook {
        /// The https:// URL to POST to (http:// only on this machine).
        #[arg(long)]
        url: String,
        /// A file whose first line is the signing secret (`-`: standard input); without it a
        /// secret is generated and shown once.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first.
    List {
        /// Only this business's deliveries (default: every business's).
        #[arg(long)]
        business: Option<String>,
        /// Only deliveries in this state.
        #[arg(long, value_parser = ["pending", "in_flight", "delivered", "dead"])]
        status: Option<String>,
        /// At most this many (1 to 10000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Deliver a dead (or pending) delivery again now, with its attempts counted afresh.
    #[command(group(ArgGroup::new("which").args(["id", "all_dead"]).required(true).multiple(false)))]
    Retry {
        /// The delivery's id (see `leadline outbox list`).
        #[arg(long)]
        id: Option<i64>,
        /// Every dead delivery (of --business, when given).
        #[arg(long)]
        all_dead: bool,
        /// Only within this business.
        #[arg(long)]
        business: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversionCommand {
    /// Mark a call or a form submission as a conversion (marking again replaces the mark).
    Mark(MarkArgs),
    /// Remove a call's or a submission's mark.
    Unmark {
        #[command(flatten)]
        business: BusinessRef,
        #[command(flatten)]
        record: RecordArgs,
    },
}

/// `--call REF` or `--submission MESSAGE_ID`: the record a conversion is.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RecordArgs {
    /// The call's record ref, e.g. 1042.
    #[arg(long)]
    pub call: Option<u64>,
    /// The submission's message id (m_…).
    #[arg(long)]
    pub submission: Option<String>,
}

/// `leadline conversion mark`.
#[derive(Debug, Args)]
pub struct MarkArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    #[command(flatten)]
    pub record: RecordArgs,
    /// The conversion action's name in the ad account (default: "Phone Call" for a call,
    /// "Form" for a submission).
    #[arg(long)]
    pub name: Option<String>,
    /// What the conversion is worth, e.g. 1200.50 (default: the lead's sales when exported).
    #[arg(long)]
    pub value: Option<String>,
    /// The value's ISO 4217 currency (default: the site's).
    #[arg(long, requires = "value")]
    pub currency: Option<String>,
}

/// `leadline export PLATFORM`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// google-ads (gclid, gbraid or wbraid), microsoft-ads (msclkid) or google-ads-calls
    /// (caller's number and call start).
    #[arg(value_parser = ["google-ads", "microsoft-ads", "google-ads-calls"])]
    pub platform: String,
    #[command(flatten)]
    pub business: BusinessRef,
    /// The site's key; needed when the business has several (an export is in one site's
    /// time zone).
    #[arg(long)]
    pub site: Option<String>,
    /// First day, YYYY-MM-DD in the site's time zone (or an RFC 3339 time).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, included, YYYY-MM-DD in the site's time zone (or an RFC 3339 time, excluded).
    #[arg(long)]
    pub to: Option<String>,
    /// Also list calls and forms nobody marked (with an ad click id, for click exports),
    /// under the default name and without a value.
    #[arg(long)]
    pub include_unmarked: bool,
    /// csv or xlsx.
    #[arg(long, value_parser = ["csv", "xlsx"], default_value = "csv")]
    pub format: String,
    /// The file to write (default: standard output, for csv only).
    #[arg(long)]
    pub output: Option<PathBuf>,
}
