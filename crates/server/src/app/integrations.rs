//! Running a business's integrations: turning one on or off, and sending a failed delivery
//! again. (Adding one, with its kind's settings, is `leadline integration add`.)

use super::AppResult;
use leadline_core::BusinessId;
use leadline_core::outbox::IntegrationId;
use leadline_core::store::Store;

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
