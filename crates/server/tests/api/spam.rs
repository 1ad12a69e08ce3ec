//! Spam and robocalls through the real webhooks and pages: a blocked or listed caller is
//! answered before the gather (rejected, or told the business's message) and never reaches a
//! destination; repeated short unanswered calls are flagged; flagged calls are hidden from
//! Activity unless asked for; people mark calls and block numbers from the lead page; owners
//! set it all in Settings, and bad input changes nothing.

use crate::calls::{CALLER, Node, TRACKING};
use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline::app::spam;
use leadline_core::E164;
use leadline_core::lead::Author;
use leadline_core::site::SiteSettings;
use leadline_core::spam::{BlockedAnswer, SpamMark, SpamReason, SpamSettings, SpamStore};
use leadline_core::store::LeadStore;
use leadline_core::tenant::Role;

const ROBOCALLER: &str = "+14155550123";

fn system() -> Author {
    Author::system()
}

/// The first answer to a call from `caller`: the voice webhook's.
async fn ring(app: &TestApp, sid: &str, caller: &str) -> Node {
    let call = [
        ("CallSid", sid),
        ("AccountSid", "AC1"),
        ("From", caller),
        ("To", TRACKING),
        ("CallStatus", "ringing"),
    ];
    app.twiml(&format!("{}/twilio/voice", app.base_url), &call).await
}

/// A call from `caller` that nobody answers and that ends at once (the caller hangs up).
async fn hang_up_call(app: &TestApp, sid: &str, caller: &str) {
    let dial = app.call_until_dial(sid, caller, "").await;
    assert!(dial.find("Dial").is_some(), "the call rings the business");
    let ended = [("CallSid", sid), ("To", TRACKING), ("CallStatus", "completed")];
    app.twiml(&format!("{}/twilio/status", app.base_url), &ended).await;
}

async fn owner_cookie(app: &TestApp, seeded: &Seeded) -> String {
    user(app, seeded.site.business_id, "olive@example.com", Role::Owner).await;
    log_in(app, "olive@example.com", PASSWORD).await.unwrap()
}

async fn a_blocked_caller_is_rejected_before_anyone_rings_and_the_call_is_logged_as_spam(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let robo = E164::parse(ROBOCALLER).unwrap();
    spam::block(&app.store, business, &robo, &system()).await.unwrap();

    let answer = ring(&app, "CA1", ROBOCALLER).await;
    assert_eq!(answer.verbs(), ["Reject"], "no gather, no dial");
    assert_eq!(answer.find("Reject").unwrap().attr("reason"), Some("busy"));
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(call.spam, Some(SpamMark::Flagged(SpamReason::Blocked)));
    assert!(call.ended_at.is_some(), "the call is over");
    assert!(call.answered_by.is_none());

    let real = ring(&app, "CA2", CALLER).await;
    assert!(real.find("Gather").is_some(), "anyone else is asked for the code");
    app.finish().await;
}

async fn a_listed_caller_hears_the_business_message_and_the_call_ends(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let store = &app.store;
    let settings = SpamSettings {
        answer: BlockedAnswer::Message("This line does not take automated calls.".into()),
        ..SpamSettings::default()
    };
    spam::configure(store, business, &settings, &system()).await.unwrap();
    let list = format!("# known robocallers\n{ROBOCALLER}\n+14155550124\n");
    assert_eq!(spam::replace_list(store, business, &list, &system()).await.unwrap(), 2);

    let answer = ring(&app, "CA1", ROBOCALLER).await;
    assert_eq!(answer.verbs(), ["Say", "Hangup"]);
    assert_eq!(
        answer.find("Say").unwrap().text,
        "This line does not take automated calls."
    );
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(call.spam, Some(SpamMark::Flagged(SpamReason::Listed)));
    app.finish().await;
}

