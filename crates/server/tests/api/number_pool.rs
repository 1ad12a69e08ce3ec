//! A number-pool site (DNI, kept to compare with extensions): each visit is shown one number
//! of the site's pool, a call to that number is its holder's with no code asked, an exhausted
//! pool gives the least recently active holder's number to the newcomer, and no call to a
//! pool number ever reaches another business's visit.

use crate::calls::{CALLER, Node};
use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use leadline::app::AppError;
use leadline::app::setup::pool::add_pool_number;
use leadline::config::Config;
use leadline_core::call::{Call, CallKey, MatchedBy};
use leadline_core::lead::Author;
use leadline_core::number_pool::NumberPoolStore;
use leadline_core::provider::CallSid;
use leadline_core::secret::Secret;
use leadline_core::site::{SiteKind, SiteSettings};
use leadline_core::store::{CallStore, NumberStore};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider};
use leadline_core::{E164, NumberId, SiteId};

const POOL: [&str; 2] = ["+12025550200", "+12025550201"];

fn pool_settings() -> SiteSettings {
    SiteSettings {
        kind: SiteKind::NumberPool,
        ..SiteSettings::default()
    }
}

/// Sets up `number` for `site` and puts it in the site's pool.
async fn pooled(app: &TestApp, site: SiteId, number: &str) -> NumberId {
    let created = app
        .store
        .create_number(&NewTrackingNumber {
            number: E164::parse(number).unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: Secret::new(AUTH_TOKEN),
            site_ids: vec![site],
        })
        .await
        .unwrap();
    app.store.add_pool_number(site, created.id).await.unwrap();
    created.id
}

async fn pool_site(engine: Engine) -> (TestApp, Seeded) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), pool_settings()).await;
    for number in POOL {
        pooled(&app, seeded.site.id, number).await;
    }
    (app, seeded)
}

/// The first webhook of a call to `to`: a pool number's is answered at once, with no gather.
async fn call(app: &TestApp, sid: &str, to: &str) -> Node {
    let params = [("CallSid", sid), ("AccountSid", "AC1"), ("From", CALLER), ("To", to)];
    app.twiml(&format!("{}/twilio/voice", app.base_url), &params).await
}

async fn call_record(app: &TestApp, to: &str, sid: &str) -> Call {
    let number = app.store.number_by_e164(&E164::parse(to).unwrap()).await.unwrap();
    let sid = CallSid::parse(sid).unwrap();
    app.store
        .call(CallKey::Provider {
            number: number.id,
            sid: &sid,
        })
        .await
        .unwrap()
}

async fn visits_are_shown_distinct_pool_numbers_and_a_call_reaches_the_holder(engine: Engine) {
    let (app, seeded) = pool_site(engine).await;
    let first = app.register_visit(&seeded, "http://localhost/").await;
    let second = app.register_visit(&seeded, "http://localhost/b").await;
    let (a, b) = (first["number"].as_str().unwrap(), second["number"].as_str().unwrap());
    assert_ne!(a, b, "two live visits never share a pool number");
    assert!(POOL.contains(&a) && POOL.contains(&b), "{first}");
    assert_eq!(first["code"], serde_json::Value::Null);
    assert_eq!(
        first["match"], "2025550100",
        "the page's printed number is what is replaced"
    );
    assert_eq!(first["display"], first["national"]);
    assert_eq!(first["tel"].as_str(), Some(format!("tel:{a}").as_str()));

    let answer = call(&app, "CApool1", a).await;
    assert!(answer.find("Gather").is_none(), "no code is asked on a pool number");
    assert!(
        answer.find("Dial").is_some(),
        "the call is routed like any call of the site"
    );
    let record = call_record(&app, a, "CApool1").await;
    assert_eq!(record.origin.matched_by, MatchedBy::Pool);
    assert_eq!(record.origin.visit.unwrap().as_str(), first["visit"].as_str().unwrap());
    assert_eq!(record.site_id, seeded.site.id);
    app.finish().await;
}

async fn an_exhausted_pool_gives_the_oldest_holders_number_to_the_newcomer(engine: Engine) {
    let (app, seeded) = pool_site(engine).await;
    let first = app.register_visit(&seeded, "http://localhost/").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = app.register_visit(&seeded, "http://localhost/b").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let third = app.register_visit(&seeded, "http://localhost/c").await;
    assert_eq!(
        third["number"], first["number"],
        "the least recently active holder loses it"
    );
    assert_ne!(third["number"], second["number"]);
    assert_eq!(app.store.pool_overwrites(seeded.site.id).await.unwrap(), 1);

    let number = third["number"].as_str().unwrap();
    call(&app, "CApool2", number).await;
    let record = call_record(&app, number, "CApool2").await;
    assert_eq!(record.origin.matched_by, MatchedBy::Pool);
    assert_eq!(record.origin.visit.unwrap().as_str(), third["visit"].as_str().unwrap());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("leadline_pool_overwrites_total 1"), "{metrics}");
    app.finish().await;
}

async fn a_call_to_a_pool_number_never_matches_another_businesss_visit(engine: Engine) {
    let (app, seeded) = pool_site(engine).await;
    let acme = app.register_visit(&seeded, "http://localhost/").await;
    let rival = app.add_business("rival", "Rival").await;
    let rival_site = app.add_site(rival.id, "rival.example").await;
    // The rival cannot take Acme's pool number into its own pool.
    let taken = add_pool_number(
        &app.store,
        rival.id,
        rival_site.id,
        &E164::parse(acme["number"].as_str().unwrap()).unwrap(),
        &Author::from_stored("cli"),
    )
    .await;
    assert!(matches!(taken, Err(AppError::Conflict(_))), "{:?}", taken.err());
    // A call to the rival's own pool number, which nobody holds, is unattributed (and the
    // caller has no earlier call), whatever Acme's visits hold.
    let free = "+12025550300";
    pooled(&app, rival_site.id, free).await;
    let answer = call(&app, "CApool3", free).await;
    assert!(answer.find("Gather").is_none());
    let record = call_record(&app, free, "CApool3").await;
    assert_eq!((record.origin.matched_by, record.origin.visit), (MatchedBy::None, None));
    assert_eq!(record.business_id, rival.id);
    app.finish().await;
}

crate::on_both_engines!(
    visits_are_shown_distinct_pool_numbers_and_a_call_reaches_the_holder,
    an_exhausted_pool_gives_the_oldest_holders_number_to_the_newcomer,
    a_call_to_a_pool_number_never_matches_another_businesss_visit,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_on_a_pool_site_sees_their_pool_number_where_the_page_prints_the_sites() {
    let Some(browser) = crate::browser::chromium() else {
        return;
    };
    let (app, _seeded) = pool_site(Engine::Sqlite).await;
    let profile = tempfile::tempdir().unwrap();
    let url = crate::browser::page(&app, "/demo/contact.html");
    let dom = crate::browser::rendered(&browser, profile.path(), &url, None).await;
    assert!(
        dom.contains("<strong data-leadline-number=\"\">(202) 555-0200</strong>"),
        "the marked number shows the pool number, with no extension:\n{dom}"
    );
    assert!(
        dom.contains("href=\"tel:+12025550200\""),
        "the tel: link dials it:\n{dom}"
    );
    assert!(!dom.contains(" ext. "), "{dom}");
    app.finish().await;
}
