//! API keys: issuing one (the key is shown once, only its hash stored) and revoking it. The
//! settings page and the CLI call these.

use super::{AppError, AppResult, audit};
use leadline_core::ApiKeyId;
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::secret::{IssuedApiKey, Secret};
use leadline_core::store::Store;
use leadline_core::tenant::{ApiKey, NewApiKey};

/// Issues an API key for `business`: the record, and the key to show once.
pub async fn create_api_key(
    store: &dyn Store,
    business: BusinessId,
    name: &Name,
    author: &Author,
) -> AppResult<(ApiKey, Secret)> {
    let issued = IssuedApiKey::generate();
    let new = NewApiKey {
        business_id: business,
        name: name.clone(),
        prefix: issued.prefix.clone(),
        hash: issued.hash,
    };
    let created = store.create_api_key(&new).await?;
    tracing::info!(author = author.as_str(), key = created.id.0, "API key created");
    let (subject, detail) = (
        AuditSubject::of("api key", created.id.0),
        AuditDetail::new(created.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::ApiKeyCreated, subject, detail).await;
    Ok((created, issued.key))
}

/// Revokes an API key of `business`; `NotFound` for another business's key.
pub async fn revoke_api_key(store: &dyn Store, business: BusinessId, id: ApiKeyId, author: &Author) -> AppResult<()> {
    store.revoke_api_key(business, id).await.map_err(AppError::from)?;
    tracing::info!(author = author.as_str(), key = id.0, "API key revoked");
    let subject = AuditSubject::of("api key", id.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::ApiKeyRevoked,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}
