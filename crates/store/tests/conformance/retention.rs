//! Retention: each kind is pruned exactly when it is past its time and only for its
//! business; a business's reports are frozen before the pruned days and keep their totals
//! when a later change marks such a day; recordings and forms are listed for the sweep to
//! delete outside first; expired sessions go.

use crate::conformance;
use crate::leads::{Setup, call, setup, visit};
use crate::reports::{rebuild_all, seed};
use chrono::{Duration, Utc};
use leadline_core::call::CallReport;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::provider::WebLink;
use leadline_core::report::days::day_of_number;
use leadline_core::report::{DayRange, ReportStore};
use leadline_core::retention::{Pruned, Retention, RetentionStore};
use leadline_core::store::{CallStore, OutboxStore, UserStore};
use leadline_store::SqlStore;

const DAY_MS: i64 = 86_400_000;
const RECORDING: &str = "https://api.twilio.example/2010-04-01/Accounts/AC1/Recordings/RE1";

async fn count(store: &SqlStore, sql: &str) -> i64 {
    let texts = store
        .stored_texts(&format!("SELECT CAST(({sql}) AS TEXT)"))
        .await
        .unwrap();
    texts[0].parse().unwrap()
}

/// The seeded records (3 visits, 2 calls, a form, a lead with a sale, and their events to a
/// webhook, half of them delivered) moved `days` back, with their report day rebuilt there.
async fn seeded_days_ago(store: &SqlStore, s: &Setup, days: i64) -> i64 {
    store
        .add_integration(&NewIntegration {
            business_id: s.business,
            site_id: None,
            name: "hook".into(),
            config: IntegrationConfig::Webhook {
                url: "https://hooks.example/in".into(),
                secret: "whsec_x".into(),
            },
        })
        .await
        .unwrap();
    seed(store, s).await;
    let shift = days * DAY_MS;
    store
        .execute_script(&format!(
            "UPDATE visits SET started_at = started_at - {shift}, last_seen_at = last_seen_at - {shift};
             UPDATE calls SET started_at = started_at - {shift};
             UPDATE leads SET created_at = created_at - {shift};
             UPDATE submissions SET created_at = created_at - {shift};
             UPDATE events SET occurred_at = occurred_at - {shift};
             UPDATE deliveries SET status = 'delivered' WHERE id % 2 = 0;
             DELETE FROM report_days;
             DELETE FROM report_dirty;
             INSERT INTO report_dirty (site_id, utc_day, version)
                 SELECT DISTINCT site_id, started_at / {DAY_MS}, 1 FROM visits WHERE true
                 ON CONFLICT (site_id, utc_day) DO NOTHING;"
        ))
        .await
        .unwrap();
    rebuild_all(store).await;
    (Utc::now().timestamp_millis() - shift).div_euclid(DAY_MS)
}

