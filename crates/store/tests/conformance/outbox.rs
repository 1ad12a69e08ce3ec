//! The outbox: events fan out to the integrations that subscribe, in the change's own
//! transaction; claims are leased; outcomes are recorded once; call events happen once.

use crate::conformance;
use crate::leads::{Setup, call, contact, form, from_visit, setup, visit};
use leadline_core::SiteId;
use leadline_core::call::{CallOutcome, CallReport};
use leadline_core::event::{EventData, EventKind};
use leadline_core::lead::{Author, LeadChange, LeadStatus};
use leadline_core::outbox::{DeliveryOutcome, DeliveryStatus, IntegrationConfig, IntegrationId, NewIntegration};
use leadline_core::store::{LeadStore, OutboxStore, StoreError};
use leadline_store::SqlStore;

fn webhook() -> IntegrationConfig {
    IntegrationConfig::Webhook {
        url: "https://hooks.example/in".into(),
        secret: "whsec_x".into(),
    }
}

fn ga4() -> IntegrationConfig {
    IntegrationConfig::Ga4 {
        measurement_id: "G-ABC123".into(),
        api_secret: "s".into(),
        endpoint: None,
        debug: false,
    }
}

async fn integrate(store: &SqlStore, s: &Setup, site: Option<SiteId>, config: IntegrationConfig) -> IntegrationId {
    let new = NewIntegration {
        business_id: s.business,
        site_id: site,
        name: config.kind().into(),
        config,
    };
    store.add_integration(&new).await.unwrap().id
}

/// (integration, event kind) of every delivery, oldest first.
async fn fanned(store: &SqlStore, s: &Setup) -> Vec<(IntegrationId, EventKind)> {
    let mut all = store.list_deliveries(Some(s.business), None, 1000).await.unwrap();
    all.reverse();
    all.iter().map(|d| (d.integration_id, d.event_kind)).collect()
}

