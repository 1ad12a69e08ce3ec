//! Running a business's integrations: adding one (from the browser or the CLI, checked the
//! same way), changing it, turning it on or off, removing it, and sending a failed delivery
//! again. (Trying one with a sample event changes nothing: `outbox::trial`.)

mod ad_target;
mod checks;
pub mod prompt;
mod target;

pub use ad_target::AdTarget;
pub use checks::secret_of;
pub use target::{Target, describe};

use super::{AppError, AppResult, audit};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::outbox::{Integration, IntegrationId, NewIntegration};
use leadline_core::store::Store;
use leadline_core::{BusinessId, SiteId};

/// Adds an integration to the business, for one of its sites or (`None`) all of them, with
/// the webhook secret when one was generated (shown once, never again). `Invalid` names the
/// field that is wrong; `NotFound` when the site is another business's. Bad input writes
/// nothing.
pub async fn add(
    store: &dyn Store,
    business: BusinessId,
    name: &str,
    site: Option<SiteId>,
    target: Target,
    author: &Author,
) -> AppResult<(Integration, Option<String>)> {
    let name = Name::parse_as("integration name", name)?;
    let (config, generated) = target.config()?;
    if let Some(site) = site {
        store.site(business, site).await?;
    }
    let new = NewIntegration {
        business_id: business,
        site_id: site,
        name: name.as_str().to_owned(),
        config,
    };
    let added = store.add_integration(&new).await?;
    let (subject, detail) = (AuditSubject::of("integration", added.id), described(&added));
    audit::record(store, business, author, AuditAction::IntegrationAdded, subject, detail).await;
    Ok((added, generated))
}

/// What the audit log says of an integration: its kind and name (never its settings, which
/// hold secrets).
fn described(integration: &Integration) -> AuditDetail {
    AuditDetail::new(format!("{} {}", integration.config.kind(), integration.name))
}

/// Changes the business's integration: its name, its site and its kind's settings, checked
/// as when it was added; a secret left empty keeps the one stored. Its kind cannot change
/// (`Invalid`: add another one instead); `NotFound` for another business's integration or
/// site. Deliveries already queued go out with the new settings.
pub async fn edit(
    store: &dyn Store,
    business: BusinessId,
    id: IntegrationId,
    name: &str,
    site: Option<SiteId>,
    target: Target,
    author: &Author,
) -> AppResult<Integration> {
    let current = store
        .integrations(business)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AppError::NotFound)?;
    if target.kind() != current.config.kind() {
        return Err(AppError::Invalid(format!(
            "a {} integration stays one: add a {} integration instead",
            current.config.kind(),
            target.kind()
        )));
    }
    let name = Name::parse_as("integration name", name)?;
    let (config, _) = target.keeping_secrets(&current.config).config()?;
    let changed = NewIntegration {
        business_id: business,
        site_id: site,
        name: name.as_str().to_owned(),
        config,
    };
    let edited = store.edit_integration(id, &changed).await?;
    let (subject, detail) = (AuditSubject::of("integration", id), described(&edited));
    audit::record(
        store,
        business,
        author,
        AuditAction::IntegrationUpdated,
        subject,
        detail,
    )
    .await;
    Ok(edited)
}

/// Removes the business's integration with its queued and past deliveries and its secrets;
/// the events themselves stay (another integration may still receive them). `NotFound` for
/// another business's.
pub async fn remove(store: &dyn Store, business: BusinessId, id: IntegrationId, author: &Author) -> AppResult<()> {
    store.remove_integration(business, id).await?;
    let subject = AuditSubject::of("integration", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::IntegrationRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}

/// Turns the business's integration on or off: off, its events get no new deliveries and
/// those pending wait; on, they go out again. `NotFound` for another business's.
pub async fn set_enabled(
    store: &dyn Store,
    business: BusinessId,
    id: IntegrationId,
    enabled: bool,
    author: &Author,
) -> AppResult<()> {
    store.set_integration_enabled(business, id, enabled).await?;
    let action = if enabled {
        AuditAction::IntegrationEnabled
    } else {
        AuditAction::IntegrationDisabled
    };
    let subject = AuditSubject::of("integration", id);
    audit::record(store, business, author, action, subject, AuditDetail::none()).await;
    Ok(())
}

/// Makes a dead (or waiting) delivery of the business due now, its attempts counted afresh.
/// `None` is any business's, for the operators of the install (`leadline outbox retry`).
/// `NotFound` for another business's, or one already delivered.
/// The install's operators act for no business: their retries are not in any business's log.
pub async fn retry_delivery(
    store: &dyn Store,
    business: Option<BusinessId>,
    id: i64,
    author: &Author,
) -> AppResult<()> {
    store
        .retry_delivery(business, id, leadline_core::clock::now().timestamp_millis())
        .await?;
    if let Some(business) = business {
        let subject = AuditSubject::of("delivery", id);
        audit::record(
            store,
            business,
            author,
            AuditAction::DeliveryRetried,
            subject,
            AuditDetail::none(),
        )
        .await;
    }
    Ok(())
}
