use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use leadline_core::call::{CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::keypad::CodeSpan;
use leadline_core::lead::{Author, LeadChange, LeadStatus};
use leadline_core::provider::{CallSid, WebLink};
use leadline_core::store::{CallMeClaim, CallMeGrant, CallStore, CodeSpans, LeadStore, StoreError, VisitStore};
use leadline_core::visit::{AllocationPolicy, CodePlan, CodeRequest, NewVisit, PoolKey, Selector, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{BusinessId, NumberId, SiteId};
use leadline_store::SqlStore;
use std::collections::BTreeMap;

pub(crate) struct Setup {
    pub(crate) business: BusinessId,
    pub(crate) site: SiteId,
    pub(crate) number: NumberId,
}

pub(crate) async fn setup(store: &SqlStore, slug: &str, domain: &str, number: &str) -> Setup {
    let b = business(store, slug).await;
    let s = site(store, b.id, domain).await;
    Setup {
        business: b.id,
        site: s.id,
        number: tracking_number(store, s.id, number).await.number,
    }
}

fn pool(s: &Setup) -> PoolKey {
    PoolKey {
        number: s.number,
        selector: Selector::Plain,
    }
}

pub(crate) async fn visit(store: &SqlStore, s: &Setup, visitor: &str) -> (VisitRef, u64) {
    let new = NewVisit {
        site_id: s.site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(visitor).unwrap(),
        landing_url: "https://acme.example/?utm_source=flyer".into(),
        referrer: None,
        title: None,
        attribution: Attribution {
            source: "flyer".into(),
            medium: "print".into(),
            campaign: None,
            term: Some("sofa".into()),
            content: None,
        },
        click_ids: ClickIds::default(),
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Mobile,
        temp_id: None,
        ads_consent: Default::default(),
    };
    let policy = AllocationPolicy {
        idle_ms: 1_800_000,
        max_live: 100,
        quarantine_ms: 0,
    };
    let state = store
        .register_visit(&new, CodePlan::Visit(CodeRequest { pool: pool(s), policy }))
        .await
        .unwrap();
    (new.public_id, state.code.unwrap())
}

/// Opens an unattributed call from `caller` on the setup's number.
pub(crate) async fn open_unattributed(
    store: &SqlStore,
    s: &Setup,
    sid: &str,
    caller: &str,
) -> leadline_core::call::Call {
    store.open_call(&new_call(s, sid, caller, None)).await.unwrap()
}

pub(crate) fn new_call(s: &Setup, sid: &str, caller: &str, visit: Option<VisitRef>) -> NewCall {
    let matched_by = if visit.is_some() {
        MatchedBy::Code
    } else {
        MatchedBy::None
    };
    NewCall {
        business_id: s.business,
        site_id: s.site,
        number_id: s.number,
        provider_call_sid: leadline_core::provider::CallSid::parse(sid).unwrap(),
        caller: leadline_core::provider::Caller::parse(caller),
        keyed: "1".into(),
        code: Some(1),
        selector: Selector::Plain,
        extension: None,
        origin: CallOrigin {
            matched_by,
            visit,
            intent: None,
            source_label: None,
            confidence: None,
        },
        place: Default::default(),
    }
}

async fn a_call_gets_a_ref_a_lead_and_its_visit_story(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v, _) = visit(&store, &s, "fp:caller-one").await;
    let call = store
        .open_call(&new_call(&s, "CA1", "+12025550169", Some(v.clone())))
        .await
        .unwrap();
    assert_eq!(call.record_ref, 1000);
    assert_eq!(call.status, "in_call");
    assert_eq!(call.origin.visit.as_ref(), Some(&v));
    let attribution = call.attribution.unwrap();
    assert_eq!(
        (attribution.source.as_str(), attribution.term.as_deref()),
        ("flyer", Some("sofa"))
    );
    let second = store
        .open_call(&new_call(&s, "CA2", "+12025550170", None))
        .await
        .unwrap();
    assert_eq!(second.record_ref, 1001);
    assert_ne!(second.lead_id, call.lead_id);
    assert_eq!(
        store.call_by_ref(s.business, 1000).await.unwrap().provider_call_sid,
        "CA1"
    );
}

async fn recent_calls_are_the_business_own_newest_first(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    store
        .open_call(&new_call(&s, "CA1", "+12025550169", None))
        .await
        .unwrap();
    store
        .open_call(&new_call(&s, "CA2", "+12025550170", None))
        .await
        .unwrap();
    store
        .open_call(&new_call(&other, "CA3", "+12025550171", None))
        .await
        .unwrap();
    let recent = store.recent_calls(s.business, 10).await.unwrap();
    assert_eq!(
        recent.iter().map(|c| c.provider_call_sid.as_str()).collect::<Vec<_>>(),
        ["CA2", "CA1"]
    );
    assert_eq!(store.recent_calls(s.business, 1).await.unwrap().len(), 1);
}

async fn a_retried_request_answers_the_same_call(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let first = store
        .open_call(&new_call(&s, "CA1", "+12025550169", None))
        .await
        .unwrap();
    let again = store
        .open_call(&new_call(&s, "CA1", "+12025550169", None))
        .await
        .unwrap();
    assert_eq!(again, first);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (store, new) = (store.clone(), new_call(&s, "CA9", "+12025550171", None));
            tokio::spawn(async move { store.open_call(&new).await.unwrap().record_ref })
        })
        .collect();
    let mut refs = Vec::new();
    for task in tasks {
        refs.push(task.await.unwrap());
    }
    assert!(refs.iter().all(|r| *r == refs[0]), "{refs:?}");
}

