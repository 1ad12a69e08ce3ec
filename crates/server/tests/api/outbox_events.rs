//! Events as the outbox worker hands them to an adapter, built by hand, and the call the
//! worker makes: for the adapter tests that run against local fakes of the targets.

use chrono::{DateTime, Utc};
use leadline::outbox::{Adapter, Cache, Context, Failure, Sent};
use leadline_core::channel::Attribution;
use leadline_core::event::{Event, EventData, VisitorIds, samples};
use leadline_core::net::Reach;
use leadline_core::outbox::{ClaimedDelivery, Integration, IntegrationConfig, IntegrationId};
use leadline_core::{BusinessId, SiteId};
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use std::collections::BTreeMap;
use std::time::Duration;

/// An event that happened ten minutes ago in a session that began five minutes before it,
/// from a visitor with GA cookies, for lead 42 (ref 1040); labelled with ref 1042.
pub fn event(data: EventData) -> Event {
    let occurred_at = DateTime::from_timestamp(Utc::now().timestamp() - 600, 0).unwrap();
    let session_start = occurred_at.timestamp() - 300;
    Event {
        id: format!("ev_{}", leadline_core::secret::random_token(22)),
        occurred_at,
        business_id: BusinessId(1),
        site_id: Some(SiteId(1)),
        record_ref: Some(1042),
        lead: Some(samples::lead()),
        visitor: VisitorIds {
            visitor_key: Some("ga:1234567890.1700000000".into()),
            ga_cookie: Some("GA1.1.1234567890.1700000000".into()),
            ga_streams: BTreeMap::from([
                (
                    "_ga_ABC123".into(),
                    format!("GS2.1.s{session_start}$o2$g1$t{session_start}$j0$l0$h0"),
                ),
                ("_ga_OTHER9".into(), "GS2.1.s1600000000$o1".into()),
            ]),
            visit_started_at: DateTime::from_timestamp(session_start, 0),
            landing_url: Some("https://acme.example/plumbing?utm_source=google&utm_medium=cpc".into()),
            ..VisitorIds::default()
        },
        data,
    }
}

/// The same event from a print ad's number: no cookie, no visit, the source's UTM fields.
pub fn offline(mut event: Event) -> Event {
    event.visitor = VisitorIds {
        attribution: Some(Attribution {
            source: "gazette".into(),
            medium: "print".into(),
            campaign: Some("spring-flyer".into()),
            term: Some("plumber".into()),
            content: None,
        }),
        ..VisitorIds::default()
    };
    event
}

/// A claimed delivery of `event` to `config`.
pub fn claimed(config: IntegrationConfig, event: Event) -> ClaimedDelivery {
    ClaimedDelivery {
        id: 11,
        lease_token: "lease".into(),
        attempt: 1,
        integration: Integration {
            id: IntegrationId(7),
            business_id: BusinessId(1),
            site_id: Some(SiteId(1)),
            name: "analytics".into(),
            config,
            enabled: true,
            created_at: Utc::now(),
        },
        event,
    }
}

/// Calls `adapter` as the worker does, with a fresh store it does not need.
pub async fn deliver(adapter: &dyn Adapter, delivery: &ClaimedDelivery) -> Result<Sent, Failure> {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&DatabaseUrl::Sqlite(dir.path().join("t.db")), &options)
        .await
        .unwrap();
    let http = leadline::egress::client(Duration::from_secs(5), Reach::PublicAndLoopback);
    let cache = Cache::default();
    let ctx = Context {
        http: &http,
        store: &store,
        delivery,
        timeout: Duration::from_secs(5),
        cache: &cache,
        provider_api_base: "https://api.twilio.com",
        mailer: None,
        base_url: "http://127.0.0.1",
        push: None,
    };
    let outcome = adapter.deliver(&ctx).await;
    store.close().await;
    outcome
}
