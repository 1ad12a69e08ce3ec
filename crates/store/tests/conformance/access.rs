//! Memberships, the business of a session, and one-time links.

use crate::conformance;
use crate::fixtures::{business, name, user};
use leadline_core::access::{AccessStore, MemberChange, NewInvitation};
use leadline_core::net::Email;
use leadline_core::secret::{NewPassword, verify_password};
use leadline_core::store::{StoreError, UserStore};
use leadline_core::tenant::Role;
use leadline_core::{BusinessId, UserId};
use leadline_store::SqlStore;

const NOW: i64 = 1_800_000_000_000;

async fn a_user_belongs_to_the_business_created_in_and_to_those_joined(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.add_membership(ann.id, rival.id, Role::Owner).await.unwrap();
    let joined = store.memberships(ann.id).await.unwrap();
    let seen: Vec<_> = joined.iter().map(|m| (m.business.id, m.role)).collect();
    assert_eq!(seen, [(acme.id, Role::Operator), (rival.id, Role::Owner)]);
    assert!(matches!(
        store.add_membership(ann.id, rival.id, Role::Operator).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.add_membership(UserId(4242), rival.id, Role::Operator).await,
        Err(StoreError::NotFound)
    ));
    let listed = store.list_users(rival.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].business_id, listed[0].role), (rival.id, Role::Owner));
    assert_eq!(store.member(rival.id, ann.id).await.unwrap().role, Role::Owner);
}