async fn records_past_their_time_are_pruned_and_the_reports_of_their_days_keep_their_totals(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "other", "+12025550101").await;
    // The other business's call is as old (the shift moves every record).
    let theirs = visit(&store, other.site, "ga:7.7").await;
    call(&store, &other, "CA-other", "+12025550177", Some(theirs)).await;
    let old_day = seeded_days_ago(&store, &s, 40).await;
    let young = visit(&store, s.site, "ga:9.9").await;
    call(&store, &s, "CA-young", "+12025550199", Some(young)).await;

    let site_day = |day: i64| {
        let day = day_of_number(day);
        DayRange::new(day - chrono::Days::new(1), day + chrono::Days::new(1)).unwrap()
    };
    let before = store.report_rows(s.site, "source", site_day(old_day)).await.unwrap();
    assert!(!before.is_empty(), "the old day was counted");

    let retention = Retention {
        visits_days: 30,
        calls_days: 30,
        forms_days: 30,
        recordings_days: 7,
        events_days: 7,
        audit_days: 30,
    };
    store.set_retention(s.business, &retention).await.unwrap();
    assert_eq!(store.retention(s.business).await.unwrap(), retention);
    assert_eq!(store.retention(other.business).await.unwrap(), Retention::default());
    let now = Utc::now();
    assert!(
        store
            .freeze_reports(s.business, retention.report_horizon(now))
            .await
            .unwrap()
    );

    let business = s.business;
    let visits_before = count(&store, "SELECT COUNT(*) FROM visits").await;
    assert_eq!(
        store
            .prune(business, Pruned::Visits, retention.cutoff(Pruned::Visits, now), 100)
            .await
            .unwrap(),
        1,
        "the visits a call or form came from stay while those do"
    );
    assert_eq!(
        store
            .prune(business, Pruned::Calls, retention.cutoff(Pruned::Calls, now), 100)
            .await
            .unwrap(),
        2
    );
    let forms = store
        .expired_forms(business, retention.cutoff(Pruned::Forms, now), 100)
        .await
        .unwrap();
    assert_eq!(forms.len(), 1);
    let ids: Vec<i64> = forms.iter().map(|f| f.submission_id).collect();
    assert_eq!(
        store.delete_forms(other.business, &ids).await.unwrap(),
        0,
        "only the business's own"
    );
    assert_eq!(store.delete_forms(business, &ids).await.unwrap(), 1);
    assert_eq!(
        store
            .prune(business, Pruned::Visits, retention.cutoff(Pruned::Visits, now), 1)
            .await
            .unwrap(),
        1,
        "a batch at a time, once their call and form are gone"
    );
    assert_eq!(
        store
            .prune(business, Pruned::Visits, retention.cutoff(Pruned::Visits, now), 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM visits").await,
        visits_before - 3,
        "the young visit and the other business's stay"
    );
    let leads_cutoff = retention.cutoff(Pruned::Calls, now);
    let emptied = store.prune_empty_leads(business, leads_cutoff, 100).await.unwrap();
    assert_eq!(
        emptied, 1,
        "the lead with a sale stays; the other caller's empty lead goes"
    );
    let events = store
        .prune(business, Pruned::Events, retention.cutoff(Pruned::Events, now), 1000)
        .await
        .unwrap();
    assert!(events > 0);
    let unfinished = count(
        &store,
        &format!("SELECT COUNT(*) FROM events e WHERE e.business_id = {} AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status <> 'delivered')", business.0),
    )
    .await;
    assert_eq!(unfinished, 0, "every delivered event went; one still to deliver stays");
    assert!(
        count(
            &store,
            &format!("SELECT COUNT(*) FROM events WHERE business_id = {}", business.0)
        )
        .await
            > 0
    );
    assert_eq!(
        count(
            &store,
            &format!("SELECT COUNT(*) FROM calls WHERE business_id = {}", other.business.0)
        )
        .await,
        1
    );

    // A late change marks the frozen day: its totals stay as they were counted.
    store
        .execute_script(&format!(
            "INSERT INTO report_dirty (site_id, utc_day, version) VALUES ({}, {old_day}, 1)",
            s.site.0
        ))
        .await
        .unwrap();
    rebuild_all(&store).await;
    let after = store.report_rows(s.site, "source", site_day(old_day)).await.unwrap();
    assert_eq!(after, before, "the rollups survive the records");
    let today = day_of_number(now.timestamp_millis().div_euclid(DAY_MS));
    let young_rows = store
        .report_rows(
            s.site,
            "total",
            DayRange::new(today - chrono::Days::new(1), today + chrono::Days::new(1)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        young_rows.iter().map(|(_, t)| t.counts.calls).sum::<i64>(),
        1,
        "days after the freeze are counted as ever"
    );
}

async fn reports_freeze_only_when_the_days_before_are_counted_and_never_move_back(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let old_day = seeded_days_ago(&store, &s, 40).await;
    store
        .execute_script(&format!(
            "INSERT INTO report_dirty (site_id, utc_day, version) VALUES ({}, {old_day}, 1)",
            s.site.0
        ))
        .await
        .unwrap();
    assert!(
        !store.freeze_reports(s.business, old_day + 5).await.unwrap(),
        "a day before waits for its rollup"
    );
    rebuild_all(&store).await;
    assert!(store.freeze_reports(s.business, old_day + 5).await.unwrap());
    assert!(store.freeze_reports(s.business, old_day).await.unwrap());
    let frozen = count(
        &store,
        &format!(
            "SELECT reports_frozen_before FROM businesses WHERE id = {}",
            s.business.0
        ),
    )
    .await;
    assert_eq!(frozen, old_day + 5, "a freeze never moves back");
}

async fn expired_recordings_are_listed_until_forgotten_and_expired_sessions_go(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let c = call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    let recorded = CallReport {
        recording_url: Some(WebLink::parse(RECORDING).unwrap()),
        ..CallReport::default()
    };
    crate::fixtures::report(&store, s.number, "CA1", &recorded)
        .await
        .unwrap();
    let now = Utc::now();
    assert!(
        store
            .expired_recordings(s.business, now - Duration::days(7), 10)
            .await
            .unwrap()
            .is_empty(),
        "a recording of today is kept"
    );
    store
        .execute_script(&format!("UPDATE calls SET started_at = started_at - {}", 8 * DAY_MS))
        .await
        .unwrap();
    let expired = store
        .expired_recordings(s.business, now - Duration::days(7), 10)
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!((expired[0].number_id, expired[0].url.as_str()), (s.number, RECORDING));
    store.forget_recording(s.business, expired[0].call_id).await.unwrap();
    assert!(store.expired_recordings(s.business, now, 10).await.unwrap().is_empty());
    let kept = store.call_by_ref(s.business, c.record_ref).await.unwrap();
    assert_eq!(kept.recording_url, None, "the call stays, its recording forgotten");

    let user = crate::fixtures::user(&store, s.business, "u@example.com").await;
    let now_ms = now.timestamp_millis();
    store
        .create_session(user.id, s.business, "old", now_ms - 1)
        .await
        .unwrap();
    store
        .create_session(user.id, s.business, "new", now_ms + DAY_MS)
        .await
        .unwrap();
    assert_eq!(store.prune_sessions(now, 10).await.unwrap(), 1);
    assert_eq!(
        store.stored_texts("SELECT token_hash FROM sessions").await.unwrap(),
        ["new"]
    );
}

async fn a_visit_stays_while_a_call_that_came_from_it_is_kept_and_goes_after_it(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let c = call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    store
        .execute_script(&format!(
            "UPDATE visits SET started_at = started_at - {shift}, last_seen_at = last_seen_at - {shift};
             UPDATE calls SET started_at = started_at - {shift};",
            shift = 40 * DAY_MS
        ))
        .await
        .unwrap();
    let visits_cutoff = Utc::now() - Duration::days(30);
    assert_eq!(
        store
            .prune(s.business, Pruned::Visits, visits_cutoff, 100)
            .await
            .unwrap(),
        0
    );
    let kept = store.call_by_ref(s.business, c.record_ref).await.unwrap();
    assert!(
        kept.attribution.is_some(),
        "the call still reads its source from its visit"
    );
    assert_eq!(
        store
            .prune(s.business, Pruned::Calls, visits_cutoff, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .prune(s.business, Pruned::Visits, visits_cutoff, 100)
            .await
            .unwrap(),
        1
    );
}

conformance!(
    a_visit_stays_while_a_call_that_came_from_it_is_kept_and_goes_after_it,
    records_past_their_time_are_pruned_and_the_reports_of_their_days_keep_their_totals,
    reports_freeze_only_when_the_days_before_are_counted_and_never_move_back,
    expired_recordings_are_listed_until_forgotten_and_expired_sessions_go,
);
