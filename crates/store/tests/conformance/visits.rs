use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use leadline_core::SiteId;
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::store::{NumberStore, StoreError, VisitStore};
use leadline_core::visit::{
    AllocationPolicy, CodeOutcome, CodePlan, CodeRequest, NewVisit, PoolKey, Selector, Touch, VisitRef,
};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_store::SqlStore;
use std::collections::{BTreeMap, HashSet};

const MINUTE: i64 = 60_000;

/// A site with a tracking number, and the page-load code plan for it.
pub(crate) struct Setup {
    pub site: SiteId,
    pub pool: PoolKey,
}

impl Setup {
    pub fn plan(&self, policy: AllocationPolicy) -> CodePlan {
        CodePlan::Visit(CodeRequest {
            pool: self.pool,
            policy,
        })
    }

    fn click_plan(&self) -> CodePlan {
        CodePlan::Click(CodeRequest {
            pool: self.pool,
            policy: policy(),
        })
    }
}

pub(crate) fn policy() -> AllocationPolicy {
    AllocationPolicy {
        idle_ms: 30 * MINUTE,
        max_live: 10_000,
        quarantine_ms: 0,
    }
}

pub(crate) async fn setup(store: &SqlStore) -> Setup {
    let acme = business(store, "acme").await;
    let s = site(store, acme.id, "acme.example").await;
    Setup {
        site: s.id,
        pool: tracking_number(store, s.id, "+12025550100").await,
    }
}

pub(crate) fn new_visit(site: SiteId, visitor: &str) -> NewVisit {
    NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(visitor).unwrap(),
        landing_url: "https://acme.example/sofas?utm_source=news".into(),
        referrer: Some("https://news.example/".into()),
        title: Some("Sofas".into()),
        attribution: Attribution {
            source: "news".into(),
            medium: "email".into(),
            campaign: Some("spring".into()),
            term: None,
            content: None,
        },
        click_ids: ClickIds {
            gclid: Some(ClickId::parse(ClickKind::Gclid, "abc").unwrap()),
            gbraid: None,
            wbraid: None,
            msclkid: None,
            fbclid: None,
        },
        ga_cookie: Some("GA1.2.111.222".into()),
        ga_streams: BTreeMap::from([("_ga_X1".to_owned(), "GS1.1.1700000000.1.1.1700000000.0.0.0".to_owned())]),
        utma: None,
        device: Device::Desktop,
        temp_id: None,
        ads_consent: Default::default(),
    }
}

async fn codes_are_the_smallest_free_integers(store: SqlStore) {
    let s = setup(&store).await;
    let mut codes = Vec::new();
    for i in 0..3 {
        let state = store
            .register_visit(&new_visit(s.site, &format!("fp:v{i}")), s.plan(policy()))
            .await
            .unwrap();
        assert_eq!(state.outcome, CodeOutcome::Allocated);
        codes.push(state.code.unwrap());
    }
    assert_eq!(codes, [1, 2, 3]);
    assert!(store.free_code(s.pool, 2).await.unwrap());
    assert!(!store.free_code(s.pool, 2).await.unwrap(), "freeing twice is a no-op");
    let next = store
        .register_visit(&new_visit(s.site, "fp:v9"), s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(next.code, Some(2), "the freed code is the smallest free one");
    let after = store
        .register_visit(&new_visit(s.site, "fp:v10"), s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(after.code, Some(4));
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 4);
}

async fn a_visit_keeps_what_the_page_said(store: SqlStore) {
    let s = setup(&store).await;
    let new = new_visit(s.site, "ga:111.222");
    store.register_visit(&new, s.plan(policy())).await.unwrap();
    let visit = store.visit(s.site, &new.public_id).await.unwrap();
    assert_eq!(visit.attribution, new.attribution);
    assert_eq!(visit.click_ids, new.click_ids);
    assert_eq!(visit.ga_streams, new.ga_streams);
    assert_eq!(visit.visitor_key.as_str(), "ga:111.222");
    assert_eq!(visit.page_views, 1);
    let pages = store.visit_pages(s.site, &new.public_id).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].title.as_deref(), Some("Sofas"));
}

