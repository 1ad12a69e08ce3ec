//! Settings → Sources, one source: an owner changes its name, domain and UTM fields (its link,
//! QR code and printed code stay) and removes it (its link and QR code answer 404, its code
//! goes back to the pool, the call it brought keeps its source). Bad input comes back with
//! the reason next to the field and changes nothing; nobody else can.

use crate::helpers::{AUTH_TOKEN, Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline::config::Config;
use leadline_core::call::MatchedBy;
use leadline_core::names::Name;
use leadline_core::site::SiteSettings;
use leadline_core::source::{NewSource, Source, SourceKey, SourceUtm};
use leadline_core::store::{CallStore, NumberStore, SourceStore};
use leadline_core::tenant::Role;
use leadline_core::visit::{PoolKey, Selector};

async fn printed(app: &TestApp, seeded: &Seeded) -> (Source, PoolKey) {
    let number = app.store.number_for_site(seeded.site.id).await.unwrap().unwrap();
    let pool = PoolKey {
        number: number.id,
        selector: Selector::Plain,
    };
    let new = NewSource {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        key: SourceKey::generate(),
        name: Name::parse_as("name", "Herald spring ad").unwrap(),
        domain: None,
        utm: SourceUtm {
            source: "herald".into(),
            medium: "print".into(),
            campaign: Some("spring".into()),
            term: None,
            content: None,
        },
        reserved_code: Some(77),
    };
    (app.store.create_source(&new, Some(pool)).await.unwrap(), pool)
}

/// Posts a signed provider request; the answer's text.
async fn signed(app: &TestApp, url: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let signature = leadline_core::twilio::signature(AUTH_TOKEN, url, &owned);
    let response = app
        .client
        .post(url)
        .header("x-twilio-signature", signature)
        .form(params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// A call that keys `digits`.
async fn call_keying(app: &TestApp, sid: &str, digits: &str) {
    let voice = format!("{}/twilio/voice", app.base_url);
    let base = [("CallSid", sid), ("From", "+12025550169"), ("To", "+12025550100")];
    let xml = signed(app, &voice, &base).await;
    let action = roxmltree::Document::parse(&xml)
        .unwrap()
        .descendants()
        .find(|n| n.has_tag_name("Gather"))
        .and_then(|n| n.attribute("action").map(str::to_owned))
        .unwrap();
    signed(app, &action, &[&base[..], &[("Digits", digits)]].concat()).await;
}

async fn an_owner_edits_and_removes_a_source_and_its_call_keeps_its_source(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (source, pool) = printed(&app, &seeded).await;
    call_keying(&app, "CA1", "77").await;
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let path = format!("/app/settings/sources/{}", source.key);
    let (_, list) = page(&app, &cookie, "/app/settings/sources").await;
    assert!(list.contains(&format!(r#"href="{path}""#)), "{list}");
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"value="Herald spring ad""#) && html.contains(r#"value="spring""#),
        "the form is filled: {html}"
    );
    let csrf = csrf_of(&html);
    let form = |name: &'static str, domain: &'static str, utm_source: &'static str, csrf: String| {
        [
            ("csrf", csrf),
            ("name", name.into()),
            ("domain", domain.into()),
            ("utm_source", utm_source.into()),
            ("utm_medium", "print".into()),
            ("utm_campaign", "autumn".into()),
        ]
    };
    let send = |fields: [(&'static str, String); 6], cookie: String| {
        let app = &app;
        let path = path.clone();
        async move {
            let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = post(app, &cookie, &path, &borrowed).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    assert_eq!(
        send(form("Herald autumn ad", "", "herald", String::new()), cookie.clone())
            .await
            .0,
        403
    );
    for (fields, field, reason) in [
        (form("", "", "herald", csrf.clone()), "name", "name"),
        (
            form("Herald autumn ad", "https://x.example/", "herald", csrf.clone()),
            "domain",
            "domain",
        ),
        (form("Herald autumn ad", "", " ", csrf.clone()), "utm", "utm_source"),
    ] {
        let (status, html) = send(fields, cookie.clone()).await;
        assert_eq!(status, 400, "{reason}: {html}");
        assert!(
            html.contains(&format!(r#"id="{field}-error""#)) && html.contains(reason),
            "{reason}: {html}"
        );
        assert!(html.contains("Nothing was changed"), "{html}");
    }
    assert_eq!(
        app.store.source_by_key(&source.key).await.unwrap(),
        source,
        "nothing changed"
    );

    let (status, _) = send(
        form("Herald autumn ad", "herald.example", "herald", csrf.clone()),
        cookie.clone(),
    )
    .await;
    assert_eq!(status, 303);
    let edited = app.store.source_by_key(&source.key).await.unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.domain.as_ref().map(|d| d.as_str())),
        ("Herald autumn ad", Some("herald.example"))
    );
    assert_eq!(
        (edited.utm.campaign.as_deref(), edited.reserved_code),
        (Some("autumn"), Some(77))
    );
    assert_eq!(
        app.store.reserved_label(pool, 77).await.unwrap().as_deref(),
        Some("Herald autumn ad")
    );

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let rex = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &rex, &path).await.0, 404, "another business's source");
    let rex_csrf = csrf_of(&page(&app, &rex, "/app/settings/sources").await.1);
    assert_eq!(
        send(form("Stolen", "", "x", rex_csrf.clone()), rex.clone()).await.0,
        404
    );
    let removal = format!("{path}/remove");
    assert_eq!(post(&app, &rex, &removal, &[("csrf", &rex_csrf)]).await.status(), 404);
    user(&app, business, "otto@example.com", Role::Operator).await;
    let otto = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &otto, &path).await.0, 404);
    assert_eq!(app.store.list_sources(business).await.unwrap().len(), 1);

    assert_eq!(post(&app, &cookie, &removal, &[("csrf", &csrf)]).await.status(), 303);
    assert!(app.store.list_sources(business).await.unwrap().is_empty());
    for gone in [format!("/c/{}", source.key), format!("/c/{}/qr.svg", source.key)] {
        assert_eq!(app.get(&gone).await.status(), 404, "{gone}");
    }
    assert_eq!(page(&app, &cookie, &path).await.0, 404);
    assert_eq!(
        app.store.reserved_label(pool, 77).await.unwrap(),
        None,
        "the code is free"
    );
    let call = app.call_by_sid("CA1").await.unwrap();
    assert_eq!(
        (call.origin.matched_by, call.origin.source_label.as_deref()),
        (MatchedBy::Reserved, Some("Herald spring ad")),
        "the call keeps the source it came with"
    );
    let (status, lead) = page(&app, &cookie, &format!("/app/leads/{}", call.record_ref)).await;
    assert!(status == 200 && lead.contains("Herald spring ad"), "{lead}");
    app.finish().await;
}

crate::on_both_engines!(an_owner_edits_and_removes_a_source_and_its_call_keeps_its_source);
