//! Click-to-call links and QR codes of offline and foreign-domain sources.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::call::MatchedBy;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::{ExtensionMode, SiteSettings};
use leadline_core::source::{NewSource, Source, SourceKey, SourceUtm};
use leadline_core::store::{NumberStore, SourceStore, VisitStore};
use leadline_core::visit::{PoolKey, Selector};

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36";

async fn source(app: &TestApp, seeded: &Seeded, domain: Option<&str>, code: Option<u64>) -> Source {
    let number = app.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    let new = NewSource {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        key: SourceKey::generate(),
        name: Name::parse_as("name", "Craigslist sofa ad").unwrap(),
        domain: domain.map(|d| DomainName::parse(d).unwrap()),
        utm: SourceUtm {
            source: "craigslist".into(),
            medium: "classified".into(),
            campaign: None,
            term: None,
            content: None,
        },
        reserved_code: code,
    };
    let pool = PoolKey {
        number: number.id,
        selector: Selector::Plain,
    };
    app.store.create_source(&new, Some(pool)).await.unwrap()
}

async fn open(app: &TestApp, source: &Source, referrer: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/c/{}", app.base_url, source.key))
        .header("user-agent", PHONE);
    if let Some(referrer) = referrer {
        request = request.header("referer", referrer);
    }
    request.send().await.unwrap()
}

async fn a_link_on_its_domain_dials_a_fresh_code_attributed_to_the_source(engine: Engine) {
    let settings = SiteSettings {
        mode: ExtensionMode::Click,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let ad = source(&app, &seeded, Some("craigslist.org"), None).await;
    let response = open(&app, &ad, Some("https://sfbay.craigslist.org/fuo/d/sofa/123.html")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"location.href = "tel:+12025550100,1";"#), "{page}");
    assert!(page.contains(r#"<a href="tel:+12025550100,1""#), "{page}");
    let number = app.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    let holder = app
        .store
        .live_code(
            PoolKey {
                number: number.id,
                selector: Selector::Plain,
            },
            1,
        )
        .await
        .unwrap();
    assert!(holder.intent.is_some(), "the code belongs to the click");
    let visit = app.store.visit(seeded.site.id, &holder.visit).await.unwrap();
    assert_eq!(
        (visit.attribution.source.as_str(), visit.attribution.medium.as_str()),
        ("craigslist", "classified")
    );
    app.finish().await;
}

async fn a_link_copied_to_another_domain_is_refused(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let ad = source(&app, &seeded, Some("craigslist.org"), None).await;
    for referrer in [
        Some("https://evil.example/"),
        Some("https://craigslist.org.evil.example/"),
        None,
    ] {
        let response = open(&app, &ad, referrer).await;
        assert_eq!(response.status(), 403, "{referrer:?}");
    }
    assert_eq!(
        app.store.live_codes_of_site(seeded.site.id).await.unwrap(),
        0,
        "nothing was handed out"
    );
    assert_eq!(app.get("/c/AAAAAAAAAAAA").await.status(), 404);
    app.finish().await;
}

async fn a_printed_qr_code_scans_to_a_call_and_its_reserved_code_names_the_source(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let print = source(&app, &seeded, None, Some(77)).await;
    let svg = app.get(&format!("/c/{}/qr.svg", print.key)).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.unwrap();
    assert!(
        roxmltree::Document::parse(&svg)
            .unwrap()
            .root_element()
            .has_tag_name("svg")
    );
    let png = app
        .get(&format!("/c/{}/qr.png", print.key))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let decoded = png::Decoder::new(std::io::Cursor::new(png.to_vec()))
        .read_info()
        .unwrap();
    assert!(
        decoded.info().width >= 21 * 8,
        "a QR code of at least 21 modules, 8 px each"
    );
    assert_eq!(
        open(&app, &print, None).await.status(),
        200,
        "a scan has no referrer and needs none"
    );

    let voice = format!("{}/twilio/voice", app.base_url);
    let params = [("CallSid", "CA1"), ("From", "+12025550169"), ("To", "+12025550100")];
    let signature = leadline_core::twilio::signature(
        crate::helpers::AUTH_TOKEN,
        &voice,
        &params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>(),
    );
    let answer = app
        .client
        .post(&voice)
        .header("x-twilio-signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    let xml = answer.text().await.unwrap();
    let action = roxmltree::Document::parse(&xml)
        .unwrap()
        .descendants()
        .find(|n| n.has_tag_name("Gather"))
        .and_then(|n| n.attribute("action").map(str::to_owned))
        .unwrap();
    let keyed = [
        ("CallSid", "CA1"),
        ("From", "+12025550169"),
        ("To", "+12025550100"),
        ("Digits", "77"),
    ];
    let signature = leadline_core::twilio::signature(
        crate::helpers::AUTH_TOKEN,
        &action,
        &keyed
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        app.client
            .post(&action)
            .header("x-twilio-signature", signature)
            .form(&keyed)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.origin.matched_by, call.origin.source_label.as_deref()),
        (MatchedBy::Reserved, Some("Craigslist sofa ad"))
    );
    // The leads API answers the source's name as the lead's source (docs/leads-api.md).
    let key = crate::helpers::key_for(&app, seeded.site.business_id).await.key;
    let (status, page) = crate::leads::send(
        &app,
        reqwest::Method::GET,
        "/v1/leads?source=Craigslist%20sofa%20ad",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["leads"][0]["source"], "Craigslist sofa ad", "{page}");
    app.finish().await;
}

crate::on_both_engines!(
    a_link_on_its_domain_dials_a_fresh_code_attributed_to_the_source,
    a_link_copied_to_another_domain_is_refused,
    a_printed_qr_code_scans_to_a_call_and_its_reserved_code_names_the_source,
);
