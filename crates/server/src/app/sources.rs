//! Offline and foreign-domain sources: a flyer, a radio spot, a partner's page. Each gets a
//! click-to-call link (and its QR code) and, if the ad prints one, a code reserved in the
//! site's pool.

use super::{AppError, AppResult, audit};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::source::{NewSource, Source, SourceEdit, SourceKey, SourceUtm};
use leadline_core::store::Store;
use leadline_core::visit::{PoolKey, Selector};
use leadline_core::{BusinessId, SiteId};

/// A source to add, its fields already parsed.
pub struct SourceRequest {
    pub site: SiteId,
    pub name: Name,
    /// The foreign domain its link is placed on; none for print and QR codes.
    pub domain: Option<DomainName>,
    pub utm: SourceUtm,
    /// A code printed in the ad, to reserve in the site's pool (from 1).
    pub reserve_code: Option<u64>,
}

/// Adds a source to a site of the business. `NotFound` when the site is not the business's;
/// `Invalid` for bad UTM fields, a code of 0, or a code without a tracking number to hold it;
/// `Conflict` when the code is taken.
pub async fn add_source(
    store: &dyn Store,
    business: BusinessId,
    request: SourceRequest,
    author: &Author,
) -> AppResult<Source> {
    request.utm.validate()?;
    if request.reserve_code == Some(0) {
        return Err(AppError::Invalid("reserved codes start at 1".into()));
    }
    let site = store.site(business, request.site).await?;
    let number = store.number_for_site(site.id).await?;
    if request.reserve_code.is_some() && number.is_none() {
        return Err(AppError::Invalid(format!(
            "site {} has no tracking number to reserve a code on",
            site.key
        )));
    }
    let pool = number.map(|n| PoolKey {
        number: n.id,
        selector: Selector::Plain,
    });
    let new = NewSource {
        business_id: business,
        site_id: site.id,
        key: SourceKey::generate(),
        name: request.name,
        domain: request.domain,
        utm: request.utm,
        reserved_code: request.reserve_code,
    };
    let created = store.create_source(&new, pool).await?;
    let (subject, detail) = (
        AuditSubject::of("source", created.key.as_str()),
        AuditDetail::new(created.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::SourceAdded, subject, detail).await;
    Ok(created)
}

/// Changes a source of the business: name, domain, UTM fields (its key, so its printed link
/// and QR code, its site and its reserved code stay). `NotFound` for another business's or a
/// removed source; `Invalid` for bad UTM fields.
pub async fn edit_source(
    store: &dyn Store,
    business: BusinessId,
    key: &SourceKey,
    edit: &SourceEdit,
    author: &Author,
) -> AppResult<Source> {
    edit.utm.validate()?;
    let edited = store.edit_source(business, key, edit).await?;
    let (subject, detail) = (
        AuditSubject::of("source", key.as_str()),
        AuditDetail::new(edited.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::SourceUpdated, subject, detail).await;
    Ok(edited)
}

/// Removes a source of the business: hidden, its link and QR code answer 404, its reserved
/// code goes back to the pool; calls and visits it brought keep their attribution.
/// `NotFound` for another business's or an already removed source.
pub async fn remove_source(store: &dyn Store, business: BusinessId, key: &SourceKey, author: &Author) -> AppResult<()> {
    store.remove_source(business, key).await?;
    let subject = AuditSubject::of("source", key.as_str());
    audit::record(
        store,
        business,
        author,
        AuditAction::SourceRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}

/// A source of the business, for its edit form; `NotFound` for another business's or a
/// removed one.
pub async fn own_source(store: &dyn Store, business: BusinessId, key: &SourceKey) -> AppResult<Source> {
    match store.source_by_key(key).await? {
        source if source.business_id == business => Ok(source),
        _ => Err(AppError::NotFound),
    }
}
