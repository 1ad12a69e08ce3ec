//! A robocall alerts nobody: a call from a blocked number is rejected and logged as spam, and
//! the members who chose missed-call alerts by e-mail and SMS hear nothing of it.

use crate::alerts::{alerts_integration, choose, completed_delivery, finished, member, missed_calls, relay};
use crate::calls::TRACKING;
use crate::helpers::{Engine, TestApp};
use crate::prompts::{start_provider, start_smtp_sink, texts, worker};
use leadline::app::spam;
use leadline::mail::Mailer;
use leadline_core::E164;
use leadline_core::lead::Author;
use leadline_core::outbox::DeliveryStatus;
use leadline_core::site::SiteSettings;

const ROBOCALLER: &str = "+14155550123";

async fn a_blocked_robocall_is_no_missed_call_alert(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = relay(port);
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let provider = start_provider().await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    choose(&app, business, ann, &missed_calls(true, Some("+12025550177"))).await;
    let robo = E164::parse(ROBOCALLER).unwrap();
    spam::block(&app.store, business, &robo, &Author::system())
        .await
        .unwrap();
    let integration = alerts_integration(&app, business).await;
    let worker = worker(&app, &provider.url, Mailer::from_config(&config).unwrap());

    let call = [("CallSid", "CA-robo"), ("From", ROBOCALLER), ("To", TRACKING)];
    let answer = app.twiml(&format!("{}/twilio/voice", app.base_url), &call).await;
    assert_eq!(answer.verbs(), ["Reject"]);
    let delivery = completed_delivery(&app, &seeded, integration, finished).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    let said = delivery.response.clone().unwrap_or_default();
    assert!(said.contains("the call is spam (blocked number)"), "{delivery:?}");
    assert!(sink.lock().unwrap().is_empty(), "no e-mail");
    assert!(texts(&provider).is_empty(), "no SMS");
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(a_blocked_robocall_is_no_missed_call_alert,);
