//! Heartbeats answered from memory: written by the flush, never outlived by a sweep, and
//! never answered with a code that has left the visit, on this server or another.

use crate::conformance;
use crate::visits::{new_visit, policy, setup};
use leadline_core::store::{SiteStore, VisitStore};
use leadline_core::visit::{CodeOutcome, Touch, VisitRef};
use leadline_store::{Engine, OpenOptions, SqlStore};
use std::time::Duration;

/// Waits until `store` answers from memory (on PostgreSQL, once its `LISTEN` connection is
/// up; a cached read starts it).
async fn coherent(store: &SqlStore, site: leadline_core::SiteId) {
    for _ in 0..200 {
        if store.tenant_cache_serving() {
            return;
        }
        store.site_by_id(site).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the store never answered from memory");
}

/// The database's own view of a visit's last activity and its code's expiry.
async fn written(store: &SqlStore, s: &crate::visits::Setup, visit: &VisitRef, code: u64) -> (i64, i64) {
    let seen = store
        .visit(s.site, visit)
        .await
        .unwrap()
        .last_seen_at
        .timestamp_millis();
    let expires = store
        .live_code(s.pool, code)
        .await
        .unwrap()
        .expires_at
        .timestamp_millis();
    (seen, expires)
}

async fn a_beat_answered_from_memory_is_written_by_the_next_flush(store: SqlStore) {
    let s = setup(&store).await;
    coherent(&store, s.site).await;
    let state = store
        .register_visit(&new_visit(s.site, "fp:a"), s.plan(policy()))
        .await
        .unwrap();
    let code = state.code.unwrap();
    let through_database = store
        .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(through_database.code, Some(code));
    let before = written(&store, &s, &state.visit, code).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let from_memory = store
        .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!((from_memory.code, from_memory.outcome), (Some(code), CodeOutcome::Kept));
    assert_eq!(written(&store, &s, &state.visit, code).await, before, "not written yet");
    assert_eq!(store.flush_activity().await.unwrap(), 1);
    let after = written(&store, &s, &state.visit, code).await;
    assert!(after.0 > before.0 && after.1 > before.1, "{before:?} then {after:?}");
    assert_eq!(store.flush_activity().await.unwrap(), 0, "nothing is written twice");
}

async fn a_sweep_never_frees_a_code_whose_beat_waits_to_be_written(store: SqlStore) {
    let s = setup(&store).await;
    coherent(&store, s.site).await;
    let state = store
        .register_visit(&new_visit(s.site, "fp:b"), s.plan(policy()))
        .await
        .unwrap();
    let code = state.code.unwrap();
    store
        .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    let (_, expires) = written(&store, &s, &state.visit, code).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    store
        .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    // By the database's copy the code has expired; the beat in memory says it has not.
    assert_eq!(store.sweep_expired(expires + 1, 100).await.unwrap(), 0);
    assert_eq!(store.live_code(s.pool, code).await.unwrap().visit, state.visit);
}

async fn a_code_freed_by_any_server_is_not_answered_from_memory(store: SqlStore) {
    let s = setup(&store).await;
    // On PostgreSQL the beat is answered by a second server; SQLite has one.
    let other = match store.engine_kind() {
        Engine::Postgres => store.open_beside(&OpenOptions::default()).await.unwrap(),
        Engine::Sqlite => store.clone(),
    };
    let state = store
        .register_visit(&new_visit(s.site, "fp:c"), s.plan(policy()))
        .await
        .unwrap();
    let code = state.code.unwrap();
    let beat = async || {
        other
            .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
            .await
            .unwrap()
    };
    coherent(&other, s.site).await;
    beat().await;
    assert!(store.free_code(s.pool, code).await.unwrap(), "the call ended");
    // Another server hears of the free when the notice arrives (milliseconds; the page shows
    // the freed code until its next beat either way). From then on, and on the server that
    // freed it at once, every beat is answered with a code the database gives the visit.
    let held_by_visit =
        async |answered: u64| matches!(store.live_code(s.pool, answered).await, Ok(live) if live.visit == state.visit);
    for _ in 0..200 {
        if held_by_visit(beat().await.code.unwrap()).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..20 {
        let answered = beat().await.code.unwrap();
        let holder = store.live_code(s.pool, answered).await;
        assert!(
            matches!(&holder, Ok(live) if live.visit == state.visit),
            "answered {answered}, which the database gives to {holder:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if store.engine_kind() == Engine::Postgres {
        other.close().await;
    }
}

conformance!(
    a_beat_answered_from_memory_is_written_by_the_next_flush,
    a_sweep_never_frees_a_code_whose_beat_waits_to_be_written,
    a_code_freed_by_any_server_is_not_answered_from_memory,
);
