//! The Matomo adapter against a local fake `/matomo.php` that checks every bulk request and
//! every tracking request in it (site, visitor id, URL, events, goals, ecommerce orders,
//! backdating only with a token) and records them.

use crate::fakes::FakeApi;
use crate::outbox_events::{claimed, deliver, event, offline};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::Utc;
use leadline::outbox::Failure;
use leadline::outbox::matomo::Matomo;
use leadline_core::call::CallOutcome;
use leadline_core::event::samples as data;
use leadline_core::lead::{LeadMatch, LeadStatus};
use leadline_core::outbox::IntegrationConfig;
use serde_json::{Value, json};
use std::collections::HashMap;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// One bulk post: its token and its tracking requests, and what was wrong with them.
#[derive(Debug, Clone)]
struct Received {
    token_auth: Option<String>,
    requests: Vec<HashMap<String, String>>,
    problems: Vec<String>,
}

/// A fake Matomo: `/matomo.php` answers `status`, and when that is a success, counts
/// `invalid` of the tracking requests of each post invalid.
async fn fake_matomo(status: StatusCode, invalid: usize) -> FakeApi {
    let track = move |headers: HeaderMap, body: Bytes| async move {
        if !status.is_success() {
            return (status, "down").into_response();
        }
        let count = check(&headers, &body).requests.len();
        let invalid = invalid.min(count);
        axum::Json(json!({"status": "success", "tracked": count - invalid, "invalid": invalid})).into_response()
    };
    FakeApi::start(Router::new().route("/matomo.php", post(track))).await
}

const KNOWN: [&str; 21] = [
    "idsite",
    "rec",
    "apiv",
    "send_image",
    "_id",
    "cid",
    "url",
    "cdt",
    "e_c",
    "e_a",
    "e_n",
    "e_v",
    "idgoal",
    "revenue",
    "ec_id",
    "ec_st",
    "ec_items",
    "_rcn",
    "_rck",
    "action_name",
    "leadline_event_id",
];

fn hex16(value: &str) -> bool {
    value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn number(value: &str) -> bool {
    value.parse::<f64>().is_ok_and(f64::is_finite)
}

/// The Tracking API's rules for a bulk post, checked independently of the adapter.
fn check(headers: &HeaderMap, raw: &[u8]) -> Received {
    let mut problems = Vec::new();
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        problems.push("a bulk post is JSON".to_owned());
    }
    let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
    let token_auth = body["token_auth"].as_str().map(str::to_owned);
    let Some(list) = body["requests"].as_array() else {
        problems.push("no requests list".into());
        return Received {
            token_auth,
            requests: vec![],
            problems,
        };
    };
    let mut requests = Vec::new();
    for (i, request) in list.iter().enumerate() {
        let Some(query) = request.as_str().and_then(|q| q.strip_prefix('?')) else {
            problems.push(format!("requests[{i}] is not a '?query' string"));
            continue;
        };
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |name: &str| params.get(name).map(String::as_str);
        let mut flag = |problem: String| problems.push(format!("requests[{i}]: {problem}"));
        for name in params.keys() {
            if !KNOWN.contains(&name.as_str()) {
                flag(format!("unexpected parameter {name}"));
            }
        }
        if !get("idsite").is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n > 0)) {
            flag("idsite is not a site id".into());
        }
        if get("rec") != Some("1") {
            flag("rec=1 is required".into());
        }
        if get("apiv").is_some_and(|v| v != "1") {
            flag("apiv is 1".into());
        }
        if !get("_id").is_some_and(hex16) {
            flag("_id is not 16 hex digits".into());
        }
        if get("cid").is_some_and(|c| !hex16(c) || Some(c) != get("_id")) {
            flag("cid is not the visitor id".into());
        }
        if !get("url").is_some_and(|u| url::Url::parse(u).is_ok_and(|u| u.scheme().starts_with("http"))) {
            flag("url is not an absolute http(s) URL".into());
        }
        if let Some(cdt) = get("cdt") {
            if token_auth.is_none() {
                flag("cdt without token_auth".into());
            }
            if !cdt
                .parse::<i64>()
                .is_ok_and(|t| t > 1_000_000_000 && t <= Utc::now().timestamp() + 60)
            {
                flag(format!("cdt '{cdt}' is not a past Unix time"));
            }
        }
        let is_event = get("e_c").is_some() || get("e_a").is_some();
        if is_event && (get("e_c").is_none_or(str::is_empty) || get("e_a").is_none_or(str::is_empty)) {
            flag("an event needs both e_c and e_a".into());
        }
        if !is_event && (get("e_n").is_some() || get("e_v").is_some()) {
            flag("e_n or e_v without an event".into());
        }
        if get("e_v").is_some_and(|v| !number(v)) {
            flag("e_v is not a number".into());
        }
        if get("revenue").is_some_and(|v| !number(v)) {
            flag("revenue is not a number".into());
        }
        match get("idgoal") {
            Some("0") => {
                if get("ec_id").is_none_or(str::is_empty) || get("revenue").is_none() {
                    flag("an ecommerce order needs ec_id and revenue".into());
                }
                let items: Option<Vec<Value>> = get("ec_items").and_then(|i| serde_json::from_str(i).ok());
                if get("ec_items").is_some() && !items.is_some_and(|i| i.iter().all(Value::is_array)) {
                    flag("ec_items is a JSON list of lists".into());
                }
            }
            Some(goal) if goal.parse::<u32>().is_ok_and(|g| g > 0) => {}
            Some(goal) => flag(format!("idgoal '{goal}' is not a goal")),
            None => {}
        }
        if is_event && get("idgoal").is_some() {
            flag("a goal request is not also an event (Matomo records only the conversion)".into());
        }
        if !is_event && get("idgoal").is_none() && get("action_name").is_none() {
            flag("nothing to track".into());
        }
        requests.push(params);
    }
    Received {
        token_auth,
        requests,
        problems,
    }
}

