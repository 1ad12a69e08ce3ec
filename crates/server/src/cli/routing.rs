//! `leadline route …` and `leadline source …`: routing rules and offline sources.

use super::BusinessRef;
use clap::{Args, Subcommand};

/// A rule's conditions (each optional) and whom it rings.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// The visit's source, e.g. google.
    #[arg(long)]
    pub source: Option<String>,
    /// The visit's medium, e.g. cpc.
    #[arg(long)]
    pub medium: Option<String>,
    /// The visit's campaign.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Text the visit's keyword contains.
    #[arg(long)]
    pub keyword: Option<String>,
    /// A custom variable, NAME=VALUE (e.g. language=es).
    #[arg(long)]
    pub var: Option<String>,
    /// The business extension keyed after `*`.
    #[arg(long)]
    pub extension: Option<String>,
    /// Business hours in the site's time zone, e.g. "mon-fri 09:00-17:00".
    #[arg(long)]
    pub hours: Option<String>,
    /// Destinations to ring, comma-separated E.164 numbers (at most ten).
    #[arg(long, value_delimiter = ',', required = true)]
    pub ring: Vec<String>,
    /// Ring them one after the other instead of all at once.
    #[arg(long)]
    pub in_turn: bool,
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
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// Replace a rule's conditions and destinations with those given (conditions left out are
    /// dropped); it keeps its place in the order.
    Edit {
        #[command(flatten)]
        business: BusinessRef,
        /// The rule's id, as `route list` shows it.
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        rule: RuleArgs,
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
    /// Change a source (its link, QR code and reserved code stay); fields left out keep
    /// their value.
    Edit {
        #[command(flatten)]
        business: BusinessRef,
        /// The source's key, as `source list` shows it.
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: Option<String>,
        /// The foreign domain the link is placed on (its referrer is checked).
        #[arg(long, conflicts_with = "print")]
        domain: Option<String>,
        /// No domain: the link works from anywhere (print, QR code).
        #[arg(long)]
        print: bool,
        #[arg(long)]
        utm_source: Option<String>,
        #[arg(long)]
        utm_medium: Option<String>,
        #[arg(long)]
        utm_campaign: Option<String>,
    },
    /// Remove a source: its link and QR code answer 404, its reserved code goes back to the
    /// pool; calls it brought keep their source.
    Remove {
        #[command(flatten)]
        business: BusinessRef,
        /// The source's key, as `source list` shows it.
        #[arg(long)]
        key: String,
    },
}
