//! Tracking numbers: added (the auth token given once, never shown again), edited (account,
//! a replacement token, the sites served) and removed (archived: its webhooks then answer as
//! for an unknown number, its calls stay).

use crate::app::error::{AppError, AppResult};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{NewTrackingNumber, NumberEdit, TrackingNumber};
use leadline_core::{BusinessId, NumberId, SiteId};

/// Whose sites a new number may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// An owner's: only the business's own sites.
    Business(BusinessId),
    /// The installation's operator at the command line: sites of any business (a number
    /// may serve several businesses).
    Installation,
}

/// Adds a number serving `new.site_ids`; `Invalid` naming a site that is not in `scope`
/// (or is removed), `Conflict` when the number is already set up.
pub async fn add_number(store: &dyn Store, scope: Scope, new: &NewTrackingNumber) -> AppResult<TrackingNumber> {
    new.validate()?;
    if let Scope::Business(business) = scope {
        check_sites(store, business, &new.site_ids).await?;
    }
    match store.create_number(new).await {
        Err(StoreError::NotFound) => Err(AppError::Invalid(
            "a site the number should serve does not exist".into(),
        )),
        other => Ok(other?),
    }
}

/// Changes a number of `business`; the token only when a new one is given.
pub async fn edit_number(
    store: &dyn Store,
    business: BusinessId,
    id: NumberId,
    edit: &NumberEdit,
) -> AppResult<TrackingNumber> {
    edit.validate()?;
    store.number(business, id).await?;
    check_sites(store, business, &edit.site_ids).await?;
    Ok(store.edit_number(business, id, edit).await?)
}

/// Removes a number from `business` (archived when no other business uses it).
pub async fn remove_number(store: &dyn Store, business: BusinessId, id: NumberId) -> AppResult<()> {
    Ok(store.remove_number(business, id).await?)
}

async fn check_sites(store: &dyn Store, business: BusinessId, sites: &[SiteId]) -> AppResult<()> {
    for &site in sites {
        match store.site(business, site).await {
            Ok(found) if !found.removed => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(AppError::Invalid(format!(
                    "site {site} is not one of this business's sites"
                )));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}
