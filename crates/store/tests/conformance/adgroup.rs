use crate::conformance;
use crate::fixtures::{business, name};
use leadline_core::BusinessId;
use leadline_core::adgroup::AdGroupStore;
use leadline_core::adgroup::{AdRule, NewMasterAd, NewMasterPhrase};
use leadline_core::routing::Move;
use leadline_core::store::StoreError;
use leadline_store::SqlStore;

fn rule(source: &str, campaign: &str, content: &str) -> AdRule {
    AdRule::parse(source, campaign, content).unwrap()
}

fn ad(label: &str, rules: Vec<AdRule>) -> NewMasterAd {
    NewMasterAd {
        name: name(label),
        rules,
    }
}

fn phrase(label: &str, variants: &[&str]) -> NewMasterPhrase {
    NewMasterPhrase {
        name: name(label),
        variants: variants.iter().map(|v| v.to_string()).collect(),
    }
}

async fn master_ads_keep_their_rules_as_rows_and_their_order(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    let brand = store
        .create_master_ad(
            b,
            &ad(
                "Brand",
                vec![rule("Google*", "*brand*", ""), rule("bing", "", "banner-a")],
            ),
        )
        .await
        .unwrap();
    let all = store
        .create_master_ad(b, &ad("All Google", vec![rule("google*", "", "")]))
        .await
        .unwrap();
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(
        grouping.ads,
        vec![brand.clone(), all.clone()],
        "in the order they were added"
    );
    assert_eq!(grouping.ads[0].rules[0].source.as_ref().unwrap().as_str(), "google*");
    assert_eq!(
        grouping.master_ad("GOOGLE", Some("my brand"), None).unwrap().id,
        brand.id
    );
    assert_eq!(grouping.master_ad("google", Some("generic"), None).unwrap().id, all.id);

    let edited = store
        .edit_master_ad(b, brand.id, &ad("Brand search", vec![rule("", "*brand*", "")]))
        .await
        .unwrap();
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(grouping.ads, vec![edited, all.clone()], "an edit keeps its place");
    assert_eq!(grouping.ads[0].rules.len(), 1, "the rules were replaced");

    store.remove_master_ad(b, brand.id).await.unwrap();
    assert_eq!(store.ad_grouping(b).await.unwrap().ads, vec![all.clone()]);
    let third = store
        .create_master_ad(b, &ad("Bing", vec![rule("bing", "", "")]))
        .await
        .unwrap();
    assert_eq!(
        store.ad_grouping(b).await.unwrap().ads,
        vec![all, third],
        "appended last"
    );
}

