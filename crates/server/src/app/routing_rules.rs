//! A site's routing rules, as owners set them: added and edited (ringing only the business's
//! own destinations), moved earlier or later in the order they are tried, removed.

use super::{AppError, AppResult, audit};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::routing::{Move, Rule};
use leadline_core::store::Store;
use leadline_core::{BusinessId, E164, SiteId};

/// Appends a rule to a site of the business. `Invalid` when it rings nobody, more than ten,
/// or a number that is not one of the business's destinations; `NotFound` for another
/// business's site.
pub async fn add_rule(
    store: &dyn Store,
    business: BusinessId,
    site: SiteId,
    rule: &Rule,
    author: &Author,
) -> AppResult<()> {
    check(store, business, rule).await?;
    store.add_routing_rule(business, site, rule).await?;
    let subject = AuditSubject::of("routing of site", site.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::RoutingRuleAdded,
        subject,
        rings(rule),
    )
    .await;
    Ok(())
}

/// What the audit log says of a rule: how many destinations it rings.
fn rings(rule: &Rule) -> AuditDetail {
    AuditDetail::new(format!("rings {} destination(s)", rule.destinations.len()))
}

/// Replaces a rule of the business (its conditions, destinations, in turn or at once) where
/// it stands in its site's order, with the checks of [`add_rule`]. `NotFound` for another
/// business's rule.
pub async fn edit_rule(
    store: &dyn Store,
    business: BusinessId,
    id: i64,
    rule: &Rule,
    author: &Author,
) -> AppResult<()> {
    store.routing_rule(business, id).await?;
    check(store, business, rule).await?;
    store.edit_routing_rule(business, id, rule).await?;
    let subject = AuditSubject::of("routing rule", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::RoutingRuleUpdated,
        subject,
        rings(rule),
    )
    .await;
    Ok(())
}

/// A rule rings 1 to 10 of the business's own destinations.
async fn check(store: &dyn Store, business: BusinessId, rule: &Rule) -> AppResult<()> {
    rule.validate()?;
    let known: Vec<E164> = store
        .list_destinations(business)
        .await?
        .into_iter()
        .map(|d| d.number)
        .collect();
    if let Some(stranger) = rule.destinations.iter().find(|n| !known.contains(n)) {
        return Err(AppError::Invalid(format!(
            "{stranger} is not a destination of the business: add it first"
        )));
    }
    Ok(())
}

/// Moves a rule of the business one place earlier or later (nothing at either end).
pub async fn move_rule(
    store: &dyn Store,
    business: BusinessId,
    id: i64,
    direction: Move,
    author: &Author,
) -> AppResult<()> {
    store.move_routing_rule(business, id, direction).await?;
    let detail = AuditDetail::new(format!("{direction:?}").to_lowercase());
    let subject = AuditSubject::of("routing rule", id);
    audit::record(store, business, author, AuditAction::RoutingRuleMoved, subject, detail).await;
    Ok(())
}

/// Removes a rule of the business.
pub async fn remove_rule(store: &dyn Store, business: BusinessId, id: i64, author: &Author) -> AppResult<()> {
    store.remove_routing_rule(business, id).await?;
    let subject = AuditSubject::of("routing rule", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::RoutingRuleRemoved,
        subject,
        AuditDetail::none(),
    )
    .await;
    Ok(())
}
