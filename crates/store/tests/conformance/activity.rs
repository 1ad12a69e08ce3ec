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

/// Waits until `store` answers from memory and the pool's codes have their first digit: the
/// pool's first code grows its codes a digit, which moves the generation that holds are taken
/// in (here at commit and, on PostgreSQL, again when the notice comes back), so the visits
/// these tests measure come after it.
async fn ready(store: &SqlStore, s: &crate::visits::Setup) {
    coherent(store, s.site).await;
    let before = store.tenant_cache_generation();
    // Held for a day, so no sweep these tests run frees it.
    let day = leadline_core::visit::AllocationPolicy {
        idle_ms: 24 * 3_600_000,
        ..policy()
    };
    store
        .register_visit(&new_visit(s.site, "fp:first"), s.plan(day))
        .await
        .unwrap();
    let moves = if store.engine_kind() == Engine::Postgres { 2 } else { 1 };
    crate::tenant_cache::eventually(
        "the growth's notice",
        async || store.tenant_cache_generation(),
        |now| *now >= before + moves,
    )
    .await;
}

/// The database's own view of a visit's last activity and its code's expiry, read through a
/// store that shares nothing in memory with `store` (reading a visit writes what its own
/// server answered from memory first).
async fn written(store: &SqlStore, s: &crate::visits::Setup, visit: &VisitRef, code: u64) -> (i64, i64) {
    let store = store
        .open_beside(&OpenOptions {
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        })
        .await
        .unwrap();
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
    store.close().await;
    (seen, expires)
}

async fn a_beat_answered_from_memory_is_written_by_the_next_flush(store: SqlStore) {
    let s = setup(&store).await;
    ready(&store, &s).await;
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
    ready(&store, &s).await;
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
        Engine::Postgres => store
            .open_beside(&OpenOptions {
                sealer: Some(leadline_core::sealing::Sealer::for_tests()),
                ..OpenOptions::default()
            })
            .await
            .unwrap(),
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

/// Registers a visit and views two pages of it, again with a new visitor (at most five times)
/// whenever the tenant cache's generation moved meanwhile: a move (a late notice, the
/// `LISTEN` connection lost under a loaded machine) rightly sends a page view through the
/// database, which is not what the test is about.
async fn two_page_views_in_one_generation(
    store: &SqlStore,
    s: &crate::visits::Setup,
) -> leadline_core::visit::VisitState {
    for attempt in 0..5 {
        let before = store.tenant_cache_generation();
        let state = store
            .register_visit(&new_visit(s.site, &format!("fp:p{attempt}")), s.plan(policy()))
            .await
            .unwrap();
        for (url, title) in [("https://acme.example/a", Some("A")), ("https://acme.example/b", None)] {
            let page = Touch::PageView {
                url: url.into(),
                title: title.map(str::to_owned),
            };
            let answered = store
                .touch_visit(s.site, &state.visit, &page, s.plan(policy()))
                .await
                .unwrap();
            assert_eq!((answered.code, answered.outcome), (state.code, CodeOutcome::Kept));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if store.tenant_cache_generation() == before {
            return state;
        }
        store.flush_activity().await.unwrap();
    }
    panic!("the tenant cache's generation moved during five attempts");
}

async fn page_views_answered_from_memory_are_written_in_order_and_counted(store: SqlStore) {
    let s = setup(&store).await;
    ready(&store, &s).await;
    let state = two_page_views_in_one_generation(&store, &s).await;
    let beside = store
        .open_beside(&OpenOptions {
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        })
        .await
        .unwrap();
    let landing_only = beside.visit_pages(s.site, &state.visit).await.unwrap();
    assert_eq!(landing_only.len(), 1, "the two page views wait in memory");
    assert_eq!(store.flush_activity().await.unwrap(), 1);
    let pages = beside.visit_pages(s.site, &state.visit).await.unwrap();
    let urls: Vec<&str> = pages.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://acme.example/sofas?utm_source=news",
            "https://acme.example/a",
            "https://acme.example/b"
        ]
    );
    assert_eq!(pages[1].title.as_deref(), Some("A"));
    assert_eq!(beside.visit(s.site, &state.visit).await.unwrap().page_views, 3);
    assert_eq!(store.flush_activity().await.unwrap(), 0, "nothing is written twice");
    beside.close().await;
}

async fn a_visit_read_on_its_own_server_shows_what_was_answered_from_memory(store: SqlStore) {
    let s = setup(&store).await;
    ready(&store, &s).await;
    let state = store
        .register_visit(&new_visit(s.site, "fp:r"), s.plan(policy()))
        .await
        .unwrap();
    let page = Touch::PageView {
        url: "https://acme.example/c".into(),
        title: None,
    };
    store
        .touch_visit(s.site, &state.visit, &page, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(store.visit_pages(s.site, &state.visit).await.unwrap().len(), 2);
    assert_eq!(store.visit(s.site, &state.visit).await.unwrap().page_views, 2);
}

conformance!(
    page_views_answered_from_memory_are_written_in_order_and_counted,
    a_visit_read_on_its_own_server_shows_what_was_answered_from_memory,
    a_beat_answered_from_memory_is_written_by_the_next_flush,
    a_sweep_never_frees_a_code_whose_beat_waits_to_be_written,
    a_code_freed_by_any_server_is_not_answered_from_memory,
);
