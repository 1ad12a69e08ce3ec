//! The set-up of a business: `business`, `user`, `site`, `number`, `destination` and
//! `api-key`.

use super::BusinessRef;
use clap::{ArgGroup, Args, Subcommand};
use std::path::PathBuf;

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
    /// Change a member's name or their role in the business (the last owner stays one).
    Edit {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// owner or operator.
        #[arg(long)]
        role: Option<String>,
    },
    /// Remove a member from the business: their sessions there end at once; calls they
    /// answered and notes they wrote keep their name. The last owner cannot be removed.
    Remove {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (valid for an hour) that sets a new password for the user of
    /// this e-mail and ends all their sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
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
    /// Change a site's name, domains, time zone, currency or settings; flags not given keep
    /// their value (--domain, repeated, replaces every domain).
    Edit {
        #[command(flatten)]
        business: BusinessRef,
        /// The site's key.
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: Option<String>,
        /// A domain the site is served from (repeat for several; replaces them all).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// IANA time zone.
        #[arg(long)]
        timezone: Option<String>,
        /// ISO 4217 currency.
        #[arg(long)]
        currency: Option<String>,
        #[command(flatten)]
        settings: SiteSettingsArgs,
    },
    /// Stop a site registering visits (its snippet answers as for an unknown site) until it
    /// is enabled again.
    Disable(SiteRef),
    /// Let a disabled site register visits again.
    Enable(SiteRef),
    /// Remove a site: hidden and serving nothing, its calls and leads kept. A number serving
    /// only this site must be removed (or pointed at another site) first.
    Remove(SiteRef),
    /// List a business's sites.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// A number-pool site's numbers (`--kind pool`): add, remove, list (with the count of
    /// holders overwritten when the pool ran out).
    #[command(subcommand)]
    Pool(PoolCommand),
    /// Issue the site's secret for the returning-visitor lookup, replacing any earlier one;
    /// it is shown once and stored only as a hash.
    Secret {
        /// The site's key.
        #[arg(long)]
        site: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Put a tracking number in the site's pool. It must be set up (`leadline number add
    /// NUMBER --site KEY ...`) and serve no other site; it then serves this site only and is
    /// never the number the site's pages print.
    Add {
        #[command(flatten)]
        site: SiteRef,
        /// The number in E.164.
        number: String,
    },
    /// Take a number out of the site's pool (it then serves no site).
    Remove {
        #[command(flatten)]
        site: SiteRef,
        /// The number in E.164.
        number: String,
    },
    /// List the site's pool: each number, whether a visit holds it, and the overwrites.
    List(SiteRef),
}

/// A site of a business, by its key.
#[derive(Debug, Args)]
pub struct SiteRef {
    #[command(flatten)]
    pub business: BusinessRef,
    /// The site's key.
    #[arg(long)]
    pub site: String,
}

/// How a site hands out extensions (see docs/setup.md); unset flags keep the current value.
#[derive(Debug, Args)]
pub struct SiteSettingsArgs {
    /// extensions (the site's number with a code per visit) or pool (each visit shown one
    /// number of the site's pool: `leadline site pool add`).
    #[arg(long, value_parser = ["extensions", "pool"])]
    pub kind: Option<String>,
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
    /// Match a caller keying the code of their own earlier call (a redial) to its visit.
    #[arg(long)]
    pub match_redials: Option<bool>,
    /// Match a code that is no longer live to its last visit while nobody has held it since.
    #[arg(long)]
    pub match_rested_codes: Option<bool>,
    /// Match a caller who keys no usable code to the visit of their own recent call.
    #[arg(long)]
    pub match_recent_callers: Option<bool>,
    /// Match a caller who keys no usable code to the one visitor who clicked to call in the
    /// last half minute.
    #[arg(long)]
    pub match_click_intent: Option<bool>,
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
    /// Which conversions go to ad platforms: signal (unless the visitor's consent signal
    /// refused advertising; the default), granted-only (only when it granted it) or never.
    #[arg(long, value_name = "signal|granted-only|never")]
    pub ad_platforms: Option<String>,
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
    /// Change a number of the business: its account, its auth token (read from standard
    /// input, never shown), or the business's sites it serves (--site, repeated, replaces
    /// them).
    Edit {
        /// The number in E.164.
        number: String,
        #[command(flatten)]
        business: BusinessRef,
        /// Key of a site the number serves (repeat for several).
        #[arg(long = "site")]
        sites: Vec<String>,
        #[arg(long)]
        account_sid: Option<String>,
        /// Read a new auth token from the first line of standard input.
        #[arg(long)]
        auth_token_stdin: bool,
    },
    /// Remove a number: its webhooks then answer as for an unknown number; its calls are
    /// kept. A number that also serves other businesses only stops serving this one.
    Remove {
        /// The number in E.164.
        number: String,
        #[command(flatten)]
        business: BusinessRef,
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
    /// Change a destination; flags not given keep their value.
    Edit {
        #[command(flatten)]
        destination: DestinationRef,
        #[arg(long)]
        name: Option<String>,
        /// Its new number, in E.164.
        #[arg(long)]
        new_number: Option<String>,
        /// Department this destination answers for.
        #[arg(long, conflicts_with = "no_department")]
        department: Option<String>,
        /// It answers for no department.
        #[arg(long)]
        no_department: bool,
        /// E-mail of the operator who answers this number.
        #[arg(long, conflicts_with = "no_user")]
        user: Option<String>,
        /// No operator answers this number in person.
        #[arg(long)]
        no_user: bool,
    },
    /// Stop ringing a destination (a departed employee's phone) until it is enabled again.
    Disable(DestinationRef),
    /// Ring a disabled destination again.
    Enable(DestinationRef),
    /// Remove a destination: never rung, no longer listed, its calls kept.
    Remove(DestinationRef),
    /// List a business's destinations.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
}

/// A destination of a business, by its number.
#[derive(Debug, Args)]
pub struct DestinationRef {
    #[command(flatten)]
    pub business: BusinessRef,
    /// The destination's number, in E.164.
    #[arg(long)]
    pub number: String,
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
