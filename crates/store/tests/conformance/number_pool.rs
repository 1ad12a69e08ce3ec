use crate::conformance;
use crate::fixtures::{business, site, tracking_number};
use crate::visits::new_visit;
use leadline_core::number_pool::NumberPoolStore;
use leadline_core::store::{NumberStore, SiteStore, StoreError, VisitStore};
use leadline_core::visit::{CodeOutcome, CodePlan, Touch, VisitState};
use leadline_core::{NumberId, SiteId};
use leadline_store::SqlStore;

const MINUTE: i64 = 60_000;

/// A site with a main number and a pool of `size` numbers (+1202555020N), and its pool ids.
struct PoolSite {
    site: SiteId,
    main: NumberId,
    numbers: Vec<NumberId>,
}

async fn pool_site(store: &SqlStore, slug: &str, size: usize) -> PoolSite {
    let owner = business(store, slug).await;
    let s = site(store, owner.id, &format!("{slug}.example")).await;
    let main = tracking_number(store, s.id, &format!("+1202555{:04}", 100 + owner.id.0)).await;
    let mut numbers = Vec::new();
    for i in 0..size {
        let number = tracking_number(store, s.id, &format!("+120255{:02}{:03}", owner.id.0, 200 + i)).await;
        store.add_pool_number(s.id, number.number).await.unwrap();
        numbers.push(number.number);
    }
    PoolSite {
        site: s.id,
        main: main.number,
        numbers,
    }
}

fn pool(minutes: i64) -> CodePlan {
    CodePlan::Pool {
        idle_ms: minutes * MINUTE,
    }
}

