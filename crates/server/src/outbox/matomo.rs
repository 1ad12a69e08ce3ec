//! Matomo HTTP Tracking API, the analytics target for businesses that host their own: calls,
//! forms and lead status changes as events (`e_c` `Calls`, `Forms`, `Leads`; `e_a` the
//! action; `e_n` the record ref; `e_v` a call's duration), a completed form or answered call
//! also as a conversion of the integration's goal, and a sale as an ecommerce order
//! (`idgoal=0`, `ec_id` the ref). Every delivery is one bulk request
//! (`POST {url}/matomo.php` with `{"requests": [...]}`).
//!
//! - The visitor (`_id`, and `cid` to force it) is 16 hex digits of a stable hash of the
//!   visitor key, else of the lead id, so that every event of a person lands on one visitor.
//! - Backdating (`cdt`) needs the `token_auth`; without a token the hits are recorded at the
//!   time of delivery.
//! - Matomo has no idempotency key. Each hit carries the delivery's key as
//!   `leadline_event_id`, a parameter Matomo ignores (it is visible in its tracker debug log
//!   and in any proxy's log), and it is logged here. A retry after a timeout can count an
//!   event twice; an ecommerce order is not, since Matomo discards an order id it has already
//!   recorded (unless its "anonymize order IDs" privacy setting is on).

use super::ga4::payload::{self, sale_ref, transaction_id};
use super::{Adapter, Context, Failure, Sent, http_failure, transport_failure};
use async_trait::async_trait;
use leadline_core::event::{Event, EventData, EventKind};
use leadline_core::lead::LeadStatus;
use leadline_core::money::format_minor;
use leadline_core::outbox::IntegrationConfig;
use leadline_core::visitor::refused_analytics;
use serde_json::{Value, json};
use std::fmt;

/// The Matomo adapter.
pub struct Matomo;

/// The host of the synthetic URL of hits with no landing page (offline sources, callers with
/// no visit): `.invalid` never resolves.
pub const SYNTHETIC_HOST: &str = "https://leadline.invalid";

/// One tracking request's parameters, in order.
pub type Hit = Vec<(&'static str, String)>;

/// What an event becomes: hits to send, or why none are.
pub type Built = payload::Built<Vec<Hit>, Skip>;

/// Why Matomo is sent nothing for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Matomo has no event for this kind (a note, a lead update).
    NoEvent(EventKind),
    /// Matomo has no lead event for the status the lead moved to (`new`, `in_call`).
    NoLeadEvent(LeadStatus),
    /// The visitor refused analytics (the site's consent signal, Global Privacy Control).
    NoConsent,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoEvent(kind) => write!(f, "nothing to send: Matomo receives no event for {}", kind.as_str()),
            Self::NoLeadEvent(status) => write!(
                f,
                "nothing to send: Matomo receives no event for the status '{}'",
                status.as_str()
            ),
            Self::NoConsent => f.write_str("nothing to send: the visitor refused analytics"),
        }
    }
}

/// What the integration adds to every hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub site_id: u32,
    pub goal_id: Option<u32>,
    /// A token is configured, so `cdt` may backdate.
    pub backdate: bool,
}

