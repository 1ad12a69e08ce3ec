//! The audit log: entries are listed newest first in pages with a cursor, filtered by action
//! or actor, never across businesses, and pruned exactly when older than the cut-off.

use crate::conformance;
use crate::fixtures::business;
use chrono::{DateTime, Duration, Utc};
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditQuery, AuditStore, AuditSubject, NewAuditEntry};
use leadline_core::lead::Author;
use leadline_core::retention::{Pruned, RetentionStore};
use leadline_core::store::StoreError;
use leadline_store::SqlStore;

fn entry(at: DateTime<Utc>, action: AuditAction, n: u32) -> NewAuditEntry {
    // Even entries are a user's on a page, odd ones a key's.
    let by_user = n.is_multiple_of(2);
    NewAuditEntry {
        at,
        actor: Author::from_stored(if by_user {
            "user:ann@example.com"
        } else {
            "api-key:abc123"
        }),
        address: by_user.then(|| "203.0.113.7".parse().unwrap()),
        action,
        subject: AuditSubject::of("lead", n),
        detail: AuditDetail::new(format!("change {n}")),
    }
}

async fn append(store: &SqlStore, business: BusinessId, at: DateTime<Utc>, action: AuditAction, n: u32) {
    store.append_audit(business, &entry(at, action, n)).await.unwrap();
}

async fn entries_are_listed_newest_first_a_page_at_a_time(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let now = Utc::now();
    for n in 0..5 {
        append(
            &store,
            acme.id,
            now + Duration::seconds(i64::from(n)),
            AuditAction::LeadNoteAdded,
            n,
        )
        .await;
    }
    let first = store.audit_log(acme.id, &AuditQuery::newest(2)).await.unwrap();
    let subjects = |page: &leadline_core::audit::AuditPage| {
        page.entries
            .iter()
            .map(|e| e.subject.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(subjects(&first), ["lead 4", "lead 3"]);
    let top = &first.entries[0];
    assert_eq!(top.actor.as_str(), "user:ann@example.com");
    assert_eq!(top.address, Some("203.0.113.7".parse().unwrap()));
    assert_eq!(top.action, AuditAction::LeadNoteAdded);
    assert_eq!(top.detail.as_str(), "change 4");
    assert_eq!(
        top.at.timestamp_millis(),
        (now + Duration::seconds(4)).timestamp_millis()
    );
    assert_eq!(first.entries[1].address, None);

    let second = AuditQuery {
        before: first.next,
        ..AuditQuery::newest(2)
    };
    let second = store.audit_log(acme.id, &second).await.unwrap();
    assert_eq!(subjects(&second), ["lead 2", "lead 1"]);
    let last = AuditQuery {
        before: second.next,
        ..AuditQuery::newest(2)
    };
    let last = store.audit_log(acme.id, &last).await.unwrap();
    assert_eq!(subjects(&last), ["lead 0"]);
    assert_eq!(last.next, None, "no page after the oldest");
}

async fn entries_are_filtered_by_action_and_by_actor(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let now = Utc::now();
    append(&store, acme.id, now, AuditAction::SiteUpdated, 0).await;
    append(&store, acme.id, now, AuditAction::LeadStatusChanged, 1).await;
    append(&store, acme.id, now, AuditAction::SiteUpdated, 2).await;
    let sites = AuditQuery {
        action: Some(AuditAction::SiteUpdated),
        ..AuditQuery::newest(10)
    };
    let page = store.audit_log(acme.id, &sites).await.unwrap();
    assert_eq!(page.entries.len(), 2);
    assert!(page.entries.iter().all(|e| e.action == AuditAction::SiteUpdated));
    let by_key = AuditQuery {
        actor: Some("api-key:abc123".into()),
        ..AuditQuery::newest(10)
    };
    let page = store.audit_log(acme.id, &by_key).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].subject.as_str(), "lead 1");
}

async fn a_business_never_sees_another_business_entries(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    append(&store, acme.id, Utc::now(), AuditAction::ApiKeyCreated, 0).await;
    let page = store.audit_log(other.id, &AuditQuery::newest(50)).await.unwrap();
    assert!(page.entries.is_empty());
    assert_eq!(page.next, None);
    // Nor reaches them with a cursor from the other's list.
    let mine = store.audit_log(acme.id, &AuditQuery::newest(50)).await.unwrap();
    let probe = AuditQuery {
        before: Some(mine.entries[0].id + 1),
        ..AuditQuery::newest(50)
    };
    assert!(store.audit_log(other.id, &probe).await.unwrap().entries.is_empty());
    let err = store
        .append_audit(BusinessId(9_999), &entry(Utc::now(), AuditAction::SiteAdded, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn pruning_takes_exactly_the_entries_older_than_the_cutoff_in_bounded_batches(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let cutoff = Utc::now() - Duration::days(30);
    for n in 0..3 {
        append(
            &store,
            acme.id,
            cutoff - Duration::milliseconds(1 + i64::from(n)),
            AuditAction::SiteAdded,
            n,
        )
        .await;
    }
    append(&store, acme.id, cutoff, AuditAction::SiteUpdated, 10).await;
    append(&store, other.id, cutoff - Duration::days(5), AuditAction::SiteAdded, 20).await;

    assert_eq!(
        store.prune(acme.id, Pruned::Audit, cutoff, 2).await.unwrap(),
        2,
        "a batch is bounded"
    );
    assert_eq!(store.prune(acme.id, Pruned::Audit, cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.prune(acme.id, Pruned::Audit, cutoff, 2).await.unwrap(), 0);
    let kept = store.audit_log(acme.id, &AuditQuery::newest(50)).await.unwrap();
    assert_eq!(kept.entries.len(), 1, "the entry at the cut-off itself stays");
    assert_eq!(kept.entries[0].action, AuditAction::SiteUpdated);
    let others = store.audit_log(other.id, &AuditQuery::newest(50)).await.unwrap();
    assert_eq!(
        others.entries.len(),
        1,
        "another business's old entry is its own sweep's"
    );
}

conformance!(
    entries_are_listed_newest_first_a_page_at_a_time,
    entries_are_filtered_by_action_and_by_actor,
    a_business_never_sees_another_business_entries,
    pruning_takes_exactly_the_entries_older_than_the_cutoff_in_bounded_batches,
);
