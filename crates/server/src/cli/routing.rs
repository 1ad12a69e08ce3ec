//! `leadline route …` and `leadline source …`: routing rules and offline sources.

use super::BusinessRef;
use clap::Subcommand;

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
    /// List a site's rules in the order they are tried, with their ids.
    List {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        site: String,
    },
    /// Move a rule one place later in its site's order (or earlier with --earlier).
    Move {
        #[command(flatten)]
        business: BusinessRef,
        /// The rule's id, as `route list` shows it.
        #[arg(long)]
        id: i64,
        /// Try it one place sooner instead.
        #[arg(long)]
        earlier: bool,
    },
    /// Remove a rule.
    Remove {
        #[command(flatten)]
        business: BusinessRef,
        /// The rule's id, as `route list` shows it.
        #[arg(long)]
        id: i64,
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
