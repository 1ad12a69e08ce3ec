//! The application's pages after logging in: the shell around every page and the leads list,
//! scoped to the user's business.

use crate::crm::submits;
use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, client, log_in, operator, page, seeded_lead};
use leadline::config::Config;
use leadline_core::site::SiteSettings;

/// The `href` of the link marked `rel="next"`, HTML-unescaped.
fn next_link(html: &str) -> Option<String> {
    let end = html.find(r#"" rel="next""#)?;
    let start = html[..end].rfind(r#"href=""#)? + r#"href=""#.len();
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

async fn after_logging_in_the_application_opens_on_the_business_s_activity(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    seeded_lead(&app, &seeded).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();

    for home in ["/app", "/app/"] {
        let response = client()
            .get(format!("{}{home}", app.base_url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{home}");
        assert_eq!(
            response.headers()["location"],
            "/app/activity",
            "{home}: not the demo's page"
        );
    }
    let (status, html) = page(&app, &cookie, "/app/leads").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<strong>Acme</strong>"), "the business's name: {html}");
    assert!(html.contains(r#"<a href="/app/leads" aria-current="page">Leads</a>"#));
    assert!(html.contains("Ann Operator"), "the user");
    assert!(html.contains(r#"action="/app/logout"><input type="hidden" name="csrf""#));
    assert!(
        html.contains(r#"<a href="/app/leads/1000">1000</a>"#),
        "the seeded lead: {html}"
    );

    let (_, lead) = page(&app, &cookie, "/app/leads/1000").await;
    assert!(
        lead.contains("<strong>Acme</strong>") && lead.contains(r#"href="/app/leads""#),
        "the lead page has the shell"
    );
    app.finish().await;
}

async fn the_leads_list_searches_filters_and_pages_newest_first(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    submits(&app, &seeded, "Bea Ray", "bea@example.com").await;
    submits(&app, &seeded, "Cal Oh", "cal@example.com").await;
    submits(&app, &seeded, "Dee Ng", "dee@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();

    let (status, html) = page(&app, &cookie, "/app/leads?q=cal").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Cal Oh") && !html.contains("Bea Ray") && !html.contains("Dee Ng"),
        "{html}"
    );
    assert!(html.contains(r#"value="cal""#), "the search is shown again");

    let (_, first) = page(&app, &cookie, "/app/leads?limit=2").await;
    assert!(
        first.contains("Dee Ng") && first.contains("Cal Oh") && !first.contains("Bea Ray"),
        "newest first"
    );
    assert!(first.find("Dee Ng") < first.find("Cal Oh"));
    let next = next_link(&first).expect("a link to older leads");
    assert!(next.contains("limit=2") && next.contains("cursor="), "{next}");
    let (_, second) = page(&app, &cookie, &next).await;
    assert!(second.contains("Bea Ray") && !second.contains("Dee Ng"), "{second}");
    assert_eq!(next_link(&second), None, "the last page");

    let (status, none) = page(&app, &cookie, "/app/leads?status=converted").await;
    assert_eq!(status, 200);
    assert!(none.contains("No leads match."));
    let (_, new) = page(&app, &cookie, "/app/leads?status=new").await;
    assert!(
        new.contains("Bea Ray") && new.contains("<option selected>new</option>"),
        "{new}"
    );
    app.finish().await;
}

async fn a_bad_filter_shows_the_form_again_with_the_reason(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    submits(&app, &seeded, "Bea Ray", "bea@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();

    let (status, html) = page(&app, &cookie, "/app/leads?from=yesterday&q=bea").await;
    assert_eq!(status, 400);
    assert!(html.contains(r#"role="alert">parameter from"#), "{html}");
    assert!(
        html.contains(r#"value="yesterday""#) && !html.contains("Bea Ray"),
        "{html}"
    );
    app.finish().await;
}

async fn the_leads_list_shows_only_the_user_s_business(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    submits(&app, &seeded, "Bea Ray", "bea@example.com").await;
    let other = app.add_business("other", "Other Co").await;
    operator(&app, other.id, "mallory@example.com").await;
    let cookie = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();

    for path in ["/app/leads", "/app/leads?q=bea", "/app/leads?q=1000"] {
        let (status, html) = page(&app, &cookie, path).await;
        assert_eq!(status, 200);
        assert!(html.contains("<strong>Other Co</strong>"), "{html}");
        assert!(
            !html.contains("Bea Ray") && html.contains("No leads match."),
            "{path}: {html}"
        );
    }
    app.finish().await;
}

async fn the_lead_page_shows_every_time_in_the_site_s_zone(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    seeded_lead(&app, &seeded).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();

    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let whens: Vec<&str> = html
        .split(r#"<div class="when">"#)
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap())
        .collect();
    assert!(whens.len() >= 2, "a visit and a call: {html}");
    for when in whens {
        assert!(
            when.ends_with(" EST") || when.ends_with(" EDT"),
            "America/New_York, not UTC: {when}"
        );
    }
    app.finish().await;
}

crate::on_both_engines!(
    the_lead_page_shows_every_time_in_the_site_s_zone,
    after_logging_in_the_application_opens_on_the_business_s_activity,
    the_leads_list_searches_filters_and_pages_newest_first,
    a_bad_filter_shows_the_form_again_with_the_reason,
    the_leads_list_shows_only_the_user_s_business,
);
