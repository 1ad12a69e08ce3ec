//! Retention: a business sets how long each kind of record is kept, and the sweep prunes what
//! is past its time. Recordings are deleted at the provider first and forgotten once it says
//! so; form files are deleted from the business's storage before their rows; a business's
//! reports are frozen before the pruned days first, so their rollups survive the records.

use crate::app::error::AppResult;
use crate::app::{AppState, audit};
use crate::provider_api::RecordingDeleted;
use chrono::{DateTime, Utc};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::retention::{ExpiredRecording, Pruned, Retention};
use leadline_core::store::Store;
use leadline_core::tenant::TrackingNumber;
use leadline_core::{BusinessId, NumberId};
use std::collections::BTreeMap;
use std::collections::hash_map::{Entry, HashMap};

/// Rows one statement deletes at most.
const BATCH: u32 = 200;
/// Batches of one kind a round takes at most, so one business's backlog does not hold up the
/// rest; the next round goes on.
const BATCHES_PER_ROUND: u32 = 50;

/// Sets how long `business` keeps each kind of record. `Invalid` below a kind's floor.
pub async fn set_retention(
    store: &dyn Store,
    business: BusinessId,
    retention: &Retention,
    author: &Author,
) -> AppResult<()> {
    retention.validate()?;
    store.set_retention(business, retention).await?;
    let days: Vec<String> = Pruned::ALL
        .iter()
        .map(|kind| format!("{} {}", kind.as_str(), retention.days(*kind)))
        .collect();
    let detail = AuditDetail::new(days.join(", "));
    audit::record(
        store,
        business,
        author,
        AuditAction::RetentionChanged,
        AuditSubject::business(),
        detail,
    )
    .await;
    Ok(())
}

/// What one sweep pruned, by kind (its metrics label).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept(pub BTreeMap<&'static str, u64>);

impl Swept {
    fn add(&mut self, kind: &'static str, count: u64) {
        if count > 0 {
            *self.0.entry(kind).or_default() += count;
        }
    }

    /// How many records of `kind` went.
    pub fn of(&self, kind: &str) -> u64 {
        self.0.get(kind).copied().unwrap_or(0)
    }
}

/// Sweeps every `interval` until `stop` (a round in progress is finished first).
pub async fn run(state: AppState, interval: std::time::Duration, stop: tokio_util::sync::CancellationToken) {
    crate::jobs::every(interval, stop, || async {
        if let Err(e) = sweep(&state, leadline_core::clock::now()).await {
            tracing::warn!(error = %e, "the retention sweep failed; the next round retries");
        }
        false
    })
    .await;
}

/// One sweep at `now`: expired sessions, then each business's records past their time. A
/// failure stops that business's sweep for this round (logged); the next round tries again.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> AppResult<Swept> {
    let store = state.store.as_ref();
    let mut swept = Swept::default();
    swept.add("sessions", batches(|| store.prune_sessions(now, BATCH)).await?);
    for business in store.list_businesses().await? {
        // One business's failure leaves the others' sweep, and what was pruned still counts.
        if let Err(e) = sweep_business(state, business.id, now, &mut swept).await {
            tracing::warn!(business = business.id.0, error = %e, "retention stopped for this business; the next round retries");
        }
    }
    for (kind, count) in &swept.0 {
        state.metrics.retention_pruned(kind, *count);
    }
    Ok(swept)
}

async fn sweep_business(
    state: &AppState,
    business: BusinessId,
    now: DateTime<Utc>,
    swept: &mut Swept,
) -> AppResult<()> {
    let store = state.store.as_ref();
    let retention = store.retention(business).await?;
    let cutoff = |kind| retention.cutoff(kind, now);
    swept.add(
        "recordings",
        recordings(state, business, cutoff(Pruned::Recordings)).await?,
    );
    let events = cutoff(Pruned::Events);
    swept.add(
        "events",
        batches(|| store.prune(business, Pruned::Events, events, BATCH)).await?,
    );
    let audit = cutoff(Pruned::Audit);
    swept.add(
        "audit",
        batches(|| store.prune(business, Pruned::Audit, audit, BATCH)).await?,
    );
    // What reports count goes only once the days it was counted on are frozen; until their
    // rollups are built, the freeze waits and so does the pruning.
    if !store.freeze_reports(business, retention.report_horizon(now)).await? {
        tracing::debug!(
            business = business.0,
            "retention waits for the reports of the days it would prune"
        );
        return Ok(());
    }
    // Calls and forms first: a visit one of them came from stays as long as they do.
    let calls = cutoff(Pruned::Calls);
    swept.add(
        "calls",
        batches(|| store.prune(business, Pruned::Calls, calls, BATCH)).await?,
    );
    swept.add("forms", forms(state, business, cutoff(Pruned::Forms)).await?);
    let visits = cutoff(Pruned::Visits);
    swept.add(
        "visits",
        batches(|| store.prune(business, Pruned::Visits, visits, BATCH)).await?,
    );
    let leads = calls.min(cutoff(Pruned::Forms));
    swept.add(
        "leads",
        batches(|| store.prune_empty_leads(business, leads, BATCH)).await?,
    );
    Ok(())
}

