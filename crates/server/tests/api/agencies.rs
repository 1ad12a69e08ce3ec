//! Agencies: a user of several businesses switches between them, and every page is scoped to
//! the business chosen. A user of another business gets 404 on every page that names an
//! object of this one (the table below lists them; add a route there when one is added).

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, csrf_of, form_with_file, log_in, page, post, user};
use leadline::app::sources::{SourceRequest, add_source};
use leadline::config::Config;
use leadline_core::access::AccessStore;
use leadline_core::adgroup::AdGroupStore;
use leadline_core::adgroup::{AdRule, NewMasterAd, NewMasterPhrase};
use leadline_core::form::FormIdentity;
use leadline_core::lead::{Author, LeadFilter};
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::outbox::{IntegrationConfig, NewIntegration};
use leadline_core::routing::Rule;
use leadline_core::site::SiteSettings;
use leadline_core::source::SourceUtm;
use leadline_core::store::{
    ApiKeyStore, DestinationStore, LeadStore, NumberStore, OutboxStore, RoutingStore, SiteStore, SourceStore, UserStore,
};
use leadline_core::tenant::{NewApiKey, Role, Site};

async fn rival_site(app: &TestApp) -> Site {
    let business = app.add_business("rival", "Rival Co").await;
    app.add_site(business.id, "rival.example").await
}

async fn user_id(app: &TestApp, email: &str) -> leadline_core::UserId {
    let email = Email::parse(email).unwrap();
    app.store.user_credentials(&email).await.unwrap().user.id
}

