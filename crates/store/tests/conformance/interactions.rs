//! The Activity list (calls, forms and replies newest first, each filter, pages, one business
//! only) and the live feed of call changes.

use crate::conformance;
use crate::fixtures::{name, report};
use crate::leads::{Setup, call, contact, form, from_visit, setup, visit};
use leadline_core::E164;
use leadline_core::call::{CallOutcome, CallReport, MatchedBy};
use leadline_core::interaction::{
    CallResult, CallerHistory, InteractionFilter, InteractionKind, InteractionStore, LiveEvent,
};
use leadline_core::lead::{Author, LeadChange, LeadStatus};
use leadline_core::provider::WebLink;
use leadline_core::store::{DestinationStore, LeadStore};
use leadline_core::tenant::NewDestination;
use leadline_store::SqlStore;
use std::time::Duration;

fn filter() -> InteractionFilter {
    InteractionFilter {
        limit: 50,
        ..InteractionFilter::default()
    }
}

async fn list(store: &SqlStore, s: &Setup, filter: &InteractionFilter) -> Vec<(InteractionKind, u64)> {
    store
        .interactions(s.business, filter)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| (i.kind, i.record_ref))
        .collect()
}

fn ended(outcome: CallOutcome, recording: bool) -> CallReport {
    CallReport {
        outcome: Some(outcome),
        ended: true,
        recording_url: recording.then(|| WebLink::parse("https://api.twilio.com/rec/RE1").unwrap()),
        ..CallReport::default()
    }
}

