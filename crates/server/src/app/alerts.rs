//! A member's alerts: each member of a business chooses for themselves which alerts they get,
//! by which channels, and their quiet hours. Alerts travel through the outbox as the
//! business's one `alerts` integration, added (or turned back on) when a member first chooses
//! an alert, so a relay outage delays them and never loses them.

use crate::app::{AppResult, audit};
use leadline_core::alerts::AlertChoices;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::store::Store;
use leadline_core::{BusinessId, UserId};

/// Where members change their alerts (and owners their summary), under the public base URL.
pub const ALERTS_PAGE: &str = "/app/settings/alerts";

/// What `user` chose in `business`, or nothing chosen yet.
pub async fn my_alerts(store: &dyn Store, business: BusinessId, user: UserId) -> AppResult<AlertChoices> {
    Ok(store
        .alert_choices(business, user)
        .await?
        .unwrap_or_else(AlertChoices::none))
}

/// Keeps `user`'s alert choices in `business` (they must be a member: else `NotFound`), and
/// makes sure the business's alerts integration is there and on when anything is chosen.
pub async fn set_my_alerts(
    store: &dyn Store,
    business: BusinessId,
    user: UserId,
    choices: &AlertChoices,
    author: &Author,
) -> AppResult<()> {
    store.set_alert_choices(business, user, choices).await?;
    if choices.kinds.is_empty() || choices.channels().is_empty() {
        return Ok(());
    }
    alerts_integration_on(store, business, author).await
}

/// Adds the business's alerts integration, or turns it back on, unless one is on.
pub async fn alerts_integration_on(store: &dyn Store, business: BusinessId, author: &Author) -> AppResult<()> {
    let integrations = store.integrations(business).await?;
    let mut alerts = integrations.iter().filter(|i| i.config == IntegrationConfig::Alerts);
    if alerts.clone().any(|i| i.enabled) {
        return Ok(());
    }
    if let Some(off) = alerts.next() {
        return super::integrations::set_enabled(store, business, off.id, true, author).await;
    }
    let new = NewIntegration {
        business_id: business,
        site_id: None,
        name: "Alerts".into(),
        config: IntegrationConfig::Alerts,
    };
    let added = store.add_integration(&new).await?;
    let subject = AuditSubject::of("integration", added.id);
    let detail = AuditDetail::new(format!("alerts {}", added.name));
    audit::record(store, business, author, AuditAction::IntegrationAdded, subject, detail).await;
    Ok(())
}
