//! Microsoft Advertising offline conversions by API: Campaign Management v13 over REST.
//!
//! - upload: `POST {endpoint}/CampaignManagement/v13/OfflineConversions/Apply`, body
//!   `{"OfflineConversions": [one]}`;
//! - restate or retract: `POST {endpoint}/CampaignManagement/v13/OfflineConversionAdjustments/Apply`,
//!   body `{"OfflineConversionAdjustments": [one]}`, naming the original by its goal name,
//!   conversion time and click id.
//!
//! Sources followed: the operations and objects on learn.microsoft.com
//! (`…/campaign-management-service/applyofflineconversions`, `…/offlineconversion`,
//! `…/applyofflineconversionadjustments`, `…/offlineconversionadjustment`, all `?view=bingads-13`,
//! and `…/guides/operation-error-codes`); the REST paths, the header names and the OAuth scope
//! as Microsoft's own REST SDK sends them (github.com/BingAds/BingAds-PHP-REST-SDK,
//! `src/Api/CampaignManagementServiceApi.php`, `src/Configuration.php`,
//! `src/Auth/UriOAuthService.php`), since the reference pages describe the SOAP form only.
//!
//! Every request carries `Authorization: Bearer <access token>`, `DeveloperToken`,
//! `CustomerId` (the manager account) and `CustomerAccountId` (the ad account). The access
//! token comes from the integration's refresh token at the Microsoft identity platform, with
//! the scope `https://ads.microsoft.com/msads.manage offline_access`, and is traded again once
//! when the API answers 401.
//!
//! One delivery is one request of one conversion. Microsoft answers 200 with `PartialErrors`
//! for a row it refused: a refusal retrying cannot fix makes the delivery dead with
//! Microsoft's reason, "not yet" (a goal made less than two hours ago, a time a little ahead
//! of Microsoft's clock, its own failure) is retried (see [`errors`]).

mod errors;

use super::{Plan, adjustment_time, plan, remember};
use crate::outbox::oauth::RefreshGrant;
use crate::outbox::{Adapter, Context, Failure, Sent, transport_failure};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::ad_upload::{
    AdAction, AdFacts, Uploaded, Wanted, click_expired, google_phone, major_units, sha256_hex, too_old,
};
use leadline_core::conversion::ConversionValue;
use leadline_core::event::LeadSnapshot;
use leadline_core::outbox::{Integration, IntegrationConfig, MicrosoftAds};
use leadline_core::phone::E164;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

/// The Microsoft identity platform's token endpoint.
pub const TOKEN_URL: &str = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
/// The scope an access token for the Microsoft Advertising API is asked with.
pub const SCOPE: &str = "https://ads.microsoft.com/msads.manage offline_access";
/// Where the Campaign Management service is.
pub const CAMPAIGN_API: &str = "https://campaign.api.bingads.microsoft.com";
/// The REST path of `ApplyOfflineConversions`.
pub const APPLY_PATH: &str = "/CampaignManagement/v13/OfflineConversions/Apply";
/// The REST path of `ApplyOfflineConversionAdjustments`.
pub const ADJUST_PATH: &str = "/CampaignManagement/v13/OfflineConversionAdjustments/Apply";
/// How old a conversion Microsoft still takes ("within the last 90 days, otherwise the
/// operation will fail"), and the longest conversion window of a goal.
pub const WINDOW_DAYS: i64 = 90;

/// The Microsoft Advertising adapter.
pub struct MicrosoftAdsAdapter;

/// The integration's settings, or a failure when it is another kind.
fn config_of(integration: &Integration) -> Result<&MicrosoftAds, Failure> {
    match &integration.config {
        IntegrationConfig::MicrosoftAds(config) => Ok(config),
        other => Err(Failure::Permanent(format!(
            "a {} integration was handed to the Microsoft Advertising adapter",
            other.kind()
        ))),
    }
}

/// The OAuth client of `config`, its access token cached under `cache_key`.
fn grant(config: &MicrosoftAds, cache_key: String) -> RefreshGrant<'_> {
    RefreshGrant {
        service: "Microsoft",
        token_url: config.token_url.as_deref().unwrap_or(TOKEN_URL),
        client_id: &config.client_id,
        client_secret: config.client_secret.as_deref(),
        refresh_token: &config.refresh_token,
        scope: Some(SCOPE),
        cache_key,
    }
}

/// Whether Microsoft gives an access token for the integration's refresh token (nothing is
/// sent to Microsoft Advertising itself).
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    cache: &crate::outbox::Cache,
    timeout: std::time::Duration,
    integration: &Integration,
) -> Result<Sent, Failure> {
    let config = config_of(integration)?;
    grant(config, format!("microsoft-ads-trial:{}", integration.id))
        .token(http, cache, timeout)
        .await?;
    Ok(Sent {
        response: Some(
            "Microsoft gave an access token for the refresh token (scope msads.manage): conversions can be sent; \
             nothing was sent to Microsoft Advertising"
                .into(),
        ),
    })
}

