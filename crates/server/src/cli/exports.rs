//! `leadline conversion …` and `leadline export …`: Ads conversion marks and files.

use super::BusinessRef;
use clap::{Args, Subcommand};
use std::path::PathBuf;

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
    /// google-ads only: Google's plain five-column template (Google Click ID, Conversion Name,
    /// Conversion Time, Conversion Value, Conversion Currency), for accounts whose import
    /// refuses the GBRAID and WBRAID columns; records with only a gbraid or wbraid are left
    /// out, and said.
    #[arg(long)]
    pub five_columns: bool,
    /// csv or xlsx.
    #[arg(long, value_parser = ["csv", "xlsx"], default_value = "csv")]
    pub format: String,
    /// The file to write (default: standard output, for csv only).
    #[arg(long)]
    pub output: Option<PathBuf>,
}
