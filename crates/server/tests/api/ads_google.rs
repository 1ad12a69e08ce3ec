//! Google Ads conversions by API on a running server, against a fake Google that checks every
//! request as Google documents it: a call marked through the API arrives once, a later sale
//! restates it, Google being down delays it, an unmark retracts it (through the Google Ads API; the Data Manager API cannot),
//! a click Google finds too recent is retried, an expired token is refreshed once, an ad click
//! older than 90 days is dead with Google's reason, a call without a click goes by caller
//! number, and a visitor who refused advertising is never sent.

use crate::crm::{TIMEOUT, add, deliver};
use crate::crm_fakes::{
    ADS_ACTION, ADS_CALL_ACTION, ADS_CLIENT_ID, ADS_CLIENT_SECRET, ADS_CUSTOMER, ADS_DEVELOPER_TOKEN,
    ADS_REFRESH_TOKEN, FakeGoogleAds,
};
use crate::helpers::{Engine, Seeded, TestApp, key_for};
use crate::leads::send;
use axum::http::Method;
use leadline::outbox::{Cache, Failure, Sent};
use leadline_core::ad_upload::{SendRule, google_email, google_phone, sha256_hex};
use leadline_core::event::EventKind;
use leadline_core::lead::{Author, FieldsPatch, LeadChange, LeadStatus};
use leadline_core::net::Email;
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, Integration, IntegrationConfig};
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, OutboxStore};
use leadline_core::visit::VisitRef;
use serde_json::json;

/// The gclid of `crate::leads::visit`.
const GCLID: &str = "abc";
const EMAIL: &str = " Jane.Doe@Gmail.com ";

pub(crate) fn config(fake: &FakeGoogleAds, route: GoogleAdsRoute, developer_token: bool) -> IntegrationConfig {
    IntegrationConfig::GoogleAds(GoogleAds {
        route,
        customer_id: ADS_CUSTOMER.into(),
        login_customer_id: None,
        conversion_action_id: ADS_ACTION.into(),
        call_conversion_action_id: developer_token.then(|| ADS_CALL_ACTION.into()),
        client_id: ADS_CLIENT_ID.into(),
        client_secret: ADS_CLIENT_SECRET.into(),
        refresh_token: ADS_REFRESH_TOKEN.into(),
        developer_token: developer_token.then(|| ADS_DEVELOPER_TOKEN.into()),
        send: SendRule::Marked,
        enhanced: true,
        api_version: "v26".into(),
        token_url: Some(format!("{}/token", fake.url)),
        endpoint: Some(fake.url.clone()),
    })
}

/// The Data Manager API integration the settings tests add, against `fake`.
pub(crate) fn config_for(fake: &FakeGoogleAds) -> IntegrationConfig {
    config(fake, GoogleAdsRoute::DataManager, false)
}

/// A visit from a Google ad click (gclid `abc`).
pub(crate) async fn ad_visit(app: &TestApp, seeded: &Seeded) -> VisitRef {
    let visitor = format!("ga:{}.1700000000", rand::random::<u32>() % 1_000_000);
    crate::leads::visit(app, seeded.site.id, &visitor).await
}

/// A call of 95 s from `visit`, its lead given an e-mail; answers the call's and the lead's refs.
pub(crate) async fn call_from(app: &TestApp, seeded: &Seeded, sid: &str, visit: Option<VisitRef>) -> (u64, u64) {
    let call = crate::leads::call(app, seeded, sid, visit, 95).await;
    let business = seeded.site.business_id;
    let email = FieldsPatch {
        email: Some(Some(Email::parse(EMAIL.trim()).unwrap())),
        ..FieldsPatch::default()
    };
    let lead = leadline_core::LeadId(call.lead_id);
    app.store
        .change_lead(business, lead, &Author::system(), &LeadChange::Fields(email))
        .await
        .unwrap();
    let lead = app.store.lead_by_id(business, lead).await.unwrap();
    (call.record_ref, lead.record_ref)
}

type Outcomes = Vec<(EventKind, Result<Sent, Failure>)>;

fn answers(outcomes: &Outcomes) -> Vec<String> {
    outcomes
        .iter()
        .map(|(kind, result)| match result {
            Ok(sent) => format!("{}: {}", kind.as_str(), sent.response.clone().unwrap_or_default()),
            Err(Failure::Retry(why)) => format!("{}: retry: {why}", kind.as_str()),
            Err(Failure::Permanent(why)) => format!("{}: dead: {why}", kind.as_str()),
            Err(Failure::Wait { reason, .. }) => format!("{}: wait: {reason}", kind.as_str()),
        })
        .collect()
}

