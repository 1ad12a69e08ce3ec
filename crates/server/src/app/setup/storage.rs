//! Where a business's form files are stored: a directory of its own, its own bucket, or the
//! server's default. The command line checks a bucket first (`leadline business storage`).

use crate::app::{AppResult, audit};
use crate::attachments::storage::StorageSpec;
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::store::Store;

/// Stores `business`'s form files in `storage` from now on (`None`: the server's default).
/// The audit log names the kind of storage, never its keys.
pub async fn set_attachment_storage(
    store: &dyn Store,
    business: BusinessId,
    storage: Option<&StorageSpec>,
    author: &Author,
) -> AppResult<()> {
    let json = storage.map(StorageSpec::to_json);
    store.set_attachment_storage(business, json.as_deref()).await?;
    let kind = match storage {
        None => "default",
        Some(StorageSpec::Dir { .. }) => "dir",
        Some(StorageSpec::S3(_)) => "s3",
    };
    let subject = AuditSubject::business();
    audit::record(
        store,
        business,
        author,
        AuditAction::StorageChanged,
        subject,
        AuditDetail::new(kind),
    )
    .await;
    Ok(())
}
