//! What ad platform integrations read and remember: marks and unmarks are events for them
//! (with the record's visit), a record reads the same whether or not it is marked (with its
//! sales as value), and what each integration sent is remembered per record — all within the
//! business.

use crate::conformance;
use crate::conversions::{ad_visit, ann, clicked_form, ended_call, gclid, named};
use crate::leads::setup;
use chrono::{Duration, TimeZone, Utc};
use leadline_core::ad_consent::AdConsent;
use leadline_core::ad_upload::{AdTarget, SendRule, Uploaded};
use leadline_core::conversion::{ConversionRecord, ConversionStore, ConversionValue};
use leadline_core::event::{EventData, EventKind};
use leadline_core::lead::{LeadChange, LeadStatus, NewSale};
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, IntegrationConfig, IntegrationId, NewIntegration};
use leadline_core::site::Currency;
use leadline_core::store::{LeadStore, OutboxStore};
use leadline_store::SqlStore;

pub(crate) fn google() -> IntegrationConfig {
    IntegrationConfig::GoogleAds(GoogleAds {
        route: GoogleAdsRoute::DataManager,
        customer_id: "1234567890".into(),
        login_customer_id: None,
        conversion_action_id: "555".into(),
        call_conversion_action_id: None,
        client_id: "c".into(),
        client_secret: "s".into(),
        refresh_token: "r".into(),
        developer_token: None,
        send: SendRule::Marked,
        enhanced: true,
        api_version: "v26".into(),
        token_url: None,
        endpoint: None,
    })
}

pub(crate) async fn integrate(
    store: &SqlStore,
    business: leadline_core::BusinessId,
    config: IntegrationConfig,
) -> IntegrationId {
    let new = NewIntegration {
        business_id: business,
        site_id: None,
        name: config.kind().into(),
        config,
    };
    store.add_integration(&new).await.unwrap().id
}

async fn marks_and_unmarks_are_events_for_the_ad_platforms_with_the_record_and_its_visit(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let ads = integrate(&store, s.business, google()).await;
    let visit = ad_visit(&store, s.site, "ga:1.1", gclid("gclid-ad")).await;
    let record_ref = ended_call(&store, &s, "CA1", "+12025550161", Some(visit)).await;
    store
        .mark_call_conversion(s.business, record_ref, &named("Booked"), &ann())
        .await
        .unwrap();
    store
        .unmark_call_conversion(s.business, record_ref, &ann())
        .await
        .unwrap();
    let now = Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now + 1, 60_000, 100).await.unwrap();
    let kinds: Vec<EventKind> = claimed.iter().map(|d| d.event.kind()).collect();
    assert_eq!(
        kinds,
        [EventKind::ConversionMarked, EventKind::ConversionUnmarked],
        "the mark and the unmark, in order (the call's end changes nothing under the marked rule)"
    );
    assert!(claimed.iter().all(|d| d.integration.id == ads));
    let marked = &claimed[0].event;
    let EventData::ConversionMarked(mark) = &marked.data else {
        panic!("{:?}", marked.data)
    };
    assert_eq!(
        (mark.change.call_ref, mark.change.name.as_str()),
        (Some(record_ref), "Booked")
    );
    assert_eq!(mark.author, ann());
    assert_eq!(marked.record_ref, Some(record_ref), "labelled with the call");
    assert_eq!(
        marked.visitor.click_ids.gclid.as_ref().map(|g| g.as_str()),
        Some("gclid-ad"),
        "the event carries the click id of the call's visit"
    );
    let EventData::ConversionUnmarked(unmark) = &claimed[1].event.data else {
        panic!("an unmark")
    };
    assert_eq!(unmark.change.call_ref, Some(record_ref));
}

