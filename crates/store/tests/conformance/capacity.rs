use crate::conformance;
use crate::leads::{call, setup, visit};
use chrono::DateTime;
use leadline_core::capacity::{Bucket, CapacityStore, DELAY_CAP_MINUTES, History, HourCount};
use leadline_core::visit::VisitRef;
use leadline_store::SqlStore;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
/// 2026-03-02T00:00:00Z, a Monday.
const DAY: i64 = 1_772_409_600_000;

/// Moves a visit to start at `start` and end its last activity `minutes` later.
async fn place(store: &SqlStore, visit: &VisitRef, start: i64, minutes: i64) {
    let sql = format!(
        "UPDATE visits SET started_at = {start}, last_seen_at = {} WHERE public_id = '{}'",
        start + minutes * MINUTE,
        visit.as_str()
    );
    store.execute_script(&sql).await.unwrap();
}

async fn call_at(store: &SqlStore, sid: &str, at: i64) {
    let sql = format!("UPDATE calls SET started_at = {at} WHERE provider_call_sid = '{sid}'");
    store.execute_script(&sql).await.unwrap();
}

fn at(ms: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

async fn a_sites_history_counts_visits_per_hour_their_lengths_and_the_delay_of_their_calls(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let a = visit(&store, s.site, "ga:1.1").await;
    let b = visit(&store, s.site, "ga:2.2").await;
    let c = visit(&store, s.site, "ga:3.3").await;
    let late = visit(&store, s.site, "ga:4.4").await;
    let outside = visit(&store, s.site, "ga:5.5").await;
    place(&store, &a, DAY + 9 * HOUR + 5 * MINUTE, 3).await;
    place(&store, &b, DAY + 9 * HOUR + 50 * MINUTE, 10).await;
    place(&store, &c, DAY + 14 * HOUR, 0).await;
    place(&store, &late, DAY + 15 * HOUR, 500).await;
    place(&store, &outside, DAY + 30 * HOUR, 1).await;
    // During a's visit; 45 minutes after b's last activity; three days after c's.
    call(&store, &s, "CA1", "+12025550169", Some(a.clone())).await;
    call_at(&store, "CA1", DAY + 9 * HOUR + 6 * MINUTE).await;
    call(&store, &s, "CA2", "+12025550170", Some(b.clone())).await;
    call_at(&store, "CA2", DAY + 10 * HOUR + 45 * MINUTE).await;
    call(&store, &s, "CA3", "+12025550171", Some(c.clone())).await;
    call_at(&store, "CA3", DAY + 86 * HOUR).await;
    call(&store, &s, "CA4", "+12025550172", None).await;

    let history = store
        .capacity_history(s.business, s.site, at(DAY), at(DAY + 24 * HOUR))
        .await
        .unwrap();
    let hour = |h: i64, visits| HourCount {
        start_ms: DAY + h * HOUR,
        visits,
    };
    assert_eq!(history.hours, vec![hour(9, 2), hour(14, 1), hour(15, 1)]);
    let bucket = |minutes, count| Bucket { minutes, count };
    assert_eq!(
        history.lengths,
        vec![bucket(0, 1), bucket(3, 1), bucket(10, 1), bucket(240, 1)],
        "lengths past four hours share the last bucket"
    );
    assert_eq!(history.length_ms, (3 + 10 + 500) * MINUTE);
    assert_eq!(
        history.call_delays,
        vec![bucket(0, 1), bucket(45, 1), bucket(DELAY_CAP_MINUTES, 1)],
        "a call with no visit is not counted"
    );
}

async fn another_business_reads_no_history_of_a_site_it_does_not_own(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "globex", "+12025550101").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    place(&store, &v, DAY + HOUR, 2).await;
    call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    let theirs = visit(&store, other.site, "ga:9.9").await;
    place(&store, &theirs, DAY + HOUR, 2).await;

    let foreign = store
        .capacity_history(other.business, s.site, at(DAY), at(DAY + 24 * HOUR))
        .await
        .unwrap();
    assert_eq!(foreign, History::default());
    let own = store
        .capacity_history(other.business, other.site, at(DAY), at(DAY + 24 * HOUR))
        .await
        .unwrap();
    assert_eq!(own.visits(), 1, "only its own site's visit");
    assert_eq!(own.calls(), 0, "the other site's call is not its own");
}

conformance!(
    a_sites_history_counts_visits_per_hour_their_lengths_and_the_delay_of_their_calls,
    another_business_reads_no_history_of_a_site_it_does_not_own,
);
