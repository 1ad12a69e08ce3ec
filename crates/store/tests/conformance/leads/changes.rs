//! Changing a lead: every change is one activity; custom fields, tags and sales.

use super::{call, contact, form, setup};
use crate::conformance;
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use leadline_core::form::FormIdentity;
use leadline_core::lead::{ActivityKind, Author, FieldsPatch, Lead, LeadChange, LeadStatus, NewSale, Totals};
use leadline_core::net::Email;
use leadline_core::store::{LeadStore, StoreError};
use leadline_core::{BusinessId, LeadId};
use leadline_store::SqlStore;
use serde_json::{Map, Value, json};

async fn new_lead(store: &SqlStore, s: &super::Setup) -> Lead {
    let sub = store
        .add_submission(&form(
            s,
            contact(Some("Ann"), Some("ann@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    store.lead_by_id(s.business, sub.lead_id).await.unwrap()
}

fn ann() -> Author {
    Author::user(&Email::parse("ann@acme.example").unwrap())
}

fn custom(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn sale(currency: &str, revenue: i64, cost: i64, call_ref: Option<u64>) -> LeadChange {
    LeadChange::Sale(NewSale {
        currency: currency.into(),
        revenue_minor: revenue,
        cost_minor: cost,
        profit_minor: revenue - cost,
        call_ref,
        form: None,
        cost_basis: None,
    })
}

async fn define(store: &SqlStore, business: BusinessId, name: &str, kind: FieldKind, required: bool) {
    let def = FieldDef {
        name: FieldName::parse(name).unwrap(),
        kind,
        required,
    };
    store.define_field(business, &def).await.unwrap();
}

async fn invalid(store: &SqlStore, business: BusinessId, lead: LeadId, change: LeadChange) -> String {
    match store.change_lead(business, lead, &ann(), &change).await {
        Err(StoreError::Invalid(e)) => e.to_string(),
        other => panic!("expected an invalid change, got {other:?}"),
    }
}

async fn every_change_kind_records_one_activity_with_its_author_and_detail(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let lead = new_lead(&store, &s).await;
    let c = call(&store, &s, "CA1", "+12025550169", None).await;
    let patch = FieldsPatch {
        name: Some(Some("Ann Lee".into())),
        email: Some(None),
        ..FieldsPatch::default()
    };
    let changes = [
        (LeadChange::Fields(patch), ann()),
        (LeadChange::Status(LeadStatus::Qualified), Author::api_key("ll_abc")),
        (
            LeadChange::Tags {
                add: vec!["vip".into()],
                remove: vec![],
            },
            ann(),
        ),
        (LeadChange::Note("  Wants a quote ".into()), Author::system()),
        (sale("usd", 5000, 1200, None), ann()),
    ];
    for (change, author) in &changes {
        store.change_lead(s.business, lead.id, author, change).await.unwrap();
    }
    let activities = store.lead_activities(s.business, lead.id).await.unwrap();
    let kinds: Vec<ActivityKind> = activities.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ActivityKind::Fields,
            ActivityKind::Status,
            ActivityKind::Tags,
            ActivityKind::Note,
            ActivityKind::Sale
        ]
    );
    let authors: Vec<&Author> = activities.iter().map(|a| &a.author).collect();
    assert_eq!(authors, changes.iter().map(|(_, a)| a).collect::<Vec<_>>());
    assert_eq!(
        activities[0].detail,
        json!({"changed": {
            "name": {"from": "Ann", "to": "Ann Lee"},
            "email": {"from": "ann@example.com", "to": null},
        }})
    );
    assert_eq!(activities[1].detail, json!({"from": "new", "to": "qualified"}));
    assert_eq!(activities[2].detail, json!({"added": ["vip"], "removed": []}));
    assert_eq!(activities[3].detail, json!({"text": "Wants a quote"}));
    assert_eq!(
        activities[4].detail,
        json!({"currency": "USD", "revenue_minor": 5000, "cost_minor": 1200, "profit_minor": 3800,
               "call_ref": null, "cost_basis": null})
    );
    assert!(activities.iter().all(|a| a.lead_id == lead.id));
    let changed = store.lead_by_id(s.business, lead.id).await.unwrap();
    assert_eq!(changed.contact.name.as_deref(), Some("Ann Lee"));
    assert_eq!(changed.contact.email, None);
    assert_eq!(changed.status, LeadStatus::Qualified);
    assert_eq!(changed.tags, ["vip"]);
    assert!(changed.updated_at >= lead.updated_at);
    assert!(
        store
            .lead_activities(s.business, LeadId(c.lead_id))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_unchanged_status_records_nothing(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let lead = new_lead(&store, &s).await;
    let same = store
        .change_lead(s.business, lead.id, &ann(), &LeadChange::Status(LeadStatus::New))
        .await
        .unwrap();
    assert_eq!(same, lead, "not even the update time moves");
    assert!(store.lead_activities(s.business, lead.id).await.unwrap().is_empty());
    let empty_note = invalid(&store, s.business, lead.id, LeadChange::Note(" ".into())).await;
    assert!(empty_note.contains("note"), "{empty_note}");
}

async fn custom_fields_are_checked_and_a_refused_change_changes_nothing(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    define(&store, s.business, "budget", FieldKind::Number, true).await;
    define(&store, s.business, "moving", FieldKind::Date, false).await;
    let lead = new_lead(&store, &s).await;
    let patch = |value: Value| {
        LeadChange::Fields(FieldsPatch {
            name: Some(Some("Changed".into())),
            custom: custom(value),
            ..FieldsPatch::default()
        })
    };
    let unknown = invalid(
        &store,
        s.business,
        lead.id,
        patch(json!({"colour": "red", "budget": 5})),
    )
    .await;
    assert!(unknown.contains("'colour' is not defined"), "{unknown}");
    let wrong = invalid(&store, s.business, lead.id, patch(json!({"budget": "lots"}))).await;
    assert!(wrong.contains("takes a number"), "{wrong}");
    let missing = invalid(&store, s.business, lead.id, patch(json!({"moving": "2027-01-31"}))).await;
    assert!(missing.contains("required fields have no value: budget"), "{missing}");
    assert_eq!(
        store.lead_by_id(s.business, lead.id).await.unwrap(),
        lead,
        "nothing changed"
    );
    assert!(store.lead_activities(s.business, lead.id).await.unwrap().is_empty());
    let changed = store
        .change_lead(
            s.business,
            lead.id,
            &ann(),
            &patch(json!({"budget": 1200, "moving": "2027-01-31"})),
        )
        .await
        .unwrap();
    assert_eq!(changed.custom, custom(json!({"budget": 1200, "moving": "2027-01-31"})));
    let cleared = store
        .change_lead(s.business, lead.id, &ann(), &patch(json!({"moving": null})))
        .await
        .unwrap();
    assert_eq!(cleared.custom, custom(json!({"budget": 1200})));
    let details: Vec<Value> = store
        .lead_activities(s.business, lead.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.detail)
        .collect();
    assert_eq!(
        details[0]["changed"]["custom.budget"],
        json!({"from": null, "to": 1200})
    );
    assert_eq!(details[0]["changed"]["name"], json!({"from": "Ann", "to": "Changed"}));
    assert_eq!(
        details[1],
        json!({"changed": {"custom.moving": {"from": "2027-01-31", "to": null}}})
    );
}

async fn fields_are_defined_once_and_listed_in_order(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "rival", "+12025550101").await;
    define(&store, s.business, "zeta", FieldKind::Text, false).await;
    define(&store, s.business, "alpha", FieldKind::Boolean, true).await;
    define(&store, other.business, "zeta", FieldKind::Number, false).await;
    let again = FieldDef {
        name: FieldName::parse("zeta").unwrap(),
        kind: FieldKind::Date,
        required: false,
    };
    match store.define_field(s.business, &again).await {
        Err(StoreError::Conflict(message)) => assert_eq!(message, "a field named zeta exists already"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let defs = store.fields(s.business).await.unwrap();
    let listed: Vec<(&str, FieldKind, bool)> = defs.iter().map(|d| (d.name.as_str(), d.kind, d.required)).collect();
    assert_eq!(
        listed,
        [("zeta", FieldKind::Text, false), ("alpha", FieldKind::Boolean, true)]
    );
    assert_eq!(store.fields(other.business).await.unwrap().len(), 1);
}

async fn tags_are_a_sorted_set(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let lead = new_lead(&store, &s).await;
    let tags = |add: &[&str], remove: &[&str]| LeadChange::Tags {
        add: add.iter().map(|t| t.to_string()).collect(),
        remove: remove.iter().map(|t| t.to_string()).collect(),
    };
    let changed = store
        .change_lead(
            s.business,
            lead.id,
            &ann(),
            &tags(&["vip", "Spring sale", "vip", " b2b "], &[]),
        )
        .await
        .unwrap();
    assert_eq!(changed.tags, ["Spring sale", "b2b", "vip"]);
    let changed = store
        .change_lead(
            s.business,
            lead.id,
            &ann(),
            &tags(&["vip", "late"], &["b2b", "never-there"]),
        )
        .await
        .unwrap();
    assert_eq!(changed.tags, ["Spring sale", "late", "vip"]);
    store
        .change_lead(s.business, lead.id, &ann(), &tags(&["vip"], &["never-there"]))
        .await
        .unwrap();
    let details: Vec<Value> = store
        .lead_activities(s.business, lead.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.detail)
        .collect();
    assert_eq!(
        details,
        [
            json!({"added": ["Spring sale", "b2b", "vip"], "removed": []}),
            json!({"added": ["late"], "removed": ["b2b"]}),
        ],
        "a change that changes nothing is not recorded"
    );
    let bad = invalid(&store, s.business, lead.id, tags(&[" "], &[])).await;
    assert!(bad.contains("tag"), "{bad}");
}

async fn sales_add_up_per_currency_and_a_foreign_call_is_refused(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let own = call(&store, &s, "CA1", "+12025550169", None).await;
    let someone_else = call(&store, &s, "CA2", "+12025550170", None).await;
    let lead = store.lead(s.business, own.record_ref).await.unwrap();
    for change in [
        sale("USD", 10_000, 2_500, Some(own.record_ref)),
        sale("EUR", 700, 0, None),
        sale("USD", 1_000, 500, None),
    ] {
        store.change_lead(s.business, lead.id, &ann(), &change).await.unwrap();
    }
    let totals = store.lead_by_id(s.business, lead.id).await.unwrap().totals;
    let t = |currency: &str, revenue_minor, cost_minor| Totals {
        currency: currency.into(),
        revenue_minor,
        cost_minor,
        profit_minor: revenue_minor - cost_minor,
    };
    assert_eq!(totals, [t("EUR", 700, 0), t("USD", 11_000, 3_000)]);
    let foreign = invalid(
        &store,
        s.business,
        lead.id,
        sale("USD", 1, 0, Some(someone_else.record_ref)),
    )
    .await;
    assert!(foreign.contains(&someone_else.record_ref.to_string()), "{foreign}");
    let unknown = invalid(&store, s.business, lead.id, sale("USD", 1, 0, Some(4242))).await;
    assert!(unknown.contains("4242"), "{unknown}");
    let currency = invalid(&store, s.business, lead.id, sale("XYZ", 1, 0, None)).await;
    assert!(currency.contains("XYZ"), "{currency}");
    let after = store.lead_by_id(s.business, lead.id).await.unwrap();
    assert_eq!(after.totals, totals, "refused sales add nothing");
    assert_eq!(store.lead_activities(s.business, lead.id).await.unwrap().len(), 3);
    let listed = store
        .list_leads(
            s.business,
            &leadline_core::lead::LeadFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let in_list = listed.leads.iter().find(|l| l.id == lead.id).unwrap();
    assert_eq!(in_list.totals, totals, "lists carry totals too");
    assert!(
        listed
            .leads
            .iter()
            .find(|l| l.id.0 == someone_else.lead_id)
            .unwrap()
            .totals
            .is_empty()
    );
}

async fn a_sale_names_one_of_its_lead_s_forms_and_never_another_s(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let own = store
        .add_submission(&form(
            &s,
            contact(Some("Ann"), Some("ann@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    let theirs = store
        .add_submission(&form(
            &s,
            contact(Some("Bob"), Some("bob@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    assert_ne!(own.lead_id, theirs.lead_id);
    let c = call(&store, &s, "CA1", "+12025550169", None).await;
    let for_form = |form: &leadline_core::form::MessageId, call_ref: Option<u64>| {
        let LeadChange::Sale(mut sale) = sale("USD", 1_000, 0, call_ref) else {
            unreachable!()
        };
        sale.form = Some(form.clone());
        LeadChange::Sale(sale)
    };
    store
        .change_lead(s.business, own.lead_id, &ann(), &for_form(&own.message_id, None))
        .await
        .unwrap();
    let recorded = store.lead_activities(s.business, own.lead_id).await.unwrap();
    assert_eq!(recorded[0].detail["form"], own.message_id.as_str());
    let foreign = invalid(&store, s.business, own.lead_id, for_form(&theirs.message_id, None)).await;
    assert!(foreign.contains(theirs.message_id.as_str()), "{foreign}");
    let both = invalid(
        &store,
        s.business,
        own.lead_id,
        for_form(&own.message_id, Some(c.record_ref)),
    )
    .await;
    assert!(both.contains("not both"), "{both}");
    let after = store.lead_by_id(s.business, own.lead_id).await.unwrap();
    assert_eq!(after.totals[0].revenue_minor, 1_000, "refused sales add nothing");
    let other = super::setup(&store, "other", "+12025550199").await;
    let elsewhere = store
        .add_submission(&form(
            &other,
            contact(None, Some("ann@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    let cross = invalid(&store, s.business, own.lead_id, for_form(&elsewhere.message_id, None)).await;
    assert!(cross.contains("not a form of this lead"), "{cross}");
}

async fn concurrent_changes_are_never_lost(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let lead = new_lead(&store, &s).await;
    let tasks: Vec<_> = (0..6)
        .map(|n| {
            let store = store.clone();
            let change = LeadChange::Tags {
                add: vec![format!("tag{n}")],
                remove: vec![],
            };
            let business = s.business;
            tokio::spawn(async move { store.change_lead(business, lead.id, &ann(), &change).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let tags = store.lead_by_id(s.business, lead.id).await.unwrap().tags;
    assert_eq!(tags, ["tag0", "tag1", "tag2", "tag3", "tag4", "tag5"]);
    assert_eq!(store.lead_activities(s.business, lead.id).await.unwrap().len(), 6);
}

conformance!(
    every_change_kind_records_one_activity_with_its_author_and_detail,
    an_unchanged_status_records_nothing,
    custom_fields_are_checked_and_a_refused_change_changes_nothing,
    fields_are_defined_once_and_listed_in_order,
    tags_are_a_sorted_set,
    sales_add_up_per_currency_and_a_foreign_call_is_refused,
    a_sale_names_one_of_its_lead_s_forms_and_never_another_s,
    concurrent_changes_are_never_lost,
);
