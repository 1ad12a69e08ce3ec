//! Destinations (operators' and departments' phones): added, edited, disabled (never rung,
//! a departed employee's phone stays quiet) and removed (archived).

use crate::app::audit;
use crate::app::error::AppResult;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::store::Store;
use leadline_core::tenant::{Destination, NewDestination};
use leadline_core::{BusinessId, DestinationId};

/// Adds a destination; `Conflict` when the business already has the number, `NotFound`
/// when the user is another business's.
pub async fn add_destination(store: &dyn Store, new: &NewDestination, author: &Author) -> AppResult<Destination> {
    let created = store.create_destination(new).await?;
    noted(store, author, AuditAction::DestinationAdded, &created).await;
    Ok(created)
}

/// Records a change of `destination` by its name (its number may be someone's own phone).
async fn noted(store: &dyn Store, author: &Author, action: AuditAction, destination: &Destination) {
    let subject = AuditSubject::of("destination", destination.id.0);
    let detail = AuditDetail::new(destination.name.as_str());
    audit::record(store, destination.business_id, author, action, subject, detail).await;
}

/// Changes a destination of `edit.business_id`.
pub async fn edit_destination(
    store: &dyn Store,
    id: DestinationId,
    edit: &NewDestination,
    author: &Author,
) -> AppResult<Destination> {
    let edited = store.edit_destination(id, edit).await?;
    noted(store, author, AuditAction::DestinationUpdated, &edited).await;
    Ok(edited)
}

/// Disables a destination (never rung) or enables it again.
pub async fn set_destination_disabled(
    store: &dyn Store,
    business: BusinessId,
    id: DestinationId,
    disabled: bool,
    author: &Author,
) -> AppResult<Destination> {
    let changed = store.set_destination_disabled(business, id, disabled).await?;
    let action = if disabled {
        AuditAction::DestinationDisabled
    } else {
        AuditAction::DestinationEnabled
    };
    noted(store, author, action, &changed).await;
    Ok(changed)
}

/// Removes a destination: never rung, hidden, kept for the calls it answered.
pub async fn remove_destination(
    store: &dyn Store,
    business: BusinessId,
    id: DestinationId,
    author: &Author,
) -> AppResult<()> {
    store.remove_destination(business, id).await?;
    let subject = AuditSubject::of("destination", id.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::DestinationRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}
