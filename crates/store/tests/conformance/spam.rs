//! Spam: the block list (a person's blocks and the uploaded list), the settings, the calls'
//! marks, and what a mark changes: reports leave spam out, exports leave it out, and an ad
//! integration sees the flag — all within the business.

use crate::conformance;
use crate::conversions::{ad_visit, ended_call, gclid};
use crate::leads::{call, setup};
use crate::reports::rebuild_all;
use chrono::{Duration, Utc};
use leadline_core::E164;
use leadline_core::ad_upload::AdTarget;
use leadline_core::conversion::{ConversionKind, ConversionQuery, ConversionRecord, ConversionStore};
use leadline_core::event::EventData;
use leadline_core::interaction::{CallResult, SpamView};
use leadline_core::lead::{Author, LeadFilter};
use leadline_core::report::days::local_day;
use leadline_core::report::{DayRange, ReportStore};
use leadline_core::spam::{BlockSource, BlockedAnswer, RepeatRule, SpamMark, SpamReason, SpamSettings, SpamStore};
use leadline_core::store::{CallStore, LeadStore, OutboxStore, StoreError};
use leadline_store::SqlStore;

fn number(text: &str) -> E164 {
    E164::parse(text).unwrap()
}

async fn a_blocked_number_is_blocked_for_its_business_only_and_a_persons_block_comes_first(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550199").await;
    let robo = number("+14155550123");
    assert_eq!(store.blocked_reason(acme.business, robo.as_str()).await.unwrap(), None);
    store
        .replace_spam_list(acme.business, std::slice::from_ref(&robo))
        .await
        .unwrap();
    assert_eq!(
        store.blocked_reason(acme.business, robo.as_str()).await.unwrap(),
        Some(SpamReason::Listed)
    );
    store
        .block_number(acme.business, &robo, BlockSource::Operator)
        .await
        .unwrap();
    store
        .block_number(acme.business, &robo, BlockSource::Operator)
        .await
        .unwrap();
    assert_eq!(
        store.blocked_reason(acme.business, robo.as_str()).await.unwrap(),
        Some(SpamReason::Blocked)
    );
    assert_eq!(store.blocked_reason(rival.business, robo.as_str()).await.unwrap(), None);
    assert!(store.blocked_numbers(rival.business).await.unwrap().is_empty());
    let listed = store.blocked_numbers(acme.business).await.unwrap();
    let sources: Vec<BlockSource> = listed.iter().map(|b| b.source).collect();
    assert_eq!(sources, [BlockSource::Operator, BlockSource::List]);

    let err = store.unblock_number(rival.business, &robo).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    store.unblock_number(acme.business, &robo).await.unwrap();
    assert_eq!(
        store.blocked_reason(acme.business, robo.as_str()).await.unwrap(),
        Some(SpamReason::Listed),
        "unblocking leaves the uploaded list alone"
    );
}

async fn an_uploaded_list_replaces_the_last_one_and_keeps_a_persons_blocks(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let kept = number("+14155550100");
    store
        .block_number(acme.business, &kept, BlockSource::Operator)
        .await
        .unwrap();
    let first: Vec<E164> = (0..1200).map(|i| number(&format!("+1415666{i:04}"))).collect();
    assert_eq!(store.replace_spam_list(acme.business, &first).await.unwrap(), 1200);
    let second = [number("+14155550199")];
    assert_eq!(store.replace_spam_list(acme.business, &second).await.unwrap(), 1);
    let listed = store.blocked_numbers(acme.business).await.unwrap();
    let numbers: Vec<&str> = listed.iter().map(|b| b.number.as_str()).collect();
    assert_eq!(numbers, ["+14155550100", "+14155550199"]);
    assert_eq!(store.blocked_reason(acme.business, "+14156660001").await.unwrap(), None);
}

async fn spam_settings_start_at_the_defaults_and_change_for_one_business(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550199").await;
    assert_eq!(
        store.spam_settings(acme.business).await.unwrap(),
        SpamSettings::default()
    );
    let changed = SpamSettings {
        answer: BlockedAnswer::Message("This number does not take sales calls.".into()),
        repeat: Some(RepeatRule::new(5, 6, 48).unwrap()),
    };
    store.set_spam_settings(acme.business, &changed).await.unwrap();
    assert_eq!(store.spam_settings(acme.business).await.unwrap(), changed);
    assert_eq!(
        store.spam_settings(rival.business).await.unwrap(),
        SpamSettings::default()
    );
    let off = SpamSettings {
        answer: BlockedAnswer::Reject,
        repeat: None,
    };
    store.set_spam_settings(acme.business, &off).await.unwrap();
    assert_eq!(store.spam_settings(acme.business).await.unwrap(), off);
    let missing = leadline_core::BusinessId(999_999);
    assert!(matches!(
        store.set_spam_settings(missing, &off).await.unwrap_err(),
        StoreError::NotFound
    ));
}

