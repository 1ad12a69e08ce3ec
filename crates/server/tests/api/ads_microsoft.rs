//! Microsoft Advertising conversions by API, on a running server: the adapter delivers real
//! outbox deliveries to a fake Microsoft (ad_fakes/microsoft.rs) that checks every request as
//! Microsoft documents it. A marked call from a Microsoft ad click arrives once, a later sale
//! restates it, unmarking retracts it, an expired token is traded once, an outage is retried,
//! and a conversion Microsoft would refuse for its age is dead before anything is sent.

use crate::ad_fakes::{
    FakeMicrosoft, MS_ACCOUNT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET, MS_CUSTOMER_ID, MS_DEVELOPER_TOKEN, MS_GOAL,
    MS_REFRESH_TOKEN, MS_TOKEN_PATH,
};
use crate::crm::{TIMEOUT, add, deliver, spawn};
use crate::helpers::{Engine, Seeded, TestApp};
use leadline::outbox::{Cache, Failure, Sent};
use leadline_core::ad_upload::SendRule;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{ConversionMark, ConversionName, ConversionStore};
use leadline_core::event::EventKind;
use leadline_core::lead::{Author, FieldsPatch, LeadChange, NewSale};
use leadline_core::net::{Email, Reach};
use leadline_core::outbox::{Integration, IntegrationConfig, MicrosoftAds};
use leadline_core::store::{CallStore, LeadStore, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, VisitRef};
use leadline_core::visitor::Device;
use leadline_core::{E164, LeadId};
use serde_json::json;

const MSCLKID: &str = "f894f652ea334e739002f7167ab8f8e3";

async fn microsoft(app: &TestApp, seeded: &Seeded, fake: &FakeMicrosoft) -> Integration {
    let config = IntegrationConfig::MicrosoftAds(MicrosoftAds {
        customer_id: MS_CUSTOMER_ID.into(),
        account_id: MS_ACCOUNT_ID.into(),
        developer_token: MS_DEVELOPER_TOKEN.into(),
        client_id: MS_CLIENT_ID.into(),
        client_secret: Some(MS_CLIENT_SECRET.into()),
        refresh_token: MS_REFRESH_TOKEN.into(),
        goal_name: Some(MS_GOAL.into()),
        send: SendRule::Marked,
        enhanced: true,
        token_url: Some(format!("{}{MS_TOKEN_PATH}", fake.url)),
        endpoint: Some(fake.url.clone()),
    });
    add(app, seeded.site.business_id, "Microsoft Ads", config).await
}

/// What most tests start from: a server, a fake Microsoft, its integration, and a call from
/// a Microsoft ad click whose end was delivered.
struct Scene {
    app: TestApp,
    seeded: Seeded,
    fake: FakeMicrosoft,
    integration: Integration,
    cache: Cache,
    record_ref: u64,
    lead: LeadId,
}

async fn scene(engine: Engine) -> Scene {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMicrosoft::start().await;
    let integration = microsoft(&app, &seeded, &fake).await;
    let cache = Cache::default();
    let (record_ref, lead) = clicked_call(&app, &seeded, &integration, &cache).await;
    Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        lead,
    }
}

