//! `leadline ad-group …`: master ads and master phrases (ad aggregation).

use super::BusinessRef;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AdGroupCommand {
    /// The business's master ads in the order they are tried, and its master phrases, with ids.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Add a master ad, tried after the others.
    AddAd {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        name: String,
        /// A rule, repeated for each: `source=google*;campaign=*brand*;content=banner-a`
        /// (fields left out match anything; `*` stands for any text; case is ignored).
        #[arg(long = "rule", required = true)]
        rules: Vec<String>,
    },
    /// Change a master ad: a new name, and the rules given replace its rules.
    EditAd {
        #[command(flatten)]
        business: BusinessRef,
        /// The master ad's id, as `ad-group list` shows it.
        #[arg(long)]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        /// As for `add-ad`; none given keeps the rules.
        #[arg(long = "rule")]
        rules: Vec<String>,
    },
    /// Move a master ad one place later in the order (or earlier with --earlier).
    MoveAd {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        id: i64,
        /// Try it one place sooner instead.
        #[arg(long)]
        earlier: bool,
    },
    /// Remove a master ad: its ads are reported on their own again.
    RemoveAd {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        id: i64,
    },
    /// Add a master phrase with its keyword variants.
    AddPhrase {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        name: String,
        /// A keyword variant, repeated for each (stored normalised).
        #[arg(long = "variant", required = true)]
        variants: Vec<String>,
    },
    /// Change a master phrase: a new name, and the variants given replace its variants.
    EditPhrase {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        /// As for `add-phrase`; none given keeps the variants.
        #[arg(long = "variant")]
        variants: Vec<String>,
    },
    /// Remove a master phrase: its variants are reported on their own again.
    RemovePhrase {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long)]
        id: i64,
    },
}
