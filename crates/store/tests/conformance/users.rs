use crate::conformance;
use crate::fixtures::{business, new_user, user};
use leadline_core::BusinessId;
use leadline_core::net::Email;
use leadline_core::secret::verify_password;
use leadline_core::store::{StoreError, UserStore};
use leadline_core::tenant::Role;
use leadline_store::SqlStore;

async fn credentials_hold_the_argon2id_hash_not_the_password(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let created = user(&store, acme.id, "Ann@Example.com").await;
    let creds = store
        .user_credentials(&Email::parse("ann@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(creds.user, created);
    assert_eq!(creds.user.role, Role::Operator);
    assert!(creds.password_hash.expose().starts_with("$argon2id$"));
    assert!(verify_password(&creds.password_hash, "correct horse battery"));
}

async fn an_email_is_one_login_across_businesses(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    user(&store, acme.id, "ann@example.com").await;
    let err = store
        .create_user(&new_user(other.id, "ANN@example.com"))
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(message) => assert!(message.contains("ann@example.com"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(store.list_users(other.id).await.unwrap().is_empty());
}

async fn a_user_of_an_unknown_business_is_not_found(store: SqlStore) {
    let err = store
        .create_user(&new_user(BusinessId(4242), "ann@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let lookup = store.user_credentials(&Email::parse("ann@example.com").unwrap()).await;
    assert!(matches!(lookup, Err(StoreError::NotFound)));
}

async fn users_are_listed_per_business_only(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    let bob = user(&store, other.id, "bob@example.com").await;
    assert_eq!(store.list_users(acme.id).await.unwrap(), vec![ann]);
    assert_eq!(store.list_users(other.id).await.unwrap(), vec![bob]);
}

conformance!(
    credentials_hold_the_argon2id_hash_not_the_password,
    an_email_is_one_login_across_businesses,
    a_user_of_an_unknown_business_is_not_found,
    users_are_listed_per_business_only,
);