async fn a_user_of_two_businesses_switches_and_sees_each_one_s_leads_only(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let rival = rival_site(&app).await;
    let other = app.add_business("other", "Other Co").await;
    crate::crm::submits(&app, &seeded, "Bea Acme", "bea@example.com").await;
    crate::leads::submit(
        &app,
        rival.business_id,
        rival.id,
        "Cy Rival",
        "cy@example.com",
        FormIdentity::default(),
    )
    .await;
    user(&app, acme, "ann@example.com", Role::Operator).await;
    let ann = user_id(&app, "ann@example.com").await;
    app.store
        .add_membership(ann, rival.business_id, Role::Owner)
        .await
        .unwrap();
    user(&app, acme, "solo@example.com", Role::Operator).await;

    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads").await;
    assert!(
        html.contains("Bea Acme") && !html.contains("Cy Rival"),
        "the first business: {html}"
    );
    assert!(
        html.contains(r#"action="/app/business""#) && html.contains("Rival Co"),
        "{html}"
    );
    assert_eq!(page(&app, &cookie, "/app/settings").await.0, 404, "an operator at Acme");

    let csrf = csrf_of(&html);
    let rival_id = rival.business_id.0.to_string();
    let switched = post(
        &app,
        &cookie,
        "/app/business",
        &[("csrf", &csrf), ("business", &rival_id)],
    )
    .await;
    assert_eq!(switched.status(), 303);
    let (_, html) = page(&app, &cookie, "/app/leads").await;
    assert!(
        html.contains("Cy Rival") && !html.contains("Bea Acme"),
        "the second business: {html}"
    );
    assert!(html.contains("<strong>Rival Co</strong>"), "{html}");
    assert_eq!(page(&app, &cookie, "/app/settings").await.0, 200, "an owner at Rival");

    let other_id = other.id.0.to_string();
    let refused = post(
        &app,
        &cookie,
        "/app/business",
        &[("csrf", &csrf), ("business", &other_id)],
    )
    .await;
    assert_eq!(refused.status(), 404, "no membership there");
    let no_csrf = post(
        &app,
        &cookie,
        "/app/business",
        &[("csrf", "forged"), ("business", &rival_id)],
    )
    .await;
    assert_eq!(no_csrf.status(), 403);
    let (_, html) = page(&app, &cookie, "/app/leads").await;
    assert!(html.contains("Cy Rival"), "still at Rival: {html}");

    let solo = log_in(&app, "solo@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &solo, "/app/leads").await;
    assert!(
        !html.contains(r#"action="/app/business""#),
        "one business: no switcher: {html}"
    );
    app.finish().await;
}

/// What a request does: GET a page, or POST a form (the session's token is added).
enum Ask {
    Get,
    Post(&'static [(&'static str, &'static str)]),
}

/// Every application route that names an object of a business, with the object's part of
/// the path filled from `ids` (lead ref, attachment, member, API key, business).
fn routes_naming_objects(ids: &Ids) -> Vec<(String, Ask)> {
    let lead = format!("/app/leads/{}", ids.lead_ref);
    let mut routes = vec![
        (lead.clone(), Ask::Get),
        (format!("{lead}/notes"), Ask::Post(&[("text", "hello")])),
        (format!("{lead}/status"), Ask::Post(&[("status", "qualified")])),
        (
            format!("{lead}/sales"),
            Ask::Post(&[("revenue", "10.00"), ("cost", ""), ("profit", "")]),
        ),
        (format!("{lead}/conversions"), Ask::Post(&[("record", "call:1000")])),
        (format!("/app/attachments/{}", ids.attachment), Ask::Get),
        (
            format!("/app/settings/users/{}/role", ids.member),
            Ask::Post(&[("role", "operator")]),
        ),
        (format!("/app/settings/users/{}/remove", ids.member), Ask::Post(&[])),
        (format!("/app/settings/api-keys/{}/revoke", ids.api_key), Ask::Post(&[])),
        ("/app/business".to_owned(), Ask::Post(&[])),
    ];
    routes.extend(settings_routes_naming_objects(ids));
    routes
}

/// The Settings routes that name an object: its page, its edit, its buttons.
fn settings_routes_naming_objects(ids: &Ids) -> Vec<(String, Ask)> {
    let site = format!("/app/settings/sites/{}", ids.site);
    let number = format!("/app/settings/numbers/{}", ids.number);
    let destination = format!("/app/settings/destinations/{}", ids.destination);
    let source = format!("/app/settings/sources/{}", ids.source);
    let integration = format!("/app/settings/integrations/{}", ids.integration);
    let rule = format!("/app/settings/routing/{}", ids.rule);
    let ad = format!("/app/settings/ads/{}", ids.master_ad);
    let phrase = format!("/app/settings/ads/phrases/{}", ids.master_phrase);
    vec![
        (ad.clone(), Ask::Get),
        (ad.clone(), Ask::Post(&[("name", "Taken"), ("rule_source", "x")])),
        (format!("{ad}/remove"), Ask::Post(&[])),
        (format!("{ad}/move"), Ask::Post(&[("direction", "earlier")])),
        (phrase.clone(), Ask::Get),
        (phrase.clone(), Ask::Post(&[("name", "Taken"), ("variants", "x")])),
        (format!("{phrase}/remove"), Ask::Post(&[])),
        (site.clone(), Ask::Get),
        (
            site.clone(),
            Ask::Post(&[
                ("name", "Taken"),
                ("domains", "taken.example"),
                ("timezone", "UTC"),
                ("currency", "USD"),
            ]),
        ),
        (format!("{site}/disable"), Ask::Post(&[("disabled", "1")])),
        (format!("{site}/remove"), Ask::Post(&[])),
        (format!("{site}/check"), Ask::Post(&[("url", "")])),
        (format!("/app/settings/routing?site={}", ids.site), Ask::Get),
        (
            format!("/app/settings/routing?site={}", ids.site),
            Ask::Post(&[("ring", "+12025550111")]),
        ),
        (number.clone(), Ask::Get),
        (
            number.clone(),
            Ask::Post(&[("account_sid", "AC00000000000000000000000000000000")]),
        ),
        (format!("{number}/test-call"), Ask::Post(&[("caller", "+12025550123")])),
        (format!("{number}/remove"), Ask::Post(&[])),
        (destination.clone(), Ask::Get),
        (
            destination.clone(),
            Ask::Post(&[("name", "Taken"), ("number", "+12025550177")]),
        ),
        (format!("{destination}/disable"), Ask::Post(&[("disabled", "1")])),
        (format!("{destination}/remove"), Ask::Post(&[])),
        (format!("{rule}/edit"), Ask::Get),
        (format!("{rule}/edit"), Ask::Post(&[("ring", "+12025550111")])),
        (rule, Ask::Post(&[("action", "remove"), ("site", "1")])),
        (source.clone(), Ask::Get),
        (
            source.clone(),
            Ask::Post(&[("name", "Taken"), ("utm_source", "x"), ("utm_medium", "y")]),
        ),
        (format!("{source}/remove"), Ask::Post(&[])),
        (integration.clone(), Ask::Get),
        (
            integration.clone(),
            Ask::Post(&[
                ("kind", "webhook"),
                ("name", "Taken"),
                ("url", "https://taken.example/"),
            ]),
        ),
        (format!("{integration}/enabled"), Ask::Post(&[("enabled", "off")])),
        (format!("{integration}/test"), Ask::Post(&[])),
        (format!("{integration}/remove"), Ask::Post(&[])),
        (
            format!("/app/settings/deliveries/{}/retry", ids.delivery),
            Ask::Post(&[]),
        ),
    ]
}

struct Ids {
    lead_ref: u64,
    attachment: String,
    member: i64,
    api_key: i64,
    business: i64,
    site: i64,
    number: i64,
    destination: i64,
    rule: i64,
    source: String,
    integration: i64,
    delivery: i64,
    master_ad: i64,
    master_phrase: i64,
}

async fn acme_objects(app: &TestApp, seeded: &Seeded) -> Ids {
    let acme = seeded.site.business_id;
    let hook = NewIntegration {
        business_id: acme,
        site_id: None,
        name: "Ops hook".into(),
        config: IntegrationConfig::Webhook {
            url: "https://hooks.acme.example/leadline".into(),
            secret: "whsec_enough_length_secret".into(),
        },
    };
    let integration = app.store.add_integration(&hook).await.unwrap();
    assert_eq!(
        form_with_file(app, seeded, "plan.txt", b"plan".to_vec()).await.status(),
        201
    );
    let site = seeded.site.id;
    let destinations = app.store.list_destinations(acme).await.unwrap();
    let rule = Rule {
        conditions: vec![],
        destinations: vec![destinations[0].number.clone()],
        in_turn: false,
    };
    app.store.add_routing_rule(acme, site, &rule).await.unwrap();
    let request = SourceRequest {
        site,
        name: Name::parse_as("n", "Flyer").unwrap(),
        domain: None,
        utm: SourceUtm {
            source: "flyer".into(),
            medium: "print".into(),
            campaign: None,
            term: None,
            content: None,
        },
        reserve_code: None,
    };
    let source = add_source(&app.store, acme, request, &Author::system()).await.unwrap();
    let filter = LeadFilter {
        limit: 1,
        ..LeadFilter::default()
    };
    let lead = app.store.list_leads(acme, &filter).await.unwrap().leads.remove(0);
    let submissions = app.store.lead_submissions(acme, lead.id).await.unwrap();
    user(app, acme, "olive@example.com", Role::Owner).await;
    let issued = leadline_core::secret::IssuedApiKey::generate();
    let key = app
        .store
        .create_api_key(&NewApiKey {
            business_id: acme,
            name: Name::parse_as("n", "CRM").unwrap(),
            prefix: issued.prefix,
            hash: issued.hash,
        })
        .await
        .unwrap();
    Ids {
        lead_ref: lead.record_ref,
        attachment: submissions[0].attachments[0].stored_name.as_str().to_owned(),
        member: user_id(app, "olive@example.com").await.0,
        api_key: key.id.0,
        business: acme.0,
        site: site.0,
        number: app.store.number_for_site(site).await.unwrap().unwrap().id.0,
        destination: destinations[0].id.0,
        rule: app.store.site_routing_rules(acme, site).await.unwrap()[0].id,
        source: source.key.to_string(),
        integration: integration.id.0,
        delivery: app.store.list_deliveries(Some(acme), None, 1).await.unwrap()[0].id,
        master_ad: master_ad(app, acme).await,
        master_phrase: master_phrase(app, acme).await,
    }
}

async fn master_ad(app: &TestApp, business: leadline_core::BusinessId) -> i64 {
    let new = NewMasterAd {
        name: Name::parse_as("n", "Brand").unwrap(),
        rules: vec![AdRule::parse("google", "", "").unwrap()],
    };
    app.store.create_master_ad(business, &new).await.unwrap().id
}

async fn master_phrase(app: &TestApp, business: leadline_core::BusinessId) -> i64 {
    let new = NewMasterPhrase {
        name: Name::parse_as("n", "Repair").unwrap(),
        variants: vec!["sofa repair".into()],
    };
    app.store.create_master_phrase(business, &new).await.unwrap().id
}

async fn an_owner_of_another_business_gets_404_on_every_page_naming_an_object_of_this_one(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let ids = acme_objects(&app, &seeded).await;
    let olive = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let rival = rival_site(&app).await;
    user(&app, rival.business_id, "mallory@example.com", Role::Owner).await;
    let mallory = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let csrf = csrf_of(&page(&app, &mallory, "/app/settings").await.1);
    let business = ids.business.to_string();

    for (path, ask) in routes_naming_objects(&ids) {
        let status = match ask {
            Ask::Get => page(&app, &mallory, &path).await.0,
            Ask::Post(fields) => {
                let mut form = vec![("csrf", csrf.as_str()), ("business", business.as_str())];
                form.extend(fields.iter().copied());
                post(&app, &mallory, &path, &form).await.status().as_u16()
            }
        };
        assert_eq!(status, 404, "{path}");
    }
    let lead = app.store.lead(acme, ids.lead_ref).await.unwrap();
    assert!(
        app.store.lead_activities(acme, lead.id).await.unwrap().is_empty(),
        "nothing recorded"
    );
    let olive_id = leadline_core::UserId(ids.member);
    assert_eq!(app.store.member(acme, olive_id).await.unwrap().role, Role::Owner);
    assert!(app.store.list_api_keys(acme).await.unwrap()[0].revoked_at.is_none());
    assert_eq!(
        app.store.list_sites(acme).await.unwrap()[0].name.as_str(),
        seeded.site.name.as_str()
    );
    assert_eq!(
        app.store.list_destinations(acme).await.unwrap().len(),
        2,
        "none removed"
    );
    assert_eq!(
        app.store.site_routing_rules(acme, seeded.site.id).await.unwrap().len(),
        1
    );
    assert_eq!(app.store.list_sources(acme).await.unwrap()[0].name.as_str(), "Flyer");
    let integration = &app.store.integrations(acme).await.unwrap()[0];
    assert!(integration.enabled && integration.name == "Ops hook");
    assert_eq!(
        page(&app, &olive, "/app/settings").await.0,
        200,
        "Acme's owner is still in"
    );
    let (_, html) = page(&app, &mallory, "/app/leads").await;
    assert!(
        html.contains("<strong>Rival Co</strong>"),
        "Mallory is still at Rival: {html}"
    );
    app.finish().await;
}

crate::on_both_engines!(
    a_user_of_two_businesses_switches_and_sees_each_one_s_leads_only,
    an_owner_of_another_business_gets_404_on_every_page_naming_an_object_of_this_one,
);