/// How Microsoft can tell which click or person the conversion came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Match {
    pub msclkid: Option<String>,
    /// The lead's e-mail, normalised and SHA-256 hashed (hex).
    pub email: Option<String>,
    /// The lead's phone (else the caller's number) in E.164, hashed (hex).
    pub phone: Option<String>,
}

/// An e-mail address as hashed for Microsoft: trimmed and lowercase. Microsoft documents
/// SHA-256 but not the normalisation; this follows Google's documented rule without its
/// Gmail-only dot removal (PROTOCOLS-2 §2: unconfirmed).
pub(crate) fn microsoft_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Match {
    /// What the record and its lead give Microsoft to match by; contact details only when the
    /// integration sends them (enhanced conversions). The phone is E.164 with its `+`, as for
    /// Google (PROTOCOLS-2 §2: unconfirmed).
    pub(crate) fn of(facts: &AdFacts, lead: Option<&LeadSnapshot>, enhanced: bool) -> Self {
        let msclkid = facts.row.click_ids.msclkid.as_ref().map(|id| id.as_str().to_owned());
        if !enhanced {
            return Self {
                msclkid,
                ..Self::default()
            };
        }
        let email = lead
            .and_then(|l| l.email.as_deref())
            .filter(|e| e.contains('@'))
            .map(|e| sha256_hex(&microsoft_email(e)));
        let phone = lead
            .and_then(|l| l.phone.as_deref())
            .or(facts.row.caller.as_deref())
            .and_then(|p| E164::from_stored(p).ok())
            .map(|p| sha256_hex(&google_phone(p.as_str())));
        Self { msclkid, email, phone }
    }

    /// Whether Microsoft can match the conversion at all.
    pub(crate) fn any(&self) -> bool {
        self.msclkid.is_some() || self.email.is_some() || self.phone.is_some()
    }

    /// Writes the identifiers into a conversion or adjustment row.
    fn fill(&self, row: &mut Map<String, Value>) {
        if let Some(id) = &self.msclkid {
            row.insert("MicrosoftClickId".into(), json!(id));
        }
        if let Some(email) = &self.email {
            row.insert("HashedEmailAddress".into(), json!(email));
        }
        if let Some(phone) = &self.phone {
            row.insert("HashedPhoneNumber".into(), json!(phone));
        }
    }
}

/// A time as Microsoft wants it: UTC, to the second, `2020-05-15T17:02:35Z`.
pub(crate) fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The goal a conversion counts for: the integration's goal, else the conversion's own name.
fn goal_name<'a>(config: &'a MicrosoftAds, facts: &'a AdFacts) -> &'a str {
    config.goal_name.as_deref().unwrap_or(facts.row.name.as_str())
}

/// The `OfflineConversion` of an upload.
pub(crate) fn conversion_row(config: &MicrosoftAds, facts: &AdFacts, found: &Match, wanted: &Wanted) -> Value {
    let mut row = Map::new();
    row.insert("ConversionName".into(), json!(goal_name(config, facts)));
    row.insert("ConversionTime".into(), json!(utc(wanted.conversion_time)));
    if let Some(value) = wanted.value {
        row.insert("ConversionValue".into(), json!(major_units(&value)));
        row.insert("ConversionCurrencyCode".into(), json!(value.currency.code()));
    }
    found.fill(&mut row);
    Value::Object(row)
}

/// The `OfflineConversionAdjustment` restating `before` to `value`, or retracting it
/// without one.
pub(crate) fn adjustment_row(
    config: &MicrosoftAds,
    facts: &AdFacts,
    found: &Match,
    before: &Uploaded,
    value: Option<ConversionValue>,
) -> Value {
    let mut row = Map::new();
    row.insert("ConversionName".into(), json!(goal_name(config, facts)));
    row.insert("ConversionTime".into(), json!(utc(before.conversion_time)));
    row.insert("AdjustmentTime".into(), json!(utc(adjustment_time(before))));
    match value {
        Some(value) => {
            row.insert("AdjustmentType".into(), json!("Restate"));
            row.insert("AdjustmentValue".into(), json!(major_units(&value)));
            row.insert("AdjustmentCurrencyCode".into(), json!(value.currency.code()));
        }
        None => {
            row.insert("AdjustmentType".into(), json!("Retract"));
        }
    }
    found.fill(&mut row);
    Value::Object(row)
}

/// One Microsoft Advertising integration, its OAuth client and the delivery's context.
struct Api<'a> {
    config: &'a MicrosoftAds,
    grant: RefreshGrant<'a>,
    ctx: &'a Context<'a>,
}