async fn one_person_is_one_lead(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v1, _) = visit(&store, &s, "ga:1.2").await;
    let (v2, _) = visit(&store, &s, "ga:1.2").await;
    let a = store
        .open_call(&new_call(&s, "CA1", "+12025550169", Some(v1)))
        .await
        .unwrap();
    let b = store
        .open_call(&new_call(&s, "CA2", "+12025550999", Some(v2)))
        .await
        .unwrap();
    assert_eq!(a.lead_id, b.lead_id, "same visitor key, same lead");
    let c = store
        .open_call(&new_call(&s, "CA3", "+12025550169", None))
        .await
        .unwrap();
    assert_eq!(c.lead_id, a.lead_id, "same caller number, same lead");
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    let d = store
        .open_call(&new_call(&other, "CA4", "+12025550169", None))
        .await
        .unwrap();
    assert_ne!(d.lead_id, a.lead_id, "leads never cross businesses");
    assert!(matches!(store.call_by_ref(other.business, a.record_ref).await, Ok(ref x) if x.provider_call_sid == "CA4"));
    assert!(matches!(
        store.call_by_ref(other.business, 4242).await,
        Err(StoreError::NotFound)
    ));
}

async fn reports_merge_in_any_order_and_never_revive_a_call(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    store
        .open_call(&new_call(&s, "CA1", "+12025550169", None))
        .await
        .unwrap();
    let recording = CallReport {
        recording_url: Some(WebLink::parse("https://rec.example/RE1").unwrap()),
        ..CallReport::default()
    };
    let after_rec = crate::fixtures::report(&store, s.number, "CA1", &recording)
        .await
        .unwrap();
    assert_eq!(after_rec.status, "in_call");
    let dialled = CallReport {
        outcome: Some(CallOutcome::Answered),
        answered_by: Some("+12025550111".into()),
        duration_seconds: Some(42),
        ..CallReport::default()
    };
    let done = crate::fixtures::report(&store, s.number, "CA1", &dialled)
        .await
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.outcome),
        ("completed", Some(CallOutcome::Answered))
    );
    assert_eq!(done.recording_url.as_deref(), Some("https://rec.example/RE1"));
    let late = CallReport {
        ended: true,
        duration_seconds: None,
        ..CallReport::default()
    };
    let replay = crate::fixtures::report(&store, s.number, "CA1", &late).await.unwrap();
    assert_eq!(
        (replay.duration_seconds, replay.answered_by.as_deref()),
        (Some(42), Some("+12025550111"))
    );
    assert_eq!(
        replay.ended_at, done.ended_at,
        "a replayed report does not move the end"
    );
    assert!(matches!(
        crate::fixtures::report(&store, s.number, "CA404", &late).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_caller_number_finds_its_recent_visit(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v, _) = visit(&store, &s, "fp:returning").await;
    store
        .open_call(&new_call(&s, "CA1", "+12025550169", Some(v.clone())))
        .await
        .unwrap();
    let since = chrono::Utc::now().timestamp_millis() - 60_000;
    assert_eq!(
        store
            .recent_visit_of_caller(s.site, "+12025550169", since)
            .await
            .unwrap(),
        Some(v)
    );
    assert_eq!(
        store
            .recent_visit_of_caller(s.site, "+12025550000", since)
            .await
            .unwrap(),
        None
    );
    let future = chrono::Utc::now().timestamp_millis() + 60_000;
    assert_eq!(
        store
            .recent_visit_of_caller(s.site, "+12025550169", future)
            .await
            .unwrap(),
        None
    );
}

async fn codes_are_freed_only_for_their_holder(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v1, c1) = visit(&store, &s, "fp:a").await;
    let (v2, c2) = visit(&store, &s, "fp:b").await;
    assert_eq!(plain_span(&store, &s).await, Some((1, 2)));
    assert!(
        !store.free_code_of_visit(pool(&s), c1, &v2).await.unwrap(),
        "v2 does not hold code 1"
    );
    assert!(store.free_code_of_visit(pool(&s), c1, &v1).await.unwrap());
    // A freed code leaves the spans' low end within the cache's expiry: a caller with a
    // shorter code than the spans say only waits for the gather's end.
    crate::tenant_cache::eventually(
        "the spans without the freed code",
        async || plain_span(&store, &s).await,
        |span| *span == Some((c2, c2)),
    )
    .await;
    store.reserve_code(pool(&s), 7, &name("Spring flyer")).await.unwrap();
    assert_eq!(
        store.reserved_label(pool(&s), 7).await.unwrap().as_deref(),
        Some("Spring flyer")
    );
    assert_eq!(store.reserved_label(pool(&s), 8).await.unwrap(), None);
}

