//! Group commit: registrations written together in one transaction give the same codes as
//! the same registrations written one by one, and a bad one fails alone.

use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use crate::visits::{new_visit, policy, setup};
use leadline_core::store::{StoreError, VisitStore};
use leadline_core::visit::{AllocationPolicy, CodeOutcome, CodePlan, NewVisit, VisitState};
use leadline_store::SqlStore;

async fn batch(store: &SqlStore, items: &[(&NewVisit, CodePlan)]) -> Vec<VisitState> {
    store.register_visits(items).await.unwrap()
}

fn codes(states: &[VisitState]) -> Vec<Option<u64>> {
    states.iter().map(|s| s.code).collect()
}

async fn a_batch_gives_new_visitors_the_smallest_free_codes_in_arrival_order(store: SqlStore) {
    let s = setup(&store).await;
    let plan = s.plan(policy());
    let first: Vec<NewVisit> = (0..5).map(|i| new_visit(s.site, &format!("fp:a{i}"))).collect();
    let items: Vec<_> = first.iter().map(|v| (v, plan)).collect();
    assert_eq!(codes(&batch(&store, &items).await), [1, 2, 3, 4, 5].map(Some));
    assert!(store.free_code(s.pool, 4).await.unwrap());
    assert!(store.free_code(s.pool, 2).await.unwrap());
    let second: Vec<NewVisit> = (0..4).map(|i| new_visit(s.site, &format!("fp:b{i}"))).collect();
    let items: Vec<_> = second.iter().map(|v| (v, plan)).collect();
    let states = batch(&store, &items).await;
    assert_eq!(codes(&states), [2, 4, 6, 7].map(Some));
    assert!(states.iter().all(|s| s.outcome == CodeOutcome::Allocated && !s.evicted));
    for (visit, state) in second.iter().zip(&states) {
        let live = store.live_code(s.pool, state.code.unwrap()).await.unwrap();
        assert_eq!(live.visit, visit.public_id, "each code is held by its own visit");
        assert_eq!(
            store.visit(s.site, &visit.public_id).await.unwrap().landing_url,
            visit.landing_url
        );
        assert_eq!(store.visit_pages(s.site, &visit.public_id).await.unwrap().len(), 1);
    }
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 7);
}

async fn a_returning_visitor_in_a_batch_keeps_their_code_and_a_second_tab_shares_the_first(store: SqlStore) {
    let s = setup(&store).await;
    let plan = s.plan(policy());
    let earlier = store.register_visit(&new_visit(s.site, "fp:back"), plan).await.unwrap();
    let (back, fresh, tab) = (
        new_visit(s.site, "fp:back"),
        new_visit(s.site, "fp:new"),
        new_visit(s.site, "fp:new"),
    );
    let states = batch(&store, &[(&back, plan), (&fresh, plan), (&tab, plan)]).await;
    assert_eq!(codes(&states), [earlier.code, Some(2), Some(2)]);
    let outcomes: Vec<_> = states.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [CodeOutcome::Returning, CodeOutcome::Allocated, CodeOutcome::Returning]
    );
    assert_eq!(store.live_code(s.pool, 2).await.unwrap().visit, tab.public_id);
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 2);
}

