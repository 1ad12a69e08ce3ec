use crate::conformance;
use crate::fixtures::business;
use leadline_core::BusinessId;
use leadline_core::provider_account::{NewProviderAccount, ProviderAccountStore};
use leadline_core::secret::Secret;
use leadline_core::store::StoreError;
use leadline_core::tenant::{AccountSid, Provider};
use leadline_store::SqlStore;

fn account(business: BusinessId, sid: &str, token: &str) -> NewProviderAccount {
    NewProviderAccount {
        business_id: business,
        provider: Provider::Twilio,
        account_sid: AccountSid::parse(sid).unwrap(),
        auth_token: Secret::new(token),
    }
}

async fn a_business_has_no_provider_account_until_it_connects_one(store: SqlStore) {
    let acme = business(&store, "acme").await;
    assert_eq!(store.provider_account(acme.id).await.unwrap(), None);
    let connected = store
        .connect_provider_account(&account(acme.id, "AC1", "first token of acme"))
        .await
        .unwrap();
    assert_eq!(connected.account_sid.as_str(), "AC1");
    assert_eq!(connected.auth_token.expose(), "first token of acme");
    assert_eq!(connected.provider, Provider::Twilio);
    assert_eq!(store.provider_account(acme.id).await.unwrap(), Some(connected));
}

async fn connecting_again_replaces_the_account_and_its_token(store: SqlStore) {
    let acme = business(&store, "acme").await;
    store
        .connect_provider_account(&account(acme.id, "AC1", "first token of acme"))
        .await
        .unwrap();
    store
        .connect_provider_account(&account(acme.id, "AC2", "second token of acme"))
        .await
        .unwrap();
    let kept = store.provider_account(acme.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.account_sid.as_str(), kept.auth_token.expose()),
        ("AC2", "second token of acme")
    );
}

async fn each_business_has_its_own_account(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    store
        .connect_provider_account(&account(acme.id, "AC1", "first token of acme"))
        .await
        .unwrap();
    assert_eq!(store.provider_account(other.id).await.unwrap(), None);
    store
        .connect_provider_account(&account(other.id, "AC9", "the other one's token"))
        .await
        .unwrap();
    let acme_account = store.provider_account(acme.id).await.unwrap().unwrap();
    assert_eq!(acme_account.account_sid.as_str(), "AC1");
}

async fn an_unknown_business_cannot_connect_an_account(store: SqlStore) {
    let err = store
        .connect_provider_account(&account(BusinessId(987_654), "AC1", "a token for nobody"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

conformance!(
    a_business_has_no_provider_account_until_it_connects_one,
    connecting_again_replaces_the_account_and_its_token,
    each_business_has_its_own_account,
    an_unknown_business_cannot_connect_an_account,
);