async fn plain_span(store: &SqlStore, s: &Setup) -> Option<(u64, u64)> {
    let spans = store.keyable_code_spans(s.number).await.unwrap();
    spans.plain.map(|span| (span.low, span.high))
}

async fn reserved_and_star_codes_count_in_the_keyable_spans(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    assert_eq!(store.keyable_code_spans(s.number).await.unwrap(), CodeSpans::default());
    visit(&store, &s, "fp:a").await;
    store.reserve_code(pool(&s), 42, &name("Herald ad")).await.unwrap();
    let star = PoolKey {
        number: s.number,
        selector: Selector::Star,
    };
    store.reserve_code(star, 7, &name("Flyer")).await.unwrap();
    let spans = store.keyable_code_spans(s.number).await.unwrap();
    assert_eq!(spans.plain, Some(CodeSpan { low: 1, high: 42 }));
    assert_eq!(spans.star, Some(CodeSpan { low: 7, high: 7 }));
    let other = setup(&store, "rival", "rival.example", "+12025550101").await;
    assert_eq!(
        store.keyable_code_spans(other.number).await.unwrap(),
        CodeSpans::default()
    );
}

async fn a_report_reaches_only_a_call_of_the_number_or_business_that_names_it(store: SqlStore) {
    let a = setup(&store, "acme", "acme.example", "+12025550100").await;
    let b = setup(&store, "rival", "rival.example", "+12025550101").await;
    let call = store
        .open_call(&new_call(&a, "CA1", "+12025550169", None))
        .await
        .unwrap();
    let hostile = CallReport {
        ended: true,
        recording_url: Some(WebLink::parse("https://evil.example/r.wav").unwrap()),
        answered_by: Some("+12025550199".into()),
        ..CallReport::default()
    };
    assert!(matches!(
        crate::fixtures::report(&store, b.number, "CA1", &hostile).await,
        Err(StoreError::NotFound)
    ));
    let by_ref = CallKey::Ref {
        business: b.business,
        record_ref: call.record_ref,
    };
    assert!(matches!(
        store.report_call(by_ref, &hostile).await,
        Err(StoreError::NotFound)
    ));
    let sid = CallSid::parse("CA1").unwrap();
    assert!(matches!(
        store
            .call(CallKey::Provider {
                number: b.number,
                sid: &sid
            })
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.call_by_ref(a.business, call.record_ref).await.unwrap(),
        call,
        "unchanged"
    );
    // The same provider id on another number is not this call either: opening it there fails
    // rather than answering A's call.
    assert!(
        store
            .open_call(&new_call(&b, "CA1", "+12025550169", None))
            .await
            .is_err()
    );
    assert_eq!(store.recent_calls(b.business, 10).await.unwrap(), []);
}

async fn call_me_claims_stop_at_each_cap_even_when_racing(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let (v1, _) = visit(&store, &s, "fp:a").await;
    let (v2, _) = visit(&store, &s, "fp:b").await;
    let grants = |visit: VisitRef, day: &'static str, per_day: u32| {
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (store, visit) = (store.clone(), visit.clone());
                let site = s.site;
                tokio::spawn(async move {
                    let claim = CallMeClaim {
                        site,
                        visit: &visit,
                        day,
                        per_visit: 2,
                        per_day,
                    };
                    store.claim_call_me(&claim).await.unwrap()
                })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            for task in tasks {
                all.push(task.await.unwrap());
            }
            all
        }
    };
    let first = grants(v1.clone(), "2026-12-04", 3).await;
    assert_eq!(
        first.iter().filter(|g| **g == CallMeGrant::Granted).count(),
        2,
        "{first:?}"
    );
    assert!(first.contains(&CallMeGrant::VisitCapReached));
    let second = grants(v2.clone(), "2026-12-04", 3).await;
    assert_eq!(
        second.iter().filter(|g| **g == CallMeGrant::Granted).count(),
        1,
        "{second:?}"
    );
    assert!(second.contains(&CallMeGrant::DayCapReached));
    let third = grants(v2, "2026-12-05", 3).await;
    // The day refusals gave their visit places back: v2 has the one place left on a new day.
    assert_eq!(
        third.iter().filter(|g| **g == CallMeGrant::Granted).count(),
        1,
        "{third:?}"
    );
    assert!(third.iter().all(|g| *g != CallMeGrant::DayCapReached), "{third:?}");
}

