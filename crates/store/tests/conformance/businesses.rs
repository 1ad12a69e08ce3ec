use crate::conformance;
use crate::fixtures::{business, name};
use leadline_core::BusinessId;
use leadline_core::names::Slug;
use leadline_core::store::{BusinessStore, StoreError};
use leadline_core::tenant::NewBusiness;
use leadline_store::SqlStore;

async fn a_created_business_is_found_by_its_slug(store: SqlStore) {
    let created = business(&store, "acme").await;
    let found = store.business_by_slug(&Slug::parse("acme").unwrap()).await.unwrap();
    assert_eq!(found, created);
    assert_eq!(found.name.as_str(), "Business acme");
}

async fn a_business_is_found_by_its_id_and_an_unknown_id_is_not_found(store: SqlStore) {
    let created = business(&store, "acme").await;
    assert_eq!(store.business(created.id).await.unwrap(), created);
    let err = store.business(BusinessId(created.id.0 + 1000)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn a_taken_slug_is_a_conflict_that_changes_nothing(store: SqlStore) {
    let first = business(&store, "acme").await;
    let err = store
        .create_business(&NewBusiness {
            slug: Slug::parse("acme").unwrap(),
            name: name("Other"),
        })
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(message) => assert!(message.contains("'acme'"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.list_businesses().await.unwrap(), vec![first]);
}

async fn an_unknown_slug_is_not_found(store: SqlStore) {
    let err = store
        .business_by_slug(&Slug::parse("nobody").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn businesses_are_listed_oldest_first(store: SqlStore) {
    let a = business(&store, "zeta").await;
    let b = business(&store, "alpha").await;
    assert_eq!(store.list_businesses().await.unwrap(), vec![a, b]);
}

async fn concurrent_creations_of_one_slug_leave_exactly_one(store: SqlStore) {
    let attempts = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .create_business(&NewBusiness {
                    slug: Slug::parse("race").unwrap(),
                    name: name(&format!("Racer {i}")),
                })
                .await
        })
    });
    let mut created = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.list_businesses().await.unwrap().len(), 1);
}

async fn a_business_keeps_its_own_attachment_storage_until_reset(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    assert_eq!(store.attachment_storage(acme.id).await.unwrap(), None);
    let spec = r#"{"kind":"dir","path":"/mnt/acme"}"#;
    store.set_attachment_storage(acme.id, Some(spec)).await.unwrap();
    assert_eq!(store.attachment_storage(acme.id).await.unwrap().as_deref(), Some(spec));
    assert_eq!(store.attachment_storage(other.id).await.unwrap(), None);
    store.set_attachment_storage(acme.id, None).await.unwrap();
    assert_eq!(store.attachment_storage(acme.id).await.unwrap(), None);
}

async fn the_attachment_storage_of_an_unknown_business_is_not_found(store: SqlStore) {
    let missing = leadline_core::BusinessId(999_999);
    let err = store.set_attachment_storage(missing, Some("{}")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store.attachment_storage(missing).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

conformance!(
    a_business_keeps_its_own_attachment_storage_until_reset,
    the_attachment_storage_of_an_unknown_business_is_not_found,
    a_created_business_is_found_by_its_slug,
    a_business_is_found_by_its_id_and_an_unknown_id_is_not_found,
    a_taken_slug_is_a_conflict_that_changes_nothing,
    an_unknown_slug_is_not_found,
    businesses_are_listed_oldest_first,
    concurrent_creations_of_one_slug_leave_exactly_one,
);
