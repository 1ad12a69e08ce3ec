//! Alerts: each member's choices are theirs in their business only, kept as chosen, and
//! gone with the membership; an alert sent by a channel is remembered once per event and
//! member; a call knows whether it is its lead's first.

use crate::conformance;
use crate::fixtures::user;
use crate::leads::{call, setup};
use chrono::Utc;
use leadline_core::access::{AccessStore, MemberChange};
use leadline_core::alerts::{AlertChannel, AlertChoices, AlertKind, AlertStore, ClockTime, QuietHours};
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::site::Timezone;
use leadline_core::store::{OutboxStore, StoreError};
use leadline_core::summary::SummaryFrequency;
use leadline_core::tenant::Role;
use leadline_core::{E164, UserId};
use leadline_store::SqlStore;

fn chosen() -> AlertChoices {
    AlertChoices {
        kinds: vec![AlertKind::MissedCall, AlertKind::NewForm],
        email: true,
        sms: Some(E164::parse("+12025550177").unwrap()),
        quiet: Some(QuietHours::new(ClockTime::parse("22:00").unwrap(), ClockTime::parse("07:30").unwrap()).unwrap()),
        zone: Timezone::parse("Europe/Berlin").unwrap(),
        summary: None,
    }
}

async fn a_members_choices_are_kept_as_chosen_and_only_in_their_business(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let ann = user(&store, acme.business, "ann@acme.example").await;
    let bob = user(&store, acme.business, "bob@acme.example").await;
    assert_eq!(store.alert_choices(acme.business, ann.id).await.unwrap(), None);

    store.set_alert_choices(acme.business, ann.id, &chosen()).await.unwrap();
    let mut read = chosen();
    read.kinds.sort();
    assert_eq!(
        store.alert_choices(acme.business, ann.id).await.unwrap(),
        Some(read.clone())
    );
    assert_eq!(store.alert_choices(rival.business, ann.id).await.unwrap(), None);

    // Another business cannot set choices for someone who is not its member.
    let err = store
        .set_alert_choices(rival.business, ann.id, &chosen())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store
        .set_alert_choices(acme.business, UserId(999_999), &chosen())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    // Choosing again replaces; nothing chosen makes no recipient.
    store
        .set_alert_choices(acme.business, bob.id, &AlertChoices::none())
        .await
        .unwrap();
    let recipients = store.alert_recipients(acme.business).await.unwrap();
    assert_eq!(recipients.len(), 1);
    assert_eq!(recipients[0].user_id, ann.id);
    assert_eq!(recipients[0].email, "ann@acme.example");
    assert_eq!(recipients[0].choices, read);
    assert!(store.alert_recipients(rival.business).await.unwrap().is_empty());

    let mut quieter = chosen();
    quieter.quiet = None;
    quieter.sms = None;
    store.set_alert_choices(acme.business, ann.id, &quieter).await.unwrap();
    let again = store.alert_choices(acme.business, ann.id).await.unwrap().unwrap();
    assert_eq!((again.quiet, again.sms), (None, None));
}

