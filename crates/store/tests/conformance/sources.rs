use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use leadline_core::BusinessId;
use leadline_core::net::DomainName;
use leadline_core::source::{NewSource, SourceKey, SourceUtm};
use leadline_core::store::{CallStore, SourceStore, StoreError, VisitStore};
use leadline_core::tenant::Site;
use leadline_core::visit::PoolKey;
use leadline_store::SqlStore;

async fn setup(store: &SqlStore) -> (BusinessId, Site, PoolKey) {
    let b = business(store, "acme").await;
    let s = site(store, b.id, "acme.example").await;
    let pool = tracking_number(store, s.id, "+12025550100").await;
    (b.id, s, pool)
}

fn new_source(business: BusinessId, site: &Site, label: &str, code: Option<u64>) -> NewSource {
    NewSource {
        business_id: business,
        site_id: site.id,
        key: SourceKey::generate(),
        name: name(label),
        domain: Some(DomainName::parse("craigslist.org").unwrap()),
        utm: SourceUtm {
            source: "craigslist".into(),
            medium: "classified".into(),
            campaign: Some("spring".into()),
            term: None,
            content: None,
        },
        reserved_code: code,
    }
}

async fn a_source_with_a_printed_code_reserves_it(store: SqlStore) {
    let (b, s, pool) = setup(&store).await;
    let created = store
        .create_source(&new_source(b, &s, "Herald ad", Some(42)), Some(pool))
        .await
        .unwrap();
    assert_eq!(created.reserved_code, Some(42));
    assert_eq!(store.source_by_key(&created.key).await.unwrap(), created);
    assert_eq!(
        store.reserved_label(pool, 42).await.unwrap().as_deref(),
        Some("Herald ad")
    );
    let twice = store
        .create_source(&new_source(b, &s, "Copy", Some(42)), Some(pool))
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Conflict(_)), "{twice:?}");
    assert_eq!(
        store.list_sources(b).await.unwrap().len(),
        1,
        "the refused source was not written"
    );
}

async fn sources_are_listed_per_business(store: SqlStore) {
    let (b, s, pool) = setup(&store).await;
    store
        .create_source(&new_source(b, &s, "Flyer", None), Some(pool))
        .await
        .unwrap();
    let other = business(&store, "other").await;
    assert!(store.list_sources(other.id).await.unwrap().is_empty());
    assert!(matches!(
        store.source_by_key(&SourceKey::generate()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.live_codes_of_site(s.id).await.unwrap(), 0);
}

conformance!(
    a_source_with_a_printed_code_reserves_it,
    sources_are_listed_per_business
);