async fn an_event_reaches_only_the_subscribed_enabled_integrations_of_its_business_and_site(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let hook = integrate(&store, &s, None, webhook()).await;
    let analytics = integrate(&store, &s, Some(s.site), ga4()).await;
    let off = integrate(&store, &s, None, webhook()).await;
    store.set_integration_enabled(s.business, off, false).await.unwrap();
    integrate(&store, &rival, None, webhook()).await;

    let v = visit(&store, s.site, "fp:ann").await;
    let sent = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), None),
            from_visit(&v, None),
        ))
        .await
        .unwrap();
    store
        .change_lead(
            s.business,
            sent.lead_id,
            &Author::system(),
            &LeadChange::Note("Blue velvet".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        fanned(&store, &s).await,
        [
            (hook, EventKind::FormCompleted),
            (analytics, EventKind::FormCompleted),
            (hook, EventKind::NoteAdded),
        ],
        "GA4 takes no notes; a disabled or another business's integration takes nothing"
    );
    assert_eq!(
        store
            .list_deliveries(Some(rival.business), None, 10)
            .await
            .unwrap()
            .len(),
        0
    );
    let on_lead = store.lead_deliveries(s.business, sent.lead_id).await.unwrap();
    assert_eq!(on_lead.len(), 3);
    assert!(
        on_lead
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    assert!(matches!(store.lead_deliveries(rival.business, sent.lead_id).await, Ok(v) if v.is_empty()));
}

async fn a_claim_is_leased_and_a_late_finisher_cannot_overwrite_a_takeover(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    store
        .add_submission(&form(&s, contact(None, None, None), from_visit(&v, None)))
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let first = store.claim_deliveries(now, 30_000, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempt, 1);
    assert_eq!(first[0].event.kind(), EventKind::FormCompleted);
    assert_eq!(first[0].event.visitor.visitor_key.as_deref(), Some("fp:ann"));
    assert_eq!(first[0].event.lead.as_ref().map(|l| l.record_ref), Some(1000));
    assert!(
        store
            .claim_deliveries(now + 1_000, 30_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let taken_over = store.claim_deliveries(now + 31_000, 30_000, 10).await.unwrap();
    assert_eq!(taken_over.len(), 1, "an expired lease is claimed again");
    assert_eq!(taken_over[0].attempt, 2);
    assert_eq!(
        taken_over[0].idempotency_key(),
        first[0].idempotency_key(),
        "the same key on every attempt"
    );
    let late = DeliveryOutcome::Dead { error: "late".into() };
    assert!(
        !store
            .finish_delivery(first[0].id, &first[0].lease_token, &late)
            .await
            .unwrap()
    );
    let done = DeliveryOutcome::Delivered {
        response: Some("ok".into()),
    };
    assert!(
        store
            .finish_delivery(taken_over[0].id, &taken_over[0].lease_token, &done)
            .await
            .unwrap()
    );
    let listed = store.list_deliveries(Some(s.business), None, 10).await.unwrap();
    assert_eq!(listed[0].status, DeliveryStatus::Delivered);
    assert_eq!(listed[0].response.as_deref(), Some("ok"));
    assert!(listed[0].delivered_at.is_some());
}

async fn retries_wait_their_turn_and_the_dead_wait_for_an_operator(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    store
        .add_submission(&form(&s, contact(None, None, None), from_visit(&v, None)))
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 10).await.unwrap().remove(0);
    let later = chrono::DateTime::from_timestamp_millis(now + 60_000).unwrap();
    let retry = DeliveryOutcome::Retry {
        at: later,
        error: "HTTP 503".into(),
    };
    assert!(
        store
            .finish_delivery(claimed.id, &claimed.lease_token, &retry)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_deliveries(now + 59_000, 30_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not before its time"
    );
    let again = store
        .claim_deliveries(now + 61_000, 30_000, 10)
        .await
        .unwrap()
        .remove(0);
    let dead = DeliveryOutcome::Dead {
        error: "HTTP 400: bad field".into(),
    };
    store
        .finish_delivery(again.id, &again.lease_token, &dead)
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries(now + 999_000, 30_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "the dead stay put"
    );
    let listed = store
        .list_deliveries(Some(s.business), Some(DeliveryStatus::Dead), 10)
        .await
        .unwrap();
    assert_eq!((listed.len(), listed[0].attempts), (1, 2));
    assert_eq!(listed[0].last_error.as_deref(), Some("HTTP 400: bad field"));
    let counts = store.delivery_counts().await.unwrap();
    assert!(counts.contains(&(DeliveryStatus::Dead, 1)) && counts.contains(&(DeliveryStatus::Pending, 0)));
    assert!(matches!(
        store.retry_delivery(Some(rival.business), again.id, now).await,
        Err(StoreError::NotFound)
    ));
    store.retry_delivery(Some(s.business), again.id, now).await.unwrap();
    let revived = store.claim_deliveries(now + 1, 30_000, 10).await.unwrap();
    assert_eq!((revived.len(), revived[0].attempt), (1, 1));
}

async fn each_call_event_happens_once_whatever_the_callbacks(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    let c = call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    let answered = CallReport {
        outcome: None,
        answered_by: Some("+12025550111".into()),
        duration_seconds: None,
        recording_url: None,
        ended: false,
        tags: vec![],
    };
    let ended = CallReport {
        outcome: Some(CallOutcome::Answered),
        duration_seconds: Some(125),
        ended: true,
        ..answered.clone()
    };
    for report in [&answered, &answered, &ended, &answered, &ended] {
        crate::fixtures::report(&store, s.number, "CA1", report).await.unwrap();
    }
    let kinds: Vec<EventKind> = fanned(&store, &s).await.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [
            EventKind::CallDialed,
            EventKind::CallConnected,
            EventKind::CallCompleted
        ]
    );
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 10).await.unwrap();
    let completed = claimed
        .iter()
        .find(|d| d.event.kind() == EventKind::CallCompleted)
        .unwrap();
    assert_eq!(completed.event.record_ref, Some(c.record_ref));
    let EventData::CallCompleted(data) = &completed.event.data else {
        panic!("{:?}", completed.event.data)
    };
    assert_eq!((data.duration_seconds, data.answered), (125, true));
    assert_eq!((data.voicemail, data.recording_path.as_deref()), (false, None));
    assert_eq!(
        completed.event.visitor.attribution.as_ref().map(|a| a.source.as_str()),
        Some("google")
    );
}

async fn an_unanswered_call_completes_without_connecting(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    integrate(&store, &s, None, webhook()).await;
    call(&store, &s, "CA1", "+12025550169", None).await;
    let missed = CallReport {
        outcome: Some(CallOutcome::NoAnswer),
        answered_by: None,
        duration_seconds: Some(0),
        recording_url: None,
        ended: true,
        tags: vec![],
    };
    crate::fixtures::report(&store, s.number, "CA1", &missed).await.unwrap();
    let kinds: Vec<EventKind> = fanned(&store, &s).await.into_iter().map(|(_, k)| k).collect();
    assert_eq!(kinds, [EventKind::CallDialed, EventKind::CallCompleted]);
}

async fn a_voicemail_completes_with_its_flag_and_where_leadline_plays_the_recording(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    integrate(&store, &s, None, webhook()).await;
    let c = call(&store, &s, "CA1", "+12025550169", None).await;
    let left_message = CallReport {
        outcome: Some(CallOutcome::NoAnswer),
        duration_seconds: Some(40),
        recording_url: Some(
            leadline_core::provider::WebLink::parse("https://api.twilio.example/Recordings/RE1").unwrap(),
        ),
        ended: true,
        ..CallReport::default()
    };
    crate::fixtures::report(&store, s.number, "CA1", &left_message)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 10).await.unwrap();
    let completed = claimed
        .iter()
        .find(|d| d.event.kind() == EventKind::CallCompleted)
        .expect("call.completed");
    let EventData::CallCompleted(data) = &completed.event.data else {
        panic!("{:?}", completed.event.data)
    };
    assert!(data.voicemail && !data.answered);
    let path = format!("/app/calls/{}/recording", c.record_ref);
    assert_eq!(
        data.recording_path.as_deref(),
        Some(path.as_str()),
        "Leadline's path, never the provider's link"
    );
}