async fn a_mark_changes_the_business_calls_only_and_reads_back_with_the_callers_history(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550199").await;
    let first = ended_call(&store, &acme, "CA1", "+14155550123", None).await;
    let second = call(&store, &acme, "CA2", "+14155550123", None).await.record_ref;
    let theirs = ended_call(&store, &rival, "CA3", "+14155550123", None).await;
    let flagged = Some(SpamMark::Flagged(SpamReason::Repeated));
    assert_eq!(
        store
            .mark_calls_spam(acme.business, &[first, second], flagged, &Author::system())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .mark_calls_spam(acme.business, &[first], flagged, &Author::system())
            .await
            .unwrap(),
        0,
        "no change"
    );
    // Refs are per business: the rival's marks reach its own calls, never acme's.
    let cleared = Some(SpamMark::Cleared);
    let rival_changed = store
        .mark_calls_spam(
            rival.business,
            &[theirs, second.max(theirs) + 100],
            cleared,
            &Author::system(),
        )
        .await
        .unwrap();
    assert_eq!(rival_changed, 1, "its own call, and no call for a ref it does not have");
    assert_eq!(store.call_by_ref(acme.business, first).await.unwrap().spam, flagged);
    assert_eq!(store.call_by_ref(acme.business, second).await.unwrap().spam, flagged);
    assert_eq!(store.call_by_ref(rival.business, theirs).await.unwrap().spam, cleared);

    let history = store
        .caller_calls_since(acme.business, "+14155550123", Utc::now() - Duration::hours(1))
        .await
        .unwrap();
    let refs: Vec<u64> = history.iter().map(|c| c.record_ref).collect();
    assert_eq!(refs, [first, second], "the business's calls only, oldest first");
    assert_eq!(history[0].spam, flagged);
    assert_eq!(history[0].duration_seconds, Some(75));
    assert_eq!(history[1].result, CallResult::InCall);

    store
        .mark_calls_spam(acme.business, &[first], Some(SpamMark::Cleared), &Author::system())
        .await
        .unwrap();
    assert_eq!(
        store.call_by_ref(acme.business, first).await.unwrap().spam,
        Some(SpamMark::Cleared)
    );
}

async fn reports_leave_spam_calls_and_leads_with_only_spam_out_until_a_person_clears_them(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let real = ended_call(&store, &s, "CA1", "+14155550100", None).await;
    let robo = ended_call(&store, &s, "CA2", "+14155550123", None).await;
    let _ = real;
    rebuild_all(&store).await;
    let today = local_day(Utc::now(), "America/New_York".parse().unwrap());
    let range = DayRange::new(today, today).unwrap();
    let totals = |rows: Vec<(String, leadline_core::report::Tally)>| {
        let t = &rows[0].1;
        (t.counts.calls, t.last.leads)
    };
    assert_eq!(totals(store.report_rows(s.site, "total", range).await.unwrap()), (2, 2));

    let flagged = Some(SpamMark::Flagged(SpamReason::Operator));
    store
        .mark_calls_spam(s.business, &[robo], flagged, &Author::system())
        .await
        .unwrap();
    assert!(
        !store.stale_report_days(10).await.unwrap().is_empty(),
        "the mark made its day stale"
    );
    rebuild_all(&store).await;
    assert_eq!(totals(store.report_rows(s.site, "total", range).await.unwrap()), (1, 1));

    store
        .mark_calls_spam(s.business, &[robo], Some(SpamMark::Cleared), &Author::system())
        .await
        .unwrap();
    rebuild_all(&store).await;
    assert_eq!(totals(store.report_rows(s.site, "total", range).await.unwrap()), (2, 2));
}

