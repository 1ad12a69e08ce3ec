use crate::conformance;
use crate::fixtures::{business, new_site, site};
use leadline_core::BusinessId;
use leadline_core::net::DomainName;
use leadline_core::site::{ExtensionMode, SiteKey, SiteSettings};
use leadline_core::store::{SiteStore, StoreError};
use leadline_store::SqlStore;

async fn a_site_is_found_by_key_by_domain_and_by_its_business(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let created = store
        .create_site(&new_site(acme.id, &["www.acme.example", "acme.example"]))
        .await
        .unwrap();
    let domains: Vec<&str> = created.domains.iter().map(DomainName::as_str).collect();
    assert_eq!(domains, ["acme.example", "www.acme.example"]);
    assert_eq!(created.timezone.name(), "America/New_York");
    assert_eq!(created.currency.code(), "USD");
    assert_eq!(store.site_by_key(&created.key).await.unwrap(), created);
    let by_domain = store
        .site_by_domain(&DomainName::parse("www.acme.example").unwrap())
        .await
        .unwrap();
    assert_eq!(by_domain, created);
    assert_eq!(store.site(acme.id, created.id).await.unwrap(), created);
    assert_eq!(store.list_sites(acme.id).await.unwrap(), vec![created]);
}

async fn a_taken_domain_is_refused_and_nothing_is_written(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    site(&store, acme.id, "shared.example").await;
    let attempt = new_site(other.id, &["fresh.example", "shared.example"]);
    let err = store.create_site(&attempt).await.unwrap_err();
    match err {
        StoreError::Conflict(message) => assert!(message.contains("shared.example"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(store.list_sites(other.id).await.unwrap().is_empty());
    assert!(matches!(
        store.site_by_key(&attempt.key).await,
        Err(StoreError::NotFound)
    ));
    let fresh = store.site_by_domain(&DomainName::parse("fresh.example").unwrap()).await;
    assert!(
        matches!(fresh, Err(StoreError::NotFound)),
        "the first domain was left behind"
    );
}

async fn another_business_site_is_not_found(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let acme_site = site(&store, acme.id, "acme.example").await;
    let err = store.site(other.id, acme_site.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.list_sites(other.id).await.unwrap().is_empty());
}

async fn a_site_of_an_unknown_business_is_not_found(store: SqlStore) {
    let err = store
        .create_site(&new_site(BusinessId(777), &["x.example"]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn a_site_without_domains_is_invalid(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let err = store.create_site(&new_site(acme.id, &[])).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

async fn settings_round_trip(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let mut new = new_site(acme.id, &["acme.example"]);
    new.settings = SiteSettings {
        mode: ExtensionMode::Click,
        idle_minutes: 45,
        check_digit: true,
        ..SiteSettings::default()
    };
    let created = store.create_site(&new).await.unwrap();
    assert_eq!(created.settings, new.settings);
    let unknown = store.site_by_key(&SiteKey::generate()).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

async fn settings_change_only_for_the_owning_business(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let created = site(&store, acme.id, "acme.example").await;
    let click = SiteSettings {
        mode: ExtensionMode::Click,
        cookieless: true,
        ..SiteSettings::default()
    };
    let err = store
        .update_site_settings(other.id, created.id, &click)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(
        store.site(acme.id, created.id).await.unwrap().settings,
        SiteSettings::default()
    );
    let updated = store.update_site_settings(acme.id, created.id, &click).await.unwrap();
    assert_eq!(updated.settings, click);
    assert_eq!(store.site_by_key(&created.key).await.unwrap().settings, click);
}

conformance!(
    settings_change_only_for_the_owning_business,
    a_site_is_found_by_key_by_domain_and_by_its_business,
    a_taken_domain_is_refused_and_nothing_is_written,
    another_business_site_is_not_found,
    a_site_of_an_unknown_business_is_not_found,
    a_site_without_domains_is_invalid,
    settings_round_trip,
);

mod routing_rules {
    use crate::conformance;
    use crate::fixtures::{business, site};
    use leadline_core::E164;
    use leadline_core::routing::{Condition, Hours, Move, Rule};
    use leadline_core::store::{RoutingStore, StoreError};
    use leadline_store::SqlStore;

    async fn rules_come_back_in_order_for_their_site_only(store: SqlStore) {
        let acme = business(&store, "acme").await;
        let other = business(&store, "other").await;
        let s = site(&store, acme.id, "acme.example").await;
        let spanish = Rule {
            conditions: vec![Condition::Var {
                name: "language".into(),
                value: "es".into(),
            }],
            destinations: vec![E164::parse("+12025550111").unwrap()],
            in_turn: false,
        };
        let office = Rule {
            conditions: vec![
                Condition::Hours(Hours::parse("mon-fri 09:00-17:00").unwrap()),
                Condition::Source("google".into()),
            ],
            destinations: vec![
                E164::parse("+12025550112").unwrap(),
                E164::parse("+12025550113").unwrap(),
            ],
            in_turn: true,
        };
        store.add_routing_rule(acme.id, s.id, &spanish).await.unwrap();
        store.add_routing_rule(acme.id, s.id, &office).await.unwrap();
        assert_eq!(store.routing_rules(s.id).await.unwrap(), vec![spanish.clone(), office]);
        let err = store.add_routing_rule(other.id, s.id, &spanish).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
        let empty = Rule {
            destinations: vec![],
            ..spanish
        };
        assert!(matches!(
            store.add_routing_rule(acme.id, s.id, &empty).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(store.routing_rules(s.id).await.unwrap().len(), 2);
    }

    fn ringing(number: &str) -> Rule {
        Rule {
            conditions: vec![],
            destinations: vec![E164::parse(number).unwrap()],
            in_turn: false,
        }
    }

    async fn rules_move_up_and_down_and_are_removed_by_their_business_only(store: SqlStore) {
        let acme = business(&store, "acme").await;
        let other = business(&store, "other").await;
        let s = site(&store, acme.id, "acme.example").await;
        for number in ["+12025550111", "+12025550112", "+12025550113"] {
            store.add_routing_rule(acme.id, s.id, &ringing(number)).await.unwrap();
        }
        let ids: Vec<i64> = store
            .site_routing_rules(acme.id, s.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        let order = || async {
            store
                .routing_rules(s.id)
                .await
                .unwrap()
                .iter()
                .map(|r| r.destinations[0].to_string())
                .collect::<Vec<_>>()
        };
        store.move_routing_rule(acme.id, ids[2], Move::Earlier).await.unwrap();
        assert_eq!(order().await, ["+12025550111", "+12025550113", "+12025550112"]);
        store.move_routing_rule(acme.id, ids[0], Move::Earlier).await.unwrap();
        store.move_routing_rule(acme.id, ids[0], Move::Later).await.unwrap();
        assert_eq!(order().await, ["+12025550113", "+12025550111", "+12025550112"]);
        store
            .add_routing_rule(acme.id, s.id, &ringing("+12025550114"))
            .await
            .unwrap();
        assert_eq!(
            order().await.last().map(String::as_str),
            Some("+12025550114"),
            "a new rule comes last"
        );

        for refused in [
            store.move_routing_rule(other.id, ids[0], Move::Later).await,
            store.remove_routing_rule(other.id, ids[0]).await,
            store.site_routing_rules(other.id, s.id).await.map(|_| ()),
        ] {
            assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
        }
        store.remove_routing_rule(acme.id, ids[1]).await.unwrap();
        assert_eq!(order().await, ["+12025550113", "+12025550111", "+12025550114"]);
        assert!(matches!(
            store.remove_routing_rule(acme.id, ids[1]).await,
            Err(StoreError::NotFound)
        ));
    }

    async fn a_rule_is_edited_in_its_place_by_its_business_only(store: SqlStore) {
        let acme = business(&store, "acme").await;
        let other = business(&store, "other").await;
        let s = site(&store, acme.id, "acme.example").await;
        for number in ["+12025550111", "+12025550112", "+12025550113"] {
            store.add_routing_rule(acme.id, s.id, &ringing(number)).await.unwrap();
        }
        let rules = store.site_routing_rules(acme.id, s.id).await.unwrap();
        let middle = rules[1].id;
        let read = store.routing_rule(acme.id, middle).await.unwrap();
        assert_eq!((read.site_id, &read.rule), (s.id, &ringing("+12025550112")));
        let spanish = Rule {
            conditions: vec![Condition::Var {
                name: "language".into(),
                value: "es".into(),
            }],
            destinations: vec![
                E164::parse("+12025550114").unwrap(),
                E164::parse("+12025550115").unwrap(),
            ],
            in_turn: true,
        };
        for refused in [
            store.edit_routing_rule(other.id, middle, &spanish).await,
            store.routing_rule(other.id, middle).await.map(|_| ()),
            store.edit_routing_rule(acme.id, 4242, &spanish).await,
        ] {
            assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
        }
        let empty = Rule {
            destinations: vec![],
            ..spanish.clone()
        };
        assert!(matches!(
            store.edit_routing_rule(acme.id, middle, &empty).await,
            Err(StoreError::Invalid(_))
        ));
        store.edit_routing_rule(acme.id, middle, &spanish).await.unwrap();
        let after = store.site_routing_rules(acme.id, s.id).await.unwrap();
        assert_eq!(
            after.iter().map(|r| r.id).collect::<Vec<_>>(),
            rules.iter().map(|r| r.id).collect::<Vec<_>>(),
            "it keeps its place"
        );
        assert_eq!(after[1].rule, spanish);
        assert_eq!(after[0].rule, ringing("+12025550111"), "the others are untouched");
    }

    conformance!(
        rules_come_back_in_order_for_their_site_only,
        rules_move_up_and_down_and_are_removed_by_their_business_only,
        a_rule_is_edited_in_its_place_by_its_business_only,
    );
}