async fn lead_changes_are_events_and_refused_changes_are_not(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    integrate(&store, &s, None, webhook()).await;
    let c = call(&store, &s, "CA1", "+12025550169", None).await;
    let lead = leadline_core::LeadId(c.lead_id);
    let author = Author::api_key("ab12cd34");
    store
        .change_lead(s.business, lead, &author, &LeadChange::Status(LeadStatus::Qualified))
        .await
        .unwrap();
    store
        .change_lead(s.business, lead, &author, &LeadChange::Status(LeadStatus::Qualified))
        .await
        .unwrap();
    let refused = LeadChange::Note(String::new());
    assert!(store.change_lead(s.business, lead, &author, &refused).await.is_err());
    let kinds: Vec<EventKind> = fanned(&store, &s).await.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [EventKind::CallDialed, EventKind::LeadStatusChanged],
        "no event for a no-op or a refusal"
    );
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 10).await.unwrap();
    let status = claimed
        .iter()
        .find(|d| d.event.kind() == EventKind::LeadStatusChanged)
        .unwrap();
    // The call is still in progress, so the lead was in_call when it was qualified.
    let EventData::LeadStatusChanged(data) = &status.event.data else {
        panic!("{:?}", status.event.data)
    };
    assert_eq!(
        (data.change.from, data.change.to),
        (LeadStatus::InCall, LeadStatus::Qualified)
    );
    assert_eq!(data.author, author);
}

