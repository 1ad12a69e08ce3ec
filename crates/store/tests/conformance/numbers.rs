use crate::conformance;
use crate::fixtures::{business, site};
use leadline_core::E164;
use leadline_core::SiteId;
use leadline_core::secret::Secret;
use leadline_core::store::{NumberStore, StoreError};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider};
use leadline_store::SqlStore;

fn new_number(number: &str, sites: Vec<SiteId>) -> NewTrackingNumber {
    NewTrackingNumber {
        number: E164::parse(number).unwrap(),
        provider: Provider::Twilio,
        account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
        auth_token: Secret::new("0123456789abcdef0123456789abcdef"),
        site_ids: sites,
    }
}

async fn one_number_serves_sites_of_several_businesses(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let a = site(&store, acme.id, "acme.example").await;
    let b = site(&store, other.id, "other.example").await;
    let created = store
        .create_number(&new_number("+12025550100", vec![b.id, a.id]))
        .await
        .unwrap();
    let mut expected_sites = vec![a.id, b.id];
    expected_sites.sort();
    assert_eq!(created.site_ids, expected_sites);
    assert_eq!(created.auth_token.expose(), "0123456789abcdef0123456789abcdef");
    assert_eq!(created.provider, Provider::Twilio);
    let found = store
        .number_by_e164(&E164::parse("+1 202 555 0100").unwrap())
        .await
        .unwrap();
    assert_eq!(found, created);
    assert_eq!(store.list_numbers(acme.id).await.unwrap(), vec![created.clone()]);
    assert_eq!(store.list_numbers(other.id).await.unwrap(), vec![created]);
}

async fn a_number_is_set_up_once(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let a = site(&store, acme.id, "acme.example").await;
    store
        .create_number(&new_number("+12025550100", vec![a.id]))
        .await
        .unwrap();
    let err = store
        .create_number(&new_number("+12025550100", vec![a.id]))
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(message) => assert!(message.contains("+12025550100"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.list_numbers(acme.id).await.unwrap().len(), 1);
}

async fn an_unknown_site_leaves_no_number_behind(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let a = site(&store, acme.id, "acme.example").await;
    let err = store
        .create_number(&new_number("+12025550100", vec![a.id, SiteId(9999)]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let lookup = store.number_by_e164(&E164::parse("+12025550100").unwrap()).await;
    assert!(matches!(lookup, Err(StoreError::NotFound)));
}

async fn a_number_must_serve_a_site(store: SqlStore) {
    let err = store
        .create_number(&new_number("+12025550100", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

async fn numbers_of_other_businesses_are_not_listed(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let a = site(&store, acme.id, "acme.example").await;
    store
        .create_number(&new_number("+12025550100", vec![a.id]))
        .await
        .unwrap();
    assert!(store.list_numbers(other.id).await.unwrap().is_empty());
}

conformance!(
    one_number_serves_sites_of_several_businesses,
    a_number_is_set_up_once,
    an_unknown_site_leaves_no_number_behind,
    a_number_must_serve_a_site,
    numbers_of_other_businesses_are_not_listed,
);