async fn a_record_reads_the_same_marked_or_not_with_its_sales_as_value(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let visit = ad_visit(&store, s.site, "ga:1.1", gclid("gclid-ad")).await;
    let first = ended_call(&store, &s, "CA1", "+12025550161", Some(visit)).await;
    let again = ended_call(&store, &s, "CA2", "+12025550161", None).await;
    let lead = store.lead(s.business, first).await.unwrap();
    let sale = NewSale {
        currency: "USD".into(),
        revenue_minor: 25_000,
        cost_minor: 0,
        profit_minor: 25_000,
        call_ref: Some(first),
        form: None,
        cost_basis: None,
    };
    store
        .change_lead(s.business, lead.id, &ann(), &LeadChange::Sale(sale))
        .await
        .unwrap();
    store
        .change_lead(s.business, lead.id, &ann(), &LeadChange::Status(LeadStatus::Qualified))
        .await
        .unwrap();

    let call = |record_ref| AdTarget::Record(ConversionRecord::Call { record_ref });
    let facts = store.ad_facts(s.business, &call(first)).await.unwrap().unwrap();
    assert!(!facts.row.marked);
    assert_eq!(
        facts.row.value,
        Some(ConversionValue::new(25_000, Currency::parse("USD").unwrap()).unwrap()),
        "an unmarked record is worth its sales too"
    );
    assert_eq!(facts.row.click_ids.gclid.as_ref().map(|g| g.as_str()), Some("gclid-ad"));
    assert_eq!((facts.call_seconds, facts.first_time_caller), (Some(75), true));
    assert_eq!(facts.lead_status, LeadStatus::Qualified);
    assert_eq!(facts.lead_id, lead.id);
    assert!(facts.clicked_at.is_some_and(|at| at <= facts.row.conversion_time));
    assert_eq!(
        facts.ads_consent,
        AdConsent::Unknown,
        "no signal was read for this visit"
    );

    let repeat = store.ad_facts(s.business, &call(again)).await.unwrap().unwrap();
    assert!(!repeat.first_time_caller, "the same number's second call");

    let (message_id, form_lead) = clicked_form(&store, &s, "ann@example.com", gclid("gclid-form")).await;
    let form = AdTarget::Record(ConversionRecord::Submission {
        message_id: message_id.clone(),
    });
    let of_form = store.ad_facts(s.business, &form).await.unwrap().unwrap();
    assert_eq!(of_form.row.record, ConversionRecord::Submission { message_id });
    assert_eq!(of_form.call_seconds, None);
    let by_lead = store
        .ad_facts(s.business, &AdTarget::FirstOf(form_lead))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_lead.row.record, of_form.row.record, "a lead's first record");
    let of_caller = store
        .ad_facts(s.business, &AdTarget::FirstOf(lead.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(of_caller.row.record, ConversionRecord::Call { record_ref: first });

    let rival = setup(&store, "rival", "+12025550101").await;
    assert!(store.ad_facts(rival.business, &call(first)).await.unwrap().is_none());
    assert!(store.ad_facts(rival.business, &form).await.unwrap().is_none());
    assert!(
        store
            .ad_facts(rival.business, &AdTarget::FirstOf(lead.id))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.ad_facts(s.business, &call(999_999)).await.unwrap().is_none());
}

async fn what_an_integration_sent_is_remembered_per_record_and_replaced_by_its_adjustments(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let google_ads = integrate(&store, s.business, google()).await;
    let other = integrate(&store, s.business, google()).await;
    let theirs = integrate(&store, rival.business, google()).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 15, 0, 0).unwrap();
    let usd = |minor| Some(ConversionValue::new(minor, Currency::parse("USD").unwrap()).unwrap());
    let sent = Uploaded {
        order_id: "call-1042".into(),
        conversion_time: at,
        value: None,
        retracted: false,
        updated_at: at + Duration::minutes(5),
    };
    assert_eq!(store.ad_upload(google_ads, "call-1042").await.unwrap(), None);
    store.record_ad_upload(s.business, google_ads, &sent).await.unwrap();
    assert_eq!(
        store.ad_upload(google_ads, "call-1042").await.unwrap(),
        Some(sent.clone())
    );
    assert_eq!(
        store.ad_upload(other, "call-1042").await.unwrap(),
        None,
        "per integration"
    );

    let restated = Uploaded {
        value: usd(50_000),
        updated_at: at + Duration::days(3),
        ..sent.clone()
    };
    store.record_ad_upload(s.business, google_ads, &restated).await.unwrap();
    let retracted = Uploaded {
        retracted: true,
        updated_at: at + Duration::days(4),
        ..restated.clone()
    };
    store
        .record_ad_upload(s.business, google_ads, &retracted)
        .await
        .unwrap();
    assert_eq!(store.ad_upload(google_ads, "call-1042").await.unwrap(), Some(retracted));

    // Another business cannot write under an integration that is not its own.
    store.record_ad_upload(rival.business, google_ads, &sent).await.unwrap();
    assert!(
        store
            .ad_upload(google_ads, "call-1042")
            .await
            .unwrap()
            .unwrap()
            .retracted
    );
    assert_eq!(store.ad_upload(theirs, "call-1042").await.unwrap(), None);
}

conformance!(
    marks_and_unmarks_are_events_for_the_ad_platforms_with_the_record_and_its_visit,
    a_record_reads_the_same_marked_or_not_with_its_sales_as_value,
    what_an_integration_sent_is_remembered_per_record_and_replaced_by_its_adjustments,
);