pub(crate) async fn spawn(engine: Engine) -> (TestApp, Seeded, String) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let key = key_for(&app, seeded.site.business_id).await.key;
    (app, seeded, key)
}

async fn mark(app: &TestApp, key: &str, record_ref: u64) {
    let path = format!("/v1/calls/{record_ref}/conversion");
    let (status, body) = send(app, Method::POST, &path, Some(key), Some(json!({"name": "Phone Call"}))).await;
    assert_eq!(status, 200, "{body}");
}

async fn unmark(app: &TestApp, key: &str, record_ref: u64) {
    let url = format!("{}/v1/calls/{record_ref}/conversion", app.base_url);
    let response = app.client.delete(url).bearer_auth(key).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

async fn sell(app: &TestApp, key: &str, lead_ref: u64, record_ref: u64) {
    let path = format!("/v1/leads/{lead_ref}/sales");
    let body = json!({"revenue": 250, "currency": "USD", "call": record_ref});
    let (status, said) = send(app, Method::POST, &path, Some(key), Some(body)).await;
    assert!(status == 200 || status == 201, "{status} {said}");
}

async fn a_marked_call_reaches_google_once_and_a_later_sale_restates_it(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let google = FakeGoogleAds::start().await;
    let integration: Integration = add(
        &app,
        seeded.site.business_id,
        "Google Ads",
        config(&google, GoogleAdsRoute::DataManager, false),
    )
    .await;
    let visit = ad_visit(&app, &seeded).await;
    let (record_ref, lead_ref) = call_from(&app, &seeded, "CA-ads-1", Some(visit)).await;
    let cache = Cache::default();
    assert!(
        deliver(&app, &cache, &integration, TIMEOUT).await.is_empty(),
        "a call's end is nothing to an integration that sends marked records"
    );

    google.state().unavailable = 1;
    mark(&app, &key, record_ref).await;
    let order = format!("call-{record_ref}");
    let down = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert!(
        down[0].starts_with("conversion.marked: retry: Data Manager API: HTTP 503"),
        "Google being down delays the conversion: {down:?}"
    );
    let sent = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].starts_with(&format!(
            "conversion.marked: Data Manager API: {order} sent, request req-1"
        )),
        "{sent:?}"
    );
    assert!(
        deliver(&app, &cache, &integration, TIMEOUT).await.is_empty(),
        "sent once"
    );
    let event = google.state().ingested[0].clone();
    assert_eq!(event["transactionId"], order);
    assert_eq!(event["adIdentifiers"], json!({"gclid": GCLID}));
    assert_eq!(event["eventSource"], "PHONE");
    let caller = app
        .store
        .call_by_ref(seeded.site.business_id, record_ref)
        .await
        .unwrap()
        .caller;
    assert_eq!(
        event["userData"]["userIdentifiers"],
        json!([
            {"emailAddress": sha256_hex(&google_email(EMAIL))},
            {"phoneNumber": sha256_hex(&google_phone(&caller))},
        ]),
        "the lead's e-mail and phone, normalised and hashed as Google specifies"
    );
    assert_eq!(
        google_email(EMAIL),
        "janedoe@gmail.com",
        "gmail's dots are dropped before hashing"
    );
    assert!(event.get("conversionValue").is_none(), "no value before the sale");
    assert!(event.get("consent").is_none(), "no signal was read: Google hears none");

    sell(&app, &key, lead_ref, record_ref).await;
    let restated = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(restated.len(), 1, "{restated:?}");
    assert!(restated[0].contains(&format!("{order} restated")), "{restated:?}");
    let adjustment = google.state().ingested[1].clone();
    assert_eq!(adjustment["transactionId"], order, "the same transaction id adjusts it");
    assert_eq!(
        (adjustment["conversionValue"].as_f64(), adjustment["currency"].as_str()),
        (Some(250.0), Some("USD"))
    );
    assert!(adjustment["lastUpdatedTimestamp"].is_string());
    assert_eq!(
        adjustment["eventTimestamp"], event["eventTimestamp"],
        "the conversion keeps its time"
    );

    unmark(&app, &key, record_ref).await;
    let refused = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].contains("dead: the Data Manager API cannot retract a conversion"),
        "{refused:?}"
    );
    assert_eq!(google.state().ingested.len(), 2);
    google.assert_no_problems();
    app.finish().await;
}

