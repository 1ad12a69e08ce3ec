//! Group commit for calls: calls opened together in one transaction get what each would get
//! alone (refs, leads, first-time flags, events), retries and other numbers' ids are answered
//! as before, and a bad call fails alone.

use crate::calls::{Setup, new_call, setup, visit};
use crate::conformance;
use leadline_core::call::{Call, NewCall};
use leadline_core::interaction::{InteractionFilter, InteractionKind, InteractionStore};
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::store::{CallStore, LeadStore, OutboxStore, StoreError};
use leadline_core::{BusinessId, SiteId};
use leadline_store::SqlStore;
use std::collections::HashMap;

async fn batch(store: &SqlStore, news: &[NewCall]) -> Vec<Result<Call, StoreError>> {
    let refs: Vec<&NewCall> = news.iter().collect();
    store.open_calls(&refs).await.unwrap()
}

fn opened(answers: Vec<Result<Call, StoreError>>) -> Vec<Call> {
    answers.into_iter().map(Result::unwrap).collect()
}

/// Each call's first-time flag, by record ref, as the Activity list shows it.
async fn first_time(store: &SqlStore, s: &Setup) -> HashMap<u64, Option<bool>> {
    let filter = InteractionFilter {
        limit: 100,
        ..InteractionFilter::default()
    };
    let page = store.interactions(s.business, &filter).await.unwrap();
    page.items
        .iter()
        .filter(|i| i.kind == InteractionKind::Call)
        .map(|i| (i.record_ref, i.call.as_ref().unwrap().first_time))
        .collect()
}

async fn webhook(store: &SqlStore, business: BusinessId, site: Option<SiteId>) {
    let config = IntegrationConfig::Webhook {
        url: "https://hooks.example/in".into(),
        secret: "whsec_x".into(),
    };
    let new = NewIntegration {
        business_id: business,
        site_id: site,
        name: "hook".into(),
        config,
    };
    store.add_integration(&new).await.unwrap();
}

async fn a_batch_of_calls_gets_consecutive_refs_new_leads_in_a_call_and_its_visit_story(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v, _) = visit(&store, &s, "fp:caller-one").await;
    let news = [
        new_call(&s, "CA1", "+12025550161", None),
        new_call(&s, "CA2", "+12025550162", Some(v.clone())),
        new_call(&s, "CA3", "anonymous", None),
        new_call(&s, "CA4", "+12025550164", None),
    ];
    let calls = opened(batch(&store, &news).await);
    let refs: Vec<u64> = calls.iter().map(|c| c.record_ref).collect();
    assert_eq!(refs, [1000, 1001, 1002, 1003]);
    let sids: Vec<&str> = calls.iter().map(|c| c.provider_call_sid.as_str()).collect();
    assert_eq!(sids, ["CA1", "CA2", "CA3", "CA4"]);
    assert!(calls.iter().all(|c| c.status == "in_call"));
    assert_eq!(calls[1].origin.visit.as_ref(), Some(&v));
    assert_eq!(calls[1].attribution.as_ref().map(|a| a.source.as_str()), Some("flyer"));
    let mut leads: Vec<i64> = calls.iter().map(|c| c.lead_id).collect();
    leads.dedup();
    assert_eq!(leads.len(), 4, "four people, four leads");
    for call in &calls {
        let lead = store.lead(s.business, call.record_ref).await.unwrap();
        assert_eq!(lead.id.0, call.lead_id, "a new lead shares its call's ref");
        assert_eq!(lead.status, LeadStatus::InCall);
    }
    let visitor = store.lead(s.business, 1001).await.unwrap();
    assert_eq!(visitor.visitor_key.as_deref(), Some("fp:caller-one"));
    assert_eq!(visitor.source.as_deref(), Some("flyer / print"));
    let flags = first_time(&store, &s).await;
    assert_eq!(
        [1000, 1001, 1002, 1003].map(|r| flags[&r]),
        [Some(true), Some(true), None, Some(true)]
    );
    let next = store
        .open_call(&new_call(&s, "CA5", "+12025550169", None))
        .await
        .unwrap();
    assert_eq!(next.record_ref, 1004, "the counter moved past the whole batch");
}

async fn calls_of_one_person_in_a_batch_share_a_lead_as_if_each_came_alone(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let known = store
        .open_call(&new_call(&s, "CA0", "+12025550160", None))
        .await
        .unwrap();
    let (v1, _) = visit(&store, &s, "ga:1.7").await;
    let (v2, _) = visit(&store, &s, "ga:1.7").await;
    let news = [
        new_call(&s, "CA1", "+12025550160", None),
        new_call(&s, "CA2", "+12025550162", Some(v1)),
        new_call(&s, "CA3", "+12025550163", Some(v2)),
        new_call(&s, "CA4", "+12025550162", None),
        new_call(&s, "CA5", "+12025550165", None),
    ];
    let calls = opened(batch(&store, &news).await);
    let lead = |sid: &str| calls.iter().find(|c| c.provider_call_sid == sid).unwrap().lead_id;
    assert_eq!(lead("CA1"), known.lead_id, "a known caller finds their lead");
    assert_eq!(lead("CA3"), lead("CA2"), "the same visitor, the same lead");
    assert_eq!(lead("CA4"), lead("CA2"), "the same caller, the same lead");
    assert_ne!(lead("CA5"), lead("CA2"));
    let person = store.lead(s.business, calls[1].record_ref).await.unwrap();
    assert_eq!(
        person.contact.phone.map(|p| p.as_str().to_owned()).as_deref(),
        Some("+12025550162")
    );
    assert_eq!(person.visitor_key.as_deref(), Some("ga:1.7"));
    let mut refs: Vec<u64> = calls.iter().map(|c| c.record_ref).collect();
    refs.sort_unstable();
    assert_eq!(refs, [1001, 1002, 1003, 1004, 1005], "refs are taken once each");
    let flags = first_time(&store, &s).await;
    let flag = |sid: &str| flags[&calls.iter().find(|c| c.provider_call_sid == sid).unwrap().record_ref];
    assert_eq!(
        ["CA1", "CA2", "CA3", "CA4", "CA5"].map(flag),
        [Some(false), Some(true), Some(true), Some(false), Some(true)]
    );
}