async fn a_lead_is_in_call_while_a_call_is_in_progress_and_gets_its_status_back(store: SqlStore) {
    let s = setup(&store, "acme", "acme.example", "+12025550100").await;
    let first = store
        .open_call(&new_call(&s, "CA1", "+12025550169", None))
        .await
        .unwrap();
    let status = |record_ref| {
        let store = store.clone();
        async move { store.lead(s.business, record_ref).await.unwrap().status }
    };
    assert_eq!(status(first.record_ref).await, LeadStatus::InCall);
    let ended = CallReport {
        ended: true,
        ..CallReport::default()
    };
    crate::fixtures::report(&store, s.number, "CA1", &ended).await.unwrap();
    assert_eq!(status(first.record_ref).await, LeadStatus::New);
    let lead = store.lead(s.business, first.record_ref).await.unwrap();
    let contacted = LeadChange::Status(LeadStatus::Contacted);
    store
        .change_lead(s.business, lead.id, &Author::system(), &contacted)
        .await
        .unwrap();
    // Two calls of the same caller at once: the lead stays in_call until both have ended.
    store
        .open_call(&new_call(&s, "CA2", "+12025550169", None))
        .await
        .unwrap();
    store
        .open_call(&new_call(&s, "CA3", "+12025550169", None))
        .await
        .unwrap();
    assert_eq!(status(first.record_ref).await, LeadStatus::InCall);
    crate::fixtures::report(&store, s.number, "CA2", &ended).await.unwrap();
    assert_eq!(status(first.record_ref).await, LeadStatus::InCall);
    crate::fixtures::report(&store, s.number, "CA3", &ended).await.unwrap();
    assert_eq!(status(first.record_ref).await, LeadStatus::Contacted);
    // A status chosen during a call is kept when it ends.
    store
        .open_call(&new_call(&s, "CA4", "+12025550169", None))
        .await
        .unwrap();
    let qualified = LeadChange::Status(LeadStatus::Qualified);
    store
        .change_lead(s.business, lead.id, &Author::system(), &qualified)
        .await
        .unwrap();
    crate::fixtures::report(&store, s.number, "CA4", &ended).await.unwrap();
    assert_eq!(status(first.record_ref).await, LeadStatus::Qualified);
}

conformance!(
    a_lead_is_in_call_while_a_call_is_in_progress_and_gets_its_status_back,
    reserved_and_star_codes_count_in_the_keyable_spans,
    a_report_reaches_only_a_call_of_the_number_or_business_that_names_it,
    call_me_claims_stop_at_each_cap_even_when_racing,
    recent_calls_are_the_business_own_newest_first,
    a_call_gets_a_ref_a_lead_and_its_visit_story,
    a_retried_request_answers_the_same_call,
    one_person_is_one_lead,
    reports_merge_in_any_order_and_never_revive_a_call,
    a_caller_number_finds_its_recent_visit,
    codes_are_freed_only_for_their_holder,
);