async fn the_google_ads_api_route_retries_a_too_recent_click_refreshes_an_expired_token_and_retracts(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let google = FakeGoogleAds::start().await;
    let integration = add(
        &app,
        seeded.site.business_id,
        "Google Ads (API)",
        config(&google, GoogleAdsRoute::AdsApi, true),
    )
    .await;
    let visit = ad_visit(&app, &seeded).await;
    let sql = format!(
        "UPDATE visits SET ads_consent = 'granted' WHERE public_id = '{}'",
        visit.as_str()
    );
    app.store.execute_script(&sql).await.unwrap();
    let (record_ref, lead_ref) = call_from(&app, &seeded, "CA-ads-2", Some(visit)).await;
    let cache = Cache::default();
    deliver(&app, &cache, &integration, TIMEOUT).await;
    let order = format!("call-{record_ref}");

    google.state().too_recent = 1;
    mark(&app, &key, record_ref).await;
    let first = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert!(
        first[0].contains("retry: Google Ads API: TOO_RECENT_EVENT"),
        "{first:?}"
    );
    let second = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(second, [format!("conversion.marked: Google Ads API: {order} sent")]);
    let (method, row) = google.state().uploaded[0].clone();
    assert_eq!(method, "uploadClickConversions");
    assert_eq!(
        (row["orderId"].as_str(), row["gclid"].as_str()),
        (Some(order.as_str()), Some(GCLID))
    );
    assert_eq!(
        row["conversionAction"],
        format!("customers/{ADS_CUSTOMER}/conversionActions/{ADS_ACTION}")
    );
    assert_eq!(
        row["consent"],
        json!({"adUserData": "GRANTED"}),
        "the visitor's signal granted it"
    );
    assert!(
        row["conversionDateTime"].as_str().unwrap().ends_with("-05:00"),
        "in the site's zone (New York in November): {row}"
    );

    {
        let mut state = google.state();
        state.expired = state.tokens_issued.clone();
    }
    sell(&app, &key, lead_ref, record_ref).await;
    let restated = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(restated, [format!("sale.recorded: Google Ads API: {order} restated")]);
    assert_eq!(google.state().tokens_issued.len(), 2, "one refresh after the 401");
    let (method, adjustment) = google.state().uploaded[1].clone();
    assert_eq!(method, "uploadConversionAdjustments");
    assert_eq!(adjustment["adjustmentType"], "RESTATEMENT");
    assert_eq!(adjustment["orderId"], order);
    assert_eq!(
        adjustment["restatementValue"],
        json!({"adjustedValue": 250.0, "currencyCode": "USD"})
    );

    unmark(&app, &key, record_ref).await;
    let retracted = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert_eq!(
        retracted,
        [format!("conversion.unmarked: Google Ads API: {order} retracted")]
    );
    assert_eq!(google.state().uploaded[2].1["adjustmentType"], "RETRACTION");

    mark(&app, &key, record_ref).await;
    let again = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert!(again[0].contains("was retracted"), "{again:?}");
    assert_eq!(
        google.state().uploaded.len(),
        3,
        "a retracted conversion is not sent again"
    );
    google.assert_no_problems();
    app.finish().await;
}

async fn an_old_click_is_dead_a_call_without_a_click_goes_by_caller_and_a_refusal_sends_nothing(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let google = FakeGoogleAds::start().await;
    let integration = add(
        &app,
        seeded.site.business_id,
        "Google Ads",
        config(&google, GoogleAdsRoute::DataManager, true),
    )
    .await;
    let cache = Cache::default();

    // The ad click was 100 days before the call.
    let old = ad_visit(&app, &seeded).await;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(100)).timestamp_millis();
    let sql = format!(
        "UPDATE visits SET started_at = {long_ago} WHERE public_id = '{}'",
        old.as_str()
    );
    app.store.execute_script(&sql).await.unwrap();
    let (expired, _) = call_from(&app, &seeded, "CA-ads-3", Some(old)).await;
    mark(&app, &key, expired).await;
    let outcomes = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    let dead = outcomes.iter().find(|a| a.starts_with("conversion.marked")).unwrap();
    assert!(dead.contains("dead: EXPIRED_EVENT"), "{outcomes:?}");

    // No click: a call conversion by the caller's number, through the Google Ads API.
    let (plain, _) = call_from(&app, &seeded, "CA-ads-4", None).await;
    mark(&app, &key, plain).await;
    let by_caller = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert!(
        by_caller
            .iter()
            .any(|a| a.ends_with(&format!("call-{plain} sent as a call conversion"))),
        "{by_caller:?}"
    );
    let (method, row) = google.state().uploaded[0].clone();
    assert_eq!(method, "uploadCallConversions");
    assert_eq!(
        row["conversionAction"],
        format!("customers/{ADS_CUSTOMER}/conversionActions/{ADS_CALL_ACTION}")
    );
    assert!(row["callerId"].as_str().unwrap().starts_with('+'));

    // A visitor whose consent signal refused advertising.
    let refused = ad_visit(&app, &seeded).await;
    let sql = format!(
        "UPDATE visits SET ads_consent = 'denied' WHERE public_id = '{}'",
        refused.as_str()
    );
    app.store.execute_script(&sql).await.unwrap();
    let (private, _) = call_from(&app, &seeded, "CA-ads-5", Some(refused)).await;
    mark(&app, &key, private).await;
    let skipped = answers(&deliver(&app, &cache, &integration, TIMEOUT).await);
    assert!(
        skipped
            .iter()
            .any(|a| a == "conversion.marked: nothing to send: the visitor's consent signal refused advertising"),
        "{skipped:?}"
    );
    assert!(
        google.state().ingested.is_empty(),
        "nothing went through the Data Manager API"
    );
    assert_eq!(google.state().uploaded.len(), 1);
    google.assert_no_problems();
    app.finish().await;
}

