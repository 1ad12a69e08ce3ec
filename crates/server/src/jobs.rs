//! Background jobs every server runs; each is safe to run on several servers at once.

use leadline_core::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Codes freed per sweep round; rounds repeat while they come back full.
const SWEEP_BATCH: u32 = 1000;

/// Frees extension codes whose idle time has passed, every `interval`.
pub fn spawn_sweeper(store: Arc<dyn Store>, interval: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(interval);
        loop {
            every.tick().await;
            sweep_once(store.as_ref()).await;
        }
    });
}

/// One sweep: frees every code expired by now, in batches.
pub async fn sweep_once(store: &dyn Store) -> u64 {
    let mut total = 0;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
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