async fn short_unanswered_calls_repeated_from_one_number_are_flagged_and_hidden_from_activity(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    hang_up_call(&app, "CA1", ROBOCALLER).await;
    hang_up_call(&app, "CA2", ROBOCALLER).await;
    hang_up_call(&app, "CA3", CALLER).await;
    for sid in ["CA1", "CA2", "CA3"] {
        assert_eq!(
            app.call_by_sid(sid).await.unwrap().spam,
            None,
            "{sid}: two are not a pattern"
        );
    }
    hang_up_call(&app, "CA4", ROBOCALLER).await;
    for sid in ["CA1", "CA2", "CA4"] {
        assert_eq!(
            app.call_by_sid(sid).await.unwrap().spam,
            Some(SpamMark::Flagged(SpamReason::Repeated)),
            "{sid}"
        );
    }
    assert_eq!(app.call_by_sid("CA3").await.unwrap().spam, None, "another caller");

    let cookie = owner_cookie(&app, &seeded).await;
    let refs = |html: &str| -> usize { html.matches("<tr id=\"call-").count() };
    let (status, shown) = page(&app, &cookie, "/app/activity").await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(refs(&shown), 1, "only the real caller's call shows by default");
    let (_, only) = page(&app, &cookie, "/app/activity?spam=only").await;
    assert_eq!(refs(&only), 3);
    assert!(only.contains("spam (repeated short calls)"), "{only}");
    let (_, all) = page(&app, &cookie, "/app/activity?spam=include").await;
    assert_eq!(refs(&all), 4);
    let (_, leads) = page(&app, &cookie, "/app/leads").await;
    assert!(leads.contains("1 lead match."), "the robocaller is not a lead: {leads}");
    let (_, robocallers) = page(&app, &cookie, "/app/leads?spam=only").await;
    assert!(robocallers.contains("1 lead match."), "{robocallers}");
    assert!(robocallers.contains(ROBOCALLER), "{robocallers}");
    let (status, bad) = page(&app, &cookie, "/app/activity?spam=maybe").await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("maybe") && bad.contains("is not one of hide, include, only"),
        "{bad}"
    );
    app.finish().await;
}

async fn a_person_marks_a_call_spam_and_blocks_its_number_from_the_lead_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    user(&app, business, "ann@example.com", Role::Operator).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    hang_up_call(&app, "CA1", ROBOCALLER).await;
    let call = app.call_by_sid("CA1").await.unwrap();
    let lead = app
        .store
        .lead_by_id(business, leadline_core::LeadId(call.lead_id))
        .await
        .unwrap();
    let lead_page = format!("/app/leads/{}", lead.record_ref);
    let (_, html) = page(&app, &cookie, &lead_page).await;
    assert!(html.contains("Mark as spam"), "{html}");
    let csrf = csrf_of(&html);
    let path = format!("/app/calls/{}/spam", call.record_ref);

    let forged = post(&app, &cookie, &path, &[("csrf", "forged"), ("spam", "yes")]).await;
    assert_eq!(forged.status(), 403);
    let nonsense = post(&app, &cookie, &path, &[("csrf", &csrf), ("spam", "perhaps")]).await;
    assert_eq!(nonsense.status(), 400);
    assert_eq!(app.call_by_sid("CA1").await.unwrap().spam, None, "nothing changed");

    let marked = post(
        &app,
        &cookie,
        &path,
        &[("csrf", &csrf), ("spam", "yes"), ("block", "on")],
    )
    .await;
    assert_eq!(marked.status(), 200);
    assert!(marked.text().await.unwrap().contains("its number is blocked"));
    assert_eq!(
        app.call_by_sid("CA1").await.unwrap().spam,
        Some(SpamMark::Flagged(SpamReason::Blocked))
    );
    assert_eq!(ring(&app, "CA2", ROBOCALLER).await.verbs(), ["Reject"]);

    let cleared = post(&app, &cookie, &path, &[("csrf", &csrf), ("spam", "no")]).await;
    assert!(cleared.status().is_redirection() || cleared.status() == 200);
    assert_eq!(app.call_by_sid("CA1").await.unwrap().spam, Some(SpamMark::Cleared));

    let rival = app.add_business("rival", "Rival").await;
    let rival_site = app.add_site(rival.id, "rival.example").await;
    let _ = rival_site;
    user(&app, rival.id, "rex@example.com", Role::Owner).await;
    let rex = log_in(&app, "rex@example.com", PASSWORD).await.unwrap();
    let (_, rex_html) = page(&app, &rex, "/app/activity").await;
    let theirs = post(&app, &rex, &path, &[("csrf", &csrf_of(&rex_html)), ("spam", "yes")]).await;
    assert_eq!(theirs.status(), 404, "another business's call is not found");
    assert_eq!(app.call_by_sid("CA1").await.unwrap().spam, Some(SpamMark::Cleared));
    app.finish().await;
}