/// Runs a bounded delete until it comes back short of a batch (or the round's share is used).
async fn batches<F, Fut>(mut delete: F) -> AppResult<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = leadline_core::store::StoreResult<u64>>,
{
    let mut total = 0;
    for _ in 0..BATCHES_PER_ROUND {
        let deleted = delete().await?;
        total += deleted;
        if deleted < u64::from(BATCH) {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// Deletes the recordings of calls started before `before` at the provider, and forgets each
/// the provider let go. One it refused stays for the next round.
async fn recordings(state: &AppState, business: BusinessId, before: DateTime<Utc>) -> AppResult<u64> {
    let store = state.store.as_ref();
    let mut forgotten = 0;
    let mut numbers = Numbers::new();
    for _ in 0..BATCHES_PER_ROUND {
        let expired = store.expired_recordings(business, before, BATCH).await?;
        let full = expired.len() == BATCH as usize;
        let mut all_gone = true;
        for recording in expired {
            match delete_at_provider(state, business, &mut numbers, &recording).await {
                Ok(_) => {
                    store.forget_recording(business, recording.call_id).await?;
                    forgotten += 1;
                }
                Err(e) => {
                    all_gone = false;
                    tracing::warn!(error = %e, call = recording.call_id, "a recording past its time could not be deleted; next round retries");
                }
            }
        }
        if !full || !all_gone {
            break;
        }
    }
    Ok(forgotten)
}

/// The tracking numbers of recordings, each read once (a batch's recordings mostly share a
/// few); `None` for a number that was removed.
pub(crate) type Numbers = HashMap<NumberId, Option<TrackingNumber>>;

/// Deletes `recording` at the provider with its number's account. A removed number is no
/// longer Leadline's to act for: its recordings are left to the provider's account
/// (`Elsewhere`), and forgotten here.
pub(crate) async fn delete_at_provider(
    state: &AppState,
    business: BusinessId,
    numbers: &mut Numbers,
    recording: &ExpiredRecording,
) -> anyhow::Result<RecordingDeleted> {
    let number = match numbers.entry(recording.number_id) {
        Entry::Occupied(known) => known.into_mut(),
        Entry::Vacant(slot) => slot.insert(state.store.number(business, recording.number_id).await.ok()),
    };
    match number {
        Some(number) => state.provider_api.delete_recording(number, &recording.url).await,
        None => Ok(RecordingDeleted::Elsewhere),
    }
}

/// Deletes the files of submissions created before `before`, then the submissions whose
/// files are all gone.
async fn forms(state: &AppState, business: BusinessId, before: DateTime<Utc>) -> AppResult<u64> {
    let store = state.store.as_ref();
    let mut deleted = 0;
    for _ in 0..BATCHES_PER_ROUND {
        let expired = store.expired_forms(business, before, BATCH).await?;
        let count = expired.len();
        let full = count == BATCH as usize;
        let mut gone = Vec::with_capacity(count);
        for form in expired {
            let mut files_gone = true;
            for file in &form.files {
                if let Err(e) = state.attachments.delete(business, file).await {
                    files_gone = false;
                    tracing::warn!(error = %e, "a form file past its time could not be deleted; next round retries");
                }
            }
            if files_gone {
                gone.push(form.submission_id);
            }
        }
        let all_gone = gone.len() == count;
        deleted += store.delete_forms(business, &gone).await?;
        if !full || !all_gone {
            break;
        }
    }
    Ok(deleted)
}
