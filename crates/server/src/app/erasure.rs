//! Erasing one person, whichever surface asks (the API, the lead page, the CLI): their
//! recordings are deleted at the provider and their files from the business's storage first,
//! then every row that names them is emptied in one transaction, the erasure is recorded (who,
//! when) and the business's outside systems are asked, through the outbox, to erase them too.
//! Reports keep their anonymous counts: the rows stay, without the person.

use crate::app::error::{AppError, AppResult};
use crate::app::retention::{Numbers, delete_at_provider};
use crate::app::{AppState, audit};
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::erasure::{Erasure, holds_up_erasure, outside_erasures};
use leadline_core::lead::{Author, Lead};

/// Erases the person behind lead `record_ref` of `business` (or the lead of the call with that
/// ref), on behalf of `by`.
///
/// Refused (`Conflict`) while one of their calls is in progress, and when they were erased
/// already; `Unavailable` when a recording or file could not be deleted (nothing in the
/// database changed: trying again goes on where it stopped).
pub async fn erase_person(state: &AppState, business: BusinessId, record_ref: u64, by: &Author) -> AppResult<Erasure> {
    let store = state.store.as_ref();
    let lead = crate::app::leads::find_lead(store, business, record_ref).await?;
    let record_ref = lead.record_ref;
    if let Some(done) = store.erasure_of(business, record_ref).await? {
        return Err(AppError::Conflict(format!(
            "lead {record_ref} was erased already, on {} by {}",
            done.erased_at.format("%Y-%m-%d %H:%M UTC"),
            done.erased_by.as_str()
        )));
    }
    refuse_during_a_call(state, business, &lead).await?;
    delete_outside_rows(state, business, &lead).await?;
    let ids = store.person_ids(business, lead.id).await?;
    let integrations = store.integrations(business).await?;
    let outside = outside_erasures(&integrations, &ids);
    let erasure = store.erase_person(business, lead.id, by, &outside).await?;
    let detail = AuditDetail::new(format!("{} outside system(s) asked", erasure.systems.len()));
    let subject = AuditSubject::of("lead", record_ref);
    audit::record(store, business, by, AuditAction::LeadErased, subject, detail).await;
    tracing::info!(
        business = business.0,
        lead = record_ref,
        asked = erasure.systems.len(),
        "a person was erased"
    );
    Ok(erasure)
}

/// The erasure of lead `record_ref`, when it was erased.
pub async fn erasure_of(state: &AppState, business: BusinessId, record_ref: u64) -> AppResult<Option<Erasure>> {
    Ok(state.store.erasure_of(business, record_ref).await?)
}

/// The business's erasures, newest first.
pub async fn erasures(state: &AppState, business: BusinessId, limit: u32) -> AppResult<Vec<Erasure>> {
    Ok(state.store.erasures(business, limit).await?)
}

async fn refuse_during_a_call(state: &AppState, business: BusinessId, lead: &Lead) -> AppResult<()> {
    let now = leadline_core::clock::now();
    let calls = state.store.lead_calls(business, lead.id).await?;
    if calls.iter().any(|c| holds_up_erasure(&c.status, c.started_at, now)) {
        return Err(AppError::Conflict(format!(
            "a call of lead {} is in progress: erase the person once it has ended",
            lead.record_ref
        )));
    }
    Ok(())
}

/// Deletes the lead's recordings at the provider (as the retention sweep does) and its files
/// from storage.
async fn delete_outside_rows(state: &AppState, business: BusinessId, lead: &Lead) -> AppResult<()> {
    let store = state.store.as_ref();
    let leftovers = store.person_leftovers(business, lead.id).await?;
    let mut numbers = Numbers::new();
    for recording in &leftovers.recordings {
        if let Err(e) = delete_at_provider(state, business, &mut numbers, recording).await {
            return Err(AppError::Unavailable(format!(
                "a recording of lead {} could not be deleted at the telephony provider ({e}); the lead's \
                 records are unchanged: try again",
                lead.record_ref
            )));
        }
    }
    for file in &leftovers.files {
        if let Err(e) = state.attachments.delete(business, file).await {
            return Err(AppError::Unavailable(format!(
                "a file of lead {} could not be deleted from storage ({e}); the lead's records are unchanged: \
                 try again",
                lead.record_ref
            )));
        }
    }
    Ok(())
}