async fn a_returning_visitor_keeps_a_live_code(store: SqlStore) {
    let s = setup(&store).await;
    let first = store
        .register_visit(&new_visit(s.site, "ga:1.2"), s.plan(policy()))
        .await
        .unwrap();
    store
        .register_visit(&new_visit(s.site, "ga:9.9"), s.plan(policy()))
        .await
        .unwrap();
    let again = new_visit(s.site, "ga:1.2");
    let second = store.register_visit(&again, s.plan(policy())).await.unwrap();
    assert_eq!(second.code, first.code);
    assert_eq!(second.outcome, CodeOutcome::Returning);
    let holder = store.live_code(s.pool, first.code.unwrap()).await.unwrap();
    assert_eq!(holder.visit, again.public_id, "the code now names the newest visit");
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 2);
}

async fn reserved_codes_are_never_handed_out(store: SqlStore) {
    let s = setup(&store).await;
    store.reserve_code(s.pool, 2, &name("Spring flyer")).await.unwrap();
    store.reserve_code(s.pool, 3, &name("Radio ad")).await.unwrap();
    let mut codes = Vec::new();
    for i in 0..3 {
        codes.push(
            store
                .register_visit(&new_visit(s.site, &format!("fp:r{i}")), s.plan(policy()))
                .await
                .unwrap()
                .code,
        );
    }
    assert_eq!(codes, [Some(1), Some(4), Some(5)]);
    let live = store.reserve_code(s.pool, 4, &name("Too late")).await.unwrap_err();
    assert!(
        matches!(live, StoreError::Conflict(ref m) if m.contains("live")),
        "{live:?}"
    );
    let twice = store.reserve_code(s.pool, 2, &name("Again")).await.unwrap_err();
    assert!(matches!(twice, StoreError::Conflict(_)), "{twice:?}");
    store.free_code(s.pool, 1).await.unwrap();
    store
        .reserve_code(s.pool, 1, &name("Freed, then reserved"))
        .await
        .unwrap();
    let next = store
        .register_visit(&new_visit(s.site, "fp:r9"), s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(next.code, Some(6));
}

async fn concurrent_registrations_never_share_a_live_code(store: SqlStore) {
    let s = setup(&store).await;
    let plan = s.plan(policy());
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .register_visit(&new_visit(s.site, &format!("fp:c{i}")), plan)
                    .await
            })
        })
        .collect();
    let mut codes = HashSet::new();
    for task in tasks {
        let code = task.await.unwrap().unwrap().code.unwrap();
        assert!(codes.insert(code), "code {code} handed out twice");
    }
    assert_eq!(codes, (1..=40).collect::<HashSet<u64>>());
}

