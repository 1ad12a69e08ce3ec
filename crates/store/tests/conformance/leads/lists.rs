//! Listing leads: each filter, and pages.

use super::{call_with_label, contact, form, keyed, setup, visit};
use crate::conformance;
use leadline_core::LeadId;
use leadline_core::form::FormIdentity;
use leadline_core::lead::{Author, Contact, LeadChange, LeadFilter, LeadStatus, LeadSummary, NewSale, Totals};
use leadline_core::store::LeadStore;
use leadline_store::SqlStore;
use std::time::Duration;

fn filter() -> LeadFilter {
    LeadFilter {
        limit: 50,
        ..LeadFilter::default()
    }
}

async fn ids(store: &SqlStore, business: leadline_core::BusinessId, filter: LeadFilter) -> Vec<LeadId> {
    store
        .list_leads(business, &filter)
        .await
        .unwrap()
        .leads
        .into_iter()
        .map(|l| l.id)
        .collect()
}

async fn add(store: &SqlStore, s: &super::Setup, contact: Contact, identity: FormIdentity) -> LeadId {
    store.add_submission(&form(s, contact, identity)).await.unwrap().lead_id
}

/// Lets the clock move past the last lead's creation, so time filters can tell leads apart.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

async fn each_filter_narrows_the_list(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let ann = add(
        &store,
        &s,
        contact(Some("Ann O'Hara"), Some("ann@example.com"), None),
        keyed("fp:ann"),
    )
    .await;
    tick().await;
    let between = chrono::Utc::now();
    tick().await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let bob = add(
        &store,
        &s,
        contact(Some("Bob 100%_Sofas"), None, Some("+12025550170")),
        super::from_visit(&v, None),
    )
    .await;
    let print = call_with_label(&store, &s, "CA1", "+12025550171", None, Some("print: Spring flyer")).await;
    let carol = LeadId(print.lead_id);
    tick().await;
    let after = chrono::Utc::now();
    let author = Author::system();
    store
        .change_lead(s.business, ann, &author, &LeadChange::Status(LeadStatus::Qualified))
        .await
        .unwrap();
    let tags = |add: &[&str]| LeadChange::Tags {
        add: add.iter().map(|t| t.to_string()).collect(),
        remove: vec![],
    };
    store
        .change_lead(s.business, ann, &author, &tags(&["vip", "b2b"]))
        .await
        .unwrap();
    store
        .change_lead(s.business, bob, &author, &tags(&["VIP", "a\"vip"]))
        .await
        .unwrap();
    store
        .change_lead(s.business, carol, &author, &tags(&["vip-ish", "50%"]))
        .await
        .unwrap();

    assert_eq!(
        ids(&store, s.business, filter()).await,
        [carol, bob, ann],
        "newest first"
    );
    let f = |change: fn(&mut LeadFilter)| {
        let mut f = filter();
        change(&mut f);
        f
    };
    assert_eq!(
        ids(&store, s.business, f(|f| f.status = Some(LeadStatus::Qualified))).await,
        [ann]
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.status = Some(LeadStatus::Lost))).await,
        []
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.source = Some("google / cpc".into()))).await,
        [bob]
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.source = Some("print: Spring flyer".into()))).await,
        [carol]
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.source = Some("google".into()))).await,
        [],
        "exact"
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.tag = Some("vip".into()))).await,
        [ann],
        "whole tags, case kept"
    );
    assert_eq!(ids(&store, s.business, f(|f| f.tag = Some("VIP".into()))).await, [bob]);
    assert_eq!(
        ids(&store, s.business, f(|f| f.tag = Some("a\"vip".into()))).await,
        [bob]
    );
    assert_eq!(
        ids(&store, s.business, f(|f| f.tag = Some("50%".into()))).await,
        [carol]
    );
    assert_eq!(ids(&store, s.business, f(|f| f.tag = Some("%".into()))).await, []);
    let from = ids(
        &store,
        s.business,
        LeadFilter {
            from: Some(between),
            ..filter()
        },
    )
    .await;
    assert_eq!(from, [carol, bob]);
    let to = ids(
        &store,
        s.business,
        LeadFilter {
            to: Some(between),
            ..filter()
        },
    )
    .await;
    assert_eq!(to, [ann]);
    let none = ids(
        &store,
        s.business,
        LeadFilter {
            from: Some(after),
            ..filter()
        },
    )
    .await;
    assert_eq!(none, []);
    let text = |t: &str| LeadFilter {
        text: Some(t.into()),
        ..filter()
    };
    assert_eq!(
        ids(&store, s.business, text("o'HARA")).await,
        [ann],
        "names ignore case"
    );
    assert_eq!(ids(&store, s.business, text("EXAMPLE.com")).await, [ann], "e-mails");
    assert_eq!(ids(&store, s.business, text("555017")).await, [carol, bob], "phones");
    assert_eq!(
        ids(&store, s.business, text("100%_s")).await,
        [bob],
        "wildcards are plain text"
    );
    assert_eq!(ids(&store, s.business, text("%")).await, [bob]);
    assert_eq!(ids(&store, s.business, text("_")).await, [bob]);
    assert_eq!(ids(&store, s.business, text("\\")).await, []);
    assert_eq!(
        ids(&store, s.business, text(&print.record_ref.to_string())).await,
        [carol],
        "record refs"
    );
    let both = LeadFilter {
        text: Some("555".into()),
        tag: Some("VIP".into()),
        ..filter()
    };
    assert_eq!(ids(&store, s.business, both).await, [bob], "filters combine");
}

