//! Meta's Conversions API, on a running server: the adapter delivers real outbox deliveries to
//! a fake Graph API (ad_fakes/meta.rs) that checks every request as Meta documents it. A
//! marked form from a Facebook ad click arrives as a Lead with Meta's hashes and the click; a
//! later sale arrives as a Purchase, and what Meta cannot do (change a value, retract) is
//! answered, not attempted; an event older than 7 days and a visitor who refused advertising
//! send nothing.

use crate::ad_fakes::{FakeMeta, META_PIXEL, META_TEST_CODE, META_TOKEN, META_VERSION};
use crate::crm::{TIMEOUT, add, deliver, spawn};
use crate::helpers::{Engine, Seeded, TestApp};
use leadline::outbox::{Cache, Failure, Sent};
use leadline_core::E164;
use leadline_core::ad_upload::{SendRule, sha256_hex};
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{ConversionMark, ConversionName, ConversionStore};
use leadline_core::event::EventKind;
use leadline_core::form::{FormIdentity, MessageId, NewSubmission, Submission, SubmissionVia};
use leadline_core::lead::{Author, Contact, LeadChange, NewSale};
use leadline_core::net::{Email, Reach};
use leadline_core::outbox::{Integration, IntegrationConfig, MetaCapi};
use leadline_core::store::{LeadStore, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, VisitRef};
use serde_json::{Value, json};

const FBCLID: &str = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk";

async fn meta(app: &TestApp, seeded: &Seeded, fake: &FakeMeta, token: &str) -> Integration {
    let config = IntegrationConfig::MetaCapi(MetaCapi {
        pixel_id: META_PIXEL.into(),
        access_token: token.into(),
        test_event_code: Some(META_TEST_CODE.into()),
        api_version: META_VERSION.into(),
        send: SendRule::Marked,
        endpoint: Some(fake.url.clone()),
    });
    add(app, seeded.site.business_id, "Meta pixel", config).await
}

