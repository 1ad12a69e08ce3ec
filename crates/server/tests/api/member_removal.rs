//! Removing a member from a business takes their phone with them: the business's
//! destinations that are theirs are disabled in the same step (calls no longer ring them, and
//! the page says which), and an SMS reply from their phone changes nothing, even if an owner
//! enables the phone again, while they are not a member.

use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use crate::inbound::{ANN_PHONE, place_call, replies, sms};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use crate::people::user_id;
use crate::routing::{call_from_visit, rung};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::store::DestinationStore;
use leadline_core::tenant::{Destination, NewDestination, Role};
use serde_json::json;

/// An owner (logged in: cookie and form token) and Otto, an operator whose phone is the
/// seeded destination Ann (+12025550111).
async fn owner_and_otto(app: &TestApp, seeded: &Seeded) -> (String, String, leadline_core::UserId, Destination) {
    let business = seeded.site.business_id;
    user(app, business, "olive@example.com", Role::Owner).await;
    user(app, business, "otto@example.com", Role::Operator).await;
    let otto = user_id(app, "otto@example.com").await;
    let ann = app
        .store
        .list_destinations(business)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.number.as_str() == ANN_PHONE)
        .unwrap();
    let edit = NewDestination {
        business_id: business,
        name: ann.name.clone(),
        number: ann.number.clone(),
        department: None,
        user_id: Some(otto),
    };
    let ottos = app.store.edit_destination(ann.id, &edit).await.unwrap();
    let cookie = log_in(app, "olive@example.com", PASSWORD).await.unwrap();
    let csrf = csrf_of(&page(app, &cookie, "/app/settings/users").await.1);
    (cookie, csrf, otto, ottos)
}

async fn a_removed_members_phone_is_no_longer_rung_and_the_page_says_so(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (cookie, csrf, otto, phone) = owner_and_otto(&app, &seeded).await;
    let before = call_from_visit(&app, &seeded, "http://localhost/", json!({}), "CA-before").await;
    assert_eq!(rung(&before), ["+12025550111", "+12025550112"]);

    let removed = post(
        &app,
        &cookie,
        &format!("/app/settings/users/{otto}/remove"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(removed.status(), 200);
    let html = removed.text().await.unwrap();
    assert!(
        html.contains("Their destinations were disabled and are no longer rung: Ann (+12025550111)."),
        "{html}"
    );
    assert!(!html.contains("otto@example.com"), "{html}");
    let listed = app.store.list_destinations(seeded.site.business_id).await.unwrap();
    let states: Vec<_> = listed.iter().map(|d| (d.id, d.disabled)).collect();
    assert_eq!(states, [(phone.id, true), (listed[1].id, false)]);

    let after = call_from_visit(&app, &seeded, "http://localhost/", json!({}), "CA-after").await;
    assert_eq!(rung(&after), ["+12025550112"], "only the phone of a member rings");
    let (_, destinations) = page(&app, &cookie, "/app/settings/destinations").await;
    assert!(destinations.contains("disabled: never rung"), "{destinations}");
    app.finish().await;
}

async fn an_sms_from_a_removed_members_phone_changes_nothing(engine: Engine) {
    let (app, seeded) =
        TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf, otto, phone) = owner_and_otto(&app, &seeded).await;
    let record = place_call(&app, &seeded, "+12025550169").await;
    let (_, reply) = sms(&app, ANN_PHONE, &format!("{record} While a member"), AUTH_TOKEN).await;
    assert_eq!(reply, format!("Note added to {record}."));

    let path = format!("/app/settings/users/{otto}/remove");
    assert_eq!(post(&app, &cookie, &path, &[("csrf", &csrf)]).await.status(), 200);
    let (status, reply) = sms(&app, ANN_PHONE, &format!("{record} After leaving"), AUTH_TOKEN).await;
    assert_eq!(status, 200);
    assert!(reply.contains("not an operator"), "{reply}");

    let enable = format!("/app/settings/destinations/{}/disable", phone.id.0);
    let enabled = post(&app, &cookie, &enable, &[("csrf", &csrf), ("disabled", "0")]).await;
    assert_eq!(enabled.status(), 303);
    let (_, reply) = sms(&app, ANN_PHONE, &format!("{record} Phone enabled again"), AUTH_TOKEN).await;
    assert!(
        reply.contains("not an operator"),
        "the phone is still a non-member's: {reply}"
    );
    let (_, reply) = sms(&app, "+12025550112", &format!("{record} From the desk"), AUTH_TOKEN).await;
    assert_eq!(
        reply,
        format!("Note added to {record}."),
        "a phone of nobody in person still replies"
    );

    let notes: Vec<String> = replies(&app, business, record)
        .await
        .iter()
        .map(|a| a.detail.to_string())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("While a member") && notes[1].contains("From the desk"),
        "{notes:?}"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_removed_members_phone_is_no_longer_rung_and_the_page_says_so,
    an_sms_from_a_removed_members_phone_changes_nothing,
);
