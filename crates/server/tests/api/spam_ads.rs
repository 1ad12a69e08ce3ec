//! A call flagged spam after it reached an ad platform is taken back: Google Ads hears a
//! retraction under a rule that sent it (here, first-time callers), and clearing the flag does
//! not send a retracted conversion again.

use crate::ads_google::{ad_visit, call_from, config, deliver_all, spawn};
use crate::crm::add;
use crate::crm_fakes::FakeGoogleAds;
use crate::helpers::Engine;
use leadline::app::spam;
use leadline::outbox::Cache;
use leadline_core::ad_upload::SendRule;
use leadline_core::lead::Author;
use leadline_core::outbox::{GoogleAdsRoute, IntegrationConfig};

async fn a_call_flagged_spam_after_its_upload_is_retracted_at_google_and_not_sent_again(engine: Engine) {
    let (app, seeded, _) = spawn(engine).await;
    let google = FakeGoogleAds::start().await;
    let business = seeded.site.business_id;
    let IntegrationConfig::GoogleAds(mut ads) = config(&google, GoogleAdsRoute::AdsApi, true) else {
        unreachable!("a Google Ads configuration")
    };
    ads.send = SendRule::FirstTimeCaller;
    add(&app, business, "first", IntegrationConfig::GoogleAds(ads)).await;
    let cache = Cache::default();
    let visit = ad_visit(&app, &seeded).await;
    let (record_ref, _) = call_from(&app, &seeded, "CA-spam-1", Some(visit)).await;
    let order = format!("call-{record_ref}");
    let said = deliver_all(&app, &cache).await;
    assert_eq!(
        said,
        [(
            "first".to_owned(),
            format!("call.completed: Google Ads API: {order} sent")
        )]
    );

    let ann = Author::from_stored("user:ann@example.com");
    spam::mark_call(&app.store, business, record_ref, true, &ann)
        .await
        .unwrap();
    let said = deliver_all(&app, &cache).await;
    assert_eq!(
        said,
        [(
            "first".to_owned(),
            format!("call.spam_changed: Google Ads API: {order} retracted")
        )]
    );
    let uploaded = google.state().uploaded.clone();
    assert_eq!(uploaded.len(), 2);
    assert_eq!(uploaded[1].0, "uploadConversionAdjustments");
    assert_eq!(uploaded[1].1["adjustmentType"], "RETRACTION");
    assert_eq!(uploaded[1].1["orderId"], order);

    spam::mark_call(&app.store, business, record_ref, false, &ann)
        .await
        .unwrap();
    let said = deliver_all(&app, &cache).await;
    assert_eq!(said.len(), 1);
    assert!(said[0].1.contains("was retracted"), "{said:?}");
    assert_eq!(
        google.state().uploaded.len(),
        2,
        "a retracted conversion is not sent again"
    );
    google.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(a_call_flagged_spam_after_its_upload_is_retracted_at_google_and_not_sent_again,);
