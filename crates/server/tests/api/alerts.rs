//! Alerts end to end: a missed sandbox call reaches each member who chose it, by e-mail through
//! a local SMTP sink and by SMS through a local stand-in for the provider's REST API (checking
//! the path, HTTP Basic and the form as Twilio would), each with a link to the lead and to the
//! alerts page; nobody else, and no other business, hears of it. Quiet hours hold an alert
//! until they end; a relay outage and a worker stopped mid-way delay the e-mail, which then
//! arrives once, and never repeat the SMS that went. The page refuses bad input field by field.
//! An owner's summary e-mail carries the Reports page's numbers, once, after a relay outage.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, operator, page, post};
use crate::prompts::{body, call_from_google, header, start_provider, start_smtp_sink, texts, worker};
use chrono::{Timelike, Utc};
use leadline::app::alerts::set_my_alerts;
use leadline::app::reports::query::RawReportQuery;
use leadline::app::reports::{ReportQuery, report};
use leadline::app::summaries::{Round, send_due};
use leadline::config::Config;
use leadline::mail::Mailer;
use leadline_core::alerts::{AlertChoices, AlertKind, AlertStore, ClockTime, QuietHours};
use leadline_core::lead::Author;
use leadline_core::outbox::{Delivery, DeliveryStatus, IntegrationConfig, IntegrationId};
use leadline_core::site::{SiteSettings, Timezone};
use leadline_core::store::{OutboxStore, UserStore};
use leadline_core::summary::SummaryFrequency;
use leadline_core::{BusinessId, E164, UserId};
use std::time::{Duration, Instant};

const TRACKING: &str = "+12025550100";
const ANN_MOBILE: &str = "+12025550177";

pub(crate) fn relay(port: u16) -> Config {
    Config {
        smtp_relay_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: Some("Leadline <alerts@leadline.example>".into()),
        ..crate::helpers::delivering_by_hand()
    }
}

/// A member of `business` with the test password.
pub(crate) async fn member(app: &TestApp, business: BusinessId, email: &str) -> UserId {
    operator(app, business, email).await;
    let users = app.store.list_users(business).await.unwrap();
    users.iter().find(|u| u.email.as_str() == email).unwrap().id
}

pub(crate) fn missed_calls(email: bool, sms: Option<&str>) -> AlertChoices {
    AlertChoices {
        kinds: vec![AlertKind::MissedCall],
        email,
        sms: sms.map(|n| E164::parse(n).unwrap()),
        quiet: None,
        zone: Timezone::parse("UTC").unwrap(),
        summary: None,
    }
}

pub(crate) async fn choose(app: &TestApp, business: BusinessId, user: UserId, choices: &AlertChoices) {
    let author = Author::system();
    set_my_alerts(&app.store, business, user, choices, &author)
        .await
        .unwrap();
}

pub(crate) async fn alerts_integration(app: &TestApp, business: BusinessId) -> IntegrationId {
    let all = app.store.integrations(business).await.unwrap();
    all.iter().find(|i| i.config == IntegrationConfig::Alerts).unwrap().id
}

/// The alerts delivery of the call's `call.completed`, once `done` says it is as awaited.
pub(crate) async fn completed_delivery(
    app: &TestApp,
    seeded: &Seeded,
    integration: IntegrationId,
    done: impl Fn(&Delivery) -> bool,
) -> Delivery {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = app
            .store
            .list_deliveries(Some(seeded.site.business_id), None, 50)
            .await
            .unwrap();
        let found = all
            .into_iter()
            .find(|d| d.integration_id == integration && d.event_kind.as_str() == "call.completed");
        if let Some(delivery) = found.filter(|d| done(d)) {
            return delivery;
        }
        assert!(Instant::now() < deadline, "the alert did not get there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn finished(d: &Delivery) -> bool {
    matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Dead)
}