async fn leads_keep_their_ids_in_other_systems_per_integration(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let crm = integrate(&store, &s, None, webhook()).await;
    let c = call(&store, &s, "CA1", "+12025550169", None).await;
    let lead = leadline_core::LeadId(c.lead_id);
    assert_eq!(store.external_id(crm, lead).await.unwrap(), None);
    store.set_external_id(crm, lead, "00Q000000000001").await.unwrap();
    assert_eq!(
        store.external_id(crm, lead).await.unwrap().as_deref(),
        Some("00Q000000000001")
    );
    assert_eq!(store.lead_by_external_id(crm, "00Q000000000001").await.unwrap(), lead);
    assert!(matches!(
        store.lead_by_external_id(crm, "nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.pull_cursor(crm).await.unwrap(), None);
    store.set_pull_cursor(crm, "2026-11-28T00:00:00Z").await.unwrap();
    store.set_pull_cursor(crm, "2026-11-28T01:00:00Z").await.unwrap();
    assert_eq!(
        store.pull_cursor(crm).await.unwrap().as_deref(),
        Some("2026-11-28T01:00:00Z")
    );
    assert_eq!(store.all_integrations().await.unwrap().len(), 1);
}

async fn a_disabled_integration_keeps_its_deliveries_waiting(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let hook = integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    store
        .add_submission(&form(&s, contact(None, None, None), from_visit(&v, None)))
        .await
        .unwrap();
    store.set_integration_enabled(s.business, hook, false).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        store.claim_deliveries(now, 30_000, 10).await.unwrap().is_empty(),
        "held while disabled"
    );
    store.set_integration_enabled(s.business, hook, true).await.unwrap();
    assert_eq!(
        store.claim_deliveries(now, 30_000, 10).await.unwrap().len(),
        1,
        "sent once enabled again"
    );
}

async fn a_removed_integration_takes_its_deliveries_and_only_its_business_may_remove_it(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "other", "+12025550199").await;
    let hook = integrate(&store, &s, None, webhook()).await;
    let kept = integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    store
        .add_submission(&form(&s, contact(None, None, None), from_visit(&v, None)))
        .await
        .unwrap();
    assert!(matches!(
        store.remove_integration(other.business, hook).await,
        Err(StoreError::NotFound)
    ));
    store.remove_integration(s.business, hook).await.unwrap();
    let left: Vec<_> = store
        .integrations(s.business)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(left, vec![kept]);
    let deliveries = store.list_deliveries(Some(s.business), None, 100).await.unwrap();
    assert!(!deliveries.is_empty(), "the other integration's stay");
    assert!(deliveries.iter().all(|d| d.integration_id == kept), "{deliveries:?}");
    assert!(matches!(
        store.remove_integration(s.business, hook).await,
        Err(StoreError::NotFound)
    ));
}

async fn an_edited_integration_keeps_its_kind_and_its_queue_goes_out_with_the_new_settings(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "other", "+12025550199").await;
    let hook = integrate(&store, &s, None, webhook()).await;
    let v = visit(&store, s.site, "fp:ann").await;
    store
        .add_submission(&form(&s, contact(None, None, None), from_visit(&v, None)))
        .await
        .unwrap();
    let moved = IntegrationConfig::Webhook {
        url: "https://hooks.example/moved".into(),
        secret: "whsec_y".into(),
    };
    let changed = NewIntegration {
        business_id: s.business,
        site_id: Some(s.site),
        name: "Moved hook".into(),
        config: moved.clone(),
    };
    let theirs = NewIntegration {
        business_id: other.business,
        ..changed.clone()
    };
    assert!(matches!(
        store.edit_integration(hook, &theirs).await,
        Err(StoreError::NotFound)
    ));
    let another_kind = NewIntegration {
        config: ga4(),
        ..changed.clone()
    };
    assert!(matches!(
        store.edit_integration(hook, &another_kind).await,
        Err(StoreError::NotFound)
    ));
    let edited = store.edit_integration(hook, &changed).await.unwrap();
    assert_eq!((edited.name.as_str(), edited.site_id), ("Moved hook", Some(s.site)));
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_deliveries(now, 30_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].integration.config, moved,
        "the queued delivery goes with the new settings"
    );
}

conformance!(
    an_edited_integration_keeps_its_kind_and_its_queue_goes_out_with_the_new_settings,
    a_removed_integration_takes_its_deliveries_and_only_its_business_may_remove_it,
    a_disabled_integration_keeps_its_deliveries_waiting,
    an_event_reaches_only_the_subscribed_enabled_integrations_of_its_business_and_site,
    a_claim_is_leased_and_a_late_finisher_cannot_overwrite_a_takeover,
    retries_wait_their_turn_and_the_dead_wait_for_an_operator,
    each_call_event_happens_once_whatever_the_callbacks,
    an_unanswered_call_completes_without_connecting,
    a_voicemail_completes_with_its_flag_and_where_leadline_plays_the_recording,
    lead_changes_are_events_and_refused_changes_are_not,
    leads_keep_their_ids_in_other_systems_per_integration,
);