/// Hands every due delivery to its adapter; answers (integration, what it said), in order.
pub(crate) async fn deliver_all(app: &TestApp, cache: &Cache) -> Vec<(String, String)> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut claimed = app.store.claim_deliveries(now, 60_000, 100).await.unwrap();
    claimed.sort_by_key(|d| d.id);
    let mut said = Vec::new();
    for delivery in claimed {
        let result = crate::crm::attempt(app, cache, &delivery, TIMEOUT).await;
        let kind = delivery.event.kind();
        said.push((
            delivery.integration.name.clone(),
            answers(&vec![(kind, result)]).remove(0),
        ));
    }
    said
}

async fn the_rules_send_long_calls_first_time_callers_and_leads_that_reach_a_status(engine: Engine) {
    let (app, seeded, _) = spawn(engine).await;
    let google = FakeGoogleAds::start().await;
    let business = seeded.site.business_id;
    for (name, rule) in [
        ("long", "call-longer-than:90"),
        ("first", "first-time-caller"),
        ("qualified", "status:qualified"),
    ] {
        let IntegrationConfig::GoogleAds(mut ads) = config(&google, GoogleAdsRoute::DataManager, false) else {
            unreachable!()
        };
        ads.send = SendRule::parse(rule).unwrap();
        add(&app, business, name, IntegrationConfig::GoogleAds(ads)).await;
    }
    let cache = Cache::default();
    let visit = ad_visit(&app, &seeded).await;
    let (first_call, _) = call_from(&app, &seeded, "CA-rule-1", Some(visit)).await;
    let short = crate::leads::call(&app, &seeded, "CA-rule-2", None, 30).await;
    let said = deliver_all(&app, &cache).await;
    let line = |who: &str, what: &str| (who.to_owned(), what.to_owned());
    assert_eq!(
        said,
        [
            line(
                "long",
                &format!("call.completed: Data Manager API: call-{first_call} sent, request req-1")
            ),
            line(
                "first",
                &format!("call.completed: Data Manager API: call-{first_call} sent, request req-2")
            ),
            line(
                "long",
                "call.completed: nothing to send: the call lasted 30 s, less than 90 s"
            ),
            line(
                "first",
                "call.completed: nothing to send: not a first-time caller's call"
            ),
        ],
        "the second call, 30 s from the same number, meets neither rule"
    );
    let lead = leadline_core::LeadId(short.lead_id);
    for status in [LeadStatus::Contacted, LeadStatus::Qualified] {
        app.store
            .change_lead(business, lead, &Author::system(), &LeadChange::Status(status))
            .await
            .unwrap();
    }
    let said = deliver_all(&app, &cache).await;
    assert_eq!(
        said,
        [
            line(
                "qualified",
                &format!("lead.status_changed: Data Manager API: call-{first_call} sent, request req-3")
            ),
            line(
                "qualified",
                &format!("lead.status_changed: nothing to send: call-{first_call} was sent already")
            ),
        ],
        "the lead's first call goes once it is qualified: each delivery reads the lead as it is now, \
         so the first one sends and the second finds it sent"
    );
    google.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    the_rules_send_long_calls_first_time_callers_and_leads_that_reach_a_status,
    a_marked_call_reaches_google_once_and_a_later_sale_restates_it,
    the_google_ads_api_route_retries_a_too_recent_click_refreshes_an_expired_token_and_retracts,
    an_old_click_is_dead_a_call_without_a_click_goes_by_caller_and_a_refusal_sends_nothing,
);
