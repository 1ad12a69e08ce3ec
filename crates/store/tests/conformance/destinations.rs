use crate::conformance;
use crate::fixtures::{business, name, user};
use leadline_core::access::{AccessStore, MemberChange};
use leadline_core::store::{DestinationStore, StoreError};
use leadline_core::tenant::{NewDestination, Role};
use leadline_core::{BusinessId, E164, UserId};
use leadline_store::SqlStore;

fn new_destination(business: BusinessId, number: &str, user: Option<UserId>) -> NewDestination {
    NewDestination {
        business_id: business,
        name: name("Front desk"),
        number: E164::parse(number).unwrap(),
        department: Some(name("Sales")),
        user_id: user,
    }
}

async fn a_destination_keeps_its_department_and_operator(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    let created = store
        .create_destination(&new_destination(acme.id, "+12025550111", Some(ann.id)))
        .await
        .unwrap();
    assert_eq!(created.user_id, Some(ann.id));
    assert_eq!(created.department.as_ref().map(|d| d.as_str()), Some("Sales"));
    assert_eq!(store.list_destinations(acme.id).await.unwrap(), vec![created]);
    let plain = NewDestination {
        department: None,
        ..new_destination(acme.id, "+12025550112", None)
    };
    let plain = store.create_destination(&plain).await.unwrap();
    assert_eq!((plain.department, plain.user_id), (None, None));
}

async fn an_operator_of_another_business_is_refused(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let bob = user(&store, other.id, "bob@example.com").await;
    let err = store
        .create_destination(&new_destination(acme.id, "+12025550111", Some(bob.id)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.list_destinations(acme.id).await.unwrap().is_empty());
}

async fn a_number_is_one_destination_per_business(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    store
        .create_destination(&new_destination(acme.id, "+12025550111", None))
        .await
        .unwrap();
    let err = store
        .create_destination(&new_destination(acme.id, "+12025550111", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    store
        .create_destination(&new_destination(other.id, "+12025550111", None))
        .await
        .unwrap();
    assert_eq!(store.list_destinations(acme.id).await.unwrap().len(), 1);
}

async fn a_destination_of_an_unknown_business_is_not_found(store: SqlStore) {
    let err = store
        .create_destination(&new_destination(BusinessId(31337), "+12025550111", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn removing_a_member_disables_their_destinations_in_that_business_only(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let boss = user(&store, acme.id, "boss@example.com").await;
    store
        .change_member(acme.id, boss.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    let ann = user(&store, acme.id, "ann@example.com").await;
    store.add_membership(ann.id, rival.id, Role::Operator).await.unwrap();
    let mobile = store
        .create_destination(&new_destination(acme.id, "+12025550111", Some(ann.id)))
        .await
        .unwrap();
    let desk = store
        .create_destination(&new_destination(acme.id, "+12025550112", None))
        .await
        .unwrap();
    let bosss = store
        .create_destination(&new_destination(acme.id, "+12025550113", Some(boss.id)))
        .await
        .unwrap();
    let at_rival = store
        .create_destination(&new_destination(rival.id, "+12025550111", Some(ann.id)))
        .await
        .unwrap();
    let promoted = store
        .change_member(acme.id, ann.id, MemberChange::Role(Role::Owner))
        .await
        .unwrap();
    assert!(promoted.is_empty(), "a role change disables nothing");
    store
        .change_member(acme.id, ann.id, MemberChange::Role(Role::Operator))
        .await
        .unwrap();

    let disabled = store
        .change_member(acme.id, ann.id, MemberChange::Remove)
        .await
        .unwrap();
    assert_eq!(disabled.iter().map(|d| d.id).collect::<Vec<_>>(), [mobile.id]);
    assert!(disabled[0].disabled);
    let states: Vec<_> = store
        .list_destinations(acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.disabled))
        .collect();
    assert_eq!(states, [(mobile.id, true), (desk.id, false), (bosss.id, false)]);
    let theirs = store.list_destinations(rival.id).await.unwrap();
    assert_eq!(
        (theirs[0].id, theirs[0].disabled),
        (at_rival.id, false),
        "the membership elsewhere keeps its phone ringing"
    );
}

conformance!(
    a_destination_keeps_its_department_and_operator,
    an_operator_of_another_business_is_refused,
    a_number_is_one_destination_per_business,
    a_destination_of_an_unknown_business_is_not_found,
    removing_a_member_disables_their_destinations_in_that_business_only,
);
