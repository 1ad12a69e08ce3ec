//! Changing a lead: its contact and custom fields, status, tags, notes, sales. Every writer
//! (the leads API, the operator's pages, operators' replies, the CRM pull, the command line)
//! goes through [`change_lead`], so each rule is enforced once, here, and every change is an
//! activity by its author, written with its outbox events in one transaction.

use super::audit;
use super::error::{AppError, AppResult};
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::fields::{FieldDef, apply_custom};
use leadline_core::lead::{Author, Lead, LeadChange, LeadStatus};
use leadline_core::store::Store;

/// The business's lead with this record ref (or the lead of the call with it); another
/// business's lead is not found, as a missing one.
pub async fn find_lead(store: &dyn Store, business: BusinessId, record_ref: u64) -> AppResult<Lead> {
    Ok(store.lead(business, record_ref).await?)
}

/// Applies `change` to `lead` as `author`, and answers the lead as changed. Refused, with the
/// reason and nothing changed: anything `LeadChange::validate` refuses, custom values that do
/// not fit the business's fields, and `in_call` (Leadline sets it while a call is in progress,
/// and clears it after; nobody else may).
pub async fn change_lead(store: &dyn Store, lead: &Lead, author: &Author, change: &LeadChange) -> AppResult<Lead> {
    check(change)?;
    if let LeadChange::Fields(patch) = change
        && !patch.custom.is_empty()
    {
        // Checked here to answer with the field's rule; the store checks again in its transaction.
        let defs = store.fields(lead.business_id).await?;
        apply_custom(&defs, &lead.custom, &patch.custom)?;
    }
    let changed = store.change_lead(lead.business_id, lead.id, author, change).await?;
    let (action, detail) = audited(lead, change);
    let subject = AuditSubject::of("lead", lead.record_ref);
    audit::record(store, lead.business_id, author, action, subject, detail).await;
    Ok(changed)
}

/// What the audit log says of a change: which fields (never their values), the status from
/// and to, the tags, a sale's currency; a note's text stays on the lead.
fn audited(lead: &Lead, change: &LeadChange) -> (AuditAction, AuditDetail) {
    match change {
        LeadChange::Fields(patch) => {
            let contact = [
                ("name", patch.name.is_some()),
                ("email", patch.email.is_some()),
                ("phone", patch.phone.is_some()),
                ("company", patch.company.is_some()),
            ];
            let names: Vec<&str> = contact
                .iter()
                .filter(|(_, changed)| *changed)
                .map(|(name, _)| *name)
                .chain(patch.custom.keys().map(String::as_str))
                .collect();
            (AuditAction::LeadFieldsChanged, AuditDetail::new(names.join(", ")))
        }
        LeadChange::Status(status) => (
            AuditAction::LeadStatusChanged,
            AuditDetail::new(format!("{} → {}", lead.status.as_str(), status.as_str())),
        ),
        LeadChange::Tags { add, remove } => {
            let tags: Vec<String> = add
                .iter()
                .map(|t| format!("+{t}"))
                .chain(remove.iter().map(|t| format!("-{t}")))
                .collect();
            (AuditAction::LeadTagsChanged, AuditDetail::new(tags.join(" ")))
        }
        LeadChange::Note(_) => (AuditAction::LeadNoteAdded, AuditDetail::none()),
        LeadChange::Sale(sale) => {
            let from = match (&sale.call_ref, &sale.form) {
                (Some(call), _) => format!(", call {call}"),
                (None, Some(_)) => ", from a form".to_owned(),
                (None, None) => String::new(),
            };
            (
                AuditAction::LeadSaleRecorded,
                AuditDetail::new(format!("sale in {}{from}", sale.currency)),
            )
        }
    }
}

/// Defines a custom field of the business's leads as `author`; `Conflict` when the name is
/// taken.
pub async fn define_field(store: &dyn Store, business: BusinessId, def: &FieldDef, author: &Author) -> AppResult<()> {
    store.define_field(business, def).await?;
    let (subject, detail) = (
        AuditSubject::of("field", def.name.as_str()),
        AuditDetail::new(def.kind.as_str()),
    );
    audit::record(store, business, author, AuditAction::FieldDefined, subject, detail).await;
    Ok(())
}

/// The rules a change must keep whoever makes it (a pure check, before any lookup).
pub fn check(change: &LeadChange) -> AppResult<()> {
    change.validate()?;
    if *change == LeadChange::Status(LeadStatus::InCall) {
        return Err(AppError::Invalid(
            "in_call is set by Leadline while a call is in progress: choose new, contacted, qualified, converted or lost"
                .into(),
        ));
    }
    Ok(())
}

/// The statuses a person may choose (every one but `in_call`).
pub fn choosable_statuses() -> impl Iterator<Item = LeadStatus> {
    LeadStatus::ALL.into_iter().filter(|s| *s != LeadStatus::InCall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_may_set_in_call_by_hand() {
        let err = check(&LeadChange::Status(LeadStatus::InCall)).unwrap_err();
        assert!(err.to_string().contains("set by Leadline"), "{err}");
        assert!(check(&LeadChange::Status(LeadStatus::Qualified)).is_ok());
        let choosable: Vec<LeadStatus> = choosable_statuses().collect();
        assert_eq!(
            choosable,
            [
                LeadStatus::New,
                LeadStatus::Contacted,
                LeadStatus::Qualified,
                LeadStatus::Converted,
                LeadStatus::Lost
            ]
        );
    }

    #[test]
    fn an_empty_note_is_refused() {
        assert!(check(&LeadChange::Note("  ".into())).is_err());
    }
}
