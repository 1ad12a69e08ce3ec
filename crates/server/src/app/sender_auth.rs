//! The business's switch "Refuse e-mailed replies that fail SPF/DKIM/DMARC" (what the check
//! does: `inbound::authenticity`, decided by `leadline_core::sender_auth::decide`).

use crate::app::error::AppResult;
use leadline_core::BusinessId;
use leadline_core::store::Store;

/// Turns the switch on or off for `business`.
pub async fn set_sender_auth_required(store: &dyn Store, business: BusinessId, required: bool) -> AppResult<()> {
    Ok(store.set_sender_auth_required(business, required).await?)
}
