//! `leadline spam …`: the arguments. What each does: `commands/spam.rs`.

use super::BusinessRef;
use clap::{Args, Subcommand};

/// Spam and robocalls.
#[derive(Debug, Subcommand)]
pub enum SpamCommand {
    /// Block a number: its calls are answered before anyone rings (rejected or told the
    /// business's message) and logged as spam.
    Block(NumberArgs),
    /// Take a number someone blocked off the list.
    Unblock(NumberArgs),
    /// The business's blocked numbers and its list of known spam numbers.
    List {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Replace the list of known spam numbers with a file's (one per line or comma-separated,
    /// `#` comments; `-` reads standard input). An empty file clears the list.
    Import {
        #[command(flatten)]
        business: BusinessRef,
        /// The file.
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// What a blocked caller gets, and the repeated-short-calls rule.
    Configure(ConfigureArgs),
    /// Mark a call as spam, or with `--not` as not spam (no rule flags it again).
    Mark {
        #[command(flatten)]
        business: BusinessRef,
        /// The call's record ref.
        #[arg(long)]
        call: u64,
        /// The call is not spam.
        #[arg(long)]
        not: bool,
    },
}

/// A business and one number.
#[derive(Debug, Args)]
pub struct NumberArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    /// The number in E.164 (+14155550123).
    pub number: String,
}

/// `leadline spam configure`: what is not given stays as it is.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    #[command(flatten)]
    pub business: BusinessRef,
    /// `reject` (a busy tone) or `message` (say --message, then hang up).
    #[arg(long)]
    pub answer: Option<String>,
    /// What a blocked caller hears with `--answer message`.
    #[arg(long)]
    pub message: Option<String>,
    /// The repeated-calls rule as CALLS:SECONDS:HOURS (e.g. 3:10:24), or `off`.
    #[arg(long)]
    pub repeat: Option<String>,
}