/// A visit from a Microsoft ad: bing / cpc with an msclkid.
async fn bing_visit(app: &TestApp, seeded: &Seeded) -> VisitRef {
    let msclkid = ClickIds {
        msclkid: Some(ClickId::parse(ClickKind::Msclkid, MSCLKID).unwrap()),
        ..ClickIds::default()
    };
    let new = NewVisit {
        landing_url: format!("https://acme.example/sofas?msclkid={MSCLKID}"),
        referrer: Some("https://www.bing.com/".into()),
        device: Device::Desktop,
        ..crate::leads::ad_click(seeded.site.id, "lk:bing-visitor-1", ("bing", "cpc"), msclkid)
    };
    app.store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// A call from a Microsoft ad click, ended; its lead has the e-mail and phone whose hashes
/// PROTOCOLS-2 computes. Answers the call's ref and lead; what the call sent is delivered
/// (nothing goes: it is not marked).
async fn clicked_call(app: &TestApp, seeded: &Seeded, integration: &Integration, cache: &Cache) -> (u64, LeadId) {
    let visit = bing_visit(app, seeded).await;
    let call = crate::leads::call(app, seeded, "CA-ms-1", Some(visit), 95).await;
    let lead = LeadId(call.lead_id);
    let contact = FieldsPatch {
        email: Some(Some(Email::parse("Jane.Doe@example.com").unwrap())),
        phone: Some(Some(E164::parse("+16505551212").unwrap())),
        ..FieldsPatch::default()
    };
    let business = seeded.site.business_id;
    app.store
        .change_lead(business, lead, &Author::system(), &LeadChange::Fields(contact))
        .await
        .unwrap();
    let outcomes = deliver(app, cache, integration, TIMEOUT).await;
    // Nothing goes for an unmarked record (an integration sending marked records may not
    // even hear of the call's end or the form).
    assert!(
        answers(&outcomes)
            .iter()
            .all(|a| a == "nothing to send: not marked as a conversion"),
        "{outcomes:#?}"
    );
    (call.record_ref, lead)
}

async fn mark(app: &TestApp, seeded: &Seeded, record_ref: u64) {
    let mark = ConversionMark {
        name: ConversionName::parse("Phone Call").unwrap(),
        value: None,
    };
    let business = seeded.site.business_id;
    app.store
        .mark_call_conversion(business, record_ref, &mark, &Author::system())
        .await
        .unwrap();
}

async fn sale(app: &TestApp, seeded: &Seeded, lead: LeadId, record_ref: u64, minor: i64) {
    let sale = NewSale {
        currency: "USD".into(),
        revenue_minor: minor,
        cost_minor: 0,
        profit_minor: minor,
        call_ref: Some(record_ref),
        form: None,
        cost_basis: None,
    };
    let business = seeded.site.business_id;
    app.store
        .change_lead(business, lead, &Author::system(), &LeadChange::Sale(sale))
        .await
        .unwrap();
}

/// What each delivery was answered, or why it failed.
fn answers(outcomes: &[(EventKind, Result<Sent, Failure>)]) -> Vec<String> {
    outcomes
        .iter()
        .map(|(_, result)| match result {
            Ok(sent) => sent.response.clone().unwrap_or_default(),
            Err(Failure::Retry(why)) => format!("retry: {why}"),
            Err(Failure::Permanent(why)) => format!("dead: {why}"),
            Err(Failure::Wait { reason, .. }) => format!("wait: {reason}"),
        })
        .collect()
}

/// The call's end as Microsoft is sent it.
async fn ended(app: &TestApp, seeded: &Seeded, record_ref: u64) -> String {
    let call = app
        .store
        .call_by_ref(seeded.site.business_id, record_ref)
        .await
        .unwrap();
    call.ended_at.unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn a_marked_call_with_an_msclkid_arrives_once_at_microsoft(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        ..
    } = scene(engine).await;
    assert_eq!(fake.all_requests().len(), 0, "an unmarked call sends nothing");

    mark(&app, &seeded, record_ref).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "Microsoft Advertising: call-{record_ref} sent to the goal \"{MS_GOAL}\""
        )]
    );
    let sent = fake.state().conversions.clone();
    assert_eq!(
        sent,
        [json!({
            "ConversionName": MS_GOAL,
            "ConversionTime": ended(&app, &seeded, record_ref).await,
            "MicrosoftClickId": MSCLKID,
            "HashedEmailAddress": "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
            "HashedPhoneNumber": "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8",
        })]
    );

    // The operator marks it again: the record is what was sent, so nothing goes.
    mark(&app, &seeded, record_ref).await;
    let again = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&again),
        [format!("nothing to send: call-{record_ref} was sent already")]
    );
    assert_eq!(fake.requests_to("/CampaignManagement/v13/OfflineConversions/Apply"), 1);
    assert_eq!(
        fake.requests_to(MS_TOKEN_PATH),
        1,
        "the access token is kept between deliveries"
    );
    assert_eq!(fake.state().duplicates, 0);
    fake.assert_no_problems();
    app.finish().await;
}

async fn a_later_sale_restates_the_conversion_at_microsoft(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        lead,
    } = scene(engine).await;
    mark(&app, &seeded, record_ref).await;
    deliver(&app, &cache, &integration, TIMEOUT).await;

    sale(&app, &seeded, lead, record_ref, 25_050).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "Microsoft Advertising: call-{record_ref} restated to 250.5 USD"
        )]
    );
    let adjustments = fake.state().adjustments.clone();
    assert_eq!(adjustments.len(), 1);
    let restated = &adjustments[0];
    assert_eq!(restated["AdjustmentType"], "Restate");
    assert_eq!(restated["AdjustmentValue"], 250.5);
    assert_eq!(restated["AdjustmentCurrencyCode"], "USD");
    assert_eq!(restated["ConversionName"], MS_GOAL);
    assert_eq!(
        restated["ConversionTime"],
        ended(&app, &seeded, record_ref).await,
        "the original's time"
    );
    assert_eq!(restated["MicrosoftClickId"], MSCLKID);

    // A second sale restates it again, later than the first restatement.
    sale(&app, &seeded, lead, record_ref, 10_000).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "Microsoft Advertising: call-{record_ref} restated to 350.5 USD"
        )]
    );
    assert_eq!(fake.state().adjustments.len(), 2);
    assert_eq!(fake.state().conversions.len(), 1, "never a second conversion");
    fake.assert_no_problems();
    app.finish().await;
}

async fn unmarking_the_call_retracts_it_at_microsoft(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        ..
    } = scene(engine).await;
    mark(&app, &seeded, record_ref).await;
    deliver(&app, &cache, &integration, TIMEOUT).await;

    let business = seeded.site.business_id;
    let unmarked = app
        .store
        .unmark_call_conversion(business, record_ref, &Author::system())
        .await
        .unwrap();
    assert!(unmarked);
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!("Microsoft Advertising: call-{record_ref} retracted")]
    );
    let adjustments = fake.state().adjustments.clone();
    assert_eq!(adjustments.len(), 1);
    assert_eq!(adjustments[0]["AdjustmentType"], "Retract");
    assert_eq!(adjustments[0]["MicrosoftClickId"], MSCLKID);

    mark(&app, &seeded, record_ref).await;
    let again = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&again),
        [format!(
            "nothing to send: call-{record_ref} was retracted; a retracted conversion is not sent again"
        )]
    );
    assert_eq!(fake.state().conversions.len(), 1);
    fake.assert_no_problems();
    app.finish().await;
}