async fn a_session_works_in_one_business_of_its_user_and_switches_only_to_another(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let other = business(&store, "other").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.add_membership(ann.id, rival.id, Role::Owner).await.unwrap();
    assert!(matches!(
        store.create_session(ann.id, other.id, "h", NOW + 1_000).await,
        Err(StoreError::NotFound)
    ));
    store.create_session(ann.id, acme.id, "h", NOW + 1_000).await.unwrap();
    let session = store.session("h", NOW).await.unwrap();
    assert_eq!((session.business, session.role), (acme.id, Role::Operator));
    store.switch_session("h", rival.id).await.unwrap();
    let session = store.session("h", NOW).await.unwrap();
    assert_eq!((session.business, session.role), (rival.id, Role::Owner));
    assert!(matches!(
        store.switch_session("h", other.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.switch_session("nope", acme.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.session("h", NOW).await.unwrap().business, rival.id, "unchanged");
}

async fn removing_a_member_ends_their_sessions_there_only(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let boss = user(&store, acme.id, "boss@example.com").await;
    store
        .change_member(acme.id, boss.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.add_membership(ann.id, rival.id, Role::Operator).await.unwrap();
    store
        .create_session(ann.id, acme.id, "in-acme", NOW + 1_000)
        .await
        .unwrap();
    store
        .create_session(ann.id, rival.id, "in-rival", NOW + 1_000)
        .await
        .unwrap();
    store
        .change_member(acme.id, ann.id, MemberChange::Remove)
        .await
        .unwrap();
    assert!(matches!(store.session("in-acme", NOW).await, Err(StoreError::NotFound)));
    assert_eq!(store.session("in-rival", NOW).await.unwrap().business, rival.id);
    assert!(matches!(store.member(acme.id, ann.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.change_member(acme.id, ann.id, MemberChange::Remove).await,
        Err(StoreError::NotFound)
    ));
    let names: Vec<_> = store
        .list_users(acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(names, [boss.id]);
}

async fn the_last_owner_is_neither_removed_nor_demoted(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let boss = user(&store, acme.id, "boss@example.com").await;
    store
        .change_member(acme.id, boss.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    for change in [MemberChange::Remove, MemberChange::Role(Role::Operator)] {
        assert!(matches!(
            store.change_member(acme.id, boss.id, change).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert_eq!(
        store.member(acme.id, boss.id).await.unwrap().role,
        Role::Owner,
        "nothing changed"
    );
    let ann = user(&store, acme.id, "ann@example.com").await;
    store
        .change_member(acme.id, ann.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    store
        .change_member(acme.id, boss.id, MemberChange::Role(Role::Operator))
        .await
        .unwrap();
    assert_eq!(store.member(acme.id, boss.id).await.unwrap().role, Role::Operator);
}

fn invitation(business: BusinessId, token_hash: &str, expires_at_ms: i64) -> NewInvitation {
    NewInvitation {
        business_id: business,
        email: Email::parse("new@example.com").unwrap(),
        name: name("New Person"),
        role: Role::Owner,
        invited_by: "user:boss@example.com".into(),
        token_hash: token_hash.into(),
        expires_at_ms,
    }
}

async fn an_invitation_is_accepted_once_before_it_expires(store: SqlStore) {
    let acme = business(&store, "acme").await;
    store
        .create_invitation(&invitation(acme.id, "inv", NOW + 1_000))
        .await
        .unwrap();
    assert!(matches!(
        store.invitation("inv", NOW + 1_000).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.invitation("inv", NOW).await.unwrap().role, Role::Owner);
    let hash = NewPassword::parse("a long new password").unwrap().hash();
    let created = store
        .accept_invitation("inv", NOW, &name("Nina New"), &hash)
        .await
        .unwrap();
    assert_eq!((created.name.as_str(), created.role), ("Nina New", Role::Owner));
    assert_eq!(store.member(acme.id, created.id).await.unwrap().role, Role::Owner);
    let creds = store.user_credentials(&created.email).await.unwrap();
    assert!(verify_password(&creds.password_hash, "a long new password"));
    assert!(matches!(
        store.accept_invitation("inv", NOW, &name("Again"), &hash).await,
        Err(StoreError::NotFound)
    ));
    store
        .create_invitation(&invitation(acme.id, "late", NOW))
        .await
        .unwrap();
    assert!(matches!(
        store.accept_invitation("late", NOW, &name("Late"), &hash).await,
        Err(StoreError::NotFound)
    ));
}

async fn an_invitation_for_an_email_taken_meanwhile_stays_unused(store: SqlStore) {
    let acme = business(&store, "acme").await;
    store
        .create_invitation(&invitation(acme.id, "inv", NOW + 1_000))
        .await
        .unwrap();
    user(&store, acme.id, "new@example.com").await;
    let hash = NewPassword::parse("a long new password").unwrap().hash();
    assert!(matches!(
        store.accept_invitation("inv", NOW, &name("Nina"), &hash).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.invitation("inv", NOW).await.is_ok());
}

async fn a_reset_link_sets_the_password_once_and_ends_every_session(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.add_membership(ann.id, rival.id, Role::Operator).await.unwrap();
    store.create_session(ann.id, acme.id, "s1", NOW + 1_000).await.unwrap();
    store.create_session(ann.id, rival.id, "s2", NOW + 1_000).await.unwrap();
    store.create_password_reset(ann.id, "reset", NOW + 1_000).await.unwrap();
    let hash = NewPassword::parse("another long password").unwrap().hash();
    assert!(matches!(
        store.reset_password("reset", NOW + 1_000, &hash).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.reset_password("reset", NOW, &hash).await.unwrap(), ann.id);
    for token in ["s1", "s2"] {
        assert!(matches!(store.session(token, NOW).await, Err(StoreError::NotFound)));
    }
    let creds = store.user_credentials(&ann.email).await.unwrap();
    assert!(verify_password(&creds.password_hash, "another long password"));
    assert!(matches!(
        store.reset_password("reset", NOW, &hash).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_user_is_renamed(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.rename_user(ann.id, &name("Ann Smith")).await.unwrap();
    assert_eq!(store.member(acme.id, ann.id).await.unwrap().name.as_str(), "Ann Smith");
    assert!(matches!(
        store.rename_user(UserId(4242), &name("Nobody")).await,
        Err(StoreError::NotFound)
    ));
}

conformance!(
    a_user_belongs_to_the_business_created_in_and_to_those_joined,
    a_session_works_in_one_business_of_its_user_and_switches_only_to_another,
    removing_a_member_ends_their_sessions_there_only,
    the_last_owner_is_neither_removed_nor_demoted,
    an_invitation_is_accepted_once_before_it_expires,
    an_invitation_for_an_email_taken_meanwhile_stays_unused,
    a_reset_link_sets_the_password_once_and_ends_every_session,
    a_user_is_renamed,
);