async fn an_owner_sets_spam_settings_and_lists_in_settings_and_bad_input_changes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner_cookie(&app, &seeded).await;
    let (status, html) = page(&app, &cookie, "/app/settings/spam").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);

    let empty_message = [
        ("csrf", csrf.as_str()),
        ("answer", "message"),
        ("message", " "),
        ("repeat", "on"),
        ("calls", "3"),
        ("seconds", "10"),
        ("hours", "24"),
    ];
    let refused = post(&app, &cookie, "/app/settings/spam", &empty_message).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("say what a blocked caller hears")
    );
    let bad_rule = [
        ("csrf", csrf.as_str()),
        ("answer", "reject"),
        ("repeat", "on"),
        ("calls", "1"),
        ("seconds", "10"),
        ("hours", "24"),
    ];
    let refused = post(&app, &cookie, "/app/settings/spam", &bad_rule).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("between 2 and 20 calls"));
    assert_eq!(
        app.store.spam_settings(business).await.unwrap(),
        SpamSettings::default()
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("answer", "message"),
        ("message", "No sales calls, please."),
    ];
    let saved = post(&app, &cookie, "/app/settings/spam", &good).await;
    assert!(saved.status().is_redirection(), "{}", saved.status());
    let settings = app.store.spam_settings(business).await.unwrap();
    assert_eq!(
        settings.answer,
        BlockedAnswer::Message("No sales calls, please.".into())
    );
    assert_eq!(settings.repeat, None, "the rule is off when unticked");

    let bad_list = [("csrf", csrf.as_str()), ("numbers", "+14155550100\nnot a number")];
    let refused = post(&app, &cookie, "/app/settings/spam/list", &bad_list).await;
    assert_eq!(refused.status(), 400);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains("line 2: ") && said.contains("is not a phone number"),
        "{said}"
    );
    assert!(app.store.blocked_numbers(business).await.unwrap().is_empty());
    let list = [("csrf", csrf.as_str()), ("numbers", "+14155550100, (202) 555-0177")];
    assert!(
        post(&app, &cookie, "/app/settings/spam/list", &list)
            .await
            .status()
            .is_redirection()
    );
    let (_, shown) = page(&app, &cookie, "/app/settings/spam").await;
    assert!(shown.contains("2 numbers on the list"), "{shown}");
    assert!(
        shown.contains("+12025550177"),
        "a national number is read in the business's country"
    );

    let bad_number = [("csrf", csrf.as_str()), ("number", "12")];
    assert_eq!(
        post(&app, &cookie, "/app/settings/spam/block", &bad_number)
            .await
            .status(),
        400
    );
    let block = [("csrf", csrf.as_str()), ("number", ROBOCALLER)];
    assert!(
        post(&app, &cookie, "/app/settings/spam/block", &block)
            .await
            .status()
            .is_redirection()
    );
    assert_eq!(
        app.store.blocked_reason(business, ROBOCALLER).await.unwrap(),
        Some(SpamReason::Blocked)
    );
    let unblock = [("csrf", csrf.as_str()), ("number", ROBOCALLER)];
    assert!(
        post(&app, &cookie, "/app/settings/spam/unblock", &unblock)
            .await
            .status()
            .is_redirection()
    );
    assert_eq!(app.store.blocked_reason(business, ROBOCALLER).await.unwrap(), None);

    user(&app, business, "ann@example.com", Role::Operator).await;
    let ann = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &ann, "/app/settings/spam").await.0, 404, "owners only");
    app.finish().await;
}

crate::on_both_engines!(
    a_blocked_caller_is_rejected_before_anyone_rings_and_the_call_is_logged_as_spam,
    a_listed_caller_hears_the_business_message_and_the_call_ends,
    short_unanswered_calls_repeated_from_one_number_are_flagged_and_hidden_from_activity,
    a_person_marks_a_call_spam_and_blocks_its_number_from_the_lead_page,
    an_owner_sets_spam_settings_and_lists_in_settings_and_bad_input_changes_nothing,
);
