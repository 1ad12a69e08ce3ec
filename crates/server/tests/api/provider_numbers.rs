//! Numbers without the provider's console: an owner connects the provider account, searches
//! by area code, buys a number or attaches one the account holds, and Leadline sets its
//! webhooks through the provider's API (the fake checks every request as Twilio documents
//! it); the number is then tracked, and its signed calls are answered.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, csrf_of, log_in, page, post, user};
use crate::provider_fake::{self, ACCOUNT, TOKEN};
use axum::http::Method;
use leadline::config::Config;
use leadline_core::E164;
use leadline_core::provider_account::ProviderAccountStore;
use leadline_core::site::SiteSettings;
use leadline_core::store::NumberStore;
use leadline_core::tenant::Role;

const PAGE: &str = "/app/settings/provider";

struct Setup {
    app: TestApp,
    seeded: Seeded,
    fake: crate::fakes::FakeApi,
    owner: String,
    csrf: String,
}

async fn setup(engine: Engine) -> Setup {
    let (fake, _) = provider_fake::start().await;
    let config = Config {
        telephony_api_base_url: url::Url::parse(&fake.url).unwrap(),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    user(&app, seeded.site.business_id, "olive@example.com", Role::Owner).await;
    let owner = log_in(&app, "olive@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &owner, PAGE).await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    Setup {
        app,
        seeded,
        fake,
        owner,
        csrf,
    }
}

impl Setup {
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let response = post(&self.app, &self.owner, path, &all).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn connect(&self) -> (u16, String) {
        self.post(
            "/app/settings/provider/connect",
            &[("account_sid", ACCOUNT), ("auth_token", TOKEN)],
        )
        .await
    }

    fn site(&self) -> String {
        self.seeded.site.id.0.to_string()
    }

    async fn tracked(&self, number: &str) -> Option<leadline_core::tenant::TrackingNumber> {
        self.app.store.number_by_e164(&E164::parse(number).unwrap()).await.ok()
    }

    /// The signed provider request `params` to `url`, answered status and body.
    async fn signed(&self, url: &str, params: &[(&str, &str)]) -> (u16, String) {
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let response = self
            .app
            .client
            .post(url)
            .header(
                "x-twilio-signature",
                leadline_core::twilio::signature(TOKEN, url, &owned),
            )
            .form(params)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// A site of `business` (another business's, for the tenancy checks).
async fn site_of(app: &TestApp, business: leadline_core::BusinessId) -> leadline_core::SiteId {
    use leadline_core::names::Name;
    use leadline_core::site::{Currency, SiteKey, Timezone};
    use leadline_core::store::SiteStore;
    let site = app
        .store
        .create_site(&leadline_core::tenant::NewSite {
            business_id: business,
            name: Name::parse_as("name", "Rival site").unwrap(),
            key: SiteKey::generate(),
            domains: vec![leadline_core::net::DomainName::parse("rival.example").unwrap()],
            timezone: Timezone::parse("UTC").unwrap(),
            currency: Currency::parse("USD").unwrap(),
            settings: SiteSettings::default(),
        })
        .await
        .unwrap();
    site.id
}

fn basic() -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    )
}

async fn an_owner_connects_the_account_and_a_wrong_token_is_refused_with_the_providers_message(engine: Engine) {
    let s = setup(engine).await;
    let business = s.seeded.site.business_id;

    let (status, html) = s
        .post(
            "/app/settings/provider/connect",
            &[("account_sid", ACCOUNT), ("auth_token", "a-wrong-token-long-enough")],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("the provider refused the account: Authenticate (error 20003)"),
        "{html}"
    );
    assert!(!html.contains("a-wrong-token"), "the token is never shown: {html}");
    assert_eq!(
        s.app.store.provider_account(business).await.unwrap(),
        None,
        "nothing stored"
    );

    let (status, html) = s
        .post(
            "/app/settings/provider/connect",
            &[("account_sid", "not an id!"), ("auth_token", TOKEN)],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("is not an account id"), "{html}");

    let (status, html) = s.connect().await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("it holds 1 number(s)"), "{html}");
    assert!(html.contains(ACCOUNT) && html.contains("+14155550199"), "{html}");
    assert!(!html.contains(TOKEN), "the token is never shown again: {html}");
    let stored = s.app.store.provider_account(business).await.unwrap().unwrap();
    assert_eq!(
        (stored.account_sid.as_str(), stored.auth_token.expose()),
        (ACCOUNT, TOKEN)
    );
    let lists = s.fake.requests_to(Method::GET, "/IncomingPhoneNumbers.json");
    assert!(
        lists
            .iter()
            .all(|r| r.path == format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json"))
    );
    assert_eq!(lists.iter().filter(|r| r.status == 401).count(), 1, "one refused check");
    let (_, settings) = page(&s.app, &s.owner, "/app/settings").await;
    assert!(settings.contains(r#"<a href="/app/settings/provider">"#), "{settings}");
    s.app.finish().await;
}

async fn an_owner_searches_by_area_code_and_buys_a_number_that_is_then_tracked(engine: Engine) {
    let s = setup(engine).await;
    let (status, html) = page(&s.app, &s.owner, &format!("{PAGE}?country=US&area_code=415")).await;
    assert_eq!(status, 400, "no account yet: {html}");
    assert!(html.contains("no provider account is connected"), "{html}");
    s.connect().await;

    let (status, html) = page(&s.app, &s.owner, &format!("{PAGE}?country=US&area_code=41")).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("is not an area code"), "{html}");
    assert!(
        s.fake.requests_to(Method::GET, "/Local.json").is_empty(),
        "nothing asked"
    );

    let (status, html) = page(&s.app, &s.owner, &format!("{PAGE}?country=us&area_code=415")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("+14155550123") && html.contains("San Francisco, CA"),
        "{html}"
    );
    let searched = s.fake.requests_to(Method::GET, "/Local.json");
    assert_eq!(searched.len(), 1);
    assert_eq!(
        searched[0].path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/AvailablePhoneNumbers/US/Local.json")
    );
    assert_eq!(searched[0].query_map()["AreaCode"], "415");
    assert_eq!(searched[0].header("authorization"), Some(basic().as_str()));

    let site = s.site();
    let (status, html) = s
        .post(
            "/app/settings/provider/buy",
            &[("number", "+14155550123"), ("site", &site)],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("+14155550123 is bought"), "{html}");
    let bought = s.fake.requests_to(Method::POST, "/IncomingPhoneNumbers.json");
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0].status, 201);
    assert_eq!(bought[0].header("authorization"), Some(basic().as_str()));
    let base = &s.app.base_url;
    let expected: Vec<(String, String)> = [
        ("PhoneNumber", "+14155550123".to_owned()),
        ("VoiceUrl", format!("{base}/twilio/voice")),
        ("VoiceMethod", "POST".into()),
        ("StatusCallback", format!("{base}/twilio/status?number=%2B14155550123")),
        ("StatusCallbackMethod", "POST".into()),
        ("SmsUrl", format!("{base}/twilio/sms")),
        ("SmsMethod", "POST".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(bought[0].form(), expected);

    let tracked = s.tracked("+14155550123").await.expect("the number is tracked");
    assert_eq!(tracked.site_ids, vec![s.seeded.site.id]);
    assert_eq!(
        (tracked.account_sid.as_str(), tracked.auth_token.expose()),
        (ACCOUNT, TOKEN)
    );
    let call = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("AccountSid", ACCOUNT),
        ("From", "+12025550169"),
        ("To", "+14155550123"),
        ("CallStatus", "ringing"),
    ];
    let (status, voice) = s.signed(&expected[1].1, &call).await;
    assert_eq!(status, 200, "{voice}");
    assert!(voice.contains("<Gather"), "{voice}");
    let mut ended = call.to_vec();
    ended[4] = ("CallStatus", "completed");
    let (status, answer) = s.signed(&expected[3].1, &ended).await;
    assert_eq!(status, 200, "the status callback is signed over the URL set: {answer}");

    let (status, html) = s
        .post(
            "/app/settings/provider/buy",
            &[("number", "+14155550123"), ("site", &site)],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("is already set up"), "{html}");
    assert_eq!(
        s.fake.requests_to(Method::POST, "/IncomingPhoneNumbers.json").len(),
        1,
        "not bought twice"
    );
    s.app.finish().await;
}

async fn an_owner_attaches_a_number_the_account_holds(engine: Engine) {
    let s = setup(engine).await;
    s.connect().await;
    let site = s.site();
    let (status, html) = s
        .post(
            "/app/settings/provider/attach",
            &[("number", "+14155550100"), ("site", &site)],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("does not hold +14155550100"), "{html}");

    let (status, html) = s
        .post(
            "/app/settings/provider/attach",
            &[("number", "+14155550199"), ("site", &site)],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("+14155550199 is attached"), "{html}");
    let sid = format!("PN{}", "1".repeat(32));
    let updated = s
        .fake
        .requests_to(Method::POST, &format!("/IncomingPhoneNumbers/{sid}.json"));
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].status, 200);
    assert_eq!(
        updated[0].path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{sid}.json")
    );
    assert_eq!(updated[0].header("authorization"), Some(basic().as_str()));
    let base = &s.app.base_url;
    let form = updated[0].form();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field("VoiceUrl"), Some(format!("{base}/twilio/voice")));
    assert_eq!(
        field("StatusCallback"),
        Some(format!("{base}/twilio/status?number=%2B14155550199"))
    );
    assert_eq!(field("SmsUrl"), Some(format!("{base}/twilio/sms")));
    assert_eq!(field("PhoneNumber"), None, "an update names the number by its path");
    let tracked = s.tracked("+14155550199").await.expect("tracked");
    assert_eq!(tracked.site_ids, vec![s.seeded.site.id]);
    let (_, html) = page(&s.app, &s.owner, PAGE).await;
    assert!(!html.contains("Attach +14155550199"), "now tracked: {html}");
    s.app.finish().await;
}

