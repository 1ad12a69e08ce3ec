//! The code spans the voice webhook reads (how many keys a caller's code takes) come from
//! memory, yet a caller is never cut short: a code longer than the spans say is in them at
//! once, on the server that handed it out and, on PostgreSQL, on every other.

use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use crate::tenant_cache::{beside_with, eventually};
use crate::visits::{new_visit, policy};
use leadline_core::keypad::CodeSpan;
use leadline_core::store::{CallStore, VisitStore};
use leadline_core::tenant::Site;
use leadline_core::visit::{CodePlan, CodeRequest, PoolKey};
use leadline_store::{Engine, SqlStore};
use std::time::Duration;

/// An hour: nothing but a change can make a server read the spans again.
const HOUR: Duration = Duration::from_secs(3600);

struct Spans {
    site: Site,
    pool: PoolKey,
}

async fn setup(store: &SqlStore) -> Spans {
    let acme = business(store, "acme").await;
    let site = site(store, acme.id, "acme.example").await;
    let pool = tracking_number(store, site.id, "+12025550100").await;
    Spans { site, pool }
}

async fn register(store: &SqlStore, s: &Spans, visitor: &str) -> u64 {
    let plan = CodePlan::Visit(CodeRequest {
        pool: s.pool,
        policy: policy(),
    });
    let state = store
        .register_visit(&new_visit(s.site.id, visitor), plan)
        .await
        .unwrap();
    state.code.unwrap()
}

async fn plain(store: &SqlStore, s: &Spans) -> Option<CodeSpan> {
    store.keyable_code_spans(s.pool.number).await.unwrap().plain
}

fn span(low: u64, high: u64) -> Option<CodeSpan> {
    Some(CodeSpan { low, high })
}

async fn a_code_that_gains_a_digit_is_in_the_spans_at_once(store: SqlStore) {
    let s = setup(&store).await;
    let server = beside_with(&store, HOUR, &s.site).await;
    for i in 1..=9 {
        register(&server, &s, &format!("fp:{i}")).await;
    }
    assert_eq!(plain(&server, &s).await, span(1, 9));
    assert_eq!(plain(&server, &s).await, span(1, 9), "kept");
    // Another server keeps them too (on SQLite the same file through a second store).
    let other = beside_with(&store, HOUR, &s.site).await;
    assert_eq!(plain(&other, &s).await, span(1, 9));
    assert_eq!(register(&server, &s, "fp:10").await, 10);
    assert_eq!(plain(&server, &s).await, span(1, 10), "the server that handed 10 out");
    if store.engine_kind() == Engine::Postgres {
        eventually(
            "another server's spans",
            async || plain(&other, &s).await,
            |spans| *spans == span(1, 10),
        )
        .await;
    }
    other.close().await;
    server.close().await;
}

async fn spans_that_a_freed_longer_code_could_outgrow_are_read_every_time(store: SqlStore) {
    let s = setup(&store).await;
    let server = beside_with(&store, HOUR, &s.site).await;
    for i in 1..=12 {
        register(&server, &s, &format!("fp:{i}")).await;
    }
    for code in 10..=12 {
        assert!(server.free_code(s.pool, code).await.unwrap());
    }
    assert_eq!(plain(&server, &s).await, span(1, 9));
    // The next code comes from the free list, without a raise of the high-water mark.
    assert_eq!(register(&server, &s, "fp:13").await, 10);
    assert_eq!(plain(&server, &s).await, span(1, 10));
    server.close().await;
}

async fn a_reserved_code_is_in_the_spans_at_once(store: SqlStore) {
    let s = setup(&store).await;
    let server = beside_with(&store, HOUR, &s.site).await;
    for i in 1..=3 {
        register(&server, &s, &format!("fp:{i}")).await;
    }
    assert_eq!(plain(&server, &s).await, span(1, 3));
    server.reserve_code(s.pool, 500, &name("Radio")).await.unwrap();
    assert_eq!(plain(&server, &s).await, span(1, 500));
    server.close().await;
}

conformance!(
    a_code_that_gains_a_digit_is_in_the_spans_at_once,
    spans_that_a_freed_longer_code_could_outgrow_are_read_every_time,
    a_reserved_code_is_in_the_spans_at_once,
);