/// The posts received, after asserting that every one of them was valid.
fn valid(fake: &FakeApi) -> Vec<Received> {
    let checked = fake.requests().into_iter().map(|r| check(&r.headers, &r.body));
    let all: Vec<Received> = checked.collect();
    for r in &all {
        assert!(r.problems.is_empty(), "the fake Matomo found {:?}", r.problems);
    }
    all
}

fn matomo(url: &str, token: Option<&str>, goal: Option<u32>) -> IntegrationConfig {
    IntegrationConfig::Matomo {
        url: url.into(),
        site_id: 3,
        token_auth: token.map(str::to_owned),
        goal_id: goal,
    }
}

#[tokio::test]
async fn an_answered_call_is_a_backdated_event_and_a_goal_conversion() {
    let fake = fake_matomo(StatusCode::OK, 0).await;
    let e = event(data::completed(95, true, Some(CallOutcome::Answered)));
    let delivery = claimed(matomo(&fake.url, Some(TOKEN), Some(4)), e.clone());
    let sent = deliver(&Matomo, &delivery).await.unwrap();
    assert_eq!(
        sent.response.as_deref(),
        Some(r#"{"invalid":0,"status":"success","tracked":2}"#)
    );

    let all = valid(&fake);
    assert_eq!(all.len(), 1, "one bulk post");
    let post = &all[0];
    assert_eq!(post.token_auth.as_deref(), Some(TOKEN));
    let [call, goal] = post.requests.as_slice() else {
        panic!("{:?}", post.requests)
    };
    for hit in [call, goal] {
        assert_eq!(hit["idsite"], "3");
        assert_eq!(hit["cdt"], e.occurred_at.timestamp().to_string());
        assert_eq!(
            hit["url"],
            "https://acme.example/plumbing?utm_source=google&utm_medium=cpc"
        );
        assert_eq!(hit["leadline_event_id"], delivery.idempotency_key());
        assert_eq!(hit["_id"], call["_id"]);
    }
    assert_eq!(
        (&*call["e_c"], &*call["e_a"], &*call["e_n"], &*call["e_v"]),
        ("Calls", "completed", "1042", "95")
    );
    assert_eq!(goal["idgoal"], "4");
}

#[tokio::test]
async fn without_a_token_nothing_is_backdated_and_no_token_is_sent() {
    let fake = fake_matomo(StatusCode::OK, 0).await;
    for data in [data::initiated(), data::dialed(), data::connected()] {
        deliver(&Matomo, &claimed(matomo(&fake.url, None, Some(4)), event(data)))
            .await
            .unwrap();
    }
    let all = valid(&fake);
    let actions: Vec<&str> = all.iter().map(|p| p.requests[0]["e_a"].as_str()).collect();
    assert_eq!(actions, ["initiated", "dialed", "connected"]);
    for post in &all {
        assert_eq!(post.token_auth, None);
        assert_eq!(
            post.requests.len(),
            1,
            "no goal for a call that has not been answered yet"
        );
        assert!(!post.requests[0].contains_key("cdt"));
    }
}

#[tokio::test]
async fn the_same_visitor_carries_a_leads_events_across_deliveries() {
    let fake = fake_matomo(StatusCode::OK, 0).await;
    let form = offline(event(data::form(LeadMatch::New)));
    let status = offline(event(data::status(LeadStatus::New, LeadStatus::Qualified)));
    deliver(&Matomo, &claimed(matomo(&fake.url, Some(TOKEN), Some(4)), form))
        .await
        .unwrap();
    deliver(&Matomo, &claimed(matomo(&fake.url, Some(TOKEN), Some(4)), status))
        .await
        .unwrap();
    let all = valid(&fake);
    let (form, status) = (&all[0].requests, &all[1].requests);
    assert_eq!(form.len(), 2, "the form event and the goal");
    assert_eq!(
        (&*form[0]["e_c"], &*form[0]["e_a"], &*form[1]["idgoal"]),
        ("Forms", "completed", "4")
    );
    assert_eq!(form[0]["url"], "https://leadline.invalid/lead/1042");
    assert_eq!(form[0]["_rcn"], "spring-flyer");
    assert_eq!(form[0]["_rck"], "plumber");
    assert_eq!((&*status[0]["e_c"], &*status[0]["e_a"]), ("Leads", "qualified"));
    assert_eq!(form[0]["_id"], status[0]["_id"]);
}

#[tokio::test]
async fn a_sale_is_an_ecommerce_order() {
    let fake = fake_matomo(StatusCode::OK, 0).await;
    let e = event(data::sale("EUR", 49_990, 10_000, None));
    deliver(&Matomo, &claimed(matomo(&fake.url, Some(TOKEN), None), e))
        .await
        .unwrap();
    let all = valid(&fake);
    let order = &all[0].requests[0];
    assert_eq!(
        (&*order["idgoal"], &*order["ec_id"], &*order["revenue"]),
        ("0", &*order["ec_id"], "499.90")
    );
    assert!(
        order["ec_id"].starts_with("1040-ev_"),
        "one order per sale: {}",
        order["ec_id"]
    );
    assert!(!order.contains_key("e_c"));
}

#[tokio::test]
async fn statuses_without_an_event_send_nothing() {
    let fake = fake_matomo(StatusCode::OK, 0).await;
    let e = event(data::status(LeadStatus::Contacted, LeadStatus::InCall));
    let sent = deliver(&Matomo, &claimed(matomo(&fake.url, None, None), e))
        .await
        .unwrap();
    assert_eq!(
        sent.response.as_deref(),
        Some("nothing to send: Matomo receives no event for the status 'in_call'")
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn invalid_requests_are_final_and_server_errors_retry() {
    let fake = fake_matomo(StatusCode::OK, 1).await;
    let e = event(data::form(LeadMatch::Email));
    match deliver(&Matomo, &claimed(matomo(&fake.url, Some(TOKEN), Some(4)), e.clone())).await {
        Err(Failure::Permanent(message)) => assert!(message.contains("1 of 2"), "{message}"),
        other => panic!("{other:?}"),
    }
    valid(&fake);
    let fake = fake_matomo(StatusCode::BAD_GATEWAY, 0).await;
    assert!(matches!(
        deliver(&Matomo, &claimed(matomo(&fake.url, Some(TOKEN), None), e)).await,
        Err(Failure::Retry(message)) if message.contains("502") && !message.contains(TOKEN)
    ));
}
