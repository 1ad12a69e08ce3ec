//! `GET /app/live`: the live panel's feed, as server-sent events. It opens with the business's
//! calls in progress, then sends each call of the business as it opens, is answered and ends,
//! whichever server took the provider's webhook (the store's call feed). The stream ends after
//! [`STREAM_FOR`], so a revoked session stops hearing within that time; the browser's
//! `EventSource` reconnects and is checked again. It also ends when the server starts shutting
//! down.

use super::activity::row::Row;
use super::session::Operator;
use crate::app::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use futures::stream::{self, StreamExt};
use leadline_core::BusinessId;
use leadline_core::interaction::{CallResult, InteractionFilter, LiveEvent};
use leadline_core::tenant::Site;
use std::convert::Infallible;
use std::time::Duration;

/// How long one stream lasts before the browser must reconnect (and show its session again).
pub const STREAM_FOR: Duration = Duration::from_secs(10 * 60);
/// A comment line this often keeps proxies and the idle-connection guard from closing it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /app/live`.
pub async fn feed(
    State(state): State<AppState>,
    operator: Operator,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let business = operator.business;
    // Subscribe before reading the calls in progress, so that nothing falls between the two.
    let changes = state.store.subscribe_calls();
    let opening = in_progress(&state, business).await;
    // The sites (for each row's time zone) are read once per stream, not once per change.
    let sites = state.store.list_sites(business).await.unwrap_or_default();
    let state_closing = state.closing.clone();
    let updates = stream::unfold((state, changes, sites), move |(state, mut changes, sites)| async move {
        loop {
            let events = match changes.next().await? {
                LiveEvent::Changed(changed) if changed.business == business => {
                    call_event(&state, business, changed.call, &sites)
                        .await
                        .into_iter()
                        .collect()
                }
                LiveEvent::Changed(_) => continue,
                LiveEvent::Missed => in_progress(&state, business).await,
            };
            return Some((stream::iter(events), (state, changes, sites)));
        }
    })
    .flatten();
    let closing = state_closing;
    let ends = async move {
        tokio::select! {
            () = tokio::time::sleep(STREAM_FOR) => {}
            () = closing.cancelled_owned() => {}
        }
    };
    let stream = stream::iter(opening).chain(updates).map(Ok).take_until(ends);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// A `call` event for each call of the business in progress.
async fn in_progress(state: &AppState, business: BusinessId) -> Vec<Event> {
    let filter = InteractionFilter {
        result: Some(CallResult::InCall),
        limit: 50,
        ..InteractionFilter::default()
    };
    let (page, sites) = match (
        state.store.interactions(business, &filter).await,
        state.store.list_sites(business).await,
    ) {
        (Ok(page), Ok(sites)) => (page, sites),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "live panel: cannot read the calls in progress");
            return Vec::new();
        }
    };
    page.items
        .iter()
        .filter_map(|entry| event(&Row::of(state, entry, &sites)))
        .collect()
}

/// The `call` event of one call of the business; nothing when it is not the business's, or
/// when it is flagged spam (hidden from the list unless asked for).
async fn call_event(state: &AppState, business: BusinessId, call: i64, sites: &[Site]) -> Option<Event> {
    let entry = state.store.call_interaction(business, call).await.ok()?;
    if entry.call.as_ref().is_some_and(|c| c.spam.is_some()) {
        return None;
    }
    event(&Row::of(state, &entry, sites))
}

fn event(row: &Row) -> Option<Event> {
    Event::default().event("call").json_data(row).ok()
}
