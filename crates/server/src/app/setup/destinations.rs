//! Destinations (operators' and departments' phones): added, edited, disabled (never rung,
//! a departed employee's phone stays quiet) and removed (archived).

use crate::app::error::AppResult;
use leadline_core::store::Store;
use leadline_core::tenant::{Destination, NewDestination};
use leadline_core::{BusinessId, DestinationId};

/// Adds a destination; `Conflict` when the business already has the number, `NotFound`
/// when the user is another business's.
pub async fn add_destination(store: &dyn Store, new: &NewDestination) -> AppResult<Destination> {
    Ok(store.create_destination(new).await?)
}

/// Changes a destination of `edit.business_id`.
pub async fn edit_destination(store: &dyn Store, id: DestinationId, edit: &NewDestination) -> AppResult<Destination> {
    Ok(store.edit_destination(id, edit).await?)
}

/// Disables a destination (never rung) or enables it again.
pub async fn set_destination_disabled(
    store: &dyn Store,
    business: BusinessId,
    id: DestinationId,
    disabled: bool,
) -> AppResult<Destination> {
    Ok(store.set_destination_disabled(business, id, disabled).await?)
}

/// Removes a destination: never rung, hidden, kept for the calls it answered.
pub async fn remove_destination(store: &dyn Store, business: BusinessId, id: DestinationId) -> AppResult<()> {
    Ok(store.remove_destination(business, id).await?)
}
