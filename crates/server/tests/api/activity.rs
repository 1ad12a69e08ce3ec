//! The Activity list in the browser: calls, forms and replies with their filters and CSV, the
//! recordings served through expiring links, and the live feed of calls, on one server and
//! across two sharing PostgreSQL.

use crate::calls::{CALLER, TRACKING};
use crate::crm::submits;
use crate::fakes::FakeApi;
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, client, log_in, page, seeded_lead, user};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use futures::StreamExt;
use leadline::config::Config;
use leadline_core::call::{CallKey, CallReport};
use leadline_core::lead::LeadStatus;
use leadline_core::provider::WebLink;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, NumberStore};
use leadline_core::tenant::Role;
use serde_json::Value;
use std::time::Duration;

async fn logged_in(app: &TestApp, business: leadline_core::BusinessId, email: &str) -> String {
    user(app, business, email, Role::Operator).await;
    log_in(app, email, PASSWORD).await.unwrap()
}

async fn the_activity_list_shows_calls_and_forms_filtered_and_as_csv(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let cookie = logged_in(&app, seeded.site.business_id, "ann@example.com").await;
    let call = seeded_lead(&app, &seeded).await;
    submits(&app, &seeded, "=HYPERLINK(\"http://evil\")", "bea@example.com").await;

    let (status, html) = page(&app, &cookie, "/app/activity").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"<a href="/app/activity" aria-current="page">Activity</a>"#));
    assert!(html.contains(&format!("<td>{call}</td>")), "the call: {html}");
    assert!(
        html.contains("google / cpc") && html.contains("<td>code</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>answered</td>") && html.contains("<td>2:05</td>"),
        "{html}"
    );
    assert!(
        html.find("HYPERLINK") < html.find(&format!("<td>{call}</td>")),
        "the newer form first"
    );

    let (_, answered) = page(&app, &cookie, "/app/activity?outcome=answered").await;
    assert!(answered.contains(&format!("<td>{call}</td>")) && !answered.contains("HYPERLINK"));
    let (_, forms) = page(&app, &cookie, "/app/activity?type=form").await;
    assert!(!forms.contains(&format!("<td>{call}</td>")) && forms.contains("HYPERLINK"));
    let (status, bad) = page(&app, &cookie, "/app/activity?outcome=lost&q=ann").await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("outcome: &#39;lost&#39; is not one of") || bad.contains("outcome: 'lost'"),
        "{bad}"
    );
    assert!(bad.contains(r#"value="ann""#), "the form keeps what was typed");

    let response = client()
        .get(format!("{}/app/activity.csv?type=form", app.base_url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("Type,Ref,Time,Lead,"), "{csv}");
    assert!(lines[1].contains("'=HYPERLINK"), "a formula is written as text: {csv}");

    let rival = app.add_business("rival", "Rival").await;
    let rival_cookie = logged_in(&app, rival.id, "rex@rival.example").await;
    let (_, theirs) = page(&app, &rival_cookie, "/app/activity").await;
    assert!(
        theirs.contains("Nothing matches") && !theirs.contains("HYPERLINK"),
        "{theirs}"
    );
    app.finish().await;
}

/// A provider that serves one recording, to its account's credentials only.
async fn recording_host(account: String) -> FakeApi {
    let path = format!("/2010-04-01/Accounts/{account}/Recordings/RE1.mp3");
    let router = Router::new().route(
        &path,
        get(move |headers: HeaderMap| {
            let expected = format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{account}:{AUTH_TOKEN}")
                )
            );
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str()) {
                    (
                        StatusCode::OK,
                        [("content-type", "audio/mpeg")],
                        b"ID3 a recording".to_vec(),
                    )
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        [("content-type", "text/plain")],
                        b"no".to_vec(),
                    )
                }
            }
        }),
    );
    FakeApi::start(router).await
}

async fn a_recording_plays_through_leadline_by_a_link_that_only_its_business_can_use(engine: Engine) {
    let (probe, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let number = probe.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    probe.finish().await;
    let host = recording_host(number.account_sid.as_str().to_owned()).await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&host.url).unwrap(),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let cookie = logged_in(&app, seeded.site.business_id, "ann@example.com").await;
    let call = seeded_lead(&app, &seeded).await;
    let link = format!(
        "{}/2010-04-01/Accounts/{}/Recordings/RE1",
        host.url,
        number.account_sid.as_str()
    );
    let report = CallReport {
        recording_url: Some(WebLink::parse(&link).unwrap()),
        ..CallReport::default()
    };
    let key = CallKey::Ref {
        business: seeded.site.business_id,
        record_ref: call,
    };
    app.store.report_call(key, &report).await.unwrap();

    let (_, html) = page(&app, &cookie, "/app/activity").await;
    assert!(!html.contains(&host.url), "the provider's URL is never in the page");
    let start = html
        .find(&format!("/app/calls/{call}/recording?"))
        .expect("a recording link");
    let signed = html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let fetch = |path: String, cookie: Option<String>| {
        let url = format!("{}{path}", app.base_url);
        async move {
            let mut request = client().get(url);
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
        }
    };
    let (status, body) = fetch(signed.clone(), Some(cookie.clone())).await;
    assert_eq!((status, body.as_slice()), (200, b"ID3 a recording".as_slice()));
    assert_eq!(fetch(signed.clone(), None).await.0, 303, "to the login page");
    let forged = signed.replace("sig=", "sig=x");
    assert_eq!(fetch(forged, Some(cookie.clone())).await.0, 403);
    let expired = signed.replacen("until=", "until=1", 1);
    assert_eq!(
        fetch(expired, Some(cookie)).await.0,
        403,
        "a changed expiry breaks the signature"
    );
    let rival = app.add_business("rival", "Rival").await;
    let rival_cookie = logged_in(&app, rival.id, "rex@rival.example").await;
    assert_eq!(
        fetch(signed, Some(rival_cookie)).await.0,
        403,
        "another business's user"
    );
    app.finish().await;
}

