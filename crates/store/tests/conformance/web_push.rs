//! Members' browsers subscribed to their alerts: kept per member and business (the same
//! endpoint again replaces its keys), never another member's or business's, refused for a
//! non-member, forgotten on request; and a member with only a browser is alerted.

use crate::conformance;
use crate::fixtures::user;
use crate::leads::setup;
use leadline_core::alerts::{AlertChoices, AlertKind, AlertStore};
use leadline_core::store::StoreError;
use leadline_core::web_push::{PushSubscription, WebPushStore};
use leadline_store::SqlStore;

const KEY: &str = "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY";
const OTHER_KEY: &str = "BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A";
const AUTH: &str = "_ordMnz7uTCmrpBTeUV4Bw";

fn browser(endpoint: &str, key: &str) -> PushSubscription {
    PushSubscription::parse(endpoint, key, AUTH).unwrap()
}

async fn a_members_browsers_are_theirs_in_their_business_and_go_when_forgotten(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let rival = setup(&store, "rival", "+12025550101").await;
    let ann = user(&store, acme.business, "ann@acme.example").await;
    let bob = user(&store, acme.business, "bob@acme.example").await;
    let laptop = "https://push.example/ann-laptop";
    store
        .add_push_subscription(acme.business, ann.id, &browser(laptop, KEY))
        .await
        .unwrap();
    store
        .add_push_subscription(acme.business, ann.id, &browser(laptop, OTHER_KEY))
        .await
        .unwrap();
    let phone = "https://push.example/ann-phone";
    store
        .add_push_subscription(acme.business, ann.id, &browser(phone, KEY))
        .await
        .unwrap();
    let kept = store.push_subscriptions(acme.business, ann.id).await.unwrap();
    assert_eq!(kept.len(), 2, "the same endpoint again is one browser");
    assert_eq!(
        kept.iter().find(|b| b.endpoint() == laptop).unwrap().p256dh(),
        OTHER_KEY
    );
    assert!(
        store
            .push_subscriptions(acme.business, bob.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .push_subscriptions(rival.business, ann.id)
            .await
            .unwrap()
            .is_empty()
    );

    let err = store
        .add_push_subscription(rival.business, ann.id, &browser(laptop, KEY))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "not a member of rival: {err:?}");
    assert!(
        !store
            .remove_push_subscription(rival.business, ann.id, laptop)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_push_subscription(acme.business, bob.id, laptop)
            .await
            .unwrap()
    );
    assert!(
        store
            .remove_push_subscription(acme.business, ann.id, laptop)
            .await
            .unwrap()
    );
    let left: Vec<String> = store
        .push_subscriptions(acme.business, ann.id)
        .await
        .unwrap()
        .iter()
        .map(|b| b.endpoint().to_owned())
        .collect();
    assert_eq!(left, [phone]);
}

async fn a_member_alerted_only_in_a_browser_is_a_recipient(store: SqlStore) {
    let acme = setup(&store, "acme", "+12025550100").await;
    let ann = user(&store, acme.business, "ann@acme.example").await;
    let mut choices = AlertChoices::none();
    choices.kinds = vec![AlertKind::MissedCall];
    store.set_alert_choices(acme.business, ann.id, &choices).await.unwrap();
    assert!(
        store.alert_recipients(acme.business).await.unwrap().is_empty(),
        "no channel yet"
    );
    let phone = browser("https://push.example/ann-phone", KEY);
    store
        .add_push_subscription(acme.business, ann.id, &phone)
        .await
        .unwrap();
    let recipients = store.alert_recipients(acme.business).await.unwrap();
    assert_eq!(recipients.iter().map(|r| r.user_id).collect::<Vec<_>>(), [ann.id]);
}

conformance!(
    a_members_browsers_are_theirs_in_their_business_and_go_when_forgotten,
    a_member_alerted_only_in_a_browser_is_a_recipient,
);
