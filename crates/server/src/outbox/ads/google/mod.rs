//! Google Ads conversions by API. Two routes, chosen per integration:
//!
//! - the **Data Manager API** (`POST https://datamanager.googleapis.com/v1/events:ingest`,
//!   scope `https://www.googleapis.com/auth/datamanager`, no developer token), the route
//!   Google documents for new integrations. Uploads and restatements are the same call: an
//!   event with the same `transactionId` adjusts the conversion. It cannot retract, nor
//!   adjust call conversions.
//! - the **Google Ads API** (`uploadClickConversions`, `uploadConversionAdjustments`), for
//!   developer tokens that uploaded click conversions before Google limited that method.
//!
//! Either way, a call from a caller Google knows (a call from an ad's forwarding number) with
//! no click id nor hashed contact to match by goes as a call conversion through the Google
//! Ads API's `uploadCallConversions` when the integration has a call conversion action, and
//! retractions go through `uploadConversionAdjustments` when it has a developer token.
//!
//! One delivery is one request of one conversion: the Data Manager API rejects a whole
//! request when one event fails validation, so a bad record never holds up another. What
//! Google refuses for good (an expired click, an unknown conversion action) makes the
//! delivery dead with Google's reason; a conversion too recent for Google is retried later.

mod ads_api;
mod data_manager;
mod errors;

use super::{Plan, plan, remember};
use crate::outbox::oauth::RefreshGrant;
use crate::outbox::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;
use data_manager::Ingest;
use leadline_core::ad_upload::{AdAction, AdFacts, click_expired, google_email, google_phone, sha256_hex};
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, IntegrationConfig};
use leadline_core::phone::E164;

/// Google's OAuth 2.0 token endpoint.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Where the Data Manager API is.
pub const DATA_MANAGER: &str = "https://datamanager.googleapis.com";
/// Where the Google Ads API is.
pub const ADS_API: &str = "https://googleads.googleapis.com";
/// The longest click-through window of a Google Ads conversion action: an older click cannot
/// be imported (`EXPIRED_EVENT`).
pub const CLICK_WINDOW_DAYS: i64 = 90;

/// The Google Ads adapter.
pub struct GoogleAdsAdapter;

/// How Google can tell which ad the conversion came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Match {
    /// One click id: `("gclid", …)`, else `("gbraid", …)`, else `("wbraid", …)`.
    pub click: Option<(&'static str, String)>,
    /// The lead's e-mail, normalised and hashed (hex).
    pub email: Option<String>,
    /// The lead's phone (else the caller's number) in E.164, hashed (hex).
    pub phone: Option<String>,
}

impl Match {
    /// What the record and its lead give Google to match by; contact details only when the
    /// integration sends them (enhanced conversions for leads).
    pub(crate) fn of(facts: &AdFacts, lead: Option<&leadline_core::event::LeadSnapshot>, enhanced: bool) -> Self {
        let ids = &facts.row.click_ids;
        let click = [("gclid", &ids.gclid), ("gbraid", &ids.gbraid), ("wbraid", &ids.wbraid)]
            .into_iter()
            .find_map(|(name, id)| id.as_ref().map(|id| (name, id.as_str().to_owned())));
        if !enhanced {
            return Self {
                click,
                ..Self::default()
            };
        }
        let email = lead
            .and_then(|l| l.email.as_deref())
            .filter(|e| e.contains('@'))
            .map(|e| sha256_hex(&google_email(e)));
        let phone = lead
            .and_then(|l| l.phone.as_deref())
            .or(facts.row.caller.as_deref())
            .and_then(|p| E164::from_stored(p).ok())
            .map(|p| sha256_hex(&google_phone(p.as_str())));
        Self { click, email, phone }
    }

    /// Whether Google can match a click or lead conversion at all.
    pub(crate) fn any(&self) -> bool {
        self.click.is_some() || self.email.is_some() || self.phone.is_some()
    }
}

/// The integration's OAuth client, its access token cached under `cache_key`.
fn grant(config: &GoogleAds, cache_key: String) -> RefreshGrant<'_> {
    RefreshGrant {
        service: "Google",
        token_url: config.token_url.as_deref().unwrap_or(TOKEN_URL),
        client_id: &config.client_id,
        client_secret: Some(&config.client_secret),
        refresh_token: &config.refresh_token,
        scope: None,
        cache_key,
    }
}

