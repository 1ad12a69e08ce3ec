//! `leadline integration add … google-ads | microsoft-ads | meta-capi`: the ad platforms'
//! flags. Secrets come from files (or standard input with `-`), never the command line.

use clap::Args;
use std::path::PathBuf;

/// Google Ads conversions by API (docs/ads-api.md).
#[derive(Debug, Args)]
pub struct GoogleAdsArgs {
    /// The Google Ads account that owns the conversion action, 123-456-7890.
    #[arg(long)]
    pub customer_id: String,
    /// The conversion action's id (type: import from other data sources or CRMs).
    #[arg(long)]
    pub conversion_action_id: String,
    /// The OAuth client's id.
    #[arg(long)]
    pub client_id: String,
    /// A file whose first line is the OAuth client's secret.
    #[arg(long)]
    pub client_secret_file: PathBuf,
    /// A file whose first line is a refresh token granted the datamanager scope (adwords for
    /// the ads-api route).
    #[arg(long)]
    pub refresh_token_file: PathBuf,
    /// The manager account the OAuth user signs in through.
    #[arg(long)]
    pub login_customer_id: Option<String>,
    /// `data_manager` (Google's route for new integrations) or `ads_api` (only for developer
    /// tokens that already uploaded click conversions).
    #[arg(long, default_value = "data_manager")]
    pub route: String,
    /// A file whose first line is the Google Ads API developer token (ads_api route, call
    /// conversions, retractions).
    #[arg(long)]
    pub developer_token_file: Option<PathBuf>,
    /// The conversion action of calls without a click id, sent by caller number.
    #[arg(long)]
    pub call_conversion_action_id: Option<String>,
    /// Which records go: marked, status:<status>, call-longer-than:<seconds>, first-time-caller.
    #[arg(long, default_value = "marked")]
    pub send: String,
    /// Do not send the lead's hashed e-mail and phone (enhanced conversions for leads).
    #[arg(long)]
    pub no_enhanced: bool,
    /// The Google Ads API version.
    #[arg(long, default_value = "v26")]
    pub api_version: String,
    /// Another token endpoint (default: https://oauth2.googleapis.com/token).
    #[arg(long)]
    pub token_url: Option<String>,
    /// Another API endpoint (default: Google's for the route).
    #[arg(long)]
    pub endpoint: Option<String>,
}

/// Microsoft Advertising offline conversions (docs/ads-api.md).
#[derive(Debug, Args)]
pub struct MicrosoftAdsArgs {
    /// The manager account's id (CustomerId).
    #[arg(long)]
    pub customer_id: String,
    /// The ad account's id (CustomerAccountId).
    #[arg(long)]
    pub account_id: String,
    /// A file whose first line is the developer token.
    #[arg(long)]
    pub developer_token_file: PathBuf,
    /// The application (client) id.
    #[arg(long)]
    pub client_id: String,
    /// A file whose first line is the client secret (none for a public client).
    #[arg(long)]
    pub client_secret_file: Option<PathBuf>,
    /// A file whose first line is a refresh token granted msads.manage and offline_access.
    #[arg(long)]
    pub refresh_token_file: PathBuf,
    /// The offline conversion goal's name (default: each conversion's own name).
    #[arg(long)]
    pub goal_name: Option<String>,
    /// Which records go: marked, status:<status>, call-longer-than:<seconds>, first-time-caller.
    #[arg(long, default_value = "marked")]
    pub send: String,
    /// Do not send the lead's hashed e-mail and phone.
    #[arg(long)]
    pub no_enhanced: bool,
    /// Another token endpoint.
    #[arg(long)]
    pub token_url: Option<String>,
    /// Another API endpoint (default: https://campaign.api.bingads.microsoft.com).
    #[arg(long)]
    pub endpoint: Option<String>,
}

/// Meta's Conversions API for one pixel (docs/ads-api.md).
#[derive(Debug, Args)]
pub struct MetaCapiArgs {
    /// The pixel (dataset) id.
    #[arg(long)]
    pub pixel_id: String,
    /// A file whose first line is a system user's access token for the pixel.
    #[arg(long)]
    pub access_token_file: PathBuf,
    /// Send to Events Manager's Test events only, under this code.
    #[arg(long)]
    pub test_event_code: Option<String>,
    /// The Graph API version.
    #[arg(long, default_value = "v21.0")]
    pub api_version: String,
    /// Which records go: marked, status:<status>, call-longer-than:<seconds>, first-time-caller.
    #[arg(long, default_value = "marked")]
    pub send: String,
    /// Another Graph API endpoint (default: https://graph.facebook.com).
    #[arg(long)]
    pub endpoint: Option<String>,
}