async fn two_calls_that_find_one_lead_by_different_keys_both_join_it(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v1, _) = visit(&store, &s, "ga:1.9").await;
    let known = store
        .open_call(&new_call(&s, "CA0", "+12025550160", Some(v1)))
        .await
        .unwrap();
    let (v2, _) = visit(&store, &s, "ga:1.9").await;
    let news = [
        new_call(&s, "CA1", "+12025550160", None),
        new_call(&s, "CA2", "+12025550162", Some(v2)),
    ];
    let calls = opened(batch(&store, &news).await);
    assert!(calls.iter().all(|c| c.lead_id == known.lead_id), "one person, one lead");
    let lead = store.lead(s.business, known.record_ref).await.unwrap();
    assert_eq!(lead.status, LeadStatus::InCall);
    assert_eq!(
        lead.contact.phone.map(|p| p.as_str().to_owned()).as_deref(),
        Some("+12025550160"),
        "what the lead had is kept"
    );
}

async fn a_batch_answers_a_retry_with_the_stored_call_and_another_numbers_id_with_nothing(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let rival = setup(&store, "rival", "rival.example", "+12025550101").await;
    let stored = store
        .open_call(&new_call(&s, "CA1", "+12025550161", None))
        .await
        .unwrap();
    let news = [
        new_call(&s, "CA1", "+12025550161", None),
        new_call(&s, "CA2", "+12025550162", None),
        new_call(&s, "CA2", "+12025550162", None),
        new_call(&rival, "CA1", "+12025550161", None),
        new_call(&rival, "CA2", "+12025550162", None),
    ];
    let answers = batch(&store, &news).await;
    assert_eq!(answers[0].as_ref().unwrap(), &stored);
    let second = answers[1].as_ref().unwrap();
    assert_eq!(
        answers[2].as_ref().unwrap(),
        second,
        "a repeat in the batch is the same call"
    );
    assert_eq!(second.record_ref, 1001);
    assert!(matches!(answers[3], Err(StoreError::NotFound)));
    assert!(matches!(answers[4], Err(StoreError::NotFound)));
    assert!(matches!(
        store.call_by_ref(rival.business, 1000).await,
        Err(StoreError::NotFound)
    ));
    let only_retries = batch(&store, &[new_call(&s, "CA1", "+12025550161", None)]).await;
    assert_eq!(
        only_retries[0].as_ref().unwrap(),
        &stored,
        "a batch with nothing to write"
    );
}

async fn a_batch_writes_dialed_events_for_the_integrations_that_take_them(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let rival = setup(&store, "rival", "rival.example", "+12025550101").await;
    webhook(&store, s.business, Some(s.site)).await;
    let news = [
        new_call(&s, "CA1", "+12025550161", None),
        new_call(&rival, "CA2", "+12025550162", None),
        new_call(&s, "CA3", "+12025550163", None),
    ];
    opened(batch(&store, &news).await);
    let deliveries = store.list_deliveries(Some(s.business), None, 10).await.unwrap();
    assert_eq!(
        deliveries.len(),
        2,
        "one call.dialed per call of the subscribed business"
    );
    let none = store.list_deliveries(Some(rival.business), None, 10).await.unwrap();
    assert!(none.is_empty());
}

async fn concurrent_calls_share_batches_and_a_bad_one_fails_alone(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            let mut new = new_call(&s, &format!("CA{i}"), &format!("+120255501{i:02}"), None);
            if i == 15 {
                new.site_id = SiteId(i64::MAX);
            }
            tokio::spawn(async move { store.open_call(&new).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(answers[15].is_err(), "a call of no site is refused");
    let mut refs: Vec<u64> = answers
        .iter()
        .filter_map(|a| Some(a.as_ref().ok()?.record_ref))
        .collect();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), 29, "every other call is opened, each with its own ref");
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| *i != 15) {
        assert_eq!(answer.as_ref().unwrap().provider_call_sid, format!("CA{i}"));
    }
}

conformance!(
    a_batch_of_calls_gets_consecutive_refs_new_leads_in_a_call_and_its_visit_story,
    calls_of_one_person_in_a_batch_share_a_lead_as_if_each_came_alone,
    two_calls_that_find_one_lead_by_different_keys_both_join_it,
    a_batch_answers_a_retry_with_the_stored_call_and_another_numbers_id_with_nothing,
    a_batch_writes_dialed_events_for_the_integrations_that_take_them,
    concurrent_calls_share_batches_and_a_bad_one_fails_alone,
);
