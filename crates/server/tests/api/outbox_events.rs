//! Events as the outbox worker hands them to an adapter, built by hand, and the call the
//! worker makes: for the adapter tests that run against local fakes of the targets.

use chrono::{DateTime, Utc};
use leadline::outbox::{Adapter, Cache, Context, Failure, Sent};
use leadline_core::call::{CallOutcome, MatchedBy};
use leadline_core::channel::Attribution;
use leadline_core::event::{
    Authored, CallCompleted, CallConnected, CallDialed, CallInitiated, Event, EventData, FormCompleted, LeadSnapshot,
    Sale, StatusChange, VisitorIds,
};
use leadline_core::form::{MessageId, SubmissionVia};
use leadline_core::lead::{Author, LeadMatch, LeadStatus};
use leadline_core::outbox::{ClaimedDelivery, Integration, IntegrationConfig, IntegrationId};
use leadline_core::site::Currency;
use leadline_core::{BusinessId, LeadId, SiteId};
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use std::collections::BTreeMap;
use std::time::Duration;

/// The data of each kind, as the adapter tests need it.
pub mod data {
    use super::*;

    pub fn initiated() -> EventData {
        EventData::CallInitiated(CallInitiated {
            element: "call-now".into(),
            page_url: "https://acme.example/plumbing".into(),
        })
    }

    pub fn dialed() -> EventData {
        EventData::CallDialed(CallDialed {
            caller: "+12025550199".into(),
            matched_by: MatchedBy::Code,
            source_label: None,
        })
    }

    pub fn connected() -> EventData {
        EventData::CallConnected(CallConnected {
            answered_by: Some("+12025550111".into()),
        })
    }

    pub fn completed(duration_seconds: u32, answered: bool, outcome: Option<CallOutcome>) -> EventData {
        EventData::CallCompleted(CallCompleted {
            answered,
            answered_by: answered.then(|| "+12025550111".into()),
            duration_seconds,
            outcome,
        })
    }

    pub fn form(matched_by: LeadMatch) -> EventData {
        EventData::FormCompleted(FormCompleted {
            fields: vec![("message".into(), "Call me back".into())],
            matched_by,
            message_id: MessageId::generate(),
            page_url: Some("https://acme.example/contact".into()),
            via: SubmissionVia::Browser,
        })
    }

    pub fn status(from: LeadStatus, to: LeadStatus) -> EventData {
        EventData::LeadStatusChanged(Authored {
            author: Author::system(),
            change: StatusChange { from, to },
        })
    }

    /// A sale whose profit is revenue less cost.
    pub fn sale(currency: &str, revenue_minor: i64, cost_minor: i64, call_ref: Option<u64>) -> EventData {
        EventData::SaleRecorded(Authored {
            author: Author::system(),
            change: Sale {
                call_ref,
                cost_basis: None,
                cost_minor,
                currency: Currency::parse(currency).unwrap(),
                profit_minor: revenue_minor - cost_minor,
                revenue_minor,
            },
        })
    }
}

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
        lead: Some(LeadSnapshot {
            id: LeadId(42),
            record_ref: 1040,
            status: "new".into(),
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            phone: None,
            company: None,
            source: Some("google / cpc".into()),
            tags: vec![],
        }),
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
        ..OpenOptions::default()
    };
    let store = SqlStore::open_and_migrate(&DatabaseUrl::Sqlite(dir.path().join("t.db")), &options)
        .await
        .unwrap();
    let http = leadline::egress::client(Duration::from_secs(5));
    let cache = Cache::default();
    let ctx = Context {
        http: &http,
        store: &store,
        delivery,
        timeout: Duration::from_secs(5),
        cache: &cache,
        provider_api_base: "https://api.twilio.com",
        mailer: None,
    };
    let outcome = adapter.deliver(&ctx).await;
    store.close().await;
    outcome
}