async fn a_master_ad_without_rules_or_with_a_taken_name_is_refused(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    assert!(matches!(
        store.create_master_ad(b, &ad("Empty", vec![])).await,
        Err(StoreError::Invalid(_))
    ));
    let first = store
        .create_master_ad(b, &ad("Brand", vec![rule("google", "", "")]))
        .await
        .unwrap();
    let taken = store
        .create_master_ad(b, &ad("Brand", vec![rule("bing", "", "")]))
        .await
        .unwrap_err();
    assert!(
        matches!(&taken, StoreError::Conflict(why) if why.contains("'Brand'")),
        "{taken:?}"
    );
    let other = store
        .create_master_ad(b, &ad("Other", vec![rule("bing", "", "")]))
        .await
        .unwrap();
    assert!(matches!(
        store
            .edit_master_ad(b, other.id, &ad("Brand", vec![rule("x", "", "")]))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(grouping.ads, vec![first, other], "nothing refused was written");
    assert!(matches!(
        store
            .create_master_ad(BusinessId(9999), &ad("Ghost", vec![rule("x", "", "")]))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn master_phrases_store_their_variants_normalised_and_sorted_by_name(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    let repair = store
        .create_master_phrase(
            b,
            &phrase("sofa repair", &["Repair  Sofa!", "couch repair", "sofa repair"]),
        )
        .await
        .unwrap();
    assert_eq!(repair.variants, vec!["couch repair", "repair sofa"]);
    let cleaning = store
        .create_master_phrase(b, &phrase("Cleaning", &["sofa cleaning"]))
        .await
        .unwrap();
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(grouping.phrases, vec![cleaning.clone(), repair.clone()], "by name");
    assert_eq!(grouping.master_phrase("SOFA, repair"), "sofa repair");
    assert_eq!(grouping.master_phrase("upholstery  Sofa"), "sofa upholstery");

    let edited = store
        .edit_master_phrase(b, repair.id, &phrase("Repairs", &["repair sofa", "fix sofa"]))
        .await
        .unwrap();
    assert_eq!(edited.variants, vec!["fix sofa", "repair sofa"]);
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(grouping.phrases, vec![cleaning.clone(), edited]);
    assert_eq!(
        grouping.master_phrase("couch repair"),
        "couch repair",
        "no longer a variant"
    );
    store.remove_master_phrase(b, repair.id).await.unwrap();
    assert_eq!(store.ad_grouping(b).await.unwrap().phrases, vec![cleaning]);
    store
        .create_master_phrase(b, &phrase("Again", &["fix sofa"]))
        .await
        .expect("a removed phrase's variants are free again");
}

async fn a_variant_belongs_to_one_phrase_of_a_business(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    let repair = store
        .create_master_phrase(b, &phrase("Repair", &["sofa repair"]))
        .await
        .unwrap();
    let clash = store
        .create_master_phrase(b, &phrase("Fix", &["fix sofa", "Repair SOFA"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&clash, StoreError::Conflict(why) if why.contains("'repair sofa' is already a variant of 'Repair'")),
        "{clash:?}"
    );
    let fix = store
        .create_master_phrase(b, &phrase("Fix", &["fix sofa"]))
        .await
        .expect("the refused phrase was not written");
    assert!(matches!(
        store
            .edit_master_phrase(b, fix.id, &phrase("Fix", &["sofa repair"]))
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .edit_master_phrase(b, repair.id, &phrase("Repair", &["sofa repair", "repair couch"]))
        .await
        .expect("a phrase may keep its own variants");
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(
        grouping.phrases[0].variants,
        vec!["fix sofa"],
        "the refused edit changed nothing"
    );
    assert!(matches!(
        store.create_master_phrase(b, &phrase("Repair", &["other"])).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_master_phrase(b, &phrase("None", &["?!"])).await,
        Err(StoreError::Invalid(_))
    ));
    let rival = business(&store, "rival").await.id;
    store
        .create_master_phrase(rival, &phrase("Repair", &["sofa repair"]))
        .await
        .expect("another business may group the same words");
}

async fn another_business_s_master_ads_and_phrases_are_not_found(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    let rival = business(&store, "rival").await.id;
    let brand = store
        .create_master_ad(b, &ad("Brand", vec![rule("google", "", "")]))
        .await
        .unwrap();
    let repair = store
        .create_master_phrase(b, &phrase("Repair", &["sofa repair"]))
        .await
        .unwrap();
    let not_found = |r: Result<(), StoreError>| assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    not_found(
        store
            .edit_master_ad(rival, brand.id, &ad("Mine", vec![rule("x", "", "")]))
            .await
            .map(drop),
    );
    not_found(store.remove_master_ad(rival, brand.id).await);
    not_found(
        store
            .edit_master_phrase(rival, repair.id, &phrase("Mine", &["x"]))
            .await
            .map(drop),
    );
    not_found(store.remove_master_phrase(rival, repair.id).await);
    not_found(store.remove_master_ad(b, 424242).await);
    let rivals = store.ad_grouping(rival).await.unwrap();
    assert!(rivals.ads.is_empty() && rivals.phrases.is_empty());
    let own = store.ad_grouping(b).await.unwrap();
    assert_eq!((own.ads, own.phrases), (vec![brand], vec![repair]), "untouched");
}

async fn a_master_ad_moves_earlier_or_later_in_the_order(store: SqlStore) {
    let b = business(&store, "acme").await.id;
    let mut ids = Vec::new();
    for label in ["A", "B", "C"] {
        let created = store
            .create_master_ad(b, &ad(label, vec![rule(label, "", "")]))
            .await
            .unwrap();
        ids.push(created.id);
    }
    let order = |store: SqlStore| async move {
        let grouping = store.ad_grouping(b).await.unwrap();
        grouping
            .ads
            .iter()
            .map(|a| a.name.to_string())
            .collect::<Vec<_>>()
            .join("")
    };
    store.move_master_ad(b, ids[2], Move::Earlier).await.unwrap();
    assert_eq!(order(store.clone()).await, "ACB");
    store.move_master_ad(b, ids[0], Move::Earlier).await.unwrap();
    assert_eq!(order(store.clone()).await, "ACB", "the first stays first");
    store.move_master_ad(b, ids[0], Move::Later).await.unwrap();
    assert_eq!(order(store.clone()).await, "CAB");
    let grouping = store.ad_grouping(b).await.unwrap();
    assert_eq!(grouping.master_ad("c", None, None).unwrap().name.as_str(), "C");
    let rival = business(&store, "rival").await.id;
    assert!(matches!(
        store.move_master_ad(rival, ids[1], Move::Earlier).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(order(store.clone()).await, "CAB");
}

conformance!(
    a_master_ad_moves_earlier_or_later_in_the_order,
    master_ads_keep_their_rules_as_rows_and_their_order,
    a_master_ad_without_rules_or_with_a_taken_name_is_refused,
    master_phrases_store_their_variants_normalised_and_sorted_by_name,
    a_variant_belongs_to_one_phrase_of_a_business,
    another_business_s_master_ads_and_phrases_are_not_found,
);