async fn idle_codes_are_swept_and_reused(store: SqlStore) {
    let s = setup(&store).await;
    let quick = AllocationPolicy { idle_ms: 0, ..policy() };
    let gone = store
        .register_visit(&new_visit(s.site, "fp:idle"), s.plan(quick))
        .await
        .unwrap();
    let kept = store
        .register_visit(&new_visit(s.site, "fp:busy"), s.plan(policy()))
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis() + 1;
    assert_eq!(store.sweep_expired(now, 100).await.unwrap(), 1);
    assert!(matches!(
        store.live_code(s.pool, gone.code.unwrap()).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.live_code(s.pool, kept.code.unwrap()).await.is_ok());
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 1);
    let reused = store
        .register_visit(&new_visit(s.site, "fp:new"), s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(reused.code, gone.code);
    let touched = store
        .touch_visit(s.site, &gone.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(
        touched.outcome,
        CodeOutcome::Allocated,
        "a visit whose code was swept gets a new one"
    );
    assert_eq!(touched.code, Some(3));
}

async fn a_heartbeat_keeps_the_code_alive(store: SqlStore) {
    let s = setup(&store).await;
    let quick = AllocationPolicy { idle_ms: 0, ..policy() };
    let state = store
        .register_visit(&new_visit(s.site, "fp:hb"), s.plan(quick))
        .await
        .unwrap();
    let touched = store
        .touch_visit(s.site, &state.visit, &Touch::Heartbeat, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!((touched.code, touched.outcome), (state.code, CodeOutcome::Kept));
    let now = chrono::Utc::now().timestamp_millis() + 1;
    assert_eq!(
        store.sweep_expired(now, 100).await.unwrap(),
        0,
        "the refreshed code must survive the sweep"
    );
    let page = Touch::PageView {
        url: "https://acme.example/contact".into(),
        title: None,
    };
    store
        .touch_visit(s.site, &state.visit, &page, s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(store.visit(s.site, &state.visit).await.unwrap().page_views, 2);
    assert_eq!(
        store.visit_pages(s.site, &state.visit).await.unwrap()[1].url,
        "https://acme.example/contact"
    );
}

async fn a_full_site_evicts_its_longest_idle_code(store: SqlStore) {
    let s = setup(&store).await;
    let capped = AllocationPolicy {
        max_live: 3,
        ..policy()
    };
    let mut states = Vec::new();
    for i in 0..3 {
        states.push(
            store
                .register_visit(&new_visit(s.site, &format!("fp:f{i}")), s.plan(capped))
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .touch_visit(s.site, &states[0].visit, &Touch::Heartbeat, s.plan(capped))
        .await
        .unwrap();
    let flood = store
        .register_visit(&new_visit(s.site, "fp:flood"), s.plan(capped))
        .await
        .unwrap();
    assert!(flood.evicted);
    assert_eq!(
        flood.code, states[1].code,
        "the idlest code (the second visit's) was evicted and reused"
    );
    assert_eq!(store.live_codes_of_site(s.site).await.unwrap(), 3);
    let active = store.live_code(s.pool, states[0].code.unwrap()).await.unwrap();
    assert_eq!(active.visit, states[0].visit, "the active visitor keeps their code");
}

async fn freed_codes_rest_through_the_quarantine(store: SqlStore) {
    let s = setup(&store).await;
    let resting = AllocationPolicy {
        quarantine_ms: 10 * MINUTE,
        ..policy()
    };
    store
        .register_visit(&new_visit(s.site, "fp:q1"), s.plan(resting))
        .await
        .unwrap();
    store.free_code(s.pool, 1).await.unwrap();
    let next = store
        .register_visit(&new_visit(s.site, "fp:q2"), s.plan(resting))
        .await
        .unwrap();
    assert_eq!(next.code, Some(2), "code 1 is still resting");
    let eager = store
        .register_visit(&new_visit(s.site, "fp:q3"), s.plan(policy()))
        .await
        .unwrap();
    assert_eq!(eager.code, Some(1), "without quarantine it is reused");
}

async fn click_mode_codes_belong_to_clicks(store: SqlStore) {
    let s = setup(&store).await;
    let visit = store
        .register_visit(&new_visit(s.site, "fp:k1"), CodePlan::None)
        .await
        .unwrap();
    assert_eq!((visit.code, visit.outcome), (None, CodeOutcome::None));
    let click = Touch::Click {
        element: "call-now".into(),
        url: "https://acme.example/contact".into(),
        spot: None,
    };
    let first = store
        .touch_visit(s.site, &visit.visit, &click, s.click_plan())
        .await
        .unwrap();
    assert_eq!((first.code, first.outcome), (Some(1), CodeOutcome::Allocated));
    let again = store
        .touch_visit(s.site, &visit.visit, &click, s.click_plan())
        .await
        .unwrap();
    assert_eq!((again.code, again.outcome), (Some(1), CodeOutcome::Kept));
    let peek = store
        .touch_visit(s.site, &visit.visit, &Touch::Heartbeat, CodePlan::Peek)
        .await
        .unwrap();
    assert_eq!(peek.code, Some(1));
    let other = store
        .register_visit(&new_visit(s.site, "fp:k2"), CodePlan::None)
        .await
        .unwrap();
    let second = store
        .touch_visit(s.site, &other.visit, &click, s.click_plan())
        .await
        .unwrap();
    assert_eq!(second.code, Some(2));
    let clicks = store.visit_clicks(s.site, &visit.visit).await.unwrap();
    assert_eq!(clicks.len(), 2);
    assert_eq!(clicks[1].element, "call-now");
    let holder = store.live_code(s.pool, 1).await.unwrap();
    assert_eq!(holder.intent, Some(clicks[1].id), "the code names the newest click");
}

async fn the_star_pool_is_a_separate_space(store: SqlStore) {
    let s = setup(&store).await;
    let star = PoolKey {
        selector: Selector::Star,
        ..s.pool
    };
    let plain = store
        .register_visit(&new_visit(s.site, "fp:p"), s.plan(policy()))
        .await
        .unwrap();
    let starred = CodePlan::Visit(CodeRequest {
        pool: star,
        policy: policy(),
    });
    let other = store.register_visit(&new_visit(s.site, "fp:s"), starred).await.unwrap();
    assert_eq!((plain.code, other.code), (Some(1), Some(1)));
    assert_eq!(store.live_code(star, 1).await.unwrap().visit, other.visit);
}

async fn custom_variables_merge_or_replace(store: SqlStore) {
    let s = setup(&store).await;
    let state = store
        .register_visit(&new_visit(s.site, "fp:vars"), s.plan(policy()))
        .await
        .unwrap();
    let set = |pairs: &[(&str, &str)], replace| Touch::SetVars {
        vars: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        replace,
    };
    store
        .touch_visit(
            s.site,
            &state.visit,
            &set(&[("language", "en"), ("product", "sofa")], false),
            s.plan(policy()),
        )
        .await
        .unwrap();
    store
        .touch_visit(
            s.site,
            &state.visit,
            &set(&[("language", "es")], false),
            s.plan(policy()),
        )
        .await
        .unwrap();
    let custom = store.visit(s.site, &state.visit).await.unwrap().custom;
    assert_eq!(custom.get("language").map(String::as_str), Some("es"));
    assert_eq!(custom.get("product").map(String::as_str), Some("sofa"));
    store
        .touch_visit(s.site, &state.visit, &set(&[("color", "red")], true), s.plan(policy()))
        .await
        .unwrap();
    let custom = store.visit(s.site, &state.visit).await.unwrap().custom;
    assert_eq!(custom.keys().collect::<Vec<_>>(), ["color"]);
    let bad = store
        .touch_visit(
            s.site,
            &state.visit,
            &set(&[("bad name", "x")], false),
            s.plan(policy()),
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
}

async fn another_site_cannot_touch_or_read_a_visit(store: SqlStore) {
    let s = setup(&store).await;
    let rival = business(&store, "rival").await;
    let rival_site = site(&store, rival.id, "rival.example").await;
    let state = store
        .register_visit(&new_visit(s.site, "fp:t"), s.plan(policy()))
        .await
        .unwrap();
    let err = store
        .touch_visit(rival_site.id, &state.visit, &Touch::Heartbeat, CodePlan::None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(matches!(
        store.visit(rival_site.id, &state.visit).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.visit_pages(rival_site.id, &state.visit).await,
        Err(StoreError::NotFound)
    ));
    let unknown = store
        .touch_visit(s.site, &VisitRef::generate(), &Touch::Heartbeat, CodePlan::None)
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

async fn a_site_shows_its_oldest_number(store: SqlStore) {
    let s = setup(&store).await;
    let number = store.number_for_site(s.site).await.unwrap().unwrap();
    assert_eq!(number.id, s.pool.number);
    let bare = business(&store, "bare").await;
    let bare_site = site(&store, bare.id, "bare.example").await;
    assert!(store.number_for_site(bare_site.id).await.unwrap().is_none());
}

conformance!(
    codes_are_the_smallest_free_integers,
    a_visit_keeps_what_the_page_said,
    a_returning_visitor_keeps_a_live_code,
    reserved_codes_are_never_handed_out,
    concurrent_registrations_never_share_a_live_code,
    idle_codes_are_swept_and_reused,
    a_heartbeat_keeps_the_code_alive,
    a_full_site_evicts_its_longest_idle_code,
    freed_codes_rest_through_the_quarantine,
    click_mode_codes_belong_to_clicks,
    the_star_pool_is_a_separate_space,
    custom_variables_merge_or_replace,
    another_site_cannot_touch_or_read_a_visit,
    a_site_shows_its_oldest_number,
);