async fn exports_leave_spam_calls_out_and_an_ad_integration_sees_the_flag(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let visit = ad_visit(&store, s.site, "ga:1.1", gclid("gclid-spam")).await;
    let robo = ended_call(&store, &s, "CA1", "+14155550123", Some(visit)).await;
    let query = ConversionQuery {
        business: s.business,
        site: None,
        kind: ConversionKind::Click,
        from: None,
        to: None,
        include_unmarked: true,
    };
    assert_eq!(store.conversion_rows(&query).await.unwrap().len(), 1);
    let target = AdTarget::Record(ConversionRecord::Call { record_ref: robo });
    assert!(!store.ad_facts(s.business, &target).await.unwrap().unwrap().spam);

    let flagged = Some(SpamMark::Flagged(SpamReason::Blocked));
    store
        .mark_calls_spam(s.business, &[robo], flagged, &Author::system())
        .await
        .unwrap();
    assert!(store.conversion_rows(&query).await.unwrap().is_empty());
    assert!(store.ad_facts(s.business, &target).await.unwrap().unwrap().spam);
}

async fn a_lead_whose_only_calls_are_spam_is_left_out_of_the_leads_list_unless_asked(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let real = ended_call(&store, &s, "CA1", "+14155550100", None).await;
    let robo = ended_call(&store, &s, "CA2", "+14155550123", None).await;
    let flagged = Some(SpamMark::Flagged(SpamReason::Listed));
    store
        .mark_calls_spam(s.business, &[robo], flagged, &Author::system())
        .await
        .unwrap();
    let listed = |spam: SpamView| {
        let filter = LeadFilter {
            spam,
            limit: 50,
            ..LeadFilter::default()
        };
        let store = &store;
        async move {
            let page = store.list_leads(s.business, &filter).await.unwrap();
            let count = store.lead_summary(s.business, &filter).await.unwrap().count;
            (
                page.leads
                    .iter()
                    .map(|l| l.contact.phone.as_ref().map(ToString::to_string).unwrap_or_default())
                    .collect::<Vec<_>>(),
                count,
            )
        }
    };
    assert_eq!(listed(SpamView::Hide).await, (vec!["+14155550100".to_owned()], 1));
    assert_eq!(listed(SpamView::Only).await, (vec!["+14155550123".to_owned()], 1));
    assert_eq!(listed(SpamView::Include).await.1, 2);
    // A real call from the same person makes them a lead again.
    let again = ended_call(&store, &s, "CA3", "+14155550123", None).await;
    assert_eq!(listed(SpamView::Hide).await.1, 2);
    let _ = (real, again);
}

async fn flagging_and_clearing_a_call_are_events_for_the_ad_platforms_with_the_call(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let ads = crate::ad_uploads::integrate(&store, s.business, crate::ad_uploads::google()).await;
    let visit = ad_visit(&store, s.site, "ga:1.1", gclid("gclid-spam")).await;
    let robo = ended_call(&store, &s, "CA1", "+14155550123", Some(visit)).await;
    let flagged = Some(SpamMark::Flagged(SpamReason::Repeated));
    store
        .mark_calls_spam(s.business, &[robo], flagged, &Author::system())
        .await
        .unwrap();
    store
        .mark_calls_spam(s.business, &[robo], flagged, &Author::system())
        .await
        .unwrap();
    let ann = crate::conversions::ann();
    store
        .mark_calls_spam(s.business, &[robo], Some(SpamMark::Cleared), &ann)
        .await
        .unwrap();
    let now = Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now + 1, 60_000, 100).await.unwrap();
    let changes: Vec<(Option<SpamReason>, Option<u64>, String)> = claimed
        .iter()
        .filter(|d| d.integration.id == ads)
        .filter_map(|d| match &d.event.data {
            EventData::CallSpamChanged(c) => Some((c.change.spam, d.event.record_ref, c.author.as_str().to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            (Some(SpamReason::Repeated), Some(robo), "system".to_owned()),
            (None, Some(robo), ann.as_str().to_owned()),
        ],
        "one event per change (flagging again changes nothing), with the call and who did it"
    );
}

conformance!(
    flagging_and_clearing_a_call_are_events_for_the_ad_platforms_with_the_call,
    a_lead_whose_only_calls_are_spam_is_left_out_of_the_leads_list_unless_asked,
    a_blocked_number_is_blocked_for_its_business_only_and_a_persons_block_comes_first,
    an_uploaded_list_replaces_the_last_one_and_keeps_a_persons_blocks,
    spam_settings_start_at_the_defaults_and_change_for_one_business,
    a_mark_changes_the_business_calls_only_and_reads_back_with_the_callers_history,
    reports_leave_spam_calls_and_leads_with_only_spam_out_until_a_person_clears_them,
    exports_leave_spam_calls_out_and_an_ad_integration_sees_the_flag,
);
