//! The switch for refusing e-mailed replies that fail SPF/DKIM/DMARC: off until set, set for
//! one business only, and not found for an unknown business.

use crate::conformance;
use crate::fixtures::business;
use leadline_core::BusinessId;
use leadline_core::sender_auth::SenderAuthStore;
use leadline_core::store::StoreError;
use leadline_store::SqlStore;

async fn a_business_refuses_unauthenticated_replies_only_once_it_turns_the_switch_on(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    assert!(!store.sender_auth_required(acme.id).await.unwrap());
    store.set_sender_auth_required(acme.id, true).await.unwrap();
    assert!(store.sender_auth_required(acme.id).await.unwrap());
    assert!(
        !store.sender_auth_required(other.id).await.unwrap(),
        "another business changed"
    );
    store.set_sender_auth_required(acme.id, false).await.unwrap();
    assert!(!store.sender_auth_required(acme.id).await.unwrap());
}

async fn the_switch_of_an_unknown_business_is_not_found(store: SqlStore) {
    let missing = BusinessId(999_999);
    let err = store.set_sender_auth_required(missing, true).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store.sender_auth_required(missing).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

conformance!(
    a_business_refuses_unauthenticated_replies_only_once_it_turns_the_switch_on,
    the_switch_of_an_unknown_business_is_not_found,
);
