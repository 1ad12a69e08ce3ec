//! `leadline integration …` and `leadline outbox …`: where events go, and their deliveries.

use super::BusinessRef;
use clap::{ArgGroup, Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Add an integration; its secret is read from a file (or standard input with `-`),
    /// never from the command line. A webhook without --secret-file gets a generated
    /// secret, shown once.
    Add(IntegrationAddArgs),
    /// Change an integration in place: its name, site and settings, given as for `add` (its
    /// secrets read again from their files); its kind stays.
    Edit {
        /// The integration's id (see `leadline integration list`).
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        args: IntegrationAddArgs,
    },
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
    /// Send an integration one sample event now (a CRM: sign in and read one record) and
    /// print what it answered; nothing is queued. Exits 1 when the target refused it.
    Test {
        #[command(flatten)]
        business: BusinessRef,
        /// The integration's id (see `leadline integration list`).
        #[arg(long)]
        id: i64,
    },
    /// Remove an integration with its deliveries and secrets (the events stay).
    Remove {
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
    /// Google Analytics' User Deletion API for one GA4 property: an erased person's client ids
    /// are deleted there (see docs/erasure.md).
    Ga4Deletion {
        /// The GA4 property's numeric id.
        #[arg(long)]
        property_id: String,
        /// The OAuth client's id.
        #[arg(long)]
        client_id: String,
        /// A file whose first line is the OAuth client's secret (`-`: standard input).
        #[arg(long)]
        client_secret_file: PathBuf,
        /// A file whose first line is a refresh token granted the analytics.user.deletion scope.
        #[arg(long)]
        refresh_token_file: PathBuf,
    },
    /// Google Ads conversions by API: click, enhanced-for-leads and call conversions, and
    /// their adjustments (see docs/ads-api.md).
    GoogleAds(super::ad_integrations::GoogleAdsArgs),
    /// Microsoft Advertising offline conversions by msclkid (see docs/ads-api.md).
    MicrosoftAds(super::ad_integrations::MicrosoftAdsArgs),
    /// Meta's Conversions API: Lead and Purchase events for one pixel (see docs/ads-api.md).
    MetaCapi(super::ad_integrations::MetaCapiArgs),
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