async fn an_alert_sent_is_remembered_once_per_event_member_and_channel(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let ann = user(&store, acme.business, "ann@acme.example").await;
    let hook = NewIntegration {
        business_id: acme.business,
        site_id: None,
        name: "hook".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.example/in".into(),
            secret: "s".into(),
        },
    };
    store.add_integration(&hook).await.unwrap();
    call(&store, &acme, "CA1", "+12025550123", None).await;
    let deliveries = store.list_deliveries(Some(acme.business), None, 10).await.unwrap();
    let event = deliveries[0].event_id.clone();

    let now = Utc::now();
    assert!(store.alerts_sent(acme.business, &event).await.unwrap().is_empty());
    assert!(
        store
            .record_alert_sent(acme.business, &event, ann.id, AlertChannel::Sms, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_alert_sent(acme.business, &event, ann.id, AlertChannel::Sms, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_alert_sent(acme.business, &event, ann.id, AlertChannel::Email, now)
            .await
            .unwrap()
    );
    assert_eq!(
        store.alerts_sent(acme.business, &event).await.unwrap(),
        vec![(ann.id, AlertChannel::Email), (ann.id, AlertChannel::Sms)]
    );

    // Another business neither sees nor records sends of this event.
    assert!(store.alerts_sent(rival.business, &event).await.unwrap().is_empty());
    let err = store
        .record_alert_sent(rival.business, &event, ann.id, AlertChannel::Email, now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn a_call_is_its_leads_first_only_when_the_lead_never_called_before(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let first = call(&store, &acme, "CA1", "+12025550123", None).await;
    let second = call(&store, &acme, "CA2", "+12025550123", None).await;
    let stranger = call(&store, &acme, "CA3", "+12025550124", None).await;
    assert!(store.first_call_of_lead(acme.business, first.record_ref).await.unwrap());
    assert!(
        !store
            .first_call_of_lead(acme.business, second.record_ref)
            .await
            .unwrap()
    );
    assert!(
        store
            .first_call_of_lead(acme.business, stranger.record_ref)
            .await
            .unwrap()
    );
    let err = store
        .first_call_of_lead(rival.business, first.record_ref)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn only_owners_who_chose_a_summary_get_one_once_per_period(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let olive = user(&store, acme.business, "olive@acme.example").await;
    store
        .change_member(acme.business, olive.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    let otto = user(&store, acme.business, "otto@acme.example").await;
    let mut daily = chosen();
    daily.summary = Some(SummaryFrequency::Daily);
    store.set_alert_choices(acme.business, olive.id, &daily).await.unwrap();
    store.set_alert_choices(acme.business, otto.id, &daily).await.unwrap();

    let recipients = store.summary_recipients().await.unwrap();
    assert_eq!(recipients.len(), 1, "an operator gets no summary: {recipients:?}");
    let olive_gets = &recipients[0];
    assert_eq!((olive_gets.business_id, olive_gets.user_id), (acme.business, olive.id));
    assert_eq!(olive_gets.email, "olive@acme.example");
    assert_eq!(olive_gets.frequency, SummaryFrequency::Daily);
    assert_eq!(olive_gets.zone.name(), "Europe/Berlin");
    // Saving other alerts keeps when the summary was chosen; choosing another frequency moves it.
    let since = olive_gets.since;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    daily.email = false;
    store.set_alert_choices(acme.business, olive.id, &daily).await.unwrap();
    assert_eq!(store.summary_recipients().await.unwrap()[0].since, since);
    let mut weekly = daily.clone();
    weekly.summary = Some(SummaryFrequency::Weekly);
    store.set_alert_choices(acme.business, olive.id, &weekly).await.unwrap();
    let moved = &store.summary_recipients().await.unwrap()[0];
    assert_eq!(moved.frequency, SummaryFrequency::Weekly);
    assert!(moved.since > since);

    let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let now = Utc::now();
    let lease = now + chrono::Duration::minutes(2);
    let weekly = SummaryFrequency::Weekly;
    assert!(!store.summary_sent(acme.business, olive.id, weekly, day).await.unwrap());
    assert!(
        store
            .claim_summary(acme.business, olive.id, weekly, day, now, lease)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_summary(acme.business, olive.id, weekly, day, now, lease)
            .await
            .unwrap(),
        "another server's claim holds"
    );
    assert!(
        !store.summary_sent(acme.business, olive.id, weekly, day).await.unwrap(),
        "claimed, not sent"
    );
    // A claim let go (the mail failed) is taken again at once.
    store
        .release_summary(acme.business, olive.id, weekly, day)
        .await
        .unwrap();
    assert!(
        store
            .claim_summary(acme.business, olive.id, weekly, day, now, lease)
            .await
            .unwrap()
    );
    // A claim that ran out (the server died mid-way) is taken again.
    let later = lease + chrono::Duration::seconds(1);
    let again = later + chrono::Duration::minutes(2);
    assert!(
        store
            .claim_summary(acme.business, olive.id, weekly, day, later, again)
            .await
            .unwrap()
    );
    store
        .record_summary_sent(acme.business, olive.id, weekly, day, later)
        .await
        .unwrap();
    assert!(store.summary_sent(acme.business, olive.id, weekly, day).await.unwrap());
    let long_after = again + chrono::Duration::days(1);
    let after_lease = long_after + chrono::Duration::minutes(2);
    assert!(
        !store
            .claim_summary(acme.business, olive.id, weekly, day, long_after, after_lease)
            .await
            .unwrap(),
        "a summary sent is never claimed again"
    );
    assert!(
        !store
            .summary_sent(acme.business, olive.id, SummaryFrequency::Daily, day)
            .await
            .unwrap()
    );
    // Another business has no such member: nothing claimed, nothing seen.
    assert!(
        !store
            .claim_summary(rival.business, olive.id, weekly, day, now, lease)
            .await
            .unwrap()
    );
    assert!(!store.summary_sent(rival.business, olive.id, weekly, day).await.unwrap());

    // A member removed takes their choices with them.
    store
        .change_member(acme.business, otto.id, MemberChange::Remove)
        .await
        .unwrap();
    assert_eq!(store.alert_choices(acme.business, otto.id).await.unwrap(), None);
}

conformance!(
    only_owners_who_chose_a_summary_get_one_once_per_period,
    a_members_choices_are_kept_as_chosen_and_only_in_their_business,
    an_alert_sent_is_remembered_once_per_event_member_and_channel,
    a_call_is_its_leads_first_only_when_the_lead_never_called_before,
);