async fn a_missed_call_alerts_each_member_who_chose_it_by_e_mail_and_sms_and_nobody_else(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = relay(port);
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let provider = start_provider().await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    let bob = member(&app, business, "bob@acme.example").await;
    choose(&app, business, ann, &missed_calls(true, Some(ANN_MOBILE))).await;
    let mut forms_only = missed_calls(true, None);
    forms_only.kinds = vec![AlertKind::NewForm];
    choose(&app, business, bob, &forms_only).await;
    // A member of another business who wants every missed call hears nothing of this one.
    let rival = app.add_business("rival", "Rival").await;
    let rex = member(&app, rival.id, "rex@rival.example").await;
    choose(&app, rival.id, rex, &missed_calls(true, Some("+12025550188"))).await;

    let integration = alerts_integration(&app, business).await;
    let worker = worker(&app, &provider.url, Mailer::from_config(&config).unwrap());
    call_from_google(&app, &seeded, true).await;

    let delivery = completed_delivery(&app, &seeded, integration, finished).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    let received = sink.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.rcpt_to, ["<ann@acme.example>"]);
    assert_eq!(
        header(&mail.data, "Subject").as_deref(),
        Some("Missed call 1000 from +12025550169")
    );
    let text = body(&mail.data);
    assert!(text.contains("source google / cpc"), "{text}");
    assert!(text.contains("/app/leads/"), "a link to the lead: {text}");
    assert!(text.contains("Change your alerts: http://"), "{text}");
    assert!(text.ends_with("/app/settings/alerts"), "{text}");

    let sent = texts(&provider);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["To"], ANN_MOBILE);
    assert_eq!(sent[0]["From"], TRACKING, "the number the caller dialled");
    assert!(
        sent[0]["Body"].starts_with("Missed call 1000 from +12025550169"),
        "{sent:?}"
    );
    assert!(sent[0]["Body"].ends_with("/app/settings/alerts"), "{sent:?}");
    worker.abort();
    app.finish().await;
}

/// `minutes` from now on the UTC clock, as `HH:MM`.
fn clock_in(minutes: i64) -> String {
    let at = Utc::now() + chrono::Duration::minutes(minutes);
    format!("{:02}:{:02}", at.hour(), at.minute())
}

async fn an_alert_in_quiet_hours_waits_for_their_end_and_then_goes_once(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = relay(port);
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    let (start, end) = (clock_in(-120), clock_in(120));
    let mut quiet = missed_calls(true, None);
    quiet.quiet = Some(QuietHours::new(ClockTime::parse(&start).unwrap(), ClockTime::parse(&end).unwrap()).unwrap());
    choose(&app, business, ann, &quiet).await;
    let integration = alerts_integration(&app, business).await;
    let worker = worker(&app, "http://127.0.0.1:9", Mailer::from_config(&config).unwrap());
    call_from_google(&app, &seeded, true).await;

    // Claimed (in flight) then put back to wait: read it once the attempt is over.
    let attempted = |d: &Delivery| d.attempts >= 1 && d.status != DeliveryStatus::InFlight;
    let held = completed_delivery(&app, &seeded, integration, attempted).await;
    assert_eq!(held.status, DeliveryStatus::Pending, "{held:?}");
    let why = held.last_error.clone().unwrap_or_default();
    assert!(why.contains("held for quiet hours"), "{why}");
    assert_eq!(
        held.next_attempt_at.format("%H:%M").to_string(),
        end,
        "due when they end"
    );
    assert!(sink.lock().unwrap().is_empty(), "nothing goes in quiet hours");

    // Their end comes (as if the clock had reached it): the alert goes, once.
    choose(&app, business, ann, &missed_calls(true, None)).await;
    let now = Utc::now().timestamp_millis();
    app.store.retry_delivery(Some(business), held.id, now).await.unwrap();
    let delivery = completed_delivery(&app, &seeded, integration, finished).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    assert_eq!(sink.lock().unwrap().len(), 1);
    worker.abort();
    app.finish().await;
}

async fn a_relay_outage_across_a_worker_restart_delays_the_e_mail_and_repeats_no_sms(engine: Engine) {
    // Port 9 (discard) has nobody listening: the relay is down.
    let down = relay(9);
    let (app, seeded) = TestApp::spawn_site(engine, down.clone(), SiteSettings::default()).await;
    let provider = start_provider().await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    choose(&app, business, ann, &missed_calls(true, Some(ANN_MOBILE))).await;
    let integration = alerts_integration(&app, business).await;
    let first = worker(&app, &provider.url, Mailer::from_config(&down).unwrap());
    call_from_google(&app, &seeded, true).await;

    let failed = completed_delivery(&app, &seeded, integration, |d| d.last_error.is_some()).await;
    assert_eq!(
        failed.status,
        DeliveryStatus::Pending,
        "retried, not given up: {failed:?}"
    );
    assert_eq!(texts(&provider).len(), 1, "the SMS went");
    // The worker stops mid-way (a crash or a restart), the relay comes back, a new one starts.
    first.abort();
    let _ = first.await;
    let (sink, port) = start_smtp_sink().await;
    let up = relay(port);
    let second = worker(&app, &provider.url, Mailer::from_config(&up).unwrap());

    let delivery = completed_delivery(&app, &seeded, integration, finished).await;
    assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
    let received = sink.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "the e-mail arrives once: {received:?}");
    assert_eq!(received[0].rcpt_to, ["<ann@acme.example>"]);
    assert_eq!(texts(&provider).len(), 1, "the SMS is not sent again");
    second.abort();
    app.finish().await;
}

