//! Signed webhooks: every event, as its JSON, POSTed to the integration's URL and signed the
//! way the leading payment APIs sign theirs (Stripe's scheme): an HMAC-SHA256 under the
//! integration's secret over `"<unix seconds>.<raw body>"`, sent as
//! `Leadline-Signature: t=<unix seconds>,v1=<hex>`. The receiver recomputes it over the body
//! it got and refuses a timestamp older than a few minutes, so a captured request cannot be
//! replayed later. The `Idempotency-Key` is the same on every attempt of a delivery, so a
//! receiver that remembers keys processes each event once however often it is re-sent.

use super::{Adapter, Context, Failure, Sent, http_failure, transport_failure};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use leadline_core::outbox::IntegrationConfig;
use sha2::Sha256;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Leadline-Signature";
/// The header that carries the event's kind (`call.completed`).
pub const EVENT_HEADER: &str = "Leadline-Event";
/// The header that carries the delivery's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// How old (or how far in the future) a signature's timestamp may be for [`verify`].
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The HMAC-SHA256 under `secret` of `"<timestamp>.<body>"`.
fn signature(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The `Leadline-Signature` value for `body` sent at `timestamp` (unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&signature(secret, timestamp, body)))
}

/// Whether `header` (a `Leadline-Signature` value) signs `body` under `secret` with a
/// timestamp within `tolerance` of `now` (unix seconds). Any one of several `v1` values may
/// match (a receiver rotating secrets); the comparison takes the same time wherever the
/// values differ. Unknown schemes (`v0=…`) are ignored.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: Duration) -> bool {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => candidates.extend(unhex(value)),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return false;
    }
    let expected = signature(secret, timestamp, body);
    let mut matched = subtle::Choice::from(0);
    for candidate in &candidates {
        matched |= expected.as_slice().ct_eq(candidate.as_slice());
    }
    bool::from(matched)
}

/// The webhook adapter.
pub struct Webhook;

