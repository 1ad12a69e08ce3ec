//! A number-pool site's numbers (DNI, `core::number_pool`): a tracking number put in the
//! site's pool serves that site only, is never its main number, and is shown to one visit at
//! a time. The Settings page shows the pool; the CLI changes it (`leadline site pool`).

use super::numbers::added;
use crate::app::error::{AppError, AppResult};
use leadline_core::audit::AuditAction;
use leadline_core::lead::Author;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::TrackingNumber;
use leadline_core::{BusinessId, E164, SiteId};

/// Puts the set-up tracking number `number` in the pool of `business`'s site `site`.
/// `NotFound` for a site of another business; `Invalid` for a number not set up; `Conflict`
/// for a number that serves another site (of any business) or is in another site's pool.
pub async fn add_pool_number(
    store: &dyn Store,
    business: BusinessId,
    site: SiteId,
    number: &E164,
    author: &Author,
) -> AppResult<TrackingNumber> {
    live_site(store, business, site).await?;
    let found = match store.number_by_e164(number).await {
        Err(StoreError::NotFound) => {
            return Err(AppError::Invalid(format!(
                "{number} is not set up: add it first (leadline number add {number} ... --site KEY)"
            )));
        }
        other => other?,
    };
    if found.site_ids.iter().any(|&other| other != site) {
        return Err(AppError::Conflict(format!(
            "{number} serves another site; a pool number serves its one site only"
        )));
    }
    store.add_pool_number(site, found.id).await?;
    let pooled = store.number_by_e164(number).await?;
    added(store, business, author, AuditAction::NumberUpdated, &pooled).await;
    Ok(pooled)
}

/// Takes `number` out of the pool of `business`'s site `site` (it then serves no site; add it
/// to a site again with `leadline number edit`, or remove it). `NotFound` when it is not in
/// that pool.
pub async fn remove_pool_number(
    store: &dyn Store,
    business: BusinessId,
    site: SiteId,
    number: &E164,
    author: &Author,
) -> AppResult<()> {
    live_site(store, business, site).await?;
    let found = store.number_by_e164(number).await?;
    if found.pool_of != Some(site) {
        return Err(AppError::NotFound);
    }
    store.remove_pool_number(site, found.id).await?;
    added(store, business, author, AuditAction::NumberUpdated, &found).await;
    Ok(())
}

async fn live_site(store: &dyn Store, business: BusinessId, site: SiteId) -> AppResult<()> {
    match store.site(business, site).await {
        Ok(found) if !found.removed => Ok(()),
        Ok(_) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
