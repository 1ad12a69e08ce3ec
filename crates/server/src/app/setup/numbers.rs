//! Tracking numbers: added (the auth token given once, never shown again), edited (account,
//! a replacement token, the sites served) and removed (archived: its webhooks then answer as
//! for an unknown number, its calls stay).

use crate::app::audit;
use crate::app::error::{AppError, AppResult};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
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
pub async fn add_number(
    store: &dyn Store,
    scope: Scope,
    new: &NewTrackingNumber,
    author: &Author,
) -> AppResult<TrackingNumber> {
    new.validate()?;
    if let Scope::Business(business) = scope {
        check_sites(store, business, &new.site_ids).await?;
    }
    let created = match store.create_number(new).await {
        Err(StoreError::NotFound) => {
            return Err(AppError::Invalid(
                "a site the number should serve does not exist".into(),
            ));
        }
        other => other?,
    };
    // A number may serve several businesses' sites: each of them sees it in its log.
    let mut businesses = Vec::new();
    for &site in &created.site_ids {
        if let Ok(found) = store.site_by_id(site).await
            && !businesses.contains(&found.business_id)
        {
            businesses.push(found.business_id);
        }
    }
    for business in businesses {
        added(store, business, author, AuditAction::NumberAdded, &created).await;
    }
    Ok(created)
}

/// Records that `author` added `number` to `business` (`action`: added, bought, attached).
pub(crate) async fn added(
    store: &dyn Store,
    business: BusinessId,
    author: &Author,
    action: AuditAction,
    number: &TrackingNumber,
) {
    let (subject, detail) = (
        AuditSubject::of("number", number.id.0),
        AuditDetail::new(number.number.as_str()),
    );
    audit::record(store, business, author, action, subject, detail).await;
}

/// Changes a number of `business`; the token only when a new one is given.
pub async fn edit_number(
    store: &dyn Store,
    business: BusinessId,
    id: NumberId,
    edit: &NumberEdit,
    author: &Author,
) -> AppResult<TrackingNumber> {
    edit.validate()?;
    let current = store.number(business, id).await?;
    if let Some(pool) = current.pool_of
        && edit.site_ids != [pool]
    {
        return Err(AppError::Conflict(format!(
            "the number is in the number pool of site {pool}; take it out of the pool first"
        )));
    }
    check_sites(store, business, &edit.site_ids).await?;
    let edited = store.edit_number(business, id, edit).await?;
    added(store, business, author, AuditAction::NumberUpdated, &edited).await;
    Ok(edited)
}

/// Removes a number from `business` (archived when no other business uses it).
pub async fn remove_number(store: &dyn Store, business: BusinessId, id: NumberId, author: &Author) -> AppResult<()> {
    store.remove_number(business, id).await?;
    let subject = AuditSubject::of("number", id.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::NumberRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
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
