//! Conversion marks and export rows: marked records only unless asked, the mark's name and
//! value (else the lead's sales), the window and the site, and tenant isolation.

use crate::conformance;
use crate::fixtures::site;
use crate::leads::{Setup, call, contact, form, setup};
use chrono::{Duration, Utc};
use leadline_core::call::CallReport;
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{
    ConversionKind, ConversionMark, ConversionName, ConversionQuery, ConversionRecord, ConversionRow, ConversionStore,
    ConversionValue,
};
use leadline_core::form::{FormIdentity, MessageId};
use leadline_core::lead::{ActivityKind, Author, LeadChange, NewSale};
use leadline_core::net::Email;
use leadline_core::site::Currency;
use leadline_core::store::{LeadStore, StoreError, StoreResult, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{BusinessId, LeadId, SiteId};
use leadline_store::SqlStore;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Debug;

pub(crate) fn ann() -> Author {
    Author::user(&Email::parse("ann@acme.example").unwrap())
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub(crate) fn named(name: &str) -> ConversionMark {
    ConversionMark {
        name: ConversionName::parse(name).unwrap(),
        value: None,
    }
}

fn worth(name: &str, minor: i64, code: &str) -> ConversionMark {
    ConversionMark {
        name: ConversionName::parse(name).unwrap(),
        value: Some(ConversionValue::new(minor, Currency::parse(code).unwrap()).unwrap()),
    }
}

fn not_found<T: Debug>(what: &str, result: StoreResult<T>) {
    assert!(matches!(result, Err(StoreError::NotFound)), "{what}: {result:?}");
}

/// A visit from an ad with these click ids.
pub(crate) async fn ad_visit(store: &SqlStore, site: SiteId, visitor: &str, click_ids: ClickIds) -> VisitRef {
    let new = NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(visitor).unwrap(),
        landing_url: "https://acme.example/sofas".into(),
        referrer: None,
        title: None,
        attribution: Attribution {
            source: "google".into(),
            medium: "cpc".into(),
            campaign: None,
            term: None,
            content: None,
        },
        click_ids,
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Mobile,
        temp_id: None,
        ads_consent: Default::default(),
    };
    store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

pub(crate) fn gclid(id: &str) -> ClickIds {
    ClickIds {
        gclid: Some(ClickId::parse(ClickKind::Gclid, id).unwrap()),
        ..ClickIds::default()
    }
}

/// A call that has ended, from `caller`, from `visit`.
pub(crate) async fn ended_call(store: &SqlStore, s: &Setup, sid: &str, caller: &str, visit: Option<VisitRef>) -> u64 {
    let opened = call(store, s, sid, caller, visit).await;
    let report = CallReport {
        ended: true,
        duration_seconds: Some(75),
        ..CallReport::default()
    };
    crate::fixtures::report(store, s.number, sid, &report).await.unwrap();
    opened.record_ref
}

/// A submission whose form carried these click ids (no visit known); answers its id and lead.
pub(crate) async fn clicked_form(store: &SqlStore, s: &Setup, email: &str, click_ids: ClickIds) -> (MessageId, LeadId) {
    let identity = FormIdentity {
        click_ids,
        ..FormIdentity::default()
    };
    let sub = store
        .add_submission(&form(s, contact(None, Some(email), None), identity))
        .await
        .unwrap();
    (sub.message_id, sub.lead_id)
}

fn query(business: BusinessId, kind: ConversionKind, include_unmarked: bool) -> ConversionQuery {
    ConversionQuery {
        business,
        site: None,
        kind,
        from: None,
        to: None,
        include_unmarked,
    }
}

/// What a row names, in a form easy to compare: "call 1000" or "form m_…".
fn label(row: &ConversionRow) -> String {
    match &row.record {
        ConversionRecord::Call { record_ref } => format!("call {record_ref}"),
        ConversionRecord::Submission { message_id } => format!("form {}", message_id.as_str()),
    }
}

async fn labels(store: &SqlStore, q: &ConversionQuery) -> Vec<String> {
    let mut found: Vec<String> = store.conversion_rows(q).await.unwrap().iter().map(label).collect();
    found.sort();
    found
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

async fn only_marked_records_are_listed_unless_unmarked_ones_are_asked_for(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v1 = ad_visit(&store, s.site, "ga:1.1", gclid("gclid-marked")).await;
    let v2 = ad_visit(&store, s.site, "ga:2.2", gclid("gclid-unmarked")).await;
    let marked_call = ended_call(&store, &s, "CA1", "+12025550161", Some(v1)).await;
    let unmarked_call = ended_call(&store, &s, "CA2", "+12025550162", Some(v2)).await;
    let plain_call = ended_call(&store, &s, "CA3", "+12025550163", None).await;
    let gbraid = ClickIds {
        gbraid: Some(ClickId::parse(ClickKind::Gbraid, "gbraid-form").unwrap()),
        ..ClickIds::default()
    };
    let (marked_form, _) = clicked_form(&store, &s, "ann@example.com", gbraid).await;
    let msclkid = ClickIds {
        msclkid: Some(ClickId::parse(ClickKind::Msclkid, "msclkid-form").unwrap()),
        ..ClickIds::default()
    };
    let (unmarked_form, _) = clicked_form(&store, &s, "ben@example.com", msclkid).await;
    let (plain_form, _) = clicked_form(&store, &s, "cy@example.com", ClickIds::default()).await;

    let mark = store
        .mark_call_conversion(s.business, marked_call, &named("Phone Call"), &ann())
        .await
        .unwrap();
    assert_eq!(
        mark.record,
        ConversionRecord::Call {
            record_ref: marked_call
        }
    );
    assert_eq!(mark.marked_by, ann());
    store
        .mark_submission_conversion(
            s.business,
            &marked_form,
            &worth("Quote, signed", 120_050, "USD"),
            &ann(),
        )
        .await
        .unwrap();

    let call = |r: u64| format!("call {r}");
    let form = |m: &MessageId| format!("form {}", m.as_str());
    let clicks = query(s.business, ConversionKind::Click, false);
    assert_eq!(
        labels(&store, &clicks).await,
        sorted(vec![call(marked_call), form(&marked_form)]),
        "records nobody marked are left out"
    );
    let rows = store.conversion_rows(&clicks).await.unwrap();
    let by_call = rows.iter().find(|r| label(r) == call(marked_call)).unwrap();
    assert_eq!(
        by_call.click_ids.gclid.as_ref().map(ClickId::as_str),
        Some("gclid-marked")
    );
    assert_eq!(by_call.name.as_str(), "Phone Call");
    assert_eq!(by_call.caller.as_deref(), Some("+12025550161"));
    assert!(by_call.call_started_at.unwrap() <= by_call.conversion_time);
    assert_eq!(by_call.timezone.name(), "America/New_York");
    assert!(by_call.marked);
    let by_form = rows.iter().find(|r| label(r) == form(&marked_form)).unwrap();
    assert_eq!(
        by_form.click_ids.gbraid.as_ref().map(ClickId::as_str),
        Some("gbraid-form")
    );
    assert_eq!(by_form.name.as_str(), "Quote, signed");
    assert_eq!(by_form.value, Some(ConversionValue::new(120_050, usd()).unwrap()));
    assert_eq!((by_form.caller.as_ref(), by_form.call_started_at), (None, None));

    let all_clicks = query(s.business, ConversionKind::Click, true);
    assert_eq!(
        labels(&store, &all_clicks).await,
        sorted(vec![
            call(marked_call),
            call(unmarked_call),
            form(&marked_form),
            form(&unmarked_form)
        ]),
        "unmarked records with an ad click id, and only those"
    );
    let rows = store.conversion_rows(&all_clicks).await.unwrap();
    let unmarked = rows.iter().find(|r| label(r) == form(&unmarked_form)).unwrap();
    assert_eq!(
        (unmarked.name.as_str(), unmarked.value, unmarked.marked),
        ("Form", None, false)
    );
    assert_eq!(
        unmarked.click_ids.msclkid.as_ref().map(ClickId::as_str),
        Some("msclkid-form")
    );
    let unmarked = rows.iter().find(|r| label(r) == call(unmarked_call)).unwrap();
    assert_eq!(
        (unmarked.name.as_str(), unmarked.value, unmarked.marked),
        ("Phone Call", None, false)
    );
    assert!(
        rows.windows(2).all(|w| w[0].conversion_time <= w[1].conversion_time),
        "oldest conversion first"
    );
    assert!(!labels(&store, &all_clicks).await.contains(&form(&plain_form)));

    assert_eq!(
        labels(&store, &query(s.business, ConversionKind::Call, false)).await,
        vec![call(marked_call)],
        "call exports list calls only"
    );
    assert_eq!(
        labels(&store, &query(s.business, ConversionKind::Call, true)).await,
        sorted(vec![call(marked_call), call(unmarked_call), call(plain_call)]),
        "every call, with a click id or not"
    );
}

async fn a_mark_without_a_value_takes_the_sales_of_its_call_else_of_its_lead(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let sold_call = ended_call(&store, &s, "CA1", "+12025550161", None).await;
    let lead_call = ended_call(&store, &s, "CA2", "+12025550162", None).await;
    let unsold_call = ended_call(&store, &s, "CA3", "+12025550163", None).await;
    let (sold_form, form_lead) = clicked_form(&store, &s, "ann@example.com", gclid("g-form")).await;
    let sale = |currency: &str, revenue: i64, call_ref: Option<u64>| {
        LeadChange::Sale(NewSale {
            currency: currency.into(),
            revenue_minor: revenue,
            cost_minor: 0,
            profit_minor: revenue,
            call_ref,
            form: None,
            cost_basis: None,
        })
    };
    let first = store.lead(s.business, sold_call).await.unwrap().id;
    // 5.00 tied to the call, 90.00 on its lead: the call is worth 5.00.
    for change in [sale("USD", 500, Some(sold_call)), sale("USD", 9_000, None)] {
        store.change_lead(s.business, first, &ann(), &change).await.unwrap();
    }
    // No sale tied to the call: the lead's total in the site's currency.
    let second = store.lead(s.business, lead_call).await.unwrap().id;
    for change in [sale("EUR", 700, None), sale("USD", 120_050, None)] {
        store.change_lead(s.business, second, &ann(), &change).await.unwrap();
    }
    // A form: its lead's total, in the only currency there is.
    store
        .change_lead(s.business, form_lead, &ann(), &sale("JPY", 15_000, None))
        .await
        .unwrap();
    for record_ref in [sold_call, lead_call, unsold_call] {
        store
            .mark_call_conversion(s.business, record_ref, &named("Phone Call"), &ann())
            .await
            .unwrap();
    }
    store
        .mark_submission_conversion(s.business, &sold_form, &named("Form"), &ann())
        .await
        .unwrap();
    let rows = store
        .conversion_rows(&query(s.business, ConversionKind::Click, false))
        .await
        .unwrap();
    let values: BTreeMap<String, Option<(i64, &str)>> = rows
        .iter()
        .map(|r| (label(r), r.value.map(|v| (v.minor, v.currency.code()))))
        .collect();
    assert_eq!(values[&format!("call {sold_call}")], Some((500, "USD")));
    assert_eq!(values[&format!("call {lead_call}")], Some((120_050, "USD")));
    assert_eq!(values[&format!("call {unsold_call}")], None, "no sale, no value");
    assert_eq!(values[&format!("form {}", sold_form.as_str())], Some((15_000, "JPY")));

    // A value the operator gives wins over the sales.
    store
        .mark_call_conversion(s.business, sold_call, &worth("Phone Call", 42, "USD"), &ann())
        .await
        .unwrap();
    let rows = store
        .conversion_rows(&query(s.business, ConversionKind::Call, false))
        .await
        .unwrap();
    let row = rows.iter().find(|r| label(r) == format!("call {sold_call}")).unwrap();
    assert_eq!(row.value, Some(ConversionValue::new(42, usd()).unwrap()));
}

async fn marking_again_replaces_the_mark_and_unmarking_removes_it(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = ad_visit(&store, s.site, "ga:1.1", gclid("g1")).await;
    let record_ref = ended_call(&store, &s, "CA1", "+12025550161", Some(v)).await;
    let (message, _) = clicked_form(&store, &s, "ann@example.com", gclid("g2")).await;
    store
        .mark_call_conversion(s.business, record_ref, &named("Phone Call"), &ann())
        .await
        .unwrap();
    let bot = Author::api_key("ll_abcdef");
    let again = store
        .mark_call_conversion(s.business, record_ref, &worth("Booked visit", 9_900, "EUR"), &bot)
        .await
        .unwrap();
    assert_eq!(again.name.as_str(), "Booked visit");
    assert_eq!(again.marked_by, bot);
    assert_eq!(again.value.unwrap().currency.code(), "EUR");
    let rows = store
        .conversion_rows(&query(s.business, ConversionKind::Click, false))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one mark per record");
    assert_eq!(rows[0].name.as_str(), "Booked visit");
    assert_eq!(
        rows[0].value,
        Some(ConversionValue::new(9_900, Currency::parse("EUR").unwrap()).unwrap())
    );

    store
        .mark_submission_conversion(s.business, &message, &named("Form"), &ann())
        .await
        .unwrap();
    assert!(
        store
            .unmark_call_conversion(s.business, record_ref, &Author::system())
            .await
            .unwrap()
    );
    assert!(
        !store
            .unmark_call_conversion(s.business, record_ref, &Author::system())
            .await
            .unwrap(),
        "already unmarked"
    );
    assert!(
        store
            .unmark_submission_conversion(s.business, &message, &Author::system())
            .await
            .unwrap()
    );
    assert!(
        !store
            .unmark_submission_conversion(s.business, &message, &Author::system())
            .await
            .unwrap()
    );
    assert!(
        store
            .conversion_rows(&query(s.business, ConversionKind::Click, false))
            .await
            .unwrap()
            .is_empty()
    );
    not_found(
        "mark an unknown call",
        store
            .mark_call_conversion(s.business, 999_999, &named("Phone Call"), &ann())
            .await,
    );
    not_found(
        "mark a ref too large",
        store
            .mark_call_conversion(s.business, u64::MAX, &named("Phone Call"), &ann())
            .await,
    );
    not_found(
        "mark an unknown submission",
        store
            .mark_submission_conversion(s.business, &MessageId::generate(), &named("Form"), &ann())
            .await,
    );
    not_found(
        "unmark an unknown call",
        store
            .unmark_call_conversion(s.business, 999_999, &Author::system())
            .await,
    );
}

async fn the_window_and_the_site_narrow_the_rows(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other_site = site(&store, s.business, "shop.acme.example").await;
    let here = ended_call(&store, &s, "CA1", "+12025550161", None).await;
    let elsewhere = Setup {
        business: s.business,
        site: other_site.id,
        number: s.number,
    };
    let (there, _) = clicked_form(&store, &elsewhere, "ann@example.com", gclid("g-there")).await;
    store
        .mark_call_conversion(s.business, here, &named("Phone Call"), &ann())
        .await
        .unwrap();
    store
        .mark_submission_conversion(s.business, &there, &named("Form"), &ann())
        .await
        .unwrap();
    let mut q = query(s.business, ConversionKind::Click, false);
    assert_eq!(store.conversion_rows(&q).await.unwrap().len(), 2, "every site");
    q.site = Some(s.site);
    assert_eq!(labels(&store, &q).await, vec![format!("call {here}")]);
    q.site = Some(other_site.id);
    assert_eq!(labels(&store, &q).await, vec![format!("form {}", there.as_str())]);
    let rows = store.conversion_rows(&q).await.unwrap();
    assert_eq!(rows[0].site_id, other_site.id);

    q.site = None;
    let now = Utc::now();
    q.from = Some(now - Duration::hours(1));
    q.to = Some(now + Duration::hours(1));
    assert_eq!(store.conversion_rows(&q).await.unwrap().len(), 2, "inside the window");
    q.from = Some(now + Duration::hours(1));
    q.to = None;
    assert!(
        store.conversion_rows(&q).await.unwrap().is_empty(),
        "after the window's start"
    );
    q.from = None;
    q.to = Some(now - Duration::hours(1));
    assert!(
        store.conversion_rows(&q).await.unwrap().is_empty(),
        "before the window's end"
    );
}

async fn another_business_can_neither_mark_nor_export_the_records(store: SqlStore) {
    let a = setup(&store, "acme", "+12025550100").await;
    let b = setup(&store, "rival", "+12025550101").await;
    let v = ad_visit(&store, a.site, "ga:1.1", gclid("g-acme")).await;
    let a_call = ended_call(&store, &a, "CA1", "+12025550161", Some(v)).await;
    let (a_form, _) = clicked_form(&store, &a, "ann@example.com", gclid("g-form")).await;
    store
        .mark_call_conversion(a.business, a_call, &named("Phone Call"), &ann())
        .await
        .unwrap();
    store
        .mark_submission_conversion(a.business, &a_form, &named("Form"), &ann())
        .await
        .unwrap();

    not_found(
        "mark another's call",
        store
            .mark_call_conversion(b.business, a_call, &named("Stolen"), &ann())
            .await,
    );
    not_found(
        "mark another's submission",
        store
            .mark_submission_conversion(b.business, &a_form, &named("Stolen"), &ann())
            .await,
    );
    not_found(
        "unmark another's call",
        store
            .unmark_call_conversion(b.business, a_call, &Author::system())
            .await,
    );
    not_found(
        "unmark another's submission",
        store
            .unmark_submission_conversion(b.business, &a_form, &Author::system())
            .await,
    );
    let mut q = query(b.business, ConversionKind::Click, true);
    q.site = Some(a.site);
    not_found("export another's site", store.conversion_rows(&q).await);
    q.site = None;
    assert!(store.conversion_rows(&q).await.unwrap().is_empty());
    q.kind = ConversionKind::Call;
    assert!(store.conversion_rows(&q).await.unwrap().is_empty());

    // The marks are untouched.
    let rows = store
        .conversion_rows(&query(a.business, ConversionKind::Click, false))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.name.as_str() != "Stolen"));
}

async fn each_mark_and_unmark_is_an_activity_on_the_records_lead(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = ad_visit(&store, s.site, "ga:1.1", gclid("g1")).await;
    let record_ref = ended_call(&store, &s, "CA1", "+12025550161", Some(v)).await;
    let (message, form_lead) = clicked_form(&store, &s, "ann@example.com", gclid("g2")).await;
    let call_lead = store.lead(s.business, record_ref).await.unwrap().id;
    let conversions = |lead| {
        let store = store.clone();
        async move {
            let all = store.lead_activities(s.business, lead).await.unwrap();
            all.into_iter()
                .filter(|a| a.kind == ActivityKind::Conversion)
                .collect::<Vec<_>>()
        }
    };
    store
        .mark_call_conversion(s.business, record_ref, &worth("Booked visit", 9_900, "EUR"), &ann())
        .await
        .unwrap();
    let marked = conversions(call_lead).await;
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].author, ann());
    assert_eq!(marked[0].detail["record"], format!("call:{record_ref}"));
    assert_eq!(
        (
            &marked[0].detail["name"],
            &marked[0].detail["value_minor"],
            &marked[0].detail["currency"]
        ),
        (&json!("Booked visit"), &json!(9_900), &json!("EUR"))
    );
    store
        .unmark_call_conversion(s.business, record_ref, &ann())
        .await
        .unwrap();
    store
        .unmark_call_conversion(s.business, record_ref, &ann())
        .await
        .unwrap();
    let after = conversions(call_lead).await;
    assert_eq!(after.len(), 2, "an unmark of an unmarked record records nothing");
    assert_eq!(after[1].detail["unmarked"], true);
    store
        .mark_submission_conversion(s.business, &message, &named("Form"), &ann())
        .await
        .unwrap();
    assert_eq!(conversions(form_lead).await.len(), 1);
    let rival = setup(&store, "rival", "+12025550101").await;
    assert!(
        store
            .mark_call_conversion(rival.business, record_ref, &named("Stolen"), &ann())
            .await
            .is_err()
    );
    assert_eq!(conversions(call_lead).await.len(), 2, "a refused mark records nothing");
}

conformance!(
    each_mark_and_unmark_is_an_activity_on_the_records_lead,
    only_marked_records_are_listed_unless_unmarked_ones_are_asked_for,
    a_mark_without_a_value_takes_the_sales_of_its_call_else_of_its_lead,
    marking_again_replaces_the_mark_and_unmarking_removes_it,
    the_window_and_the_site_narrow_the_rows,
    another_business_can_neither_mark_nor_export_the_records,
);