async fn a_provider_error_is_shown_with_its_message_and_nothing_is_tracked(engine: Engine) {
    let s = setup(engine).await;
    s.connect().await;
    let site = s.site();
    let (status, html) = s
        .post(
            "/app/settings/provider/buy",
            &[("number", "+14155550777"), ("site", &site)],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(
            "the provider refused to sell +14155550777: PhoneNumber +14155550777 is not available (error 21422)"
        ),
        "{html}"
    );
    assert!(s.tracked("+14155550777").await.is_none());

    let rival = s.app.add_business("rival", "Rival").await;
    let rival_site = site_of(&s.app, rival.id).await;
    let (status, _) = s
        .post(
            "/app/settings/provider/buy",
            &[("number", "+14155550124"), ("site", &rival_site.0.to_string())],
        )
        .await;
    assert_eq!(status, 404, "another business's site");
    assert_eq!(
        s.fake.requests_to(Method::POST, "/IncomingPhoneNumbers.json").len(),
        1,
        "not bought"
    );
    s.app.finish().await;
}

async fn a_form_without_its_token_is_refused_and_an_operator_gets_404(engine: Engine) {
    let s = setup(engine).await;
    let business = s.seeded.site.business_id;
    let response = post(
        &s.app,
        &s.owner,
        "/app/settings/provider/connect",
        &[("csrf", "forged"), ("account_sid", ACCOUNT), ("auth_token", TOKEN)],
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(s.app.store.provider_account(business).await.unwrap(), None);
    assert!(s.fake.requests().is_empty(), "the provider was not asked");

    user(&s.app, business, "otto@example.com", Role::Operator).await;
    let operator = log_in(&s.app, "otto@example.com", PASSWORD).await.unwrap();
    let (status, _) = page(&s.app, &operator, PAGE).await;
    assert_eq!(status, 404);
    let (_, html) = page(&s.app, &operator, "/app/leads").await;
    let response = post(
        &s.app,
        &operator,
        "/app/settings/provider/connect",
        &[
            ("csrf", &csrf_of(&html)),
            ("account_sid", ACCOUNT),
            ("auth_token", TOKEN),
        ],
    )
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(s.app.store.provider_account(business).await.unwrap(), None);
    s.app.finish().await;
}

crate::on_both_engines!(
    an_owner_connects_the_account_and_a_wrong_token_is_refused_with_the_providers_message,
    an_owner_searches_by_area_code_and_buys_a_number_that_is_then_tracked,
    an_owner_attaches_a_number_the_account_holds,
    a_provider_error_is_shown_with_its_message_and_nothing_is_tracked,
    a_form_without_its_token_is_refused_and_an_operator_gets_404,
);