/// A visit from a Facebook ad, with its fbclid.
async fn facebook_visit(app: &TestApp, seeded: &Seeded) -> VisitRef {
    let fbclid = ClickIds {
        fbclid: Some(ClickId::parse(ClickKind::Fbclid, FBCLID).unwrap()),
        ..ClickIds::default()
    };
    let source = ("facebook", "paid_social");
    let new = NewVisit {
        landing_url: format!("https://acme.example/sofas?fbclid={FBCLID}"),
        referrer: Some("https://l.facebook.com/".into()),
        ..crate::leads::ad_click(seeded.site.id, "lk:facebook-visitor-1", source, fbclid)
    };
    app.store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

/// Meta's example person (John_Smith@gmail.com, (650) 555-1212) sends a form from the visit;
/// what the form sent is delivered (nothing goes: it is not marked).
async fn clicked_form(
    app: &TestApp,
    seeded: &Seeded,
    integration: &Integration,
    cache: &Cache,
) -> (Submission, VisitRef) {
    let visit = facebook_visit(app, seeded).await;
    let new = NewSubmission {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        message_id: MessageId::generate(),
        via: SubmissionVia::Browser,
        identity: FormIdentity {
            visit: Some(visit.clone()),
            ..FormIdentity::default()
        },
        contact: Contact {
            name: Some("John Smith".into()),
            email: Some(Email::parse("John_Smith@gmail.com").unwrap()),
            phone: Some(E164::parse("+1 (650) 555-1212").unwrap()),
            company: None,
        },
        fields: vec![("message".into(), "A quote for two sofas".into())],
        page_url: Some("https://acme.example/contact".into()),
        attachments: Vec::new(),
    };
    let submission = app.store.add_submission(&new).await.unwrap();
    let outcomes = deliver(app, cache, integration, TIMEOUT).await;
    // Nothing goes for an unmarked record (an integration sending marked records may not
    // even hear of the call's end or the form).
    assert!(
        answers(&outcomes)
            .iter()
            .all(|a| a == "nothing to send: not marked as a conversion"),
        "{outcomes:#?}"
    );
    (submission, visit)
}

async fn mark(app: &TestApp, seeded: &Seeded, submission: &Submission) {
    let mark = ConversionMark {
        name: ConversionName::parse("Form").unwrap(),
        value: None,
    };
    app.store
        .mark_submission_conversion(
            seeded.site.business_id,
            &submission.message_id,
            &mark,
            &Author::system(),
        )
        .await
        .unwrap();
}

async fn sale(app: &TestApp, submission: &Submission, minor: i64) {
    let sale = NewSale {
        currency: "USD".into(),
        revenue_minor: minor,
        cost_minor: 0,
        profit_minor: minor,
        call_ref: None,
        form: Some(submission.message_id.clone()),
        cost_basis: None,
    };
    app.store
        .change_lead(
            submission.business_id,
            submission.lead_id,
            &Author::system(),
            &LeadChange::Sale(sale),
        )
        .await
        .unwrap();
}

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

/// When the visit began, in milliseconds, as stored.
async fn visit_started_ms(app: &TestApp, visit: &VisitRef) -> String {
    let sql = format!(
        "SELECT CAST(started_at AS TEXT) FROM visits WHERE public_id = '{}'",
        visit.as_str()
    );
    app.store.stored_texts(&sql).await.unwrap().remove(0)
}

async fn a_marked_form_arrives_at_meta_as_a_lead_with_metas_hashes_and_the_click(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMeta::start().await;
    let integration = meta(&app, &seeded, &fake, META_TOKEN).await;
    let cache = Cache::default();
    let (submission, visit) = clicked_form(&app, &seeded, &integration, &cache).await;
    assert_eq!(fake.all_requests().len(), 0);

    mark(&app, &seeded, &submission).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    let order_id = format!("form-{}", submission.message_id.as_str());
    assert_eq!(
        answers(&outcomes),
        [format!(
            "Meta: Lead {order_id} received (fbtrace_id AfakeTrace1), as a test event ({META_TEST_CODE})"
        )]
    );
    let events = fake.state().events.clone();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        *event,
        json!({
            "event_name": "Lead",
            "event_time": submission.created_at.timestamp(),
            "event_id": order_id,
            "action_source": "other",
            "event_source_url": format!("https://acme.example/sofas?fbclid={FBCLID}"),
            "user_data": {
                "em": ["62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"],
                "ph": ["e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"],
                "fbc": format!("fb.1.{}.{FBCLID}", visit_started_ms(&app, &visit).await),
                "external_id": [sha256_hex(&submission.lead_id.0.to_string())],
            },
        })
    );
    assert_eq!(fake.state().test_codes, [Some(META_TEST_CODE.to_owned())]);
    let request = &fake.all_requests()[0];
    assert!(
        !request.query_map().contains_key("access_token"),
        "the token travels in the body, never in the URL"
    );
    fake.assert_no_problems();
    app.finish().await;
}

async fn a_later_sale_reaches_meta_as_a_purchase_and_what_meta_cannot_change_is_answered(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMeta::start().await;
    let integration = meta(&app, &seeded, &fake, META_TOKEN).await;
    let cache = Cache::default();
    let (submission, _) = clicked_form(&app, &seeded, &integration, &cache).await;
    mark(&app, &seeded, &submission).await;
    deliver(&app, &cache, &integration, TIMEOUT).await;
    let order_id = format!("form-{}", submission.message_id.as_str());

    sale(&app, &submission, 9_900).await;
    let before = chrono::Utc::now().timestamp();
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "Meta: Purchase {order_id} received (fbtrace_id AfakeTrace1), as a test event ({META_TEST_CODE})"
        )]
    );
    let events = fake.state().events.clone();
    assert_eq!(events.len(), 2);
    let purchase = &events[1];
    assert_eq!(purchase["event_name"], "Purchase");
    assert_eq!(
        purchase["event_id"],
        order_id.as_str(),
        "the same order id, another event name"
    );
    assert_eq!(purchase["custom_data"], json!({"value": 99.0, "currency": "USD"}));
    let at = purchase["event_time"].as_i64().unwrap();
    assert!(at >= before - 2, "the sale's time, not the form's: {at}");

    // A second sale would be a second Purchase on Meta, not a new value: nothing goes.
    sale(&app, &submission, 1_000).await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "nothing to send: Meta's Conversions API cannot change an event it received; {order_id} stays a Purchase of 99 USD on Meta"
        )]
    );
    let unmarked = app
        .store
        .unmark_submission_conversion(seeded.site.business_id, &submission.message_id, &Author::system())
        .await
        .unwrap();
    assert!(unmarked);
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        [format!(
            "nothing to send: Meta's Conversions API has no retraction; {order_id} stays counted on Meta"
        )]
    );
    assert_eq!(fake.state().events.len(), 2);
    fake.assert_no_problems();
    app.finish().await;
}

