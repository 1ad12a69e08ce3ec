//! `leadline provider …`: the business's provider account and its numbers.

use super::BusinessRef;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Connect the business's provider account once (the provider checks the credentials by
    /// listing its numbers); connecting again replaces it.
    Connect {
        #[command(flatten)]
        business: BusinessRef,
        /// The account's id (Twilio's AC…).
        #[arg(long)]
        account_sid: String,
        /// The account's auth token (prefer --auth-token-stdin: flags show in `ps`).
        #[arg(long, conflicts_with = "auth_token_stdin")]
        auth_token: Option<String>,
        /// Read the auth token from the first line of standard input.
        #[arg(long)]
        auth_token_stdin: bool,
    },
    /// List the numbers the connected account holds.
    Numbers {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Search for local numbers to buy.
    Search {
        #[command(flatten)]
        business: BusinessRef,
        /// The country's two-letter code.
        #[arg(long, default_value = "US")]
        country: String,
        /// A US or Canadian area code, e.g. 415.
        #[arg(long)]
        area_code: Option<String>,
    },
    /// Buy a number with its webhooks set, and track it for a site.
    Buy {
        #[command(flatten)]
        business: BusinessRef,
        /// The number in E.164 (as `leadline provider search` lists it).
        number: String,
        /// The key of the site the number serves.
        #[arg(long)]
        site: String,
    },
    /// Point a number the account holds at Leadline, and track it for a site.
    Attach {
        #[command(flatten)]
        business: BusinessRef,
        /// The number in E.164 (as `leadline provider numbers` lists it).
        number: String,
        /// The key of the site the number serves.
        #[arg(long)]
        site: String,
    },
}
