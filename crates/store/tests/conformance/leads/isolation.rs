//! Another business never reads, lists, changes or finds a business's leads.

use super::{call, contact, form, from_visit, setup, visit};
use crate::conformance;
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use leadline_core::form::{MessageId, NewAttachment, StoredName};
use leadline_core::lead::{Author, LeadChange, LeadFilter, LeadStatus};
use leadline_core::secret::Secret;
use leadline_core::store::{LeadStore, StoreError, StoreResult};
use leadline_store::SqlStore;
use std::fmt::Debug;

fn not_found<T: Debug>(what: &str, result: StoreResult<T>) {
    assert!(matches!(result, Err(StoreError::NotFound)), "{what}: {result:?}");
}

async fn another_business_never_sees_a_lead(store: SqlStore) {
    let a = setup(&store, "acme", "+12025550100").await;
    let b = setup(&store, "rival", "+12025550101").await;
    let v = visit(&store, a.site, "ga:1.1").await;
    let c = call(&store, &a, "CA1", "+12025550169", Some(v.clone())).await;
    let mut new = form(
        &a,
        contact(Some("Ann"), None, Some("+12025550169")),
        from_visit(&v, None),
    );
    let secret = Secret::new("an install secret of enough length");
    new.attachments = vec![NewAttachment {
        original_name: "cv.pdf".into(),
        stored_name: StoredName::derive(&secret, &new.message_id, a.site, "cv.pdf"),
        content_type: "application/pdf".into(),
        size_bytes: 10,
    }];
    let sub = store.add_submission(&new).await.unwrap();
    let lead = store.lead_by_id(a.business, sub.lead_id).await.unwrap();
    assert_eq!(lead.id.0, c.lead_id);

    not_found("lead by id", store.lead_by_id(b.business, lead.id).await);
    not_found("lead by ref", store.lead(b.business, lead.record_ref).await);
    not_found("lead by call ref", store.lead(b.business, c.record_ref).await);
    not_found("lead by visitor", store.lead_by_visitor(b.site, "ga:1.1").await);
    not_found("activities", store.lead_activities(b.business, lead.id).await);
    not_found("submissions", store.lead_submissions(b.business, lead.id).await);
    not_found("calls", store.lead_calls(b.business, lead.id).await);
    not_found("visits", store.lead_visits(b.business, lead.id, 10).await);
    not_found("submission", store.submission(b.business, &new.message_id).await);
    not_found(
        "unknown submission",
        store.submission(a.business, &MessageId::generate()).await,
    );
    let listed = store
        .list_leads(
            b.business,
            &LeadFilter {
                limit: 200,
                ..LeadFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(listed.leads.is_empty());
    for change in [
        LeadChange::Status(LeadStatus::Lost),
        LeadChange::Note("mine now".into()),
    ] {
        not_found(
            "change",
            store.change_lead(b.business, lead.id, &Author::system(), &change).await,
        );
    }
    assert_eq!(store.lead_by_id(a.business, lead.id).await.unwrap(), lead, "unchanged");
    assert!(store.lead_activities(a.business, lead.id).await.unwrap().is_empty());
    let attachment = store.attachment(&new.attachments[0].stored_name).await.unwrap();
    assert_eq!(attachment.business_id, a.business, "the caller checks the owner");
    let unknown = StoredName::derive(&secret, &MessageId::generate(), a.site, "cv.pdf");
    not_found("unknown attachment", store.attachment(&unknown).await);
}

async fn a_form_for_another_business_site_is_refused(store: SqlStore) {
    let a = setup(&store, "acme", "+12025550100").await;
    let b = setup(&store, "rival", "+12025550101").await;
    let mut new = form(&a, contact(None, Some("ann@example.com"), None), Default::default());
    new.site_id = b.site;
    not_found("foreign site", store.add_submission(&new).await);
    assert!(
        store
            .list_leads(
                a.business,
                &LeadFilter {
                    limit: 10,
                    ..LeadFilter::default()
                }
            )
            .await
            .unwrap()
            .leads
            .is_empty()
    );
}

async fn matching_never_crosses_businesses(store: SqlStore) {
    let a = setup(&store, "acme", "+12025550100").await;
    let b = setup(&store, "rival", "+12025550101").await;
    let theirs = store
        .add_submission(&form(
            &a,
            contact(None, Some("ann@example.com"), Some("+12025550169")),
            super::keyed("fp:ann"),
        ))
        .await
        .unwrap();
    let ours = store
        .add_submission(&form(
            &b,
            contact(None, Some("ann@example.com"), Some("+12025550169")),
            super::keyed("fp:ann"),
        ))
        .await
        .unwrap();
    assert_ne!(ours.lead_id, theirs.lead_id);
    assert_eq!(ours.matched_by, leadline_core::lead::LeadMatch::New);
    let def = FieldDef {
        name: FieldName::parse("budget").unwrap(),
        kind: FieldKind::Number,
        required: false,
    };
    store.define_field(a.business, &def).await.unwrap();
    let patch = LeadChange::Fields(leadline_core::lead::FieldsPatch {
        custom: serde_json::json!({"budget": 5}).as_object().unwrap().clone(),
        ..Default::default()
    });
    let refused = store
        .change_lead(b.business, ours.lead_id, &Author::system(), &patch)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "A's fields are not B's: {refused:?}"
    );
}

conformance!(
    another_business_never_sees_a_lead,
    a_form_for_another_business_site_is_refused,
    matching_never_crosses_businesses,
);