/// 64-bit FNV-1a: a fixed, documented hash, so a visitor's id never changes between releases.
fn fnv1a64(input: &str) -> u64 {
    input.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The 16-hex-digit Matomo visitor id: of the visitor key, else the lead, else the event.
pub fn visitor_id(event: &Event) -> String {
    let basis = match (&event.visitor.visitor_key, &event.lead) {
        (Some(key), _) => format!("visitor:{key}"),
        (None, Some(lead)) => format!("lead:{}", lead.id.0),
        (None, None) => format!("event:{}", event.id),
    };
    format!("{:016x}", fnv1a64(&basis))
}

/// The ref the event is labelled with.
fn record_ref(event: &Event) -> Option<u64> {
    event.record_ref.or(event.lead.as_ref().map(|l| l.record_ref))
}

/// The page the hit is on: the landing page, else a synthetic one for the record.
fn page_url(event: &Event) -> String {
    let landing = event
        .visitor
        .landing_url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    match (landing, record_ref(event)) {
        (Some(url), _) => url.to_owned(),
        (None, Some(reference)) => format!("{SYNTHETIC_HOST}/lead/{reference}"),
        (None, None) => format!("{SYNTHETIC_HOST}/"),
    }
}

/// The hits for `event`, delivered under `idempotency_key`.
pub fn build(event: &Event, idempotency_key: &str, target: Target) -> Built {
    if event.visitor.visitor_key.as_deref().is_some_and(refused_analytics) {
        return Built::Skip(Skip::NoConsent);
    }
    let reference = record_ref(event).map(|r| r.to_string());
    let label = reference.clone().unwrap_or_default();
    let mut common: Hit = vec![
        ("idsite", target.site_id.to_string()),
        ("rec", "1".into()),
        ("apiv", "1".into()),
        ("send_image", "0".into()),
        ("_id", visitor_id(event)),
        ("cid", visitor_id(event)),
        ("url", page_url(event)),
        ("leadline_event_id", idempotency_key.to_owned()),
    ];
    if target.backdate {
        common.push(("cdt", event.occurred_at.timestamp().to_string()));
    }
    // An offline source's campaign, for the goals and orders of a visit Matomo never saw.
    let offline = event.visitor.ga_cookie.is_none() && event.visitor.landing_url.is_none();
    if let Some(utm) = event.visitor.attribution.as_ref().filter(|_| offline) {
        if let Some(campaign) = utm.campaign.as_deref().filter(|c| !c.is_empty()) {
            common.push(("_rcn", campaign.to_owned()));
        }
        if let Some(term) = utm.term.as_deref().filter(|t| !t.is_empty()) {
            common.push(("_rck", term.to_owned()));
        }
    }
    let hit = |own: Vec<(&'static str, String)>| -> Hit { common.iter().cloned().chain(own).collect() };
    let matomo_event = |category: &str, action: &str, value: Option<String>| {
        let mut own = vec![
            ("e_c", category.to_owned()),
            ("e_a", action.to_owned()),
            ("e_n", label.clone()),
        ];
        own.extend(value.map(|v| ("e_v", v)));
        hit(own)
    };
    let goal = || target.goal_id.map(|id| hit(vec![("idgoal", id.to_string())]));

    let hits = match &event.data {
        EventData::CallInitiated(_) => vec![matomo_event("Calls", "initiated", None)],
        EventData::CallDialed(_) => vec![matomo_event("Calls", "dialed", None)],
        EventData::CallConnected(_) => vec![matomo_event("Calls", "connected", None)],
        EventData::CallCompleted(call) => {
            let duration = call.duration_seconds.to_string();
            let mut hits = vec![matomo_event("Calls", "completed", Some(duration))];
            if call.answered {
                hits.extend(goal());
            }
            hits
        }
        EventData::FormCompleted(_) => {
            let mut hits = vec![matomo_event("Forms", "completed", None)];
            hits.extend(goal());
            hits
        }
        EventData::LeadStatusChanged(changed) => match changed.change.to {
            to @ (LeadStatus::Contacted | LeadStatus::Qualified | LeadStatus::Converted | LeadStatus::Lost) => {
                vec![matomo_event("Leads", to.as_str(), None)]
            }
            to @ (LeadStatus::New | LeadStatus::InCall) => return Built::Skip(Skip::NoLeadEvent(to)),
        },
        EventData::SaleRecorded(recorded) => {
            let sale = &recorded.change;
            let (order, transaction) = match (sale_ref(event, sale), transaction_id(event, sale)) {
                (Ok(order), Ok(transaction)) => (order.to_string(), transaction),
                (Err(refusal), _) | (_, Err(refusal)) => return Built::Refuse(refusal),
            };
            let digits = sale.currency.minor_digits();
            let revenue = format_minor(sale.revenue_minor, digits);
            // [sku, name, category, price, quantity]
            let items = json!([[
                order,
                format!("Lead {order}"),
                "",
                revenue.parse::<f64>().unwrap_or(0.0),
                1
            ]]);
            vec![hit(vec![
                ("idgoal", "0".into()),
                // One order per sale: Matomo discards an order id it has already recorded.
                ("ec_id", transaction),
                ("revenue", revenue.clone()),
                ("ec_st", revenue),
                ("ec_items", items.to_string()),
            ])]
        }
        data @ (EventData::NoteAdded(_)
        | EventData::LeadUpdated(_)
        | EventData::LeadErased(_)
        | EventData::ConversionMarked(_)
        | EventData::ConversionUnmarked(_)
        | EventData::CallSpamChanged(_)) => {
            return Built::Skip(Skip::NoEvent(data.kind()));
        }
    };
    Built::Send(hits)
}

/// `{url}/matomo.php`, unless the URL already names the tracker script.
fn tracker_url(base: &str) -> Result<url::Url, Failure> {
    let base = base.trim();
    let full = if base.ends_with(".php") {
        base.to_owned()
    } else {
        format!("{}/matomo.php", base.trim_end_matches('/'))
    };
    url::Url::parse(&full).map_err(|e| Failure::Permanent(format!("the Matomo URL '{base}' is not a URL: {e}")))
}

/// The bulk body: each hit as a query string, the token once for all.
pub fn bulk_body(hits: &[Hit], token_auth: Option<&str>) -> Value {
    let requests: Vec<String> = hits
        .iter()
        .map(|hit| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in hit {
                query.append_pair(name, value);
            }
            format!("?{}", query.finish())
        })
        .collect();
    let mut body = json!({ "requests": requests });
    if let Some(token) = token_auth {
        body["token_auth"] = json!(token);
    }
    body
}

#[async_trait]
impl Adapter for Matomo {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let IntegrationConfig::Matomo {
            url,
            site_id,
            token_auth,
            goal_id,
        } = &ctx.delivery.integration.config
        else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the Matomo adapter",
                ctx.delivery.integration.config.kind()
            )));
        };
        let token = token_auth.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let key = ctx.delivery.idempotency_key();
        let target = Target {
            site_id: *site_id,
            goal_id: *goal_id,
            backdate: token.is_some(),
        };
        let hits = match build(&ctx.delivery.event, &key, target) {
            Built::Send(hits) => hits,
            Built::Skip(reason) => {
                return Ok(Sent {
                    response: Some(reason.to_string()),
                });
            }
            Built::Refuse(reason) => return Err(Failure::Permanent(format!("not sent: {reason}"))),
        };
        // Recorded without the URL, which may hold credentials (`https://user:pass@…`).
        let endpoint = tracker_url(url)?;
        let response = ctx
            .http
            .post(endpoint)
            .timeout(ctx.timeout)
            .json(&bulk_body(&hits, token))
            .send()
            .await
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e.without_url()))?;
        if !status.is_success() {
            return Err(http_failure(status, &body));
        }
        tracing::info!(idempotency_key = %key, site_id = *site_id, hits = hits.len(), "Matomo: sent");
        bulk_answer(status.as_u16(), &body, hits.len())
    }
}

