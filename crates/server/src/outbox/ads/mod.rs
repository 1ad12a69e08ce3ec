//! The ad platforms' adapters (Google Ads, Microsoft Advertising, Meta) share one way of
//! working: from the delivery's event, find the record it concerns, read it as it is now,
//! compare it with what this integration last sent ([`leadline_core::ad_upload::decide`]), and
//! act: upload, restate, retract, or nothing. What the platform accepted is remembered, so
//! the next change of the record is compared with it.

pub mod google;
pub mod meta;
pub mod microsoft;

use super::{Context, Failure, Sent};
use chrono::Utc;
use leadline_core::ad_upload::{
    AdAction, AdFacts, SendRule, Uploaded, ads_decision, decide, order_id, target_of, wanted,
};

/// Tries the integration's credentials without sending a conversion (the settings' *Try it*).
pub async fn sign_in(
    http: &reqwest::Client,
    cache: &super::Cache,
    timeout: std::time::Duration,
    integration: &leadline_core::outbox::Integration,
) -> Result<Sent, Failure> {
    use leadline_core::outbox::IntegrationConfig;
    match &integration.config {
        IntegrationConfig::GoogleAds(_) => google::sign_in(http, cache, timeout, integration).await,
        IntegrationConfig::MicrosoftAds(_) => microsoft::sign_in(http, cache, timeout, integration).await,
        IntegrationConfig::MetaCapi(_) => meta::sign_in(http, timeout, integration).await,
        other => Err(Failure::Permanent(format!(
            "a {} integration is not an ad platform",
            other.kind()
        ))),
    }
}

/// What an ad adapter is to do for a delivery.
pub(crate) enum Plan {
    /// Act on the platform; `facts` is the record as it is now.
    Act { facts: Box<AdFacts>, action: AdAction },
    /// Nothing to send; the delivery is delivered with this answer.
    Skip(String),
}

impl Plan {
    /// The delivered answer of a plan with nothing to send.
    pub(crate) fn skipped(why: String) -> Sent {
        Sent { response: Some(why) }
    }
}

/// Works out what the delivery's event asks of an integration sending under `rule`.
pub(crate) async fn plan(ctx: &Context<'_>, rule: &SendRule) -> Result<Plan, Failure> {
    let event = &ctx.delivery.event;
    let Some(target) = target_of(event, rule) else {
        return Ok(Plan::Skip("nothing to send: this event names no call or form".into()));
    };
    let store_failure = |e: leadline_core::store::StoreError| Failure::Retry(format!("reading the record: {e}"));
    let Some(facts) = ctx
        .store
        .ad_facts(event.business_id, &target)
        .await
        .map_err(store_failure)?
    else {
        return Ok(Plan::Skip("nothing to send: the lead has no call or form".into()));
    };
    // The visitor's consent signal and the site's Ad platforms setting, before anything else:
    // a conversion that may not go is not compared with what was sent, nor retracted.
    if let Err(refused) = ads_decision(facts.ads_policy, facts.ads_consent) {
        return Ok(Plan::Skip(format!("nothing to send: {refused}")));
    }
    let integration = ctx.delivery.integration.id;
    let before = ctx
        .store
        .ad_upload(integration, &order_id(&facts.row.record))
        .await
        .map_err(store_failure)?;
    Ok(match decide(wanted(rule, &facts), before) {
        AdAction::Nothing(why) => Plan::Skip(format!("nothing to send: {why}")),
        action => Plan::Act {
            facts: Box::new(facts),
            action,
        },
    })
}

/// Remembers what the platform accepted for `action`.
pub(crate) async fn remember(ctx: &Context<'_>, action: &AdAction) -> Result<(), Failure> {
    let now = leadline_core::clock::now();
    let uploaded = match action {
        AdAction::Upload(wanted) => Uploaded {
            order_id: wanted.order_id.clone(),
            conversion_time: wanted.conversion_time,
            value: wanted.value,
            retracted: false,
            updated_at: now,
        },
        AdAction::Restate { wanted, before } => Uploaded {
            value: wanted.value,
            updated_at: adjustment_time(before),
            ..before.clone()
        },
        AdAction::Retract(before) => Uploaded {
            retracted: true,
            updated_at: adjustment_time(before),
            ..before.clone()
        },
        AdAction::Nothing(_) => return Ok(()),
    };
    let event = &ctx.delivery.event;
    ctx.store
        .record_ad_upload(event.business_id, ctx.delivery.integration.id, &uploaded)
        .await
        .map_err(|e| Failure::Retry(format!("remembering the upload: {e}")))
}

/// When an adjustment of `before` happens: now, and always later than the last one (a
/// platform drops a restatement no later than the one before as a duplicate).
pub(crate) fn adjustment_time(before: &Uploaded) -> chrono::DateTime<Utc> {
    let now = leadline_core::clock::now();
    let after_last = before.updated_at + chrono::Duration::seconds(1);
    now.max(after_last)
        .max(before.conversion_time + chrono::Duration::seconds(1))
}