/// One Google Ads integration, its OAuth client and where its APIs are.
pub(crate) struct Google<'a> {
    pub config: &'a GoogleAds,
    pub grant: RefreshGrant<'a>,
    pub ctx: &'a Context<'a>,
}

impl<'a> Google<'a> {
    fn new(ctx: &'a Context<'a>) -> Result<Self, Failure> {
        let integration = &ctx.delivery.integration;
        let IntegrationConfig::GoogleAds(config) = &integration.config else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the Google Ads adapter",
                integration.config.kind()
            )));
        };
        let grant = grant(config, format!("google-ads:{}:{}", integration.id, config.client_id));
        Ok(Self { config, grant, ctx })
    }

    /// The base URL of `api` unless the integration names another (tests).
    fn endpoint(&self, api: &'static str) -> &str {
        self.config.endpoint.as_deref().unwrap_or(api).trim_end_matches('/')
    }

    /// The access token.
    async fn token(&self) -> Result<String, Failure> {
        self.grant.token(self.ctx.http, self.ctx.cache, self.ctx.timeout).await
    }
}

/// Whether Google gives an access token for the integration's refresh token.
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    cache: &crate::outbox::Cache,
    timeout: std::time::Duration,
    integration: &leadline_core::outbox::Integration,
) -> Result<Sent, Failure> {
    let IntegrationConfig::GoogleAds(config) = &integration.config else {
        return Err(Failure::Permanent("not a Google Ads integration".into()));
    };
    grant(config, format!("google-ads-trial:{}", integration.id))
        .token(http, cache, timeout)
        .await?;
    Ok(Sent {
        response: Some("Google gave an access token: conversions can be sent".into()),
    })
}

#[async_trait]
impl Adapter for GoogleAdsAdapter {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let google = Google::new(ctx)?;
        let (facts, action) = match plan(ctx, &google.config.send).await? {
            Plan::Skip(why) => return Ok(Plan::skipped(why)),
            Plan::Act { facts, action } => (facts, action),
        };
        let found = Match::of(&facts, ctx.delivery.event.lead.as_ref(), google.config.enhanced);
        if found.click.as_ref().is_some_and(|(name, _)| *name == "gclid")
            && click_expired(facts.clicked_at, facts.row.conversion_time, CLICK_WINDOW_DAYS)
        {
            return Err(Failure::Permanent(format!(
                "EXPIRED_EVENT: the ad click was more than {CLICK_WINDOW_DAYS} days before the conversion; \
                 Google Ads imports clicks inside the conversion action's click-through window (at most {CLICK_WINDOW_DAYS} days)"
            )));
        }
        // A call without a click id goes by caller number when the integration counts such
        // calls (Google knows the caller when the call came through an ad's forwarding number).
        let as_call = found.click.is_none()
            && matches!(
                facts.row.record,
                leadline_core::conversion::ConversionRecord::Call { .. }
            )
            && facts.row.caller.is_some()
            && google.config.call_conversion_action_id.is_some();
        if !found.any() && !as_call {
            return Ok(Plan::skipped(
                "nothing to send: no Google click id (gclid, gbraid, wbraid), e-mail or phone to match the conversion by"
                    .into(),
            ));
        }
        let said = match (&action, google.config.route, as_call) {
            (AdAction::Upload(wanted), _, true) => ads_api::upload_call(&google, &facts, wanted).await?,
            (AdAction::Nothing(why), _, _) => why.clone(),
            (AdAction::Restate { .. } | AdAction::Retract(_), _, true) => {
                return Err(Failure::Permanent(
                    "Google cannot adjust a call conversion (one sent by caller number): change it in Google Ads"
                        .into(),
                ));
            }
            (AdAction::Retract(before), GoogleAdsRoute::DataManager, false) => {
                ads_api::retract_for_data_manager(&google, &facts, before).await?
            }
            (AdAction::Upload(wanted), GoogleAdsRoute::DataManager, false) => {
                data_manager::ingest(&google, &facts, &found, &Ingest::upload(wanted)).await?
            }
            (AdAction::Restate { wanted, before }, GoogleAdsRoute::DataManager, false) => {
                let restatement = Ingest::restatement(wanted, before);
                data_manager::ingest(&google, &facts, &found, &restatement).await?
            }
            (_, GoogleAdsRoute::AdsApi, false) => ads_api::send(&google, &facts, &found, &action).await?,
        };
        remember(ctx, &action).await?;
        Ok(Sent { response: Some(said) })
    }
}