async fn an_expired_microsoft_token_is_refreshed_once_on_401(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        lead,
    } = scene(engine).await;
    mark(&app, &seeded, record_ref).await;
    deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(fake.state().tokens_issued.len(), 1);

    // The cached token expires at Microsoft: the adapter trades the refresh token again, once.
    {
        let mut state = fake.state();
        state.expired = state.tokens_issued.clone();
    }
    sale(&app, &seeded, lead, record_ref, 5_000).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!("Microsoft Advertising: call-{record_ref} restated to 50 USD")]
    );
    let traded = |fake: &FakeMicrosoft| {
        let state = fake.state();
        (state.unauthorized, state.tokens_issued.len())
    };
    assert_eq!(traded(&fake), (1, 2));

    // A token refused even fresh: one more trade, then the delivery fails with Microsoft's words.
    {
        let mut state = fake.state();
        state.expired = state.tokens_issued.clone();
        state.refuse_every_token = true;
    }
    sale(&app, &seeded, lead, record_ref, 1_000).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    let said = answers(&outcomes);
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with("dead: Microsoft Advertising: HTTP 401 Unauthorized: AuthenticationTokenExpired (109)"),
        "{said:?}"
    );
    assert_eq!(traded(&fake), (3, 3));
    fake.assert_no_problems();
    app.finish().await;
}

async fn a_microsoft_outage_is_retried_and_the_conversion_then_arrives(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        ..
    } = scene(engine).await;
    fake.state().unavailable = 1;
    mark(&app, &seeded, record_ref).await;

    let first = deliver(&app, &cache, &integration, TIMEOUT).await;
    let said = answers(&first);
    assert!(
        said[0].starts_with("retry: Microsoft Advertising: HTTP 503"),
        "{said:?}"
    );
    assert!(fake.state().conversions.is_empty());
    let second = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&second),
        [format!(
            "Microsoft Advertising: call-{record_ref} sent to the goal \"{MS_GOAL}\""
        )]
    );
    assert_eq!(fake.state().conversions.len(), 1);
    fake.assert_no_problems();
    app.finish().await;
}

async fn a_conversion_older_than_90_days_is_dead_with_the_reason_and_nothing_is_sent(engine: Engine) {
    let Scene {
        app,
        seeded,
        fake,
        integration,
        cache,
        record_ref,
        ..
    } = scene(engine).await;
    let days = 91 * 86_400_000_i64;
    app.store
        .execute_script(&format!(
            "UPDATE calls SET started_at = started_at - {days}, ended_at = ended_at - {days} WHERE record_ref = {record_ref};
             UPDATE visits SET started_at = started_at - {days}, last_seen_at = last_seen_at - {days};"
        ))
        .await
        .unwrap();
    mark(&app, &seeded, record_ref).await;

    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    let said = answers(&outcomes);
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with(&format!("dead: OfflineConversionTimeOutOfWindow: call-{record_ref} converted at "))
            && said[0].ends_with(
                "more than 90 days ago; Microsoft Advertising takes offline conversions and their adjustments from the last 90 days only"
            ),
        "{said:?}"
    );
    assert_eq!(fake.all_requests().len(), 0, "not even a token is asked for");
    let status = app
        .store
        .stored_texts(
            "SELECT status FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.kind = 'conversion.marked'",
        )
        .await
        .unwrap();
    assert_eq!(status, ["dead"]);
    app.finish().await;
}

async fn trying_microsoft_from_settings_trades_the_refresh_token_and_sends_nothing(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMicrosoft::start().await;
    let integration = microsoft(&app, &seeded, &fake).await;
    let business = seeded.site.business_id;
    let trial =
        leadline::outbox::trial::try_integration(&app.store, business, integration.id, Reach::PublicAndLoopback)
            .await
            .unwrap();
    assert!(trial.accepted, "{trial:?}");
    assert!(
        trial
            .answer
            .starts_with("Microsoft gave an access token for the refresh token"),
        "{trial:?}"
    );
    let paths: Vec<String> = fake.all_requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [MS_TOKEN_PATH], "a token request, no conversion");
    fake.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    a_marked_call_with_an_msclkid_arrives_once_at_microsoft,
    a_later_sale_restates_the_conversion_at_microsoft,
    unmarking_the_call_retracts_it_at_microsoft,
    an_expired_microsoft_token_is_refreshed_once_on_401,
    a_microsoft_outage_is_retried_and_the_conversion_then_arrives,
    a_conversion_older_than_90_days_is_dead_with_the_reason_and_nothing_is_sent,
    trying_microsoft_from_settings_trades_the_refresh_token_and_sends_nothing,
);
