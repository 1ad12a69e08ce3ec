use crate::conformance;
use crate::fixtures::{business, name};
use leadline_core::BusinessId;
use leadline_core::secret::{IssuedApiKey, api_key_matches, api_key_prefix};
use leadline_core::store::{ApiKeyStore, StoreError};
use leadline_core::tenant::NewApiKey;
use leadline_store::SqlStore;

fn new_key(business: BusinessId, issued: &IssuedApiKey) -> NewApiKey {
    NewApiKey {
        business_id: business,
        name: name("CRM sync"),
        prefix: issued.prefix.clone(),
        hash: issued.hash.clone(),
    }
}

async fn a_presented_key_is_found_by_prefix_and_checked_by_hash(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let issued = IssuedApiKey::generate();
    let created = store.create_api_key(&new_key(acme.id, &issued)).await.unwrap();
    assert_eq!(created.revoked_at, None);
    let presented = issued.key.expose();
    let stored = store
        .api_key_by_prefix(api_key_prefix(presented).unwrap())
        .await
        .unwrap();
    assert_eq!(stored.key, created);
    assert!(api_key_matches(presented, &stored.hash));
    assert_ne!(stored.hash, presented, "the key itself must not be stored");
}

async fn a_revoked_key_no_longer_authenticates(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let issued = IssuedApiKey::generate();
    let created = store.create_api_key(&new_key(acme.id, &issued)).await.unwrap();
    store.revoke_api_key(acme.id, created.id).await.unwrap();
    store.revoke_api_key(acme.id, created.id).await.unwrap();
    let lookup = store.api_key_by_prefix(&issued.prefix).await;
    assert!(matches!(lookup, Err(StoreError::NotFound)));
    let listed = store.list_api_keys(acme.id).await.unwrap();
    assert!(listed[0].revoked_at.is_some());
}

async fn another_business_cannot_revoke_or_list_a_key(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let issued = IssuedApiKey::generate();
    let created = store.create_api_key(&new_key(acme.id, &issued)).await.unwrap();
    let err = store.revoke_api_key(other.id, created.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.list_api_keys(other.id).await.unwrap().is_empty());
    assert!(
        store.api_key_by_prefix(&issued.prefix).await.is_ok(),
        "the key was revoked by a stranger"
    );
}

async fn a_key_of_an_unknown_business_is_not_found(store: SqlStore) {
    let err = store
        .create_api_key(&new_key(BusinessId(99), &IssuedApiKey::generate()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

conformance!(
    a_presented_key_is_found_by_prefix_and_checked_by_hash,
    a_revoked_key_no_longer_authenticates,
    another_business_cannot_revoke_or_list_a_key,
    a_key_of_an_unknown_business_is_not_found,
);
