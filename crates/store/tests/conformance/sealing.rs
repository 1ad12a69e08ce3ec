//! Secrets at rest: provider auth tokens, integration settings and a business's attachment
//! storage are sealed in the database and read back in clear; rows from before sealing are
//! sealed once; another install secret reads nothing until a rotation re-seals under it; a
//! store without the install secret keeps no secret at all.

use crate::conformance;
use crate::fixtures::{business, site};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::provider_account::{NewProviderAccount, ProviderAccountStore};
use leadline_core::sealing::Sealer;
use leadline_core::secret::Secret;
use leadline_core::store::{BusinessStore, NumberStore, OutboxStore};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider};
use leadline_core::{BusinessId, E164};
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};

const NUMBER_TOKEN: &str = "number-token-5f1d2c3b4a";
const ACCOUNT_TOKEN: &str = "account-token-9e8d7c6b5a";
const WEBHOOK_SECRET: &str = "whsec-7a6b5c4d3e2f1a0b";
const BUCKET_SECRET: &str = "bucket-secret-0f1e2d3c4b";

/// A business with a number, a provider account, a webhook and its own bucket, each holding
/// one of the secrets above.
async fn every_secret(store: &SqlStore) -> BusinessId {
    let acme = business(store, "acme").await;
    let site = site(store, acme.id, "acme.example").await;
    store
        .create_number(&NewTrackingNumber {
            number: E164::parse("+12025550100").unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: Secret::new(NUMBER_TOKEN),
            site_ids: vec![site.id],
        })
        .await
        .unwrap();
    store
        .connect_provider_account(&NewProviderAccount {
            business_id: acme.id,
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: Secret::new(ACCOUNT_TOKEN),
        })
        .await
        .unwrap();
    let config = IntegrationConfig::Webhook {
        url: "https://hooks.example/leads".into(),
        secret: WEBHOOK_SECRET.into(),
    };
    store
        .add_integration(&NewIntegration {
            business_id: acme.id,
            site_id: None,
            name: "hook".into(),
            config,
        })
        .await
        .unwrap();
    let bucket = format!(r#"{{"kind":"s3","secret_access_key":"{BUCKET_SECRET}"}}"#);
    store.set_attachment_storage(acme.id, Some(&bucket)).await.unwrap();
    acme.id
}

/// Every secret column's values as stored.
async fn stored(store: &SqlStore) -> Vec<String> {
    let mut values = Vec::new();
    for sql in [
        "SELECT auth_token FROM tracking_numbers",
        "SELECT auth_token FROM provider_accounts",
        "SELECT config FROM integrations",
        "SELECT attachment_storage FROM businesses WHERE attachment_storage IS NOT NULL",
    ] {
        values.extend(store.stored_texts(sql).await.unwrap());
    }
    values
}

/// The secrets as the store reads them back.
async fn read_back(store: &SqlStore, business: BusinessId) -> leadline_core::store::StoreResult<Vec<String>> {
    let number = store.list_numbers(business).await?.remove(0);
    let account = store.provider_account(business).await?.expect("connected");
    let IntegrationConfig::Webhook { secret, .. } = store.integrations(business).await?.remove(0).config else {
        panic!("a webhook");
    };
    let bucket = store.attachment_storage(business).await?.expect("its own bucket");
    Ok(vec![
        number.auth_token.expose().to_owned(),
        account.auth_token.expose().to_owned(),
        secret,
        bucket,
    ])
}

fn other_install_secret() -> Secret {
    Secret::new("another install secret, at least 32 characters")
}

async fn secrets_are_sealed_in_the_database_and_read_back_in_clear(store: SqlStore) {
    let acme = every_secret(&store).await;
    let values = stored(&store).await;
    assert_eq!(values.len(), 4);
    for (value, secret) in values
        .iter()
        .zip([NUMBER_TOKEN, ACCOUNT_TOKEN, WEBHOOK_SECRET, BUCKET_SECRET])
    {
        assert!(value.starts_with("sealed:1:"), "{value}");
        assert!(!value.contains(secret), "{value}");
    }
    let read = read_back(&store, acme).await.unwrap();
    assert_eq!(&read[..3], [NUMBER_TOKEN, ACCOUNT_TOKEN, WEBHOOK_SECRET]);
    assert!(read[3].contains(BUCKET_SECRET));
    if let DatabaseUrl::Sqlite(path) = store.database_url() {
        store.execute_script("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        for secret in [NUMBER_TOKEN, ACCOUNT_TOKEN, WEBHOOK_SECRET, BUCKET_SECRET] {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{secret} is readable in the database file");
        }
    }
    assert_eq!(store.reseal_secrets().await.unwrap(), 0, "nothing left in clear");
}