async fn visit(store: &SqlStore, site: SiteId, visitor: &str, minutes: i64) -> VisitState {
    store
        .register_visit(&new_visit(site, visitor), pool(minutes))
        .await
        .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The id of the pool number a visit was shown.
async fn held_id(store: &SqlStore, p: &PoolSite, state: &VisitState) -> NumberId {
    let shown = state.pool_number.clone().expect("a pool number");
    let pool = store.pool_numbers(p.site, now()).await.unwrap();
    pool.into_iter().find(|n| n.number == shown).unwrap().number_id
}

async fn a_visit_takes_the_least_recently_released_number(store: SqlStore) {
    let p = pool_site(&store, "acme", 3).await;
    let a = visit(&store, p.site, "fp:a", 1).await;
    let b = visit(&store, p.site, "fp:b", 2).await;
    assert_eq!((a.code, a.outcome), (None, CodeOutcome::Allocated));
    assert_eq!(
        held_id(&store, &p, &a).await,
        p.numbers[0],
        "never-held numbers go in order"
    );
    assert_eq!(held_id(&store, &p, &b).await, p.numbers[1]);
    // Both released: a's hold ended first, so after the never-held third, a's number goes next.
    assert_eq!(store.sweep_expired(now() + 3 * MINUTE, 100).await.unwrap(), 2);
    let c = visit(&store, p.site, "fp:c", 30).await;
    let d = visit(&store, p.site, "fp:d", 30).await;
    let e = visit(&store, p.site, "fp:e", 30).await;
    assert_eq!(held_id(&store, &p, &c).await, p.numbers[2]);
    assert_eq!(held_id(&store, &p, &d).await, p.numbers[0]);
    assert_eq!(held_id(&store, &p, &e).await, p.numbers[1]);
    let main = store.number_for_site(p.site).await.unwrap().unwrap();
    assert_eq!(main.id, p.main, "a pool number is never the site's main number");
    assert_eq!(store.pool_overwrites(p.site).await.unwrap(), 0);
}

async fn a_returning_visit_keeps_its_number_and_refreshes_its_hold(store: SqlStore) {
    let p = pool_site(&store, "acme", 2).await;
    let a = visit(&store, p.site, "fp:a", 30).await;
    for touch in [
        Touch::Heartbeat,
        Touch::PageView {
            url: "https://acme.example/b".into(),
            title: None,
        },
    ] {
        let again = store.touch_visit(p.site, &a.visit, &touch, pool(30)).await.unwrap();
        assert_eq!(
            (again.pool_number.clone(), again.outcome),
            (a.pool_number.clone(), CodeOutcome::Kept)
        );
    }
    // Registered with a minute's hold, refreshed for thirty: a sweep two minutes on keeps it.
    let short = visit(&store, p.site, "fp:short", 1).await;
    store
        .touch_visit(p.site, &short.visit, &Touch::Heartbeat, pool(30))
        .await
        .unwrap();
    assert_eq!(store.sweep_expired(now() + 2 * MINUTE, 100).await.unwrap(), 0);
    let id = held_id(&store, &p, &short).await;
    assert_eq!(store.pool_holder(p.site, id, now()).await.unwrap(), Some(short.visit));
}

async fn an_exhausted_pool_overwrites_the_oldest_holder_and_counts_it(store: SqlStore) {
    let p = pool_site(&store, "acme", 2).await;
    let a = visit(&store, p.site, "fp:a", 30).await;
    let b = visit(&store, p.site, "fp:b", 30).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .touch_visit(p.site, &a.visit, &Touch::Heartbeat, pool(30))
        .await
        .unwrap();
    let c = visit(&store, p.site, "fp:c", 30).await;
    assert!(c.evicted, "the overwrite is reported");
    assert_eq!(c.pool_number, b.pool_number, "b was the least recently active holder");
    let (a_id, b_id) = (held_id(&store, &p, &a).await, p.numbers[1]);
    assert_eq!(
        store.pool_holder(p.site, b_id, now()).await.unwrap(),
        Some(c.visit.clone())
    );
    assert_eq!(store.pool_holder(p.site, a_id, now()).await.unwrap(), Some(a.visit));
    assert_eq!(store.pool_overwrites(p.site).await.unwrap(), 1);
    // b comes back: it lost its number, so it takes the oldest holder's (a's, then c's).
    let back = store
        .touch_visit(p.site, &b.visit, &Touch::Heartbeat, pool(30))
        .await
        .unwrap();
    assert_eq!((back.outcome, back.evicted), (CodeOutcome::Allocated, true));
    assert_eq!(store.pool_overwrites(p.site).await.unwrap(), 2);
}

async fn an_idle_hold_is_released_by_the_sweep(store: SqlStore) {
    let p = pool_site(&store, "acme", 2).await;
    let a = visit(&store, p.site, "fp:a", 1).await;
    let id = held_id(&store, &p, &a).await;
    assert_eq!(store.sweep_expired(now(), 100).await.unwrap(), 0, "not idle yet");
    assert_eq!(store.sweep_expired(now() + 2 * MINUTE, 100).await.unwrap(), 1);
    assert_eq!(store.pool_holder(p.site, id, now()).await.unwrap(), None);
    let pool = store.pool_numbers(p.site, now()).await.unwrap();
    assert!(pool.iter().all(|n| n.holder.is_none()));
    // Past its hold, even before a sweep, a number has no holder for a call.
    let b = visit(&store, p.site, "fp:b", 1).await;
    let b_id = held_id(&store, &p, &b).await;
    assert_eq!(store.pool_holder(p.site, b_id, now() + 2 * MINUTE).await.unwrap(), None);
}

async fn a_pool_number_serves_one_site_of_one_business(store: SqlStore) {
    let p = pool_site(&store, "acme", 1).await;
    let rival = pool_site(&store, "rival", 1).await;
    let a = visit(&store, p.site, "fp:a", 30).await;
    let id = held_id(&store, &p, &a).await;
    // Another business's site can neither take the number nor see its holder.
    assert!(matches!(
        store.add_pool_number(rival.site, id).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.pool_holder(rival.site, id, now()).await.unwrap(), None);
    let shared = tracking_number(&store, rival.site, "+12025559999").await.number;
    assert!(
        matches!(
            store.add_pool_number(p.site, shared).await,
            Err(StoreError::Conflict(_))
        ),
        "a number serving another site is refused"
    );
    assert!(matches!(
        store.add_pool_number(p.site, NumberId(9_999)).await,
        Err(StoreError::NotFound)
    ));
    // The rival's visits never take the acme pool's number.
    let r = visit(&store, rival.site, "fp:r", 30).await;
    assert_eq!(held_id(&store, &rival, &r).await, rival.numbers[0]);
    let number = store.number_by_e164(&a.pool_number.clone().unwrap()).await.unwrap();
    assert_eq!((number.pool_of, number.site_ids), (Some(p.site), vec![p.site]));
    // Taken out of the pool, it serves no site, and no visit holds it.
    store.remove_pool_number(p.site, id).await.unwrap();
    assert!(store.pool_numbers(p.site, now()).await.unwrap().is_empty());
    assert!(matches!(
        store.remove_pool_number(p.site, id).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_removed_number_leaves_its_pool(store: SqlStore) {
    let p = pool_site(&store, "acme", 2).await;
    let owner = store.site_by_id(p.site).await.unwrap().business_id;
    store.remove_number(owner, p.numbers[0]).await.unwrap();
    let left: Vec<NumberId> = store
        .pool_numbers(p.site, now())
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.number_id)
        .collect();
    assert_eq!(left, [p.numbers[1]]);
    let a = visit(&store, p.site, "fp:a", 30).await;
    assert_eq!(held_id(&store, &p, &a).await, p.numbers[1]);
}

async fn a_site_without_pool_numbers_shows_no_number(store: SqlStore) {
    let p = pool_site(&store, "acme", 0).await;
    let a = visit(&store, p.site, "fp:a", 30).await;
    assert_eq!((a.pool_number, a.outcome), (None, CodeOutcome::None));
}

conformance!(
    a_visit_takes_the_least_recently_released_number,
    a_returning_visit_keeps_its_number_and_refreshes_its_hold,
    an_exhausted_pool_overwrites_the_oldest_holder_and_counts_it,
    an_idle_hold_is_released_by_the_sweep,
    a_pool_number_serves_one_site_of_one_business,
    a_removed_number_leaves_its_pool,
    a_site_without_pool_numbers_shows_no_number,
);
