//! The store's answers for the levers that name a call's visit beyond a live code: a redial
//! of a caller's own earlier code, a resting code's last visit, and the clicks to call still
//! pending (core's `matching` decides what each answer means).

use crate::calls::{Setup, new_call, setup, visit};
use crate::conformance;
use leadline_core::heatmap::{HeatmapStore, PageClick};
use leadline_core::store::{CallStore, VisitStore};
use leadline_core::visit::{PoolKey, Selector};
use leadline_store::SqlStore;

fn pool(s: &Setup) -> PoolKey {
    PoolKey {
        number: s.number,
        selector: Selector::Plain,
    }
}

fn long_ago() -> i64 {
    chrono::Utc::now().timestamp_millis() - 3_600_000
}

async fn a_freed_code_names_its_last_visit_until_someone_holds_it_again(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    let (v, code) = visit(&store, &s, "fp:left").await;
    assert_eq!(
        store.rested_code(pool(&s), code, long_ago()).await.unwrap(),
        None,
        "a live code does not rest"
    );
    assert!(store.free_code_of_visit(pool(&s), code, &v).await.unwrap());
    assert_eq!(
        store.rested_code(pool(&s), code, long_ago()).await.unwrap(),
        Some((s.site, v.clone()))
    );
    let future = chrono::Utc::now().timestamp_millis() + 60_000;
    assert_eq!(
        store.rested_code(pool(&s), code, future).await.unwrap(),
        None,
        "freed before the window"
    );
    assert_eq!(
        store.rested_code(pool(&other), code, long_ago()).await.unwrap(),
        None,
        "another number's pool"
    );
    let (_, again) = visit(&store, &s, "fp:next").await;
    assert_eq!(again, code, "the smallest free code is handed out again");
    assert_eq!(
        store.rested_code(pool(&s), code, long_ago()).await.unwrap(),
        None,
        "held again, it names nobody"
    );
}

async fn a_caller_keying_their_earlier_code_finds_that_calls_visit(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    let (v, _) = visit(&store, &s, "fp:caller").await;
    // new_call keys code 1.
    store
        .open_call(&new_call(&s, "CA1", "+12025550169", Some(v.clone())))
        .await
        .unwrap();
    let found = store
        .redial_visit(s.site, "+12025550169", pool(&s), 1, long_ago())
        .await
        .unwrap();
    assert_eq!(found, Some(v));
    assert_eq!(
        store
            .redial_visit(s.site, "+12025550169", pool(&s), 2, long_ago())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .redial_visit(s.site, "+12025550170", pool(&s), 1, long_ago())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .redial_visit(other.site, "+12025550169", pool(&other), 1, long_ago())
            .await
            .unwrap(),
        None,
        "another business's site"
    );
}

fn click() -> PageClick {
    PageClick {
        element: "tel0".into(),
        url: "https://acme.example/contact".into(),
        spot: None,
    }
}

async fn a_click_to_call_is_pending_until_its_visit_calls(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    let (v, _) = visit(&store, &s, "fp:clicker").await;
    assert!(store.pending_clicks(s.number, long_ago()).await.unwrap().is_empty());
    store.record_page_clicks(s.site, &v, &[click()]).await.unwrap();
    let pending = store.pending_clicks(s.number, long_ago()).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| (p.site_id, p.visit.clone())).collect::<Vec<_>>(),
        [(s.site, v.clone())]
    );
    assert!(
        store.pending_clicks(other.number, long_ago()).await.unwrap().is_empty(),
        "another number's sites"
    );
    let future = chrono::Utc::now().timestamp_millis() + 60_000;
    assert!(
        store.pending_clicks(s.number, future).await.unwrap().is_empty(),
        "clicked before the window"
    );
    let (w, _) = visit(&store, &s, "fp:second").await;
    store.record_page_clicks(s.site, &w, &[click()]).await.unwrap();
    assert_eq!(store.pending_clicks(s.number, long_ago()).await.unwrap().len(), 2);
    store
        .open_call(&new_call(&s, "CA1", "+12025550169", Some(v)))
        .await
        .unwrap();
    let still = store.pending_clicks(s.number, long_ago()).await.unwrap();
    assert_eq!(
        still.iter().map(|p| p.visit.clone()).collect::<Vec<_>>(),
        [w],
        "a visit that called is no longer pending"
    );
}

conformance!(
    a_freed_code_names_its_last_visit_until_someone_holds_it_again,
    a_caller_keying_their_earlier_code_finds_that_calls_visit,
    a_click_to_call_is_pending_until_its_visit_calls,
);
