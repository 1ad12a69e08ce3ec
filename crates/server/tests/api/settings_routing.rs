//! Settings → Routing: an owner adds, reorders and removes a site's routing rules from the
//! browser; bad input comes back with the reason and changes nothing; nobody else can.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline::config::Config;
use leadline_core::site::SiteSettings;
use leadline_core::store::RoutingStore;
use leadline_core::tenant::Role;

/// Posts the add form with `fields` and the form token `csrf`.
async fn add(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)], csrf: &str) -> (u16, String) {
    let mut all = fields.to_vec();
    all.push(("csrf", csrf));
    let response = post(app, cookie, path, &all).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn an_owner_adds_reorders_and_removes_routing_rules(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let path = format!("/app/settings/routing?site={}", site.0);
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Ann (+12025550111)") && html.contains("Ben (+12025550112)"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    assert_eq!(
        add(
            &app,
            &cookie,
            &path,
            &[("source", "google"), ("ring", "+12025550111")],
            ""
        )
        .await
        .0,
        403
    );
    let (status, _) = add(
        &app,
        &cookie,
        &path,
        &[("source", "google"), ("ring", "+12025550111")],
        &csrf,
    )
    .await;
    assert_eq!(status, 303);
    let in_turn = [
        ("hours", "mon-fri 09:00-17:00"),
        ("ring", "+12025550111"),
        ("ring", "+12025550112"),
        ("in_turn", "on"),
    ];
    let (status, _) = add(&app, &cookie, &path, &in_turn, &csrf).await;
    assert_eq!(status, 303);
    for (fields, reason) in [
        (&[("source", "google")][..], "1 to 10 destinations"),
        (
            &[("hours", "weekdays"), ("ring", "+12025550111")],
            "mon-fri 09:00-17:00",
        ),
        (&[("var", "language"), ("ring", "+12025550111")], "NAME=VALUE"),
        (&[("ring", "+12025550199")], "is not a destination of the business"),
    ] {
        let (status, html) = add(&app, &cookie, &path, fields, &csrf).await;
        assert_eq!(status, 400, "{reason}: {html}");
        assert!(
            html.contains(reason) && html.contains(r#"role="alert""#),
            "{reason}: {html}"
        );
    }
    let rules = app.store.site_routing_rules(business, site).await.unwrap();
    assert_eq!(rules.len(), 2, "bad input added nothing");
    assert_eq!(
        rules[1].rule.describe(),
        "when hours mon-fri 09:00-17:00, ring +12025550111 then +12025550112"
    );

    let act = |id: i64, action: &'static str, csrf: String, cookie: String| {
        let app = &app;
        let site = site.0.to_string();
        async move {
            let fields = [("csrf", csrf.as_str()), ("action", action), ("site", site.as_str())];
            post(app, &cookie, &format!("/app/settings/routing/{id}"), &fields)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(act(rules[1].id, "earlier", csrf.clone(), cookie.clone()).await, 303);
    let order = app.store.site_routing_rules(business, site).await.unwrap();
    assert_eq!((order[0].id, order[1].id), (rules[1].id, rules[0].id));
    let (_, html) = page(&app, &cookie, &path).await;
    assert!(
        html.find("when hours") < html.find("when source=google"),
        "the page shows the new order"
    );
    assert_eq!(act(rules[0].id, "sideways", csrf.clone(), cookie.clone()).await, 400);

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let rex = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &rex, &path).await.0, 404, "another business's site");
    let (_, theirs) = page(&app, &rex, "/app/settings/routing").await;
    let rex_csrf = csrf_of(&theirs);
    assert_eq!(act(rules[0].id, "remove", rex_csrf.clone(), rex.clone()).await, 404);
    let fields = [("csrf", rex_csrf.as_str()), ("ring", "+12025550111")];
    assert_eq!(post(&app, &rex, &path, &fields).await.status(), 404);
    assert_eq!(app.store.site_routing_rules(business, site).await.unwrap().len(), 2);

    user(&app, business, "otto@example.com", Role::Operator).await;
    let otto = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &otto, &path).await.0, 404);

    assert_eq!(act(rules[0].id, "remove", csrf.clone(), cookie.clone()).await, 303);
    let left = app.store.site_routing_rules(business, site).await.unwrap();
    assert_eq!(left.iter().map(|r| r.id).collect::<Vec<_>>(), [rules[1].id]);
    app.finish().await;
}

async fn an_owner_edits_a_rule_in_its_place_and_bad_input_changes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    user(&app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let path = format!("/app/settings/routing?site={}", site.0);
    let csrf = csrf_of(&page(&app, &cookie, &path).await.1);
    for source in ["google", "bing"] {
        let fields = [("source", source), ("ring", "+12025550111")];
        assert_eq!(add(&app, &cookie, &path, &fields, &csrf).await.0, 303);
    }
    let rules = app.store.site_routing_rules(business, site).await.unwrap();
    let edit = format!("/app/settings/routing/{}/edit", rules[0].id);
    let (status, html) = page(&app, &cookie, &path).await;
    assert!(status == 200 && html.contains(&format!(r#"href="{edit}""#)), "{html}");
    let (status, html) = page(&app, &cookie, &edit).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Change rule 1")
            && html.contains(r#"name="source" value="google""#)
            && html.contains(r#"value="+12025550111" checked"#),
        "the form holds the rule: {html}"
    );

    assert_eq!(add(&app, &cookie, &edit, &[("ring", "+12025550112")], "").await.0, 403);
    for (fields, reason) in [
        (&[("source", "google")][..], "1 to 10 destinations"),
        (&[("ring", "+12025550199")], "is not a destination of the business"),
        (
            &[("hours", "weekdays"), ("ring", "+12025550111")],
            "mon-fri 09:00-17:00",
        ),
    ] {
        let (status, html) = add(&app, &cookie, &edit, fields, &csrf).await;
        assert_eq!(status, 400, "{reason}: {html}");
        assert!(
            html.contains(reason) && html.contains("Change rule 1"),
            "{reason}: {html}"
        );
    }
    assert_eq!(
        app.store.site_routing_rules(business, site).await.unwrap(),
        rules,
        "nothing changed"
    );

    let changed = [
        ("var", "language=es"),
        ("ring", "+12025550112"),
        ("ring", "+12025550111"),
        ("in_turn", "on"),
    ];
    let (status, _) = add(&app, &cookie, &edit, &changed, &csrf).await;
    assert_eq!(status, 303);
    let after = app.store.site_routing_rules(business, site).await.unwrap();
    assert_eq!(
        (after[0].id, after[1].id),
        (rules[0].id, rules[1].id),
        "it keeps its place"
    );
    assert_eq!(
        after[0].rule.describe(),
        "when language=es, ring +12025550112 then +12025550111"
    );
    assert_eq!(after[1].rule, rules[1].rule);

    let rival = app.add_business("rival", "Rival").await;
    user(&app, rival.id, "rex@rival.example", Role::Owner).await;
    let rex = log_in(&app, "rex@rival.example", PASSWORD).await.unwrap();
    assert_eq!(page(&app, &rex, &edit).await.0, 404);
    let rex_csrf = csrf_of(&page(&app, &rex, "/app/settings/routing").await.1);
    assert_eq!(
        add(&app, &rex, &edit, &[("ring", "+12025550111")], &rex_csrf).await.0,
        404
    );
    assert_eq!(app.store.site_routing_rules(business, site).await.unwrap(), after);
    app.finish().await;
}

crate::on_both_engines!(
    an_owner_adds_reorders_and_removes_routing_rules,
    an_owner_edits_a_rule_in_its_place_and_bad_input_changes_nothing,
);
