use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use crate::visits::{new_visit, policy};
use leadline_core::BusinessId;
use leadline_core::net::DomainName;
use leadline_core::source::{NewSource, SourceEdit, SourceKey, SourceUtm};
use leadline_core::store::{CallStore, SourceStore, StoreError, VisitStore};
use leadline_core::tenant::Site;
use leadline_core::visit::{CodePlan, CodeRequest, PoolKey};
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

async fn an_edited_source_keeps_its_key_and_code_and_its_code_takes_the_new_name(store: SqlStore) {
    let (b, s, pool) = setup(&store).await;
    let created = store
        .create_source(&new_source(b, &s, "Herald ad", Some(42)), Some(pool))
        .await
        .unwrap();
    let edit = SourceEdit {
        name: name("Herald autumn ad"),
        domain: None,
        utm: SourceUtm {
            source: "herald".into(),
            medium: "print".into(),
            campaign: None,
            term: None,
            content: None,
        },
    };
    let other = business(&store, "other").await;
    assert!(matches!(
        store.edit_source(other.id, &created.key, &edit).await,
        Err(StoreError::NotFound)
    ));
    let bad = SourceEdit {
        utm: SourceUtm {
            source: " ".into(),
            ..edit.utm.clone()
        },
        ..edit.clone()
    };
    assert!(matches!(
        store.edit_source(b, &created.key, &bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.source_by_key(&created.key).await.unwrap(),
        created,
        "nothing changed"
    );

    let edited = store.edit_source(b, &created.key, &edit).await.unwrap();
    assert_eq!(
        (&edited.key, edited.reserved_code, edited.site_id),
        (&created.key, Some(42), s.id)
    );
    assert_eq!(
        (edited.name.as_str(), edited.domain.as_ref(), edited.utm.source.as_str()),
        ("Herald autumn ad", None, "herald")
    );
    assert_eq!(store.source_by_key(&created.key).await.unwrap(), edited);
    assert_eq!(
        store.reserved_label(pool, 42).await.unwrap().as_deref(),
        Some("Herald autumn ad"),
        "a call keying the code is told the new name"
    );
}

async fn a_removed_source_is_hidden_and_its_code_goes_back_to_the_pool(store: SqlStore) {
    let (b, s, pool) = setup(&store).await;
    let plan = || CodePlan::Visit(CodeRequest { pool, policy: policy() });
    let printed = store
        .create_source(&new_source(b, &s, "Herald ad", Some(2)), Some(pool))
        .await
        .unwrap();
    let high = store
        .create_source(&new_source(b, &s, "Radio spot", Some(50)), Some(pool))
        .await
        .unwrap();
    let mut codes = Vec::new();
    for i in 0..2 {
        let visit = new_visit(s.id, &format!("fp:s{i}"));
        codes.push(store.register_visit(&visit, plan()).await.unwrap().code);
    }
    assert_eq!(codes, [Some(1), Some(3)], "the reserved code is skipped");

    let other = business(&store, "other").await;
    assert!(matches!(
        store.remove_source(other.id, &printed.key).await,
        Err(StoreError::NotFound)
    ));
    store.remove_source(b, &printed.key).await.unwrap();
    store.remove_source(b, &high.key).await.unwrap();
    assert!(store.list_sources(b).await.unwrap().is_empty());
    assert!(matches!(
        store.source_by_key(&printed.key).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.remove_source(b, &printed.key).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .edit_source(
                b,
                &printed.key,
                &SourceEdit {
                    name: name("Back"),
                    domain: None,
                    utm: printed.utm.clone(),
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.reserved_label(pool, 2).await.unwrap(), None);
    let next = store.register_visit(&new_visit(s.id, "fp:s9"), plan()).await.unwrap();
    assert_eq!(next.code, Some(2), "the released code is free again");
    store
        .create_source(&new_source(b, &s, "Radio spot again", Some(50)), Some(pool))
        .await
        .expect("a code above the high-water mark can be reserved again");
}

conformance!(
    a_source_with_a_printed_code_reserves_it,
    sources_are_listed_per_business,
    an_edited_source_keeps_its_key_and_code_and_its_code_takes_the_new_name,
    a_removed_source_is_hidden_and_its_code_goes_back_to_the_pool,
);
