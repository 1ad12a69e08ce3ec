//! Running a business's integrations: adding one (from the browser or the CLI, checked the
//! same way), changing it, turning it on or off, removing it, and sending a failed delivery
//! again. (Trying one with a sample event changes nothing: `outbox::trial`.)

mod target;

pub use target::{Target, describe, secret_of};

use super::{AppError, AppResult};
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
    Ok((store.add_integration(&new).await?, generated))
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
    Ok(store.edit_integration(id, &changed).await?)
}

/// Removes the business's integration with its queued and past deliveries and its secrets;
/// the events themselves stay (another integration may still receive them). `NotFound` for
/// another business's.
pub async fn remove(store: &dyn Store, business: BusinessId, id: IntegrationId) -> AppResult<()> {
    Ok(store.remove_integration(business, id).await?)
}

/// Turns the business's integration on or off: off, its events get no new deliveries and
/// those pending wait; on, they go out again. `NotFound` for another business's.
pub async fn set_enabled(store: &dyn Store, business: BusinessId, id: IntegrationId, enabled: bool) -> AppResult<()> {
    Ok(store.set_integration_enabled(business, id, enabled).await?)
}

/// Makes a dead (or waiting) delivery of the business due now, its attempts counted afresh.
/// `None` is any business's, for the operators of the install (`leadline outbox retry`).
/// `NotFound` for another business's, or one already delivered.
pub async fn retry_delivery(store: &dyn Store, business: Option<BusinessId>, id: i64) -> AppResult<()> {
    Ok(store
        .retry_delivery(business, id, chrono::Utc::now().timestamp_millis())
        .await?)
}
