//! Settings → Ads and keywords: an owner adds, changes and removes master ads (with their
//! rules) and master phrases (with their variants). Bad input comes back (400) with the
//! reason by its field and writes nothing; a post without the form's token is 403; another
//! business's owner and an operator get 404.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline::config::Config;
use leadline_core::adgroup::AdGroupStore;
use leadline_core::adgroup::{AdRule, NewMasterAd, NewMasterPhrase};
use leadline_core::names::Name;
use leadline_core::site::SiteSettings;
use leadline_core::tenant::Role;

async fn status_and_text(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn an_owner_groups_ads_and_keywords_and_bad_input_writes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/settings").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"href="/app/settings/ads""#),
        "listed in Settings: {html}"
    );
    let (status, html) = page(&app, &cookie, "/app/settings/ads").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);

    let brand = [
        ("csrf", csrf.as_str()),
        ("name", "Brand search"),
        ("rule_source", "Google*"),
        ("rule_campaign", "*brand*"),
        ("rule_content", ""),
        ("rule_source", ""),
        ("rule_campaign", ""),
        ("rule_content", ""),
        ("rule_source", "bing"),
        ("rule_campaign", "*brand*"),
        ("rule_content", ""),
    ];
    let (status, text) = status_and_text(post(&app, &cookie, "/app/settings/ads", &brand[1..]).await).await;
    assert_eq!(status, 403, "no token: {text}");
    let added = post(&app, &cookie, "/app/settings/ads", &brand).await;
    assert_eq!(added.status(), 303);
    assert_eq!(added.headers()["location"], "/app/settings/ads");

    let only_stars = [
        ("csrf", csrf.as_str()),
        ("name", "Everything"),
        ("rule_source", "*"),
        ("rule_campaign", ""),
        ("rule_content", ""),
    ];
    let (status, html) = status_and_text(post(&app, &cookie, "/app/settings/ads", &only_stars).await).await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r#"id="rules-error""#) && html.contains("rule 1: invalid ad rule"),
        "the reason by the rules: {html}"
    );
    let taken = [("csrf", csrf.as_str()), ("name", "Brand search"), ("rule_source", "x")];
    let (status, html) = status_and_text(post(&app, &cookie, "/app/settings/ads", &taken).await).await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r#"id="ad-name-error""#) && html.contains("already exists"),
        "{html}"
    );

    let phrase = [
        ("csrf", csrf.as_str()),
        ("name", "Sofa repair"),
        ("variants", "Sofa Repair!\r\ncouch repair\r\n"),
    ];
    assert_eq!(
        post(&app, &cookie, "/app/settings/ads/phrases", &phrase).await.status(),
        303
    );
    let clash = [("csrf", csrf.as_str()), ("name", "Fix"), ("variants", "repair SOFA")];
    let (status, html) = status_and_text(post(&app, &cookie, "/app/settings/ads/phrases", &clash).await).await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r#"id="variants-error""#) && html.contains("is already a variant of"),
        "{html}"
    );
    let empty = [("csrf", csrf.as_str()), ("name", "Empty"), ("variants", " ?! ")];
    assert_eq!(
        post(&app, &cookie, "/app/settings/ads/phrases", &empty).await.status(),
        400
    );

    let grouping = app.store.ad_grouping(business).await.unwrap();
    assert_eq!(grouping.ads.len(), 1, "only the good master ad was written");
    assert_eq!(grouping.ads[0].rules.len(), 2, "the empty row was skipped");
    assert_eq!(grouping.phrases.len(), 1);
    assert_eq!(grouping.phrases[0].variants, vec!["couch repair", "repair sofa"]);
    assert_eq!(grouping.master_phrase("REPAIR sofa"), "Sofa repair");

    let (_, html) = page(&app, &cookie, "/app/settings/ads").await;
    assert!(html.contains("source google* · campaign *brand*"), "{html}");
    let banner = [
        ("csrf", csrf.as_str()),
        ("name", "Banner"),
        ("rule_content", "banner-a"),
    ];
    assert_eq!(post(&app, &cookie, "/app/settings/ads", &banner).await.status(), 303);
    let banner_id = app.store.ad_grouping(business).await.unwrap().ads[1].id;
    let move_path = format!("/app/settings/ads/{banner_id}/move");
    let sideways = [("csrf", csrf.as_str()), ("direction", "sideways")];
    assert_eq!(post(&app, &cookie, &move_path, &sideways).await.status(), 400);
    let sooner = [("csrf", csrf.as_str()), ("direction", "earlier")];
    assert_eq!(post(&app, &cookie, &move_path, &sooner).await.status(), 303);
    let grouping = app.store.ad_grouping(business).await.unwrap();
    assert_eq!(grouping.ads[0].id, banner_id, "tried first now");
    let csrf_only = [("csrf", csrf.as_str())];
    let removed = post(
        &app,
        &cookie,
        &format!("/app/settings/ads/{banner_id}/remove"),
        &csrf_only,
    )
    .await;
    assert_eq!(removed.status(), 303);
    let grouping = app.store.ad_grouping(business).await.unwrap();
    let ad = format!("/app/settings/ads/{}", grouping.ads[0].id);
    let (status, html) = page(&app, &cookie, &ad).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"value="google*""#), "the form is filled: {html}");
    let renamed = [("csrf", csrf.as_str()), ("name", "Brand"), ("rule_content", "banner-a")];
    assert_eq!(post(&app, &cookie, &ad, &renamed).await.status(), 303);
    let no_rule = [("csrf", csrf.as_str()), ("name", "Brand")];
    assert_eq!(post(&app, &cookie, &ad, &no_rule).await.status(), 400);
    let grouping = app.store.ad_grouping(business).await.unwrap();
    assert_eq!(grouping.ads[0].name.as_str(), "Brand");
    assert_eq!(grouping.ads[0].rules.len(), 1, "the refused edit changed nothing");

    let phrase_path = format!("/app/settings/ads/phrases/{}", grouping.phrases[0].id);
    let (status, html) = page(&app, &cookie, &phrase_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("couch repair\nrepair sofa"), "{html}");
    let edited = [("csrf", csrf.as_str()), ("name", "Repairs"), ("variants", "fix sofa")];
    assert_eq!(post(&app, &cookie, &phrase_path, &edited).await.status(), 303);
    for path in [format!("{ad}/remove"), format!("{phrase_path}/remove")] {
        assert_eq!(post(&app, &cookie, &path, &csrf_only).await.status(), 303, "{path}");
    }
    let grouping = app.store.ad_grouping(business).await.unwrap();
    assert!(grouping.ads.is_empty() && grouping.phrases.is_empty());
    app.finish().await;
}