/// The `call` events of a live feed, as they come.
struct LiveFeed {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl LiveFeed {
    async fn open(app: &TestApp, cookie: &str) -> Self {
        let response = client()
            .get(format!("{}/app/live", app.base_url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next call event's data, within 5 seconds.
    async fn next_call(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                        && event.lines().any(|l| l == "event: call")
                    {
                        return serde_json::from_str(data).unwrap();
                    }
                    continue;
                }
                let chunk = self.stream.next().await.expect("the feed stays open").unwrap();
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("a call event within 5 s")
    }
}

/// Plays a call on `webhooks` while `feed` (of a user of the business) watches it.
async fn a_call_is_seen_in_call_then_answered_then_ended(webhooks: &TestApp, seeded: &Seeded, feed: &mut LiveFeed) {
    let code = webhooks
        .visit_with_code(seeded, "http://localhost/?utm_source=google&utm_medium=cpc")
        .await;
    let answer = webhooks.call_until_dial("CA-live-1", CALLER, &code).await;
    let opened = feed.next_call().await;
    assert_eq!(
        (opened["result"].as_str(), opened["outcome"].as_str()),
        (Some("in_call"), Some("IN CALL"))
    );
    assert_eq!(opened["source"], "google / cpc");
    let business = seeded.site.business_id;
    let lead = webhooks
        .store
        .lead(business, opened["lead_ref"].as_u64().unwrap())
        .await
        .unwrap();
    assert_eq!(lead.status, LeadStatus::InCall);

    let dial = answer.find("Dial").unwrap().attr("action").unwrap().to_owned();
    let whisper = answer.find("Number").and_then(|n| n.attr("url")).map(str::to_owned);
    if let Some(whisper) = whisper {
        webhooks
            .provider(&whisper, &[("CallSid", "CA-child"), ("To", "+12025550111")])
            .await;
        let answered = feed.next_call().await;
        assert_eq!(answered["result"], "answered");
    }
    webhooks
        .provider(
            &dial,
            &[
                ("CallSid", "CA-live-1"),
                ("To", TRACKING),
                ("DialCallStatus", "completed"),
                ("DialCallDuration", "42"),
            ],
        )
        .await;
    let status = format!("{}/twilio/status?number=%2B12025550100", webhooks.base_url);
    webhooks
        .provider(
            &status,
            &[("CallSid", "CA-live-1"), ("To", TRACKING), ("CallStatus", "completed")],
        )
        .await;
    let mut last = feed.next_call().await;
    while last["talk"] != "0:42" {
        last = feed.next_call().await;
    }
    assert_eq!(last["result"], "answered");
    let lead = webhooks
        .store
        .lead(business, last["lead_ref"].as_u64().unwrap())
        .await
        .unwrap();
    assert_eq!(lead.status, LeadStatus::New, "the lead is given its status back");
}

async fn the_live_feed_shows_a_call_as_it_opens_is_answered_and_ends(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let cookie = logged_in(&app, seeded.site.business_id, "ann@example.com").await;
    let mut feed = LiveFeed::open(&app, &cookie).await;
    a_call_is_seen_in_call_then_answered_then_ended(&app, &seeded, &mut feed).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_on_one_server_sees_the_calls_another_server_takes() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let (app, seeded) = TestApp::spawn_site(Engine::Postgres, Config::default(), SiteSettings::default()).await;
    let beside = app.spawn_beside(Config::default()).await;
    let cookie = logged_in(&app, seeded.site.business_id, "ann@example.com").await;
    let mut feed = LiveFeed::open(&beside, &cookie).await;
    a_call_is_seen_in_call_then_answered_then_ended(&app, &seeded, &mut feed).await;
    beside.finish().await;
    app.finish().await;
}

crate::on_both_engines!(
    the_activity_list_shows_calls_and_forms_filtered_and_as_csv,
    a_recording_plays_through_leadline_by_a_link_that_only_its_business_can_use,
    the_live_feed_shows_a_call_as_it_opens_is_answered_and_ends,
);
