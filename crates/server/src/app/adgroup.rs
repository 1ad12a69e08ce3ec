//! Ad aggregation: an owner (in Settings) or a program (with an API key) groups ads and
//! campaigns into master ads and keyword variants into master phrases; reports roll up by
//! them. The rules themselves are `leadline_core::adgroup`'s.

use super::{AppError, AppResult, audit};
use leadline_core::BusinessId;
use leadline_core::adgroup::{AdGrouping, MasterAd, MasterPhrase, NewMasterAd, NewMasterPhrase};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::routing::Move;
use leadline_core::store::Store;

/// The business's master ads, in the order they are tried, and its master phrases by name.
pub async fn ad_grouping(store: &dyn Store, business: BusinessId) -> AppResult<AdGrouping> {
    Ok(store.ad_grouping(business).await?)
}

/// A master ad of the business; `NotFound` for another business's.
pub async fn master_ad(store: &dyn Store, business: BusinessId, id: i64) -> AppResult<MasterAd> {
    ad_grouping(store, business)
        .await?
        .ads
        .into_iter()
        .find(|ad| ad.id == id)
        .ok_or(AppError::NotFound)
}

/// A master phrase of the business; `NotFound` for another business's.
pub async fn master_phrase(store: &dyn Store, business: BusinessId, id: i64) -> AppResult<MasterPhrase> {
    ad_grouping(store, business)
        .await?
        .phrases
        .into_iter()
        .find(|phrase| phrase.id == id)
        .ok_or(AppError::NotFound)
}

/// Adds a master ad, tried after the business's others. `Invalid` without a rule or with a
/// rule that names no field; `Conflict` when the name is taken.
pub async fn add_master_ad(
    store: &dyn Store,
    business: BusinessId,
    new: &NewMasterAd,
    author: &Author,
) -> AppResult<MasterAd> {
    new.validate()?;
    let created = store.create_master_ad(business, new).await?;
    tracing::info!(author = author.as_str(), master_ad = created.id, "master ad added");
    let detail = AuditDetail::new(created.name.as_str());
    audit::record(
        store,
        business,
        author,
        AuditAction::AdAdded,
        AuditSubject::of("master ad", created.id),
        detail,
    )
    .await;
    Ok(created)
}

/// Renames a master ad of the business and replaces its rules (it keeps its place).
pub async fn edit_master_ad(
    store: &dyn Store,
    business: BusinessId,
    id: i64,
    edit: &NewMasterAd,
    author: &Author,
) -> AppResult<MasterAd> {
    edit.validate()?;
    let edited = store.edit_master_ad(business, id, edit).await?;
    tracing::info!(author = author.as_str(), master_ad = id, "master ad changed");
    let detail = AuditDetail::new(edited.name.as_str());
    audit::record(
        store,
        business,
        author,
        AuditAction::AdUpdated,
        AuditSubject::of("master ad", id),
        detail,
    )
    .await;
    Ok(edited)
}

/// Removes a master ad of the business; its ads are reported on their own again.
pub async fn remove_master_ad(store: &dyn Store, business: BusinessId, id: i64, author: &Author) -> AppResult<()> {
    store.remove_master_ad(business, id).await?;
    tracing::info!(author = author.as_str(), master_ad = id, "master ad removed");
    let subject = AuditSubject::of("master ad", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::AdRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}

/// Moves a master ad of the business one place sooner or later in the order ads are tried.
pub async fn move_master_ad(
    store: &dyn Store,
    business: BusinessId,
    id: i64,
    direction: Move,
    author: &Author,
) -> AppResult<()> {
    store.move_master_ad(business, id, direction).await?;
    tracing::info!(author = author.as_str(), master_ad = id, ?direction, "master ad moved");
    let detail = AuditDetail::new(format!("{direction:?}").to_lowercase());
    audit::record(
        store,
        business,
        author,
        AuditAction::AdMoved,
        AuditSubject::of("master ad", id),
        detail,
    )
    .await;
    Ok(())
}

/// Adds a master phrase. `Invalid` without a variant or with one that has no letter or
/// digit; `Conflict` when the name is taken or a variant is another phrase's.
pub async fn add_master_phrase(
    store: &dyn Store,
    business: BusinessId,
    new: &NewMasterPhrase,
    author: &Author,
) -> AppResult<MasterPhrase> {
    new.variants()?;
    let created = store.create_master_phrase(business, new).await?;
    tracing::info!(
        author = author.as_str(),
        master_phrase = created.id,
        "master phrase added"
    );
    let (subject, detail) = (
        AuditSubject::of("master phrase", created.id),
        AuditDetail::new(created.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::PhraseAdded, subject, detail).await;
    Ok(created)
}

/// Renames a master phrase of the business and replaces its variants.
pub async fn edit_master_phrase(
    store: &dyn Store,
    business: BusinessId,
    id: i64,
    edit: &NewMasterPhrase,
    author: &Author,
) -> AppResult<MasterPhrase> {
    edit.variants()?;
    let edited = store.edit_master_phrase(business, id, edit).await?;
    tracing::info!(author = author.as_str(), master_phrase = id, "master phrase changed");
    let (subject, detail) = (
        AuditSubject::of("master phrase", id),
        AuditDetail::new(edited.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::PhraseUpdated, subject, detail).await;
    Ok(edited)
}

/// Removes a master phrase of the business; its variants are reported on their own again.
pub async fn remove_master_phrase(store: &dyn Store, business: BusinessId, id: i64, author: &Author) -> AppResult<()> {
    store.remove_master_phrase(business, id).await?;
    tracing::info!(author = author.as_str(), master_phrase = id, "master phrase removed");
    let subject = AuditSubject::of("master phrase", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::PhraseRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}