async fn every_member_sets_their_own_alerts_and_bad_input_is_refused_next_to_its_field(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let otto = member(&app, business, "otto@acme.example").await;
    let cookie = log_in(&app, "otto@acme.example", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings/alerts").await;
    assert_eq!(status, 200, "an operator opens their own alerts");
    assert!(html.contains(r#"<label for="sms">"#), "{html}");
    let csrf = csrf_of(&html);

    let bad = [
        ("csrf", csrf.as_str()),
        ("kind", "missed_call"),
        ("email", "1"),
        ("sms", "12345"),
        ("quiet_start", "25:00"),
        ("quiet_end", "07:00"),
        ("zone", "Mars/Olympus"),
    ];
    let response = post(&app, &cookie, "/app/settings/alerts", &bad).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="sms-error""#), "{html}");
    assert!(html.contains("has no country code"), "{html}");
    assert!(html.contains(r#"id="quiet_start-error""#), "{html}");
    assert!(html.contains(r#"id="zone-error""#), "{html}");
    assert!(!html.contains(r#"id="quiet_end-error""#), "{html}");
    assert_eq!(
        app.store.alert_choices(business, otto).await.unwrap(),
        None,
        "nothing changed"
    );
    assert!(
        !app.store
            .integrations(business)
            .await
            .unwrap()
            .iter()
            .any(|i| i.config == IntegrationConfig::Alerts),
        "no alerts integration for a refused form"
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("kind", "missed_call"),
        ("kind", "first_time_caller"),
        ("sms", "+1 202 555 0177"),
        ("quiet_start", "22:00"),
        ("quiet_end", "07:00"),
        ("zone", "Europe/Berlin"),
    ];
    let response = post(&app, &cookie, "/app/settings/alerts", &good).await;
    assert_eq!(response.status(), 303);
    let saved = app.store.alert_choices(business, otto).await.unwrap().unwrap();
    assert_eq!(saved.kinds, [AlertKind::MissedCall, AlertKind::FirstTimeCaller]);
    assert!(!saved.email);
    assert_eq!(saved.sms.unwrap().as_str(), ANN_MOBILE);
    assert_eq!(saved.zone.name(), "Europe/Berlin");
    alerts_integration(&app, business).await;
    let (_, html) = page(&app, &cookie, "/app/settings/alerts?saved=1").await;
    assert!(
        html.contains(r#"value="22:00""#) && html.contains(r#"value="+12025550177""#),
        "{html}"
    );
    app.finish().await;
}

async fn a_new_form_and_a_first_time_caller_alert_who_chose_them_and_a_second_call_does_not(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = relay(port);
    let (app, seeded) = TestApp::spawn_site(engine, config.clone(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let ann = member(&app, business, "ann@acme.example").await;
    let mut chosen = missed_calls(true, None);
    chosen.kinds = vec![AlertKind::NewForm, AlertKind::FirstTimeCaller];
    choose(&app, business, ann, &chosen).await;
    let integration = alerts_integration(&app, business).await;
    let worker = worker(&app, "http://127.0.0.1:9", Mailer::from_config(&config).unwrap());
    let sent = crate::operator::form_with_file(&app, &seeded, "quote.pdf", crate::operator::PDF.to_vec()).await;
    assert!(sent.status().is_success(), "{}", sent.status());
    call_from_google(&app, &seeded, false).await;
    call_from_google(&app, &seeded, false).await;

    // A form, two dialed and two completed calls, each delivered once to the alerts.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ours = loop {
        let all = app.store.list_deliveries(Some(business), None, 50).await.unwrap();
        let ours: Vec<Delivery> = all.into_iter().filter(|d| d.integration_id == integration).collect();
        if ours.len() == 5 && ours.iter().all(finished) {
            break ours;
        }
        assert!(Instant::now() < deadline, "not all delivered: {ours:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(ours.iter().all(|d| d.status == DeliveryStatus::Delivered), "{ours:?}");
    let mut subjects: Vec<String> = sink
        .lock()
        .unwrap()
        .iter()
        .map(|m| header(&m.data, "Subject").unwrap())
        .collect();
    subjects.sort();
    assert_eq!(subjects.len(), 2, "one form, one first-time caller: {subjects:?}");
    assert_eq!(subjects[0], "First-time caller +12025550169 (google / cpc)");
    assert!(subjects[1].starts_with("New form "), "{subjects:?}");
    let form_mail = sink
        .lock()
        .unwrap()
        .iter()
        .find(|m| header(&m.data, "Subject").is_some_and(|s| s.starts_with("New form")))
        .map(|m| body(&m.data))
        .unwrap();
    assert!(form_mail.contains("email: ann@example.com"), "the fields: {form_mail}");
    worker.abort();
    app.finish().await;
}

crate::on_both_engines!(
    a_new_form_and_a_first_time_caller_alert_who_chose_them_and_a_second_call_does_not,
    a_missed_call_alerts_each_member_who_chose_it_by_e_mail_and_sms_and_nobody_else,
    an_alert_in_quiet_hours_waits_for_their_end_and_then_goes_once,
    a_relay_outage_across_a_worker_restart_delays_the_e_mail_and_repeats_no_sms,
    every_member_sets_their_own_alerts_and_bad_input_is_refused_next_to_its_field,
);

async fn an_owner_gets_the_days_summary_once_with_the_reports_numbers_after_a_relay_outage(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let (app, seeded) = TestApp::spawn_site(engine, relay(port), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    crate::operator::user(&app, business, "olive@acme.example", leadline_core::tenant::Role::Owner).await;
    let users = app.store.list_users(business).await.unwrap();
    let olive = users
        .iter()
        .find(|u| u.email.as_str() == "olive@acme.example")
        .unwrap()
        .id;
    let mut daily = AlertChoices::none();
    daily.summary = Some(SummaryFrequency::Daily);
    choose(&app, business, olive, &daily).await;
    call_from_google(&app, &seeded, false).await;
    let today = Utc::now().date_naive();
    let tomorrow = Utc::now() + chrono::Duration::days(1);

    // The relay is down: nothing goes, nothing is remembered as sent.
    let down = Mailer::from_config(&relay(9)).unwrap().unwrap();
    let round = send_due(&app.store, &down, "https://l.example", tomorrow)
        .await
        .unwrap();
    assert_eq!(round.sent, 0);
    assert!(
        !app.store
            .summary_sent(business, olive, SummaryFrequency::Daily, today)
            .await
            .unwrap()
    );

    // It is back: the summary goes once the day's reports have caught up, and only once.
    let up = Mailer::from_config(&relay(port)).unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while send_due(&app.store, &up, "https://l.example", tomorrow)
        .await
        .unwrap()
        .sent
        == 0
    {
        assert!(Instant::now() < deadline, "the summary never went");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = send_due(&app.store, &up, "https://l.example", tomorrow).await.unwrap();
    assert_eq!(again, Round::default(), "sent once");
    let received = sink.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].rcpt_to, ["<olive@acme.example>"]);
    let subject = header(&received[0].data, "Subject").unwrap();
    assert!(subject.ends_with(&format!("summary for {today}")), "{subject}");

    // The numbers are the Reports page's for that day.
    let raw = RawReportQuery {
        from: Some(today.to_string()),
        to: Some(today.to_string()),
        ..RawReportQuery::default()
    };
    let shown = report(&app.store, business, &ReportQuery::parse(&raw, Some("source")).unwrap())
        .await
        .unwrap();
    assert_eq!(shown.total.counts.calls, 1);
    let text = body(&received[0].data).replace("\r\n", "\n");
    assert!(
        text.contains(&format!("Calls: {}\n", shown.total.counts.calls)),
        "{text}"
    );
    assert!(
        text.contains(&format!("Forms: {}\n", shown.total.counts.forms)),
        "{text}"
    );
    assert!(
        text.contains(&format!("Leads: {}\n", shown.total.outcomes.leads)),
        "{text}"
    );
    assert!(text.contains("Top sources: google / cpc (1 leads)"), "{text}");
    assert!(
        text.ends_with("Change your summary: https://l.example/app/settings/alerts"),
        "{text}"
    );
    app.finish().await;
}

crate::on_both_engines!(an_owner_gets_the_days_summary_once_with_the_reports_numbers_after_a_relay_outage);
