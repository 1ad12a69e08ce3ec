//! The tenant cache: every change is seen at once by the server that made it and, on
//! PostgreSQL, by every other server on the database; a server that loses its `LISTEN`
//! connection forgets what it cached.

use crate::conformance;
use crate::fixtures::{business, name, site, tracking_number};
use leadline_core::E164;
use leadline_core::routing::{Condition, Rule};
use leadline_core::secret::Secret;
use leadline_core::store::{DestinationStore, NumberStore, RoutingStore, SiteStore};
use leadline_core::tenant::{AccountSid, NewDestination, NumberEdit, Site, SiteEdit};
use leadline_store::{Engine, OpenOptions, SqlStore};
use std::time::Duration;

/// Asks `read` until it answers what `wanted` accepts, for at most ten seconds.
pub(crate) async fn eventually<T: std::fmt::Debug>(
    what: &str,
    mut read: impl AsyncFnMut() -> T,
    wanted: impl Fn(&T) -> bool,
) {
    let mut last = read().await;
    for _ in 0..200 {
        if wanted(&last) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        last = read().await;
    }
    panic!("{what}: still {last:?}");
}

async fn renamed(store: &SqlStore, site: &Site, to: &str) {
    let edit = SiteEdit {
        name: name(to),
        ..SiteEdit::of(site)
    };
    store.edit_site(site.business_id, site.id, &edit).await.unwrap();
}

async fn every_cached_read_shows_a_change_made_through_the_store_at_once(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let s = site(&store, acme.id, "acme.example").await;
    let pool = tracking_number(&store, s.id, "+12025550100").await;
    let e164 = E164::parse("+12025550100").unwrap();
    // Read each once, so that each is cached where the cache serves.
    store.site_by_key(&s.key).await.unwrap();
    store.site_by_id(s.id).await.unwrap();
    store.number_by_e164(&e164).await.unwrap();
    store.number_for_site(s.id).await.unwrap();
    assert!(store.routing_rules(s.id).await.unwrap().is_empty());
    assert!(store.list_destinations(acme.id).await.unwrap().is_empty());

    renamed(&store, &s, "Renamed").await;
    assert_eq!(store.site_by_key(&s.key).await.unwrap().name.as_str(), "Renamed");
    assert_eq!(store.site_by_id(s.id).await.unwrap().name.as_str(), "Renamed");

    let edit = NumberEdit {
        account_sid: AccountSid::parse("AC2").unwrap(),
        auth_token: Some(Secret::new("fedcba9876543210fedc")),
        site_ids: vec![s.id],
    };
    store.edit_number(acme.id, pool.number, &edit).await.unwrap();
    assert_eq!(
        store.number_by_e164(&e164).await.unwrap().auth_token.expose(),
        "fedcba9876543210fedc"
    );

    let rule = Rule {
        conditions: vec![Condition::Source("google".into())],
        destinations: vec![E164::parse("+12025550111").unwrap()],
        in_turn: false,
    };
    store.add_routing_rule(acme.id, s.id, &rule).await.unwrap();
    assert_eq!(store.routing_rules(s.id).await.unwrap(), vec![rule]);

    let desk = NewDestination {
        business_id: acme.id,
        name: name("Front desk"),
        number: E164::parse("+12025550111").unwrap(),
        department: None,
        user_id: None,
    };
    let desk = store.create_destination(&desk).await.unwrap();
    store.set_destination_disabled(acme.id, desk.id, true).await.unwrap();
    assert!(store.list_destinations(acme.id).await.unwrap()[0].disabled);

    store.remove_number(acme.id, pool.number).await.unwrap();
    assert_eq!(store.number_for_site(s.id).await.unwrap(), None);
    assert!(store.number_by_e164(&e164).await.is_err());
    store.remove_site(acme.id, s.id).await.unwrap();
    assert!(store.site_by_key(&s.key).await.is_err());
}

/// A second server on `store`'s database whose entries live `ttl`, with `site` cached in it
/// (on PostgreSQL, once its `LISTEN` connection is up and it serves from memory).
pub(crate) async fn beside_with(store: &SqlStore, ttl: Duration, site: &Site) -> SqlStore {
    let other = store
        .open_beside(&OpenOptions {
            tenant_cache_ttl: ttl,
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..OpenOptions::default()
        })
        .await
        .unwrap();
    other.site_by_key(&site.key).await.unwrap();
    eventually(
        "the other server's cache serving",
        async || other.tenant_cache_serving(),
        |on| *on,
    )
    .await;
    other.site_by_key(&site.key).await.unwrap();
    other
}

async fn another_server_sees_a_change_without_waiting_for_expiry_on_postgres(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let s = site(&store, acme.id, "acme.example").await;
    // On PostgreSQL the other server keeps its entries for an hour: only the notice can
    // make it see the change. On SQLite (one server, and CLI commands beside it) a short
    // expiry is the bound.
    let ttl = match store.engine_kind() {
        Engine::Postgres => Duration::from_secs(3600),
        Engine::Sqlite => Duration::from_millis(300),
    };
    let other = beside_with(&store, ttl, &s).await;
    renamed(&store, &s, "Renamed").await;
    eventually(
        "the other server's view of the renamed site",
        async || other.site_by_key(&s.key).await.unwrap().name.as_str().to_owned(),
        |name| name == "Renamed",
    )
    .await;
    other.close().await;
}

async fn a_server_that_loses_its_listener_forgets_what_it_cached(store: SqlStore) {
    if store.engine_kind() != Engine::Postgres {
        return;
    }
    let acme = business(&store, "acme").await;
    let s = site(&store, acme.id, "acme.example").await;
    let other = beside_with(&store, Duration::from_secs(3600), &s).await;
    // A change no server announces: the other server's entry is now stale.
    store
        .execute_script(&format!(
            "UPDATE sites SET name = 'Behind its back' WHERE id = {}",
            s.id.0
        ))
        .await
        .unwrap();
    assert_eq!(
        other.site_by_key(&s.key).await.unwrap().name.as_str(),
        "Main site",
        "served from memory"
    );
    store
        .execute_script(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    eventually(
        "the site as the database has it, after the connection was lost",
        async || other.site_by_key(&s.key).await.unwrap().name.as_str().to_owned(),
        |name| name == "Behind its back",
    )
    .await;
    eventually(
        "the cache serving again after reconnecting",
        async || other.tenant_cache_serving(),
        |on| *on,
    )
    .await;
    other.close().await;
}

conformance!(
    every_cached_read_shows_a_change_made_through_the_store_at_once,
    another_server_sees_a_change_without_waiting_for_expiry_on_postgres,
    a_server_that_loses_its_listener_forgets_what_it_cached,
);