async fn secrets_kept_in_clear_before_sealing_are_sealed_once_and_still_read(store: SqlStore) {
    let acme = every_secret(&store).await;
    store
        .execute_script(&format!(
            "UPDATE tracking_numbers SET auth_token = '{NUMBER_TOKEN}';
             UPDATE provider_accounts SET auth_token = '{ACCOUNT_TOKEN}'"
        ))
        .await
        .unwrap();
    let values = stored(&store).await;
    assert_eq!(
        &values[..2],
        [NUMBER_TOKEN, ACCOUNT_TOKEN],
        "as an older Leadline kept them"
    );
    assert_eq!(
        read_back(&store, acme).await.unwrap()[..2],
        [NUMBER_TOKEN, ACCOUNT_TOKEN]
    );

    assert_eq!(store.reseal_secrets().await.unwrap(), 2);
    let values = stored(&store).await;
    assert!(values.iter().all(|v| v.starts_with("sealed:1:")), "{values:?}");
    assert_eq!(
        read_back(&store, acme).await.unwrap()[..2],
        [NUMBER_TOKEN, ACCOUNT_TOKEN]
    );
    assert_eq!(store.reseal_secrets().await.unwrap(), 0);
}

async fn another_install_secret_reads_nothing_until_a_rotation_seals_under_it(store: SqlStore) {
    let acme = every_secret(&store).await;
    let with = |sealer: Sealer| {
        let store = &store;
        async move {
            let options = OpenOptions {
                sealer: Some(sealer),
                tenant_cache_ttl: std::time::Duration::ZERO,
                ..OpenOptions::default()
            };
            store.open_beside(&options).await.unwrap()
        }
    };
    let stranger = with(Sealer::new(&other_install_secret())).await;
    let refused = read_back(&stranger, acme).await.unwrap_err().to_string();
    assert!(refused.contains("another install secret"), "{refused}");
    assert!(refused.contains("leadline secrets rotate"), "{refused}");

    let rotating = with(Sealer::rotating_from(
        &other_install_secret(),
        &Secret::new(leadline_core::sealing::TEST_INSTALL_SECRET),
    ))
    .await;
    assert_eq!(rotating.reseal_secrets().await.unwrap(), 4);
    let read = read_back(&stranger, acme).await.unwrap();
    assert_eq!(
        &read[..3],
        [NUMBER_TOKEN, ACCOUNT_TOKEN, WEBHOOK_SECRET],
        "the new secret reads them"
    );
    let old = with(Sealer::for_tests()).await;
    assert!(
        read_back(&old, acme).await.is_err(),
        "the old secret reads them no more"
    );
    for store in [stranger, rotating, old] {
        store.close().await;
    }
}

async fn a_store_without_the_install_secret_keeps_no_secret_at_all(store: SqlStore) {
    let acme = every_secret(&store).await;
    let options = OpenOptions {
        tenant_cache_ttl: std::time::Duration::ZERO,
        ..OpenOptions::default()
    };
    let blind = SqlStore::open(store.database_url(), &options).await.unwrap();
    let refused = blind
        .set_attachment_storage(acme, Some(r#"{"kind":"s3"}"#))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("without the install secret"), "{refused}");
    assert!(read_back(&blind, acme).await.is_err());
    assert!(
        read_back(&store, acme).await.unwrap()[3].contains(BUCKET_SECRET),
        "nothing changed"
    );
    blind.close().await;
}

conformance!(
    secrets_are_sealed_in_the_database_and_read_back_in_clear,
    secrets_kept_in_clear_before_sealing_are_sealed_once_and_still_read,
    another_install_secret_reads_nothing_until_a_rotation_seals_under_it,
    a_store_without_the_install_secret_keeps_no_secret_at_all,
);
