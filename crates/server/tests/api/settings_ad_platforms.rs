//! Settings → Integrations for the ad platforms: an owner adds Google Ads, Microsoft
//! Advertising and Meta from the browser with their send rule; the edit form shows the ids and
//! never a secret, and a blank secret keeps the stored one; bad ids and rules come back next to
//! their field and add nothing; *Try it* signs in to Google without sending a conversion.

use crate::crm_fakes::{ADS_CLIENT_ID, ADS_CLIENT_SECRET, ADS_CUSTOMER, ADS_REFRESH_TOKEN, FakeGoogleAds};
use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use leadline_core::ad_upload::SendRule;
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::{GoogleAdsRoute, IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::OutboxStore;
use leadline_core::tenant::Role;

const PATH: &str = "/app/settings/integrations";

async fn owner(app: &TestApp, business: leadline_core::BusinessId) -> (String, String) {
    user(app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(app, "olive@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(app, &cookie, PATH).await;
    assert_eq!(status, 200, "{html}");
    for title in [
        "Google Ads conversions",
        "Microsoft Advertising conversions",
        "Meta Conversions API",
    ] {
        assert!(html.contains(title), "the page offers {title}");
    }
    let csrf = csrf_of(&html);
    (cookie, csrf)
}

async fn an_owner_adds_each_ad_platform_with_its_rule_and_never_sees_a_secret_again(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business).await;
    let forms: [Vec<(&str, &str)>; 3] = [
        vec![
            ("kind", "google_ads"),
            ("name", "Google Ads"),
            ("customer_id", "123-456-7890"),
            ("conversion_action_id", "987654321"),
            ("client_id", "5678.apps.googleusercontent.com"),
            ("client_secret", "GOCSPX-google-secret"),
            ("refresh_token", "1//google-refresh"),
            ("send", "status:qualified"),
            ("enhanced", "on"),
        ],
        vec![
            ("kind", "microsoft_ads"),
            ("name", "Microsoft Ads"),
            ("customer_id", "1111111"),
            ("account_id", "2222222"),
            ("developer_token", "ms-developer-token"),
            ("client_id", "b6a1c3e0-aaaa-bbbb-cccc-1234567890ab"),
            ("refresh_token", "M.ms-refresh"),
            ("goal_name", "Booked job"),
            ("send", "call-longer-than:60"),
        ],
        vec![
            ("kind", "meta_capi"),
            ("name", "Meta"),
            ("pixel_id", "1234567890123456"),
            ("access_token", "EAAB-meta-token"),
            ("test_event_code", "TEST123"),
        ],
    ];
    for form in &forms {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form.iter().copied());
        let response = post(&app, &cookie, PATH, &fields).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let all = app.store.integrations(business).await.unwrap();
    let kinds: Vec<&str> = all.iter().map(|i| i.config.kind()).collect();
    assert_eq!(kinds, ["google_ads", "microsoft_ads", "meta_capi"]);
    let IntegrationConfig::GoogleAds(google) = &all[0].config else {
        panic!("Google Ads")
    };
    assert_eq!(google.customer_id, "1234567890", "stored as digits");
    assert_eq!(
        google.route,
        GoogleAdsRoute::DataManager,
        "Google's route for new integrations by default"
    );
    assert_eq!(
        google.send,
        SendRule::Status {
            status: LeadStatus::Qualified
        }
    );
    assert!(google.enhanced);
    let IntegrationConfig::MicrosoftAds(microsoft) = &all[1].config else {
        panic!("Microsoft")
    };
    assert_eq!(microsoft.send, SendRule::CallLongerThan { seconds: 60 });
    assert_eq!(microsoft.goal_name.as_deref(), Some("Booked job"));
    let IntegrationConfig::MetaCapi(meta) = &all[2].config else {
        panic!("Meta")
    };
    assert_eq!((meta.send, meta.api_version.as_str()), (SendRule::Marked, "v21.0"));

    let (status, listed) = page(&app, &cookie, PATH).await;
    assert_eq!(status, 200);
    assert!(
        listed.contains("Google Ads 123-456-7890 conversion action 987654321 by the Data Manager API"),
        "{listed}"
    );
    let path = format!("{PATH}/{}", all[0].id.0);
    let (status, edit) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200, "{edit}");
    assert!(edit.contains(r#"value="987654321""#), "the edit form holds the ids");
    for secret in [
        "GOCSPX-google-secret",
        "1//google-refresh",
        "ms-developer-token",
        "EAAB-meta-token",
    ] {
        assert!(
            !edit.contains(secret) && !listed.contains(secret),
            "{secret} is never shown"
        );
    }
    let changed = [
        ("csrf", csrf.as_str()),
        ("kind", "google_ads"),
        ("name", "Google Ads"),
        ("customer_id", "1234567890"),
        ("conversion_action_id", "987654321"),
        ("client_id", "5678.apps.googleusercontent.com"),
        ("client_secret", ""),
        ("refresh_token", ""),
        ("send", "marked"),
    ];
    let response = post(&app, &cookie, &path, &changed).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let all = app.store.integrations(business).await.unwrap();
    let IntegrationConfig::GoogleAds(kept) = &all[0].config else {
        panic!("Google Ads")
    };
    assert_eq!(kept.send, SendRule::Marked);
    assert_eq!(
        (kept.client_secret.as_str(), kept.refresh_token.as_str()),
        ("GOCSPX-google-secret", "1//google-refresh"),
        "blank secrets keep the stored ones"
    );
    assert!(!kept.enhanced, "an unticked box turns hashing off");
    app.finish().await;
}

async fn bad_ad_platform_input_comes_back_next_to_its_field_and_adds_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business).await;
    let google = |customer: &'static str, send: &'static str, route: &'static str| {
        vec![
            ("kind", "google_ads"),
            ("name", "Google Ads"),
            ("customer_id", customer),
            ("conversion_action_id", "987654321"),
            ("client_id", "c.apps.googleusercontent.com"),
            ("client_secret", "kept-out-of-the-page"),
            ("refresh_token", "1//r"),
            ("send", send),
            ("route", route),
        ]
    };
    let cases = [
        (
            google("123-456-789", "marked", ""),
            "google_ads-customer_id-error",
            "ten digits",
        ),
        (
            google("1234567890", "every-call", ""),
            "google_ads-send-error",
            "is not one of marked",
        ),
        (
            google("1234567890", "marked", "ads_api"),
            "google_ads-developer_token-error",
            "needs one",
        ),
        (
            vec![
                ("kind", "meta_capi"),
                ("name", "Meta"),
                ("pixel_id", "pixel-1"),
                ("access_token", "t"),
            ],
            "meta_capi-pixel_id-error",
            "its digits",
        ),
    ];
    for (form, error_id, says) in cases {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let response = post(&app, &cookie, PATH, &fields).await;
        assert_eq!(response.status(), 400);
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!(r#"id="{error_id}""#)), "{error_id}: {html}");
        assert!(html.contains(says), "{says}: {html}");
        assert!(!html.contains("kept-out-of-the-page"), "a secret is not written back");
    }
    assert!(app.store.integrations(business).await.unwrap().is_empty());
    app.finish().await;
}

async fn trying_google_ads_signs_in_without_sending_a_conversion(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Default::default(), SiteSettings::default()).await;
    let business = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, business).await;
    let google = FakeGoogleAds::start().await;
    let IntegrationConfig::GoogleAds(mut config) = crate::ads_google::config_for(&google) else {
        unreachable!()
    };
    config.customer_id = ADS_CUSTOMER.into();
    config.client_id = ADS_CLIENT_ID.into();
    config.client_secret = ADS_CLIENT_SECRET.into();
    config.refresh_token = ADS_REFRESH_TOKEN.into();
    let new = NewIntegration {
        business_id: business,
        site_id: None,
        name: "Google Ads".into(),
        config: IntegrationConfig::GoogleAds(config),
    };
    let added = app.store.add_integration(&new).await.unwrap();
    let html = post(
        &app,
        &cookie,
        &format!("{PATH}/{}/test", added.id.0),
        &[("csrf", &csrf)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("Google Ads took the test"), "{html}");
    assert!(html.contains("Google gave an access token"), "{html}");
    assert_eq!(google.state().tokens_issued.len(), 1);
    assert!(google.state().ingested.is_empty() && google.state().uploaded.is_empty());
    google.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    an_owner_adds_each_ad_platform_with_its_rule_and_never_sees_a_secret_again,
    bad_ad_platform_input_comes_back_next_to_its_field_and_adds_nothing,
    trying_google_ads_signs_in_without_sending_a_conversion,
);
