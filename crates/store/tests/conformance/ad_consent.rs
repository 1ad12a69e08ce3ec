//! Advertising consent: a visit keeps the signal it was registered with (granted, denied or
//! none), and an ad integration's look at a call or form carries its visit's signal and its
//! site's *Ad platforms* setting, so ad platforms hear of nothing a visitor or site refused.

use crate::conformance;
use crate::leads::{Setup, call, setup};
use crate::visits::new_visit;
use leadline_core::LeadId;
use leadline_core::ad_upload::{AdConsent, AdFacts, AdTarget, AdsPolicy};
use leadline_core::conversion::{ConversionRecord, ConversionStore};
use leadline_core::store::{SiteStore, VisitStore};
use leadline_core::visit::{CodePlan, VisitRef};
use leadline_store::SqlStore;

/// A visit whose signal was `consent`.
async fn visit(store: &SqlStore, s: &Setup, visitor: &str, consent: AdConsent) -> VisitRef {
    let mut new = new_visit(s.site, visitor);
    new.ads_consent = consent;
    store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// What an ad integration reads of the call `record_ref`.
async fn facts_of_call(store: &SqlStore, s: &Setup, record_ref: u64) -> AdFacts {
    let target = AdTarget::Record(ConversionRecord::Call { record_ref });
    store.ad_facts(s.business, &target).await.unwrap().expect("the call")
}

async fn a_visit_keeps_its_ad_consent_signal(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    for (visitor, consent) in [
        ("fp:granted", AdConsent::Granted),
        ("fp:denied", AdConsent::Denied),
        ("fp:unknown", AdConsent::Unknown),
    ] {
        let id = visit(&store, &s, visitor, consent).await;
        let stored = store.visit(s.site, &id).await.unwrap();
        assert_eq!(stored.ads_consent, consent, "{visitor}");
        assert_eq!(
            stored.visitor_key.as_str(),
            visitor,
            "the key is the visitor's whatever the signal"
        );
    }
}

async fn ad_facts_carry_the_visits_signal_and_the_sites_choice(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let refused = visit(&store, &s, "fp:refused", AdConsent::Denied).await;
    let granted = visit(&store, &s, "fp:granted", AdConsent::Granted).await;
    let refused_call = call(
        &store,
        &s,
        "CA00000000000000000000000000000001",
        "+12025550111",
        Some(refused),
    )
    .await;
    let granted_call = call(
        &store,
        &s,
        "CA00000000000000000000000000000002",
        "+12025550122",
        Some(granted),
    )
    .await;
    let walk_in = call(&store, &s, "CA00000000000000000000000000000003", "+12025550133", None).await;

    let facts = facts_of_call(&store, &s, refused_call.record_ref).await;
    assert_eq!(
        (facts.ads_consent, facts.ads_policy),
        (AdConsent::Denied, AdsPolicy::Signal)
    );
    let facts = facts_of_call(&store, &s, granted_call.record_ref).await;
    assert_eq!(facts.ads_consent, AdConsent::Granted);
    let facts = facts_of_call(&store, &s, walk_in.record_ref).await;
    assert_eq!(facts.ads_consent, AdConsent::Unknown, "no visit, no signal");
    let first = store
        .ad_facts(s.business, &AdTarget::FirstOf(LeadId(refused_call.lead_id)))
        .await
        .unwrap()
        .expect("the lead's first record");
    assert_eq!(first.ads_consent, AdConsent::Denied, "a lead's first record, too");

    let site = store.site(s.business, s.site).await.unwrap();
    let mut settings = site.settings.clone();
    settings.ad_platforms = AdsPolicy::GrantedOnly;
    store.update_site_settings(s.business, s.site, &settings).await.unwrap();
    let read = store.site(s.business, s.site).await.unwrap();
    assert_eq!(
        read.settings.ad_platforms,
        AdsPolicy::GrantedOnly,
        "the choice reads back"
    );
    let facts = facts_of_call(&store, &s, granted_call.record_ref).await;
    assert_eq!(
        (facts.ads_consent, facts.ads_policy),
        (AdConsent::Granted, AdsPolicy::GrantedOnly)
    );

    // Another business's site with `never` does not leak into this one's records.
    let rival = setup(&store, "rival", "+12025550101").await;
    let mut never = store.site(rival.business, rival.site).await.unwrap().settings;
    never.ad_platforms = AdsPolicy::Never;
    store
        .update_site_settings(rival.business, rival.site, &never)
        .await
        .unwrap();
    let facts = facts_of_call(&store, &s, walk_in.record_ref).await;
    assert_eq!(facts.ads_policy, AdsPolicy::GrantedOnly);
}

conformance!(
    a_visit_keeps_its_ad_consent_signal,
    ad_facts_carry_the_visits_signal_and_the_sites_choice,
);