async fn an_event_older_than_seven_days_is_dead_before_anything_reaches_meta(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMeta::start().await;
    let integration = meta(&app, &seeded, &fake, META_TOKEN).await;
    let cache = Cache::default();
    let (submission, _) = clicked_form(&app, &seeded, &integration, &cache).await;
    let days = 8 * 86_400_000_i64;
    app.store
        .execute_script(&format!(
            "UPDATE submissions SET created_at = created_at - {days};
             UPDATE visits SET started_at = started_at - {days}, last_seen_at = last_seen_at - {days};"
        ))
        .await
        .unwrap();
    mark(&app, &seeded, &submission).await;

    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    let said = answers(&outcomes);
    let order_id = format!("form-{}", submission.message_id.as_str());
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with(&format!("dead: Lead of {order_id} happened at "))
            && said[0].ends_with(
                "more than 7 days ago: Meta's Conversions API refuses a request with an event older than 7 days, so nothing was sent"
            ),
        "{said:?}"
    );
    assert_eq!(fake.all_requests().len(), 0);
    fake.assert_no_problems();
    app.finish().await;
}

async fn a_visitor_who_refused_advertising_is_not_sent_to_meta(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMeta::start().await;
    let integration = meta(&app, &seeded, &fake, META_TOKEN).await;
    let cache = Cache::default();
    let (submission, visit) = clicked_form(&app, &seeded, &integration, &cache).await;
    app.store
        .execute_script(&format!(
            "UPDATE visits SET ads_consent = 'denied' WHERE public_id = '{}'",
            visit.as_str()
        ))
        .await
        .unwrap();
    mark(&app, &seeded, &submission).await;

    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        answers(&outcomes),
        ["nothing to send: the visitor's consent signal refused advertising"]
    );
    assert_eq!(fake.all_requests().len(), 0);
    app.finish().await;
}

async fn trying_meta_from_settings_reads_the_pixel_and_sends_no_event(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let fake = FakeMeta::start().await;
    let good = meta(&app, &seeded, &fake, META_TOKEN).await;
    let business = seeded.site.business_id;
    let trial = leadline::outbox::trial::try_integration(&app.store, business, good.id, Reach::PublicAndLoopback)
        .await
        .unwrap();
    assert!(trial.accepted, "{trial:?}");
    assert_eq!(
        trial.answer,
        format!(
            "Meta read pixel {META_PIXEL} (\"Acme's pixel\") with the access token (GET /{META_VERSION}/{META_PIXEL}?fields=id,name): \
             events can be sent; no event was sent"
        )
    );
    let bad = meta(&app, &seeded, &fake, "EAAGrevoked").await;
    let refused = leadline::outbox::trial::try_integration(&app.store, business, bad.id, Reach::PublicAndLoopback)
        .await
        .unwrap();
    assert!(!refused.accepted);
    assert!(refused.answer.contains("code 190"), "{refused:?}");
    assert!(
        !refused.answer.contains("EAAGrevoked"),
        "the token is never shown: {refused:?}"
    );
    assert_eq!(fake.state().reads, 1);
    assert!(fake.state().events.is_empty());
    let methods: Vec<Value> = fake.all_requests().iter().map(|r| json!(r.method.as_str())).collect();
    assert_eq!(methods, [json!("GET"), json!("GET")]);
    fake.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    a_marked_form_arrives_at_meta_as_a_lead_with_metas_hashes_and_the_click,
    a_later_sale_reaches_meta_as_a_purchase_and_what_meta_cannot_change_is_answered,
    an_event_older_than_seven_days_is_dead_before_anything_reaches_meta,
    a_visitor_who_refused_advertising_is_not_sent_to_meta,
    trying_meta_from_settings_reads_the_pixel_and_sends_no_event,
);
