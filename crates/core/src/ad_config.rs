//! The settings of the ad platform integrations (Google Ads, Microsoft Advertising, Meta's
//! Conversions API), stored sealed with the integration like every other kind's.

use crate::Invalid;
use crate::ad_upload::SendRule;
use serde::{Deserialize, Serialize};

/// Which Google API a Google Ads integration uploads through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoogleAdsRoute {
    /// The Data Manager API's `events:ingest`: what Google documents for new integrations.
    #[default]
    DataManager,
    /// The Google Ads API's `uploadClickConversions` and `uploadConversionAdjustments`: only
    /// for developer tokens that uploaded click conversions before Google limited it.
    AdsApi,
}

impl GoogleAdsRoute {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::DataManager => "data_manager",
            Self::AdsApi => "ads_api",
        }
    }

    /// Parses `data_manager` or `ads_api`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        [Self::DataManager, Self::AdsApi]
            .into_iter()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "Google Ads route",
                    format!("'{input}' is not one of data_manager, ads_api"),
                )
            })
    }
}

/// A Google Ads integration's settings.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleAds {
    #[serde(default)]
    pub route: GoogleAdsRoute,
    /// The Google Ads account that owns the conversion actions (10 digits, no dashes).
    pub customer_id: String,
    /// The manager account the OAuth user signs in through, if any (10 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_customer_id: Option<String>,
    /// The conversion action (type `UPLOAD_CLICKS`) click and lead conversions count for.
    pub conversion_action_id: String,
    /// The conversion action calls count for by caller number (Google's call conversions),
    /// for calls without a click id; needs a developer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_conversion_action_id: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    /// The Google Ads API developer token (the `ads_api` route, call conversions and
    /// retractions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_token: Option<String>,
    #[serde(default)]
    pub send: SendRule,
    /// Send the lead's e-mail and phone, normalised and SHA-256 hashed (enhanced conversions
    /// for leads).
    #[serde(default = "yes")]
    pub enhanced: bool,
    /// The Google Ads API version (`v26`).
    #[serde(default = "default_google_ads_version")]
    pub api_version: String,
    /// Default `https://oauth2.googleapis.com/token` (tests point it at loopback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Default `https://datamanager.googleapis.com` or `https://googleads.googleapis.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// A Microsoft Advertising integration's settings.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrosoftAds {
    /// The manager account (`CustomerId` header).
    pub customer_id: String,
    /// The ad account (`CustomerAccountId` header).
    pub account_id: String,
    pub developer_token: String,
    pub client_id: String,
    /// Absent for a public client (a desktop app registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub refresh_token: String,
    /// The offline conversion goal's name; without one, the conversion's own name (the
    /// mark's, "Phone Call" or "Form").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_name: Option<String>,
    #[serde(default)]
    pub send: SendRule,
    /// Send the lead's e-mail and phone, SHA-256 hashed (enhanced conversions).
    #[serde(default = "yes")]
    pub enhanced: bool,
    /// Default `https://login.microsoftonline.com/common/oauth2/v2.0/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Default `https://campaign.api.bingads.microsoft.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// A Meta Conversions API integration's settings.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaCapi {
    /// The pixel (dataset) id.
    pub pixel_id: String,
    /// A system user's access token for the pixel.
    pub access_token: String,
    /// Routes events to Events Manager's Test Events instead of production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_event_code: Option<String>,
    /// The Graph API version (`v21.0`).
    #[serde(default = "default_meta_version")]
    pub api_version: String,
    #[serde(default)]
    pub send: SendRule,
    /// Default `https://graph.facebook.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_google_ads_version() -> String {
    "v26".into()
}

fn default_meta_version() -> String {
    "v21.0".into()
}
