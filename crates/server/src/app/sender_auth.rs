//! The business's switch "Refuse e-mailed replies that fail SPF/DKIM/DMARC" (what the check
//! does: `inbound::authenticity`, decided by `leadline_core::sender_auth::decide`).

use crate::app::audit;
use crate::app::error::AppResult;
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::store::Store;

/// Turns the switch on or off for `business`, as `author`.
pub async fn set_sender_auth_required(
    store: &dyn Store,
    business: BusinessId,
    required: bool,
    author: &Author,
) -> AppResult<()> {
    store.set_sender_auth_required(business, required).await?;
    let detail = AuditDetail::new(if required { "refuse" } else { "record" });
    audit::record(
        store,
        business,
        author,
        AuditAction::SenderAuthChanged,
        AuditSubject::business(),
        detail,
    )
    .await;
    Ok(())
}