#[async_trait]
impl Adapter for Webhook {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let delivery = ctx.delivery;
        let IntegrationConfig::Webhook { url, secret } = &delivery.integration.config else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the webhook adapter",
                delivery.integration.config.kind()
            )));
        };
        let body = serde_json::to_vec(&delivery.event)
            .map_err(|e| Failure::Permanent(format!("the event does not serialise: {e}")))?;
        let timestamp = leadline_core::clock::now().timestamp();
        let response = ctx
            .http
            .post(url)
            .timeout(ctx.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                reqwest::header::USER_AGENT,
                concat!("Leadline/", env!("CARGO_PKG_VERSION")),
            )
            .header(SIGNATURE_HEADER, sign(secret, timestamp, &body))
            .header(EVENT_HEADER, delivery.event.kind().as_str())
            .header(IDEMPOTENCY_HEADER, delivery.idempotency_key())
            .body(body)
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(Sent::default());
        }
        let text = response.text().await.unwrap_or_default();
        Err(http_failure(status, &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Cache;
    use leadline_core::event::{Event, EventData, FormCompleted, VisitorIds};
    use leadline_core::form::{MessageId, SubmissionVia};
    use leadline_core::lead::LeadMatch;
    use leadline_core::outbox::{ClaimedDelivery, Integration, IntegrationId};
    use leadline_core::{BusinessId, SiteId};
    use std::sync::{Arc, Mutex};

    // python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec_test",b"1700000000.{\"a\":1}",hashlib.sha256).hexdigest())'
    const VECTOR: &str = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";

    #[test]
    fn the_signature_matches_an_independently_computed_vector() {
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            format!("t=1700000000,v1={VECTOR}")
        );
    }

    #[test]
    fn a_signature_verifies_only_for_its_secret_body_and_time() {
        let body = br#"{"a":1}"#;
        let header = format!("t=1700000000,v1={VECTOR}");
        let t = 1_700_000_000;
        assert!(verify("whsec_test", &header, body, t, TOLERANCE));
        assert!(verify("whsec_test", &header, body, t + 300, TOLERANCE));
        assert!(verify("whsec_test", &header, body, t - 300, TOLERANCE));
        assert!(
            !verify("whsec_test", &header, body, t + 301, TOLERANCE),
            "replayed too late"
        );
        assert!(
            !verify("whsec_test", &header, body, t - 301, TOLERANCE),
            "from the future"
        );
        assert!(!verify("whsec_other", &header, body, t, TOLERANCE));
        assert!(!verify("whsec_test", &header, br#"{"a":2}"#, t, TOLERANCE));
        let moved = format!("t=1700000001,v1={VECTOR}");
        assert!(
            !verify("whsec_test", &moved, body, t, TOLERANCE),
            "the timestamp is signed"
        );
        for garbage in [
            "",
            "t=1700000000",
            "v1=00",
            "t=x,v1=00",
            "t=1700000000,v1=zz",
            "nonsense",
        ] {
            assert!(!verify("whsec_test", garbage, body, t, TOLERANCE), "{garbage}");
        }
    }

    #[test]
    fn any_of_several_signatures_may_match_and_unknown_schemes_are_ignored() {
        let body = br#"{"a":1}"#;
        let header = format!("t=1700000000, v0=abc, v1={}, v1={VECTOR}", "00".repeat(32));
        assert!(verify("whsec_test", &header, body, 1_700_000_000, TOLERANCE));
    }

    #[derive(Default)]
    struct Seen {
        requests: Vec<(axum::http::HeaderMap, bytes::Bytes)>,
        /// The statuses to answer, in turn (the last one from then on).
        statuses: Vec<u16>,
    }

    type Shared = Arc<Mutex<Seen>>;

    async fn record(
        axum::extract::State(seen): axum::extract::State<Shared>,
        headers: axum::http::HeaderMap,
        body: bytes::Bytes,
    ) -> (axum::http::StatusCode, &'static str) {
        let mut seen = seen.lock().unwrap();
        seen.requests.push((headers, body));
        let n = seen.requests.len().min(seen.statuses.len()) - 1;
        (axum::http::StatusCode::from_u16(seen.statuses[n]).unwrap(), "nope")
    }

    /// A receiver that records what it gets and answers with the statuses given, in turn.
    async fn receiver(statuses: Vec<u16>) -> (String, Shared) {
        let seen = Arc::new(Mutex::new(Seen {
            statuses,
            ..Seen::default()
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/hook"), seen)
    }

    fn claimed(url: &str) -> ClaimedDelivery {
        ClaimedDelivery {
            id: 7,
            lease_token: "lease".into(),
            attempt: 1,
            integration: Integration {
                id: IntegrationId(3),
                business_id: BusinessId(1),
                site_id: None,
                name: "Warehouse".into(),
                config: IntegrationConfig::Webhook {
                    url: url.into(),
                    secret: "whsec_unit".into(),
                },
                enabled: true,
                created_at: leadline_core::clock::now(),
            },
            event: Event {
                id: "ev_0123456789abcdefghijkl".into(),
                occurred_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
                business_id: BusinessId(1),
                site_id: Some(SiteId(2)),
                record_ref: Some(1001),
                lead: None,
                visitor: VisitorIds {
                    visitor_key: Some("vk_abc".into()),
                    ga_cookie: Some("GA1.1.123.456".into()),
                    ..VisitorIds::default()
                },
                data: EventData::FormCompleted(FormCompleted {
                    fields: vec![("message".into(), "Call me back".into())],
                    matched_by: LeadMatch::VisitorKey,
                    message_id: MessageId::parse("m_0123456789abcdefghijkl").unwrap(),
                    page_url: None,
                    via: SubmissionVia::Browser,
                }),
            },
        }
    }

    async fn deliver(url: &str) -> Result<Sent, Failure> {
        let dir = tempfile::tempdir().unwrap();
        let url_db =
            leadline_store::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        let options = leadline_store::OpenOptions {
            create_if_missing: true,
            sealer: Some(leadline_core::sealing::Sealer::for_tests()),
            ..leadline_store::OpenOptions::default()
        };
        let store = leadline_store::SqlStore::open_and_migrate(&url_db, &options)
            .await
            .unwrap();
        let delivery = claimed(url);
        let http = crate::egress::client(Duration::from_secs(5), leadline_core::net::Reach::PublicAndLoopback);
        let cache = Cache::default();
        let ctx = Context {
            http: &http,
            store: &store,
            delivery: &delivery,
            timeout: Duration::from_secs(5),
            cache: &cache,
            provider_api_base: "https://api.twilio.com",
            mailer: None,
            base_url: "http://127.0.0.1",
            push: None,
        };
        Webhook.deliver(&ctx).await
    }

    #[tokio::test]
    async fn a_delivery_posts_the_signed_event_with_its_key() {
        let (url, seen) = receiver(vec![204]).await;
        assert_eq!(deliver(&url).await, Ok(Sent::default()));
        let seen = seen.lock().unwrap();
        let (headers, body) = &seen.requests[0];
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(header("leadline-event"), "form.completed");
        assert_eq!(header("idempotency-key"), "ev_0123456789abcdefghijkl.3");
        assert!(header("user-agent").starts_with("Leadline/"));
        let now = leadline_core::clock::now().timestamp();
        assert!(verify(
            "whsec_unit",
            &header("leadline-signature"),
            body,
            now,
            TOLERANCE
        ));
        let event: Event = serde_json::from_slice(body).unwrap();
        assert_eq!(event, claimed(&url).event);
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(json["kind"], "form.completed");
        assert_eq!(json["visitor"]["visitor_key"], "vk_abc");
        assert_eq!(json["visitor"]["ga_cookie"], "GA1.1.123.456");
    }

    #[tokio::test]
    async fn server_errors_are_retried_and_refusals_are_final() {
        let (url, _) = receiver(vec![500]).await;
        assert!(matches!(deliver(&url).await, Err(Failure::Retry(m)) if m.contains("500")));
        let (url, _) = receiver(vec![429]).await;
        assert!(matches!(deliver(&url).await, Err(Failure::Retry(_))));
        let (url, _) = receiver(vec![410]).await;
        assert!(matches!(deliver(&url).await, Err(Failure::Permanent(m)) if m.contains("410")));
    }

    #[tokio::test]
    async fn an_unreachable_target_is_retried() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert!(matches!(
            deliver(&format!("http://{addr}/hook")).await,
            Err(Failure::Retry(_))
        ));
    }
}
