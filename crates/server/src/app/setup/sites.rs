//! Sites: added with a new snippet key, edited (name, domains, time zone, currency, every
//! extension setting), their call handling set (greeting, disclosure, hours), disabled (no
//! visits registered) and removed (archived).

use crate::app::audit;
use crate::app::error::{AppError, AppResult};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::call_handling::CallHandling;
use leadline_core::lead::Author;
use leadline_core::site::{SiteKey, SiteSettings};
use leadline_core::store::Store;
use leadline_core::tenant::{NewSite, Site, SiteEdit};
use leadline_core::{BusinessId, SiteId};

/// Adds a site to `business` with a new, unguessable snippet key. `Invalid` for settings or
/// domains that break a rule, `Conflict` naming a domain another site has.
pub async fn add_site(store: &dyn Store, business: BusinessId, site: &SiteEdit, author: &Author) -> AppResult<Site> {
    site.validate()?;
    site.settings.validate()?;
    let new = NewSite {
        business_id: business,
        name: site.name.clone(),
        key: SiteKey::generate(),
        domains: site.domains.clone(),
        timezone: site.timezone,
        currency: site.currency,
        settings: site.settings.clone(),
    };
    let created = store.create_site(&new).await?;
    let (subject, detail) = (
        AuditSubject::of("site", created.id.0),
        AuditDetail::new(created.name.as_str()),
    );
    audit::record(store, business, author, AuditAction::SiteAdded, subject, detail).await;
    Ok(created)
}

/// Changes a site of `business`; nothing changes when a rule is broken. `NotFound` for
/// another business's site or a removed one.
pub async fn edit_site(
    store: &dyn Store,
    business: BusinessId,
    id: SiteId,
    edit: &SiteEdit,
    author: &Author,
) -> AppResult<Site> {
    edit.validate()?;
    edit.settings.validate()?;
    let edited = store.edit_site(business, id, edit).await?;
    let (subject, detail) = (AuditSubject::of("site", id.0), AuditDetail::new(edited.name.as_str()));
    audit::record(store, business, author, AuditAction::SiteUpdated, subject, detail).await;
    Ok(edited)
}

/// Disables a site of `business` (its snippet registers no visits) or enables it again.
pub async fn set_site_disabled(
    store: &dyn Store,
    business: BusinessId,
    id: SiteId,
    disabled: bool,
    author: &Author,
) -> AppResult<Site> {
    let site = store.set_site_disabled(business, id, disabled).await?;
    let action = if disabled {
        AuditAction::SiteDisabled
    } else {
        AuditAction::SiteEnabled
    };
    let (subject, detail) = (AuditSubject::of("site", id.0), AuditDetail::new(site.name.as_str()));
    audit::record(store, business, author, action, subject, detail).await;
    Ok(site)
}

/// Removes a site of `business`: hidden, serving nothing, its calls kept. `Conflict` while a
/// number serves only this site.
pub async fn remove_site(store: &dyn Store, business: BusinessId, id: SiteId, author: &Author) -> AppResult<()> {
    store.remove_site(business, id).await?;
    let subject = AuditSubject::of("site", id.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::SiteRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}

/// The tag a site's pages carry: loads the snippet from this server with the site's key.
pub fn snippet_tag(base_url: &str, site: &Site) -> String {
    format!(
        "<script async src=\"{}/t.js\" data-site=\"{}\"></script>",
        base_url.trim_end_matches('/'),
        site.key
    )
}

/// Sets what a site of `business` says to callers and where its calls go outside its hours;
/// the rest of the site is unchanged. `Invalid` for hours with no open span, `NotFound` for
/// another business's site or a removed one.
pub async fn set_call_handling(
    store: &dyn Store,
    business: BusinessId,
    id: SiteId,
    handling: CallHandling,
    author: &Author,
) -> AppResult<Site> {
    handling.validate()?;
    let site = store.site(business, id).await?;
    if site.removed {
        return Err(AppError::NotFound);
    }
    let edit = SiteEdit {
        name: site.name,
        domains: site.domains,
        timezone: site.timezone,
        currency: site.currency,
        settings: SiteSettings {
            calls: handling,
            ..site.settings
        },
    };
    let edited = store.edit_site(business, id, &edit).await?;
    let (subject, detail) = (AuditSubject::of("site", id.0), AuditDetail::new(edited.name.as_str()));
    audit::record(
        store,
        business,
        author,
        AuditAction::CallHandlingChanged,
        subject,
        detail,
    )
    .await;
    Ok(edited)
}