async fn calls_forms_and_replies_are_listed_newest_first_for_their_business_only(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let first = call(&store, &s, "CA1", "+12025550169", Some(v.clone())).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let submission = store
        .add_submission(&form(
            &s,
            contact(Some("Bea"), Some("bea@example.com"), None),
            from_visit(&v, None),
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let author = Author::from_stored("sms:+12025550123");
    store
        .change_lead(
            s.business,
            submission.lead_id,
            &author,
            &LeadChange::Note("called back".into()),
        )
        .await
        .unwrap();
    let by_hand = Author::from_stored("user:ann@example.com");
    store
        .change_lead(
            s.business,
            submission.lead_id,
            &by_hand,
            &LeadChange::Status(LeadStatus::Qualified),
        )
        .await
        .unwrap();
    call(&store, &rival, "CA9", "+12025550169", None).await;

    let page = store.interactions(s.business, &filter()).await.unwrap();
    let kinds: Vec<_> = page.items.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [InteractionKind::Reply, InteractionKind::Form, InteractionKind::Call],
        "a change made in the pages is not a reply, and the rival's call is not listed"
    );
    let reply = &page.items[0];
    assert_eq!(reply.summary.as_deref(), Some("note by sms:+12025550123"));
    let entry = &page.items[2];
    assert_eq!(entry.record_ref, first.record_ref);
    assert_eq!(
        (
            entry.source.as_deref(),
            entry.medium.as_deref(),
            entry.landing_page.as_deref()
        ),
        (Some("google"), Some("cpc"), Some("https://acme.example/?gclid=abc"))
    );
    let details = entry.call.as_ref().unwrap();
    assert_eq!(
        (details.result, details.matched_by, details.first_time),
        (CallResult::InCall, MatchedBy::Code, Some(true))
    );
    assert_eq!(page.next, None);

    let mut two = filter();
    two.limit = 2;
    let page = store.interactions(s.business, &two).await.unwrap();
    assert_eq!(page.items.len(), 2);
    two.after = page.next;
    assert_eq!(
        list(&store, &s, &two).await,
        [(InteractionKind::Call, first.record_ref)]
    );
}

async fn a_call_s_result_operator_and_caller_history_are_kept_and_filtered_on(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    store
        .create_destination(&NewDestination {
            business_id: s.business,
            name: name("Ann Desk"),
            number: E164::parse("+12025550188").unwrap(),
            department: None,
            user_id: None,
        })
        .await
        .unwrap();
    let answered = call(&store, &s, "CA1", "+12025550161", None).await;
    let answering = CallReport {
        answered_by: Some("+12025550188".into()),
        ..CallReport::default()
    };
    report(&store, s.number, "CA1", &answering).await.unwrap();
    report(&store, s.number, "CA1", &ended(CallOutcome::Answered, true))
        .await
        .unwrap();
    let voicemail = call(&store, &s, "CA2", "+12025550162", None).await;
    report(&store, s.number, "CA2", &ended(CallOutcome::NoAnswer, true))
        .await
        .unwrap();
    let abandoned = call(&store, &s, "CA3", "+12025550161", None).await;
    report(&store, s.number, "CA3", &ended(CallOutcome::Canceled, false))
        .await
        .unwrap();
    let open = call(&store, &s, "CA4", "+12025550164", None).await;

    let only = |result| InteractionFilter {
        result: Some(result),
        ..filter()
    };
    let refs = |entries: Vec<(InteractionKind, u64)>| entries.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
    assert_eq!(
        refs(list(&store, &s, &only(CallResult::Answered)).await),
        [answered.record_ref]
    );
    assert_eq!(
        refs(list(&store, &s, &only(CallResult::Voicemail)).await),
        [voicemail.record_ref]
    );
    assert_eq!(
        refs(list(&store, &s, &only(CallResult::Abandoned)).await),
        [abandoned.record_ref]
    );
    assert_eq!(
        refs(list(&store, &s, &only(CallResult::InCall)).await),
        [open.record_ref]
    );
    assert!(list(&store, &s, &only(CallResult::Missed)).await.is_empty());

    let by_ann = InteractionFilter {
        operator: Some("Ann Desk".into()),
        ..filter()
    };
    assert_eq!(refs(list(&store, &s, &by_ann).await), [answered.record_ref]);
    let page = store.interactions(s.business, &by_ann).await.unwrap();
    let details = page.items[0].call.clone().unwrap();
    assert_eq!(
        details.answered_by.as_deref(),
        Some("Ann Desk"),
        "the operator's name, kept on the call"
    );
    assert!(details.has_recording);

    let returning = InteractionFilter {
        caller: Some(CallerHistory::Returning),
        ..filter()
    };
    assert_eq!(refs(list(&store, &s, &returning).await), [abandoned.record_ref]);
    let unmatched = InteractionFilter {
        matched_by: Some(MatchedBy::Code),
        ..filter()
    };
    assert!(list(&store, &s, &unmatched).await.is_empty());
    let searched = InteractionFilter {
        text: Some("550162".into()),
        ..filter()
    };
    assert_eq!(refs(list(&store, &s, &searched).await), [voicemail.record_ref]);
}

async fn visit_filters_leave_out_replies_and_match_forms_by_their_visit(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:2.2").await;
    let submission = store
        .add_submission(&form(&s, contact(Some("Bea"), None, None), from_visit(&v, None)))
        .await
        .unwrap();
    let author = Author::from_stored("email:ann@example.com");
    store
        .change_lead(s.business, submission.lead_id, &author, &LeadChange::Note("hi".into()))
        .await
        .unwrap();
    let google = InteractionFilter {
        source: Some("google".into()),
        ..filter()
    };
    assert_eq!(list(&store, &s, &google).await.len(), 1);
    assert_eq!(list(&store, &s, &google).await[0].0, InteractionKind::Form);
    let bing = InteractionFilter {
        source: Some("bing".into()),
        ..filter()
    };
    assert!(list(&store, &s, &bing).await.is_empty());
    let tagged = InteractionFilter {
        tag: Some("vip".into()),
        ..filter()
    };
    assert!(list(&store, &s, &tagged).await.is_empty());
    let tags = LeadChange::Tags {
        add: vec!["vip".into()],
        remove: vec![],
    };
    store
        .change_lead(s.business, submission.lead_id, &author, &tags)
        .await
        .unwrap();
    assert_eq!(
        list(&store, &s, &tagged).await.len(),
        3,
        "the form and both replies of the tagged lead"
    );
}

async fn a_report_after_the_end_leaves_the_lead_as_it_is(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let c = call(&store, &s, "CA1", "+12025550161", None).await;
    report(&store, s.number, "CA1", &ended(CallOutcome::Answered, false))
        .await
        .unwrap();
    let lead = store
        .lead_by_id(s.business, leadline_core::LeadId(c.lead_id))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let late = CallReport {
        recording_url: Some(WebLink::parse("https://api.twilio.com/rec/RE2").unwrap()),
        ..CallReport::default()
    };
    report(&store, s.number, "CA1", &late).await.unwrap();
    let after = store
        .lead_by_id(s.business, leadline_core::LeadId(c.lead_id))
        .await
        .unwrap();
    assert_eq!(
        after.updated_at, lead.updated_at,
        "a late recording does not touch the lead"
    );
}

async fn every_subscriber_hears_of_a_call_opened_and_reported(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let mut feed = store.subscribe_calls();
    // The PostgreSQL listener connects in the background: give it time to LISTEN.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let opened = call(&store, &s, "CA1", "+12025550161", None).await;
    report(&store, s.number, "CA1", &ended(CallOutcome::Answered, false))
        .await
        .unwrap();
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(5), feed.next())
            .await
            .expect("a change within 5 s")
            .expect("the feed is open");
        let LiveEvent::Changed(changed) = event else {
            panic!("missed changes: {event:?}");
        };
        assert_eq!(changed.business, s.business);
        let entry = store.call_interaction(s.business, changed.call).await.unwrap();
        assert_eq!(entry.record_ref, opened.record_ref);
    }
    let rival = setup(&store, "rival", "+12025550101").await;
    let mut events = Vec::new();
    call(&store, &rival, "CA2", "+12025550162", None).await;
    if let Ok(Some(LiveEvent::Changed(changed))) = tokio::time::timeout(Duration::from_secs(5), feed.next()).await {
        events.push(changed);
    }
    assert_eq!(events.len(), 1);
    assert!(
        store.call_interaction(s.business, events[0].call).await.is_err(),
        "another business's call is not read through this one"
    );
}

conformance!(
    calls_forms_and_replies_are_listed_newest_first_for_their_business_only,
    a_call_s_result_operator_and_caller_history_are_kept_and_filtered_on,
    visit_filters_leave_out_replies_and_match_forms_by_their_visit,
    a_report_after_the_end_leaves_the_lead_as_it_is,
    every_subscriber_hears_of_a_call_opened_and_reported,
);
