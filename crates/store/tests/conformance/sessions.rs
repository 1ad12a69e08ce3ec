//! Login sessions and site secrets.

use crate::conformance;
use crate::fixtures::{business, site, user};
use leadline_core::UserId;
use leadline_core::store::{SiteStore, StoreError, UserStore};
use leadline_store::SqlStore;

const NOW: i64 = 1_800_000_000_000;

async fn a_session_finds_its_user_until_it_expires(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store
        .create_session(ann.id, acme.id, "hash-one", NOW + 1_000)
        .await
        .unwrap();
    assert_eq!(store.session("hash-one", NOW).await.unwrap().user, ann);
    assert_eq!(store.session("hash-one", NOW + 999).await.unwrap().user, ann);
    assert!(matches!(
        store.session("hash-one", NOW + 1_000).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.session("hash-two", NOW).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_deleted_session_is_gone_and_deleting_twice_is_fine(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store
        .create_session(ann.id, acme.id, "hash-one", NOW + 1_000)
        .await
        .unwrap();
    store
        .create_session(ann.id, acme.id, "hash-two", NOW + 1_000)
        .await
        .unwrap();
    store.delete_session("hash-one").await.unwrap();
    store.delete_session("hash-one").await.unwrap();
    assert!(matches!(
        store.session("hash-one", NOW).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.session("hash-two", NOW).await.unwrap().user,
        ann,
        "other sessions stay"
    );
}

async fn a_session_needs_a_user_and_a_fresh_token(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    assert!(matches!(
        store.create_session(UserId(4242), acme.id, "hash-one", NOW).await,
        Err(StoreError::NotFound)
    ));
    store.create_session(ann.id, acme.id, "hash-one", NOW).await.unwrap();
    assert!(matches!(
        store.create_session(ann.id, acme.id, "hash-one", NOW).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn a_site_secret_is_set_replaced_and_kept_from_other_businesses(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let s = site(&store, acme.id, "acme.example").await;
    assert!(
        matches!(store.site_secret_hash(s.id).await, Err(StoreError::NotFound)),
        "none issued yet"
    );
    store.set_site_secret(acme.id, s.id, "hash-one").await.unwrap();
    assert_eq!(store.site_secret_hash(s.id).await.unwrap(), "hash-one");
    store.set_site_secret(acme.id, s.id, "hash-two").await.unwrap();
    assert_eq!(store.site_secret_hash(s.id).await.unwrap(), "hash-two");
    assert!(matches!(
        store.set_site_secret(rival.id, s.id, "hash-evil").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.site_secret_hash(s.id).await.unwrap(), "hash-two");
    assert!(matches!(
        store.site_secret_hash(leadline_core::SiteId(4242)).await,
        Err(StoreError::NotFound)
    ));
}

conformance!(
    a_session_finds_its_user_until_it_expires,
    a_deleted_session_is_gone_and_deleting_twice_is_fine,
    a_session_needs_a_user_and_a_fresh_token,
    a_site_secret_is_set_replaced_and_kept_from_other_businesses,
);
