//! Background jobs every server runs; each is safe to run on several servers at once.

use leadline_core::report::pace;
use leadline_core::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Codes freed per sweep round; rounds repeat while they come back full.
const SWEEP_BATCH: u32 = 1000;

/// Runs `round` every `interval` until `stop` is cancelled; a round in progress is finished
/// first. A round that answers `true` had more to do and is run again at once.
pub async fn every<F, Fut>(interval: Duration, stop: CancellationToken, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if round().await {
            ticker.reset_immediately();
        }
    }
}

/// Writes the heartbeats the store answered from memory, every `interval` (a second), and
/// once more when `stop` comes, so a clean shutdown loses none.
pub async fn flush_activity(store: Arc<dyn Store>, interval: Duration, stop: CancellationToken) {
    every(interval, stop, || async {
        flush_once(store.as_ref()).await;
        false
    })
    .await;
    flush_once(store.as_ref()).await;
}

async fn flush_once(store: &dyn Store) {
    if let Err(e) = store.flush_activity().await {
        tracing::warn!(error = %e, "writing visits' activity failed; the next round retries");
    }
}

/// Frees extension codes whose idle time has passed, every `interval`, until `stop`.
pub async fn sweep(store: Arc<dyn Store>, interval: Duration, stop: CancellationToken) {
    every(interval, stop, || async {
        sweep_once(store.as_ref()).await;
        false
    })
    .await;
}

/// One sweep: frees every code expired by now, in batches.
pub async fn sweep_once(store: &dyn Store) -> u64 {
    let mut total = 0;
    loop {
        let now = leadline_core::clock::now().timestamp_millis();
        match store.sweep_expired(now, SWEEP_BATCH).await {
            Ok(freed) => {
                total += u64::from(freed);
                if freed < SWEEP_BATCH {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sweeping idle codes failed; next round retries");
                break;
            }
        }
    }
    if total > 0 {
        tracing::debug!(freed = total, "idle extension codes freed");
    }
    total
}

/// Stale days rebuilt per round; rounds repeat at once while they come back full.
const REBUILD_BATCH: u32 = 50;

/// Rebuilds the report rollups of days whose records changed, every `interval` or after a rest
/// four times as long as the last round when that is longer, until `stop`.
/// Safe on several servers: rebuilds of one site take turns, and a mark is cleared only by
/// the rebuild that saw its last change.
pub async fn rebuild_reports(
    store: Arc<dyn Store>,
    metrics: Arc<crate::metrics::Metrics>,
    interval: Duration,
    stop: CancellationToken,
) {
    // Paced rather than `every`: a busy day's rebuild recounts all its records, so each round
    // earns a rest in proportion to its length (`core::report::pace`).
    let mut wait = interval;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        let started = std::time::Instant::now();
        let more = rebuild_reports_once(store.as_ref(), &metrics).await;
        wait = pace::next_round(interval, started.elapsed(), more);
    }
}

/// One round: rebuilds up to a batch of stale days; true when there may be more.
pub async fn rebuild_reports_once(store: &dyn Store, metrics: &crate::metrics::Metrics) -> bool {
    let stale = match store.stale_report_days(REBUILD_BATCH).await {
        Ok(stale) => stale,
        Err(e) => {
            tracing::warn!(error = %e, "listing stale report days failed; next round retries");
            return false;
        }
    };
    for day in &stale {
        match store.rebuild_report_day(*day).await {
            Ok(_) => metrics.report_day_rebuilt(),
            Err(e) => {
                tracing::warn!(error = %e, site = day.site.0, utc_day = day.utc_day, "rebuilding a report day failed; next round retries");
                return false;
            }
        }
    }
    stale.len() == REBUILD_BATCH as usize
}