async fn a_batch_at_the_site_cap_evicts_the_idlest_for_each_new_visitor(store: SqlStore) {
    let s = setup(&store).await;
    let capped = s.plan(AllocationPolicy {
        max_live: 3,
        ..policy()
    });
    let mut held = Vec::new();
    for i in 0..3 {
        held.push(
            store
                .register_visit(&new_visit(s.site, &format!("fp:c{i}")), capped)
                .await
                .unwrap(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let (one, two) = (new_visit(s.site, "fp:x"), new_visit(s.site, "fp:y"));
    let states = batch(&store, &[(&one, capped), (&two, capped)]).await;
    assert!(states.iter().all(|s| s.evicted), "{states:?}");
    assert_eq!(codes(&states), [held[0].code, held[1].code], "the two idlest, in order");
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 3);
}

async fn a_batch_skips_reserved_codes_and_resting_ones(store: SqlStore) {
    let s = setup(&store).await;
    let resting = AllocationPolicy {
        quarantine_ms: 3_600_000,
        ..policy()
    };
    let first = store
        .register_visit(&new_visit(s.site, "fp:r0"), s.plan(resting))
        .await
        .unwrap();
    assert!(store.free_code(s.pool, first.code.unwrap()).await.unwrap());
    store.reserve_code(s.pool, 2, &name("Flyer")).await.unwrap();
    store.reserve_code(s.pool, 4, &name("Radio")).await.unwrap();
    let visits: Vec<NewVisit> = (0..3).map(|i| new_visit(s.site, &format!("fp:r{}", i + 1))).collect();
    let items: Vec<_> = visits.iter().map(|v| (v, s.plan(resting))).collect();
    assert_eq!(
        codes(&batch(&store, &items).await),
        [3, 5, 6].map(Some),
        "1 rests through its quarantine; 2 and 4 are reserved"
    );
}

async fn one_batch_serves_several_sites_and_pools_and_sites_without_a_number(store: SqlStore) {
    let s = setup(&store).await;
    let other = business(&store, "other").await;
    let other_site = site(&store, other.id, "other.example").await;
    let other_plan = s.plan(policy());
    let other_plan = match other_plan {
        CodePlan::Visit(request) => CodePlan::Visit(leadline_core::visit::CodeRequest {
            pool: tracking_number(&store, other_site.id, "+12025550199").await,
            ..request
        }),
        plan => plan,
    };
    let (a, b, c, d) = (
        new_visit(s.site, "fp:1"),
        new_visit(other_site.id, "fp:1"),
        new_visit(s.site, "fp:2"),
        new_visit(other_site.id, "fp:none"),
    );
    let plan = s.plan(policy());
    let states = batch(
        &store,
        &[(&a, plan), (&b, other_plan), (&c, plan), (&d, CodePlan::None)],
    )
    .await;
    assert_eq!(codes(&states), [Some(1), Some(1), Some(2), None]);
    assert_eq!(states[3].outcome, CodeOutcome::None);
    assert_eq!(
        store.visit(other_site.id, &d.public_id).await.unwrap().landing_url,
        d.landing_url
    );
    assert!(
        matches!(store.visit(s.site, &b.public_id).await, Err(StoreError::NotFound)),
        "each visit belongs to its own site"
    );
}

async fn a_batch_with_a_bad_registration_writes_nothing(store: SqlStore) {
    let s = setup(&store).await;
    let plan = s.plan(policy());
    let taken = new_visit(s.site, "fp:first");
    store.register_visit(&taken, plan).await.unwrap();
    let fresh = new_visit(s.site, "fp:fresh");
    let failed = store.register_visits(&[(&fresh, plan), (&taken, plan)]).await;
    assert!(failed.is_err(), "a visit id is registered once");
    assert!(matches!(
        store.visit(s.site, &fresh.public_id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 1);
}

async fn a_bad_registration_among_concurrent_ones_fails_alone(store: SqlStore) {
    let s = setup(&store).await;
    let plan = s.plan(policy());
    let taken = new_visit(s.site, "fp:first");
    store.register_visit(&taken, plan).await.unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            let visit = if i == 15 {
                taken.clone()
            } else {
                new_visit(s.site, &format!("fp:n{i}"))
            };
            tokio::spawn(async move { store.register_visit(&visit, plan).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(answers[15].is_err(), "a visit id is registered once");
    let mut codes: Vec<u64> = answers.iter().filter_map(|a| a.as_ref().ok()?.code).collect();
    codes.sort_unstable();
    assert_eq!(codes, (2..=30).collect::<Vec<u64>>());
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 30);
}

conformance!(
    a_batch_gives_new_visitors_the_smallest_free_codes_in_arrival_order,
    a_returning_visitor_in_a_batch_keeps_their_code_and_a_second_tab_shares_the_first,
    a_batch_at_the_site_cap_evicts_the_idlest_for_each_new_visitor,
    a_batch_skips_reserved_codes_and_resting_ones,
    one_batch_serves_several_sites_and_pools_and_sites_without_a_number,
    a_batch_with_a_bad_registration_writes_nothing,
    a_bad_registration_among_concurrent_ones_fails_alone,
);
