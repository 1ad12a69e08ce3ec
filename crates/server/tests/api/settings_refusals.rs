//! The set-up forms refuse what is not the owner's to change: a post without the CSRF token
//! or from another origin (403), an operator (404), another business's object id (404). Each
//! changes nothing.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, client, csrf_of, log_in, page, user};
use crate::settings_setup::{owner, site_fields};
use leadline::config::Config;
use leadline_core::BusinessId;
use leadline_core::site::SiteSettings;
use leadline_core::store::{DestinationStore, NumberStore, SiteStore};
use leadline_core::tenant::{Destination, Role, Site, TrackingNumber};

type Snapshot = (Vec<Site>, Vec<TrackingNumber>, Vec<Destination>);

async fn snapshot(app: &TestApp, business: BusinessId) -> Snapshot {
    (
        app.store.list_sites(business).await.unwrap(),
        app.store.list_numbers(business).await.unwrap(),
        app.store.list_destinations(business).await.unwrap(),
    )
}

async fn ids(app: &TestApp, business: BusinessId) -> (i64, i64, i64) {
    let (sites, numbers, destinations) = snapshot(app, business).await;
    (sites[0].id.0, numbers[0].id.0, destinations[0].id.0)
}

async fn a_post_without_the_token_or_from_another_origin_changes_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let cookie = owner(&app, business).await;
    let (_, html) = page(&app, &cookie, "/app/settings/sites").await;
    let csrf = csrf_of(&html);
    let before = snapshot(&app, business).await;
    let (site, number, destination) = ids(&app, business).await;
    for (path, fields) in forms(site, number, destination) {
        let status = post_from(&app, &cookie, &path, &app.base_url, None, &fields).await;
        assert_eq!(status, 403, "{path} without the token");
        let status = post_from(&app, &cookie, &path, &app.base_url, Some("forged"), &fields).await;
        assert_eq!(status, 403, "{path} with a wrong token");
        let status = post_from(&app, &cookie, &path, "https://evil.example", Some(&csrf), &fields).await;
        assert_eq!(status, 403, "{path} from another origin");
    }
    assert_eq!(snapshot(&app, business).await, before);
    app.finish().await;
}

async fn an_operator_is_answered_404_on_every_set_up_page_and_form(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    user(&app, business, "otto@example.com", Role::Operator).await;
    let cookie = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads").await;
    let csrf = csrf_of(&html);
    let before = snapshot(&app, business).await;
    let (site, number, destination) = ids(&app, business).await;
    for path in [
        "/app/settings/sites".to_owned(),
        format!("/app/settings/sites/{site}"),
        "/app/settings/numbers".to_owned(),
        format!("/app/settings/numbers/{number}"),
        "/app/settings/destinations".to_owned(),
        format!("/app/settings/destinations/{destination}"),
    ] {
        assert_eq!(page(&app, &cookie, &path).await.0, 404, "{path}");
    }
    for (path, fields) in forms(site, number, destination) {
        let status = post_from(&app, &cookie, &path, &app.base_url, Some(&csrf), &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(snapshot(&app, business).await, before);
    app.finish().await;
}

async fn another_business_objects_are_answered_404_and_stay_unchanged(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let rival = app.add_business("rival", "Rival").await;
    let cookie = owner(&app, rival.id).await;
    let (_, html) = page(&app, &cookie, "/app/settings/sites").await;
    let csrf = csrf_of(&html);
    let before = snapshot(&app, business).await;
    let (site, number, destination) = ids(&app, business).await;
    for path in [
        format!("/app/settings/sites/{site}"),
        format!("/app/settings/numbers/{number}"),
        format!("/app/settings/destinations/{destination}"),
    ] {
        assert_eq!(page(&app, &cookie, &path).await.0, 404, "{path}");
    }
    for (path, fields) in forms(site, number, destination) {
        let status = post_from(&app, &cookie, &path, &app.base_url, Some(&csrf), &fields).await;
        let expected = match path.as_str() {
            // The rival's own lists: a number for another business's site is refused.
            "/app/settings/numbers" => 400,
            "/app/settings/sites" | "/app/settings/destinations" => continue,
            _ => 404,
        };
        assert_eq!(status, expected, "{path}");
    }
    assert_eq!(snapshot(&app, business).await, before);
    let (sites, numbers, _) = snapshot(&app, rival.id).await;
    assert!(sites.is_empty() && numbers.is_empty());
    app.finish().await;
}

crate::on_both_engines!(
    a_post_without_the_token_or_from_another_origin_changes_nothing,
    an_operator_is_answered_404_on_every_set_up_page_and_form,
    another_business_objects_are_answered_404_and_stay_unchanged,
);

/// Every state-changing route of these pages, with a body that would change something.
fn forms(site: i64, number: i64, destination: i64) -> Vec<(String, Vec<(&'static str, String)>)> {
    let s = format!("/app/settings/sites/{site}");
    let n = format!("/app/settings/numbers/{number}");
    let d = format!("/app/settings/destinations/{destination}");
    let site_form = |name: &'static str| {
        site_fields("", name, "acme.example\nlocalhost\n127.0.0.1", "UTC", "30")
            .into_iter()
            .filter(|(f, _)| *f != "csrf")
            .map(|(f, v)| (f, v.to_owned()))
            .collect::<Vec<_>>()
    };
    let text = |pairs: &[(&'static str, &str)]| pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect::<Vec<_>>();
    vec![
        ("/app/settings/sites".into(), site_form("Added")),
        (s.clone(), site_form("Renamed")),
        (format!("{s}/disable"), text(&[("disabled", "1")])),
        (format!("{s}/remove"), vec![]),
        (format!("{s}/check"), text(&[("url", "http://127.0.0.1/")])),
        (
            "/app/settings/numbers".into(),
            text(&[
                ("number", "+12025550188"),
                ("account_sid", "AC8"),
                ("auth_token", "0123456789abcdef9999"),
                ("site", &site.to_string()),
            ]),
        ),
        (
            n.clone(),
            text(&[("account_sid", "AC9"), ("auth_token", ""), ("site", &site.to_string())]),
        ),
        (format!("{n}/remove"), vec![]),
        (
            "/app/settings/destinations".into(),
            text(&[("name", "Zed"), ("number", "+12025550199")]),
        ),
        (d.clone(), text(&[("name", "Renamed"), ("number", "+12025550198")])),
        (format!("{d}/disable"), text(&[("disabled", "1")])),
        (format!("{d}/remove"), vec![]),
    ]
}

/// Posts `fields` (with `csrf` when given) from `origin`.
async fn post_from(
    app: &TestApp,
    cookie: &str,
    path: &str,
    origin: &str,
    csrf: Option<&str>,
    fields: &[(&str, String)],
) -> u16 {
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
    if let Some(csrf) = csrf {
        all.push(("csrf", csrf));
    }
    client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", cookie)
        .header("origin", origin)
        .form(&all)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