impl Api<'_> {
    /// Posts `body` to `path`; a refused row is a failure.
    async fn post(&self, path: &str, body: &Value) -> Result<(), Failure> {
        let ctx = self.ctx;
        let base = self.config.endpoint.as_deref().unwrap_or(CAMPAIGN_API);
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut refreshed = false;
        loop {
            let token = self.grant.token(ctx.http, ctx.cache, ctx.timeout).await?;
            let response = ctx
                .http
                .post(&url)
                .timeout(ctx.timeout)
                .bearer_auth(&token)
                .header("DeveloperToken", &self.config.developer_token)
                .header("CustomerId", &self.config.customer_id)
                .header("CustomerAccountId", &self.config.account_id)
                .json(body)
                .send()
                .await
                .map_err(|e| transport_failure(&e))?;
            let status = response.status();
            let text = response.text().await.map_err(|e| transport_failure(&e))?;
            let said: Value = serde_json::from_str(&text).unwrap_or_default();
            if (status == StatusCode::UNAUTHORIZED || errors::token_expired(&said)) && !refreshed {
                self.grant.forget(ctx.cache);
                refreshed = true;
                continue;
            }
            if !status.is_success() {
                return Err(errors::fault(status, &text));
            }
            return match errors::partial(&said) {
                Some(failure) => Err(failure),
                None => Ok(()),
            };
        }
    }
}

#[async_trait]
impl Adapter for MicrosoftAdsAdapter {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let integration = &ctx.delivery.integration;
        let config = config_of(integration)?;
        let (facts, action) = match plan(ctx, &config.send).await? {
            Plan::Skip(why) => return Ok(Plan::skipped(why)),
            Plan::Act { facts, action } => (facts, action),
        };
        let found = Match::of(&facts, ctx.delivery.event.lead.as_ref(), config.enhanced);
        if !found.any() {
            return Ok(Plan::skipped(
                "nothing to send: no Microsoft click id (msclkid), e-mail or phone to match the conversion by".into(),
            ));
        }
        let (order_id, conversion_time) = match &action {
            AdAction::Upload(wanted) => (&wanted.order_id, wanted.conversion_time),
            AdAction::Restate { before, .. } | AdAction::Retract(before) => (&before.order_id, before.conversion_time),
            AdAction::Nothing(why) => return Ok(Plan::skipped(why.clone())),
        };
        if too_old(conversion_time, leadline_core::clock::now(), WINDOW_DAYS) {
            return Err(Failure::Permanent(format!(
                "OfflineConversionTimeOutOfWindow: {order_id} converted at {}, more than {WINDOW_DAYS} days ago; \
                 Microsoft Advertising takes offline conversions and their adjustments from the last {WINDOW_DAYS} days only",
                utc(conversion_time)
            )));
        }
        if found.msclkid.is_some() && click_expired(facts.clicked_at, conversion_time, WINDOW_DAYS) {
            return Err(Failure::Permanent(format!(
                "ClickIdDateTimeOutsideGoalConversionWindow: the ad click was more than {WINDOW_DAYS} days before \
                 {order_id}, longer than any offline conversion goal's window"
            )));
        }
        let api = Api {
            config,
            grant: grant(config, format!("microsoft-ads:{}:{}", integration.id, config.client_id)),
            ctx,
        };
        let goal = goal_name(config, &facts);
        let said = match &action {
            AdAction::Upload(wanted) => {
                let row = conversion_row(config, &facts, &found, wanted);
                api.post(APPLY_PATH, &json!({ "OfflineConversions": [row] })).await?;
                format!("Microsoft Advertising: {order_id} sent to the goal \"{goal}\"")
            }
            AdAction::Restate { wanted, before } => {
                let Some(value) = wanted.value else {
                    return Ok(Plan::skipped(format!(
                        "nothing to send: {order_id} lost its value, and Microsoft Advertising restates only to a value"
                    )));
                };
                let row = adjustment_row(config, &facts, &found, before, Some(value));
                api.post(ADJUST_PATH, &json!({ "OfflineConversionAdjustments": [row] }))
                    .await?;
                format!(
                    "Microsoft Advertising: {order_id} restated to {} {}",
                    major_units(&value),
                    value.currency.code()
                )
            }
            AdAction::Retract(before) => {
                let row = adjustment_row(config, &facts, &found, before, None);
                api.post(ADJUST_PATH, &json!({ "OfflineConversionAdjustments": [row] }))
                    .await?;
                format!("Microsoft Advertising: {order_id} retracted")
            }
            AdAction::Nothing(why) => return Ok(Plan::skipped(why.clone())),
        };
        remember(ctx, &action).await?;
        Ok(Sent { response: Some(said) })
    }
}

#[cfg(test)]
mod tests;