async fn pages_of_two_walk_five_leads(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(
            add(
                &store,
                &s,
                contact(None, Some(&format!("lead{n}@example.com")), None),
                FormIdentity::default(),
            )
            .await,
        );
    }
    made.reverse();
    let mut seen = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_leads(
                s.business,
                &LeadFilter {
                    limit: 2,
                    before,
                    ..LeadFilter::default()
                },
            )
            .await
            .unwrap();
        pages += 1;
        assert!(page.leads.len() <= 2);
        seen.extend(page.leads.iter().map(|l| l.id));
        match page.next {
            Some(next) => {
                assert_eq!(Some(next), page.leads.last().map(|l| l.id));
                before = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, made);
    assert_eq!(pages, 3);
    let clamped = store.list_leads(s.business, &LeadFilter::default()).await.unwrap();
    assert_eq!(
        (clamped.leads.len(), clamped.next),
        (1, Some(made[0])),
        "a limit of 0 means 1"
    );
    let huge = store
        .list_leads(
            s.business,
            &LeadFilter {
                limit: 100_000,
                ..LeadFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((huge.leads.len(), huge.next), (5, None));
}

fn sale(currency: &str, revenue_minor: i64, cost_minor: i64) -> LeadChange {
    LeadChange::Sale(NewSale {
        currency: currency.into(),
        revenue_minor,
        cost_minor,
        profit_minor: revenue_minor - cost_minor,
        call_ref: None,
        form: None,
        cost_basis: None,
    })
}

async fn a_summary_counts_and_sums_every_page_of_the_filter_per_currency(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "other", "+12025550199").await;
    let author = Author::system();
    let mut leads = Vec::new();
    for n in 0..3 {
        let email = format!("lead{n}@example.com");
        leads.push(add(&store, &s, contact(None, Some(&email), None), FormIdentity::default()).await);
    }
    let theirs = add(
        &store,
        &other,
        contact(None, Some("x@example.com"), None),
        FormIdentity::default(),
    )
    .await;
    for (lead, change) in [
        (leads[0], sale("USD", 10_000, 2_500)),
        (leads[0], sale("EUR", 700, 100)),
        (leads[1], sale("USD", 1_000, 0)),
        (leads[2], sale("USD", 99, 0)),
    ] {
        store.change_lead(s.business, lead, &author, &change).await.unwrap();
    }
    store
        .change_lead(other.business, theirs, &author, &sale("USD", 5_000_000, 0))
        .await
        .unwrap();
    let tag = LeadChange::Tags {
        add: vec!["vip".into()],
        remove: vec![],
    };
    for lead in [leads[0], leads[1]] {
        store.change_lead(s.business, lead, &author, &tag).await.unwrap();
    }
    let t = |currency: &str, revenue_minor, cost_minor| Totals {
        currency: currency.into(),
        revenue_minor,
        cost_minor,
        profit_minor: revenue_minor - cost_minor,
    };
    let vip = LeadFilter {
        tag: Some("vip".into()),
        limit: 1,
        before: Some(leads[1]),
        ..LeadFilter::default()
    };
    let page = store.list_leads(s.business, &vip).await.unwrap();
    assert_eq!(page.leads.len(), 1, "the page holds one lead");
    assert_eq!(
        store.lead_summary(s.business, &vip).await.unwrap(),
        LeadSummary {
            count: 2,
            totals: vec![t("EUR", 700, 100), t("USD", 11_000, 2_500)],
        },
        "every page of the filter, each currency apart, never the cursor's page alone"
    );
    assert_eq!(
        store.lead_summary(s.business, &filter()).await.unwrap(),
        LeadSummary {
            count: 3,
            totals: vec![t("EUR", 700, 100), t("USD", 11_099, 2_500)],
        },
        "another business's leads and sales are not counted"
    );
    let none = LeadFilter {
        status: Some(LeadStatus::Lost),
        ..filter()
    };
    assert_eq!(
        store.lead_summary(s.business, &none).await.unwrap(),
        LeadSummary::default()
    );
}

conformance!(
    each_filter_narrows_the_list,
    pages_of_two_walk_five_leads,
    a_summary_counts_and_sums_every_page_of_the_filter_per_currency,
);