async fn only_the_business_s_owners_see_or_change_its_grouping(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let name = |text: &str| Name::parse_as("name", text).unwrap();
    let ad = app
        .store
        .create_master_ad(
            business,
            &NewMasterAd {
                name: name("Brand"),
                rules: vec![AdRule::parse("google", "", "").unwrap()],
            },
        )
        .await
        .unwrap();
    let phrase = app
        .store
        .create_master_phrase(
            business,
            &NewMasterPhrase {
                name: name("Repair"),
                variants: vec!["sofa repair".into()],
            },
        )
        .await
        .unwrap();
    user(&app, business, "otto@example.com", Role::Operator).await;
    let operator = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let rival = app.add_business("rival", "Rival Co").await;
    user(&app, rival.id, "mallory@example.com", Role::Owner).await;
    let mallory = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let csrf = csrf_of(&page(&app, &mallory, "/app/settings/ads").await.1);
    let operator_csrf = csrf_of(&page(&app, &operator, "/app/leads").await.1);

    let ad_path = format!("/app/settings/ads/{}", ad.id);
    let phrase_path = format!("/app/settings/ads/phrases/{}", phrase.id);
    assert_eq!(page(&app, &operator, "/app/settings/ads").await.0, 404, "an operator");
    for path in [&ad_path, &phrase_path] {
        assert_eq!(page(&app, &mallory, path).await.0, 404, "{path}");
        assert_eq!(page(&app, &operator, path).await.0, 404, "{path}");
    }
    let change = [
        ("name", "Mine"),
        ("rule_source", "x"),
        ("variants", "x"),
        ("direction", "earlier"),
    ];
    for path in [
        ad_path.clone(),
        format!("{ad_path}/remove"),
        format!("{ad_path}/move"),
        phrase_path.clone(),
        format!("{phrase_path}/remove"),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(change);
        assert_eq!(post(&app, &mallory, &path, &form).await.status(), 404, "{path}");
        form[0].1 = operator_csrf.as_str();
        assert_eq!(post(&app, &operator, &path, &form).await.status(), 404, "{path}");
    }
    let operator_add = [("csrf", operator_csrf.as_str()), ("name", "Mine"), ("rule_source", "x")];
    assert_eq!(
        post(&app, &operator, "/app/settings/ads", &operator_add).await.status(),
        404
    );
    let grouping = app.store.ad_grouping(business).await.unwrap();
    assert_eq!((grouping.ads, grouping.phrases), (vec![ad], vec![phrase]), "untouched");
    app.finish().await;
}

crate::on_both_engines!(
    an_owner_groups_ads_and_keywords_and_bad_input_writes_nothing,
    only_the_business_s_owners_see_or_change_its_grouping,
);