/// Matomo's bulk answer (`{"status":"success","tracked":2,"invalid":0}`): an invalid request
/// is not retried (the others were recorded).
fn bulk_answer(status: u16, body: &str, sent: usize) -> Result<Sent, Failure> {
    let short: String = body.chars().take(500).collect();
    let Ok(answer) = serde_json::from_str::<Value>(body) else {
        return Ok(Sent {
            response: Some(format!("sent {sent} requests (HTTP {status})")),
        });
    };
    if answer["status"].as_str() == Some("error") {
        return Err(Failure::Permanent(format!("Matomo refused the requests: {short}")));
    }
    let invalid = answer["invalid"].as_u64().unwrap_or(0);
    if invalid > 0 {
        return Err(Failure::Permanent(format!(
            "Matomo found {invalid} of {sent} requests invalid: {short}"
        )));
    }
    Ok(Sent { response: Some(short) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::ga4::payload::Refusal;
    use crate::outbox::ga4::payload::tests::{event, offline};
    use leadline_core::call::CallOutcome;
    use leadline_core::event::samples as data;
    use leadline_core::lead::LeadMatch;

    const KEY: &str = "ev_0123456789abcdefghijkl.7";

    fn target() -> Target {
        Target {
            site_id: 3,
            goal_id: Some(5),
            backdate: true,
        }
    }

    fn hits(event: &Event, target: Target) -> Vec<Hit> {
        match build(event, KEY, target) {
            Built::Send(hits) => hits,
            other => panic!("{other:?}"),
        }
    }

    fn param<'a>(hit: &'a Hit, name: &str) -> Option<&'a str> {
        hit.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn an_answered_call_is_an_event_and_a_goal_on_the_visitor() {
        let e = event(data::completed(95, true, Some(CallOutcome::Answered)));
        let hits = hits(&e, target());
        assert_eq!(hits.len(), 2);
        let (call, goal) = (&hits[0], &hits[1]);
        for hit in &hits {
            assert_eq!(param(hit, "idsite"), Some("3"));
            assert_eq!(param(hit, "rec"), Some("1"));
            assert_eq!(param(hit, "apiv"), Some("1"));
            assert_eq!(param(hit, "_id"), param(hit, "cid"));
            assert_eq!(param(hit, "_id").unwrap().len(), 16);
            assert_eq!(param(hit, "url"), Some("https://acme.example/?utm_source=google"));
            assert_eq!(param(hit, "cdt"), Some(e.occurred_at.timestamp().to_string().as_str()));
            assert_eq!(param(hit, "leadline_event_id"), Some(KEY));
        }
        assert_eq!(
            (
                param(call, "e_c"),
                param(call, "e_a"),
                param(call, "e_n"),
                param(call, "e_v")
            ),
            (Some("Calls"), Some("completed"), Some("1042"), Some("95"))
        );
        assert_eq!(param(goal, "idgoal"), Some("5"));
        assert_eq!(param(goal, "e_c"), None);
    }

    #[test]
    fn an_unanswered_call_converts_no_goal_and_no_goal_id_means_no_goal() {
        let e = event(data::completed(0, false, None));
        assert_eq!(hits(&e, target()).len(), 1);
        let form = event(data::form(LeadMatch::New));
        assert_eq!(hits(&form, target()).len(), 2);
        let no_goal = Target {
            goal_id: None,
            ..target()
        };
        let form_hits = hits(&form, no_goal);
        assert_eq!(form_hits.len(), 1);
        assert_eq!(param(&form_hits[0], "e_c"), Some("Forms"));
    }

    #[test]
    fn a_visitor_who_refused_analytics_is_sent_nothing() {
        let mut e = event(data::completed(95, true, Some(CallOutcome::Answered)));
        e.visitor.visitor_key = Some("nc:9f86d081884c7d65".into());
        assert_eq!(build(&e, "k", target()), Built::Skip(Skip::NoConsent));
    }

    #[test]
    fn without_a_token_nothing_is_backdated() {
        let e = event(data::dialed());
        let hits = hits(
            &e,
            Target {
                backdate: false,
                ..target()
            },
        );
        assert_eq!(param(&hits[0], "cdt"), None);
        assert_eq!(param(&hits[0], "e_a"), Some("dialed"));
    }

    #[test]
    fn the_visitor_id_is_stable_and_falls_back_on_the_lead() {
        let e = event(data::initiated());
        assert_eq!(visitor_id(&e), visitor_id(&e.clone()));
        let cookie_less = offline(e.clone());
        assert_ne!(visitor_id(&cookie_less), visitor_id(&e));
        let mut later = offline(event(data::status(LeadStatus::New, LeadStatus::Lost)));
        later.id = "ev_another".into();
        assert_eq!(
            visitor_id(&later),
            visitor_id(&cookie_less),
            "the same lead, the same visitor"
        );
        assert!(visitor_id(&e).bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(format!("{:016x}", fnv1a64("")), "cbf29ce484222325");
        assert_eq!(format!("{:016x}", fnv1a64("a")), "af63dc4c8601ec8c");
    }

    #[test]
    fn an_offline_source_has_a_synthetic_url_and_its_campaign() {
        let e = offline(event(data::form(LeadMatch::Email)));
        let hit = &hits(&e, target())[0];
        assert_eq!(param(hit, "url"), Some("https://leadline.invalid/lead/1042"));
        assert_eq!(param(hit, "_rcn"), Some("spring"));
        assert_eq!(param(hit, "_rck"), None);
    }

    #[test]
    fn statuses_are_lead_events_and_new_in_call_or_a_note_send_nothing() {
        for to in [
            LeadStatus::Contacted,
            LeadStatus::Qualified,
            LeadStatus::Converted,
            LeadStatus::Lost,
        ] {
            let e = event(data::status(LeadStatus::New, to));
            let hit = &hits(&e, target())[0];
            assert_eq!(
                (param(hit, "e_c"), param(hit, "e_a")),
                (Some("Leads"), Some(to.as_str()))
            );
        }
        for to in [LeadStatus::New, LeadStatus::InCall] {
            let e = event(data::status(LeadStatus::Contacted, to));
            assert_eq!(build(&e, KEY, target()), Built::Skip(Skip::NoLeadEvent(to)));
        }
        assert_eq!(
            Skip::NoLeadEvent(LeadStatus::InCall).to_string(),
            "nothing to send: Matomo receives no event for the status 'in_call'"
        );
        let note = event(data::note("hi"));
        assert_eq!(
            build(&note, KEY, target()),
            Built::Skip(Skip::NoEvent(EventKind::NoteAdded))
        );
        assert_eq!(
            Skip::NoEvent(EventKind::LeadUpdated).to_string(),
            "nothing to send: Matomo receives no event for lead.updated"
        );
    }

    #[test]
    fn a_sale_is_an_ecommerce_order_on_the_ref() {
        let e = event(data::sale("USD", 120_005, 0, Some(1042)));
        let hits = hits(&e, target());
        assert_eq!(hits.len(), 1);
        let order = &hits[0];
        assert_eq!(param(order, "idgoal"), Some("0"));
        assert_eq!(
            param(order, "ec_id"),
            Some("1042-ev_0123456789abcdefghijkl"),
            "one order per sale, not per ref"
        );
        assert_eq!(param(order, "revenue"), Some("1200.05"));
        assert_eq!(param(order, "ec_items"), Some(r#"[["1042","Lead 1042","",1200.05,1]]"#));
        let mut unlabelled = event(data::sale("USD", 1, 0, None));
        unlabelled.lead = None;
        unlabelled.record_ref = None;
        assert_eq!(
            build(&unlabelled, KEY, target()),
            Built::Refuse(Refusal::SaleWithoutRef)
        );
    }

    #[test]
    fn the_bulk_body_has_query_strings_and_the_token_once() {
        let hits = vec![vec![("idsite", "1".to_owned()), ("e_n", "a b&c".to_owned())]];
        assert_eq!(
            bulk_body(&hits, Some("tok")),
            json!({"requests": ["?idsite=1&e_n=a+b%26c"], "token_auth": "tok"})
        );
        assert_eq!(bulk_body(&hits, None), json!({"requests": ["?idsite=1&e_n=a+b%26c"]}));
    }

    #[test]
    fn the_tracker_url_is_appended_once() {
        assert_eq!(
            tracker_url("https://a.example/").unwrap().as_str(),
            "https://a.example/matomo.php"
        );
        assert_eq!(
            tracker_url("https://a.example/stats").unwrap().as_str(),
            "https://a.example/stats/matomo.php"
        );
        assert_eq!(
            tracker_url("https://a.example/piwik.php").unwrap().as_str(),
            "https://a.example/piwik.php"
        );
    }

    #[test]
    fn invalid_requests_in_the_answer_make_the_delivery_dead() {
        assert!(bulk_answer(200, r#"{"status":"success","tracked":2,"invalid":0}"#, 2).is_ok());
        assert!(matches!(
            bulk_answer(200, r#"{"status":"success","tracked":1,"invalid":1}"#, 2),
            Err(Failure::Permanent(m)) if m.contains("1 of 2")
        ));
        assert!(matches!(
            bulk_answer(200, r#"{"status":"error","message":"bad"}"#, 1),
            Err(Failure::Permanent(_))
        ));
        assert_eq!(
            bulk_answer(204, "", 1).unwrap().response.as_deref(),
            Some("sent 1 requests (HTTP 204)")
        );
    }
}
