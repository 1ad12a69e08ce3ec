//! The operator's lead page: a login, the lead with its timeline, and a note, a status change
//! and a sale recorded by the logged-in operator. Another business's lead is a 404.

use crate::helpers::{Engine, Seeded, TestApp};
use leadline::config::Config;
use leadline_core::BusinessId;
use leadline_core::conversion::ConversionStore;
use leadline_core::conversion::{ConversionKind, ConversionQuery, ConversionRecord};
use leadline_core::lead::{ActivityKind, LeadStatus};
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::NewPassword;
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, UserStore};
use leadline_core::tenant::{NewUser, Role};
use reqwest::redirect::Policy;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) async fn operator(app: &TestApp, business: BusinessId, email: &str) {
    user(app, business, email, Role::Operator).await;
}

/// Creates a user named Ann Operator with `role` and the test password.
pub(crate) async fn user(app: &TestApp, business: BusinessId, email: &str, role: Role) {
    let new = NewUser {
        business_id: business,
        email: Email::parse(email).unwrap(),
        name: Name::parse_as("n", "Ann Operator").unwrap(),
        role,
        password_hash: NewPassword::parse(PASSWORD).unwrap().hash(),
    };
    app.store.create_user(&new).await.unwrap();
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Logs in and answers the session cookie (`name=value`).
pub(crate) async fn log_in(app: &TestApp, email: &str, password: &str) -> Result<String, u16> {
    let response = client()
        .post(format!("{}/app/login", app.base_url))
        .form(&[("email", email), ("password", password), ("next", "/app/leads/1000")])
        .send()
        .await
        .unwrap();
    if response.status() != 303 {
        return Err(response.status().as_u16());
    }
    assert_eq!(response.headers()["location"], "/app/leads/1000");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    Ok(cookie.split(';').next().unwrap().to_owned())
}

pub(crate) async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let response = client()
        .get(format!("{}{path}", app.base_url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) async fn post(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", cookie)
        .header("origin", app.base_url.as_str())
        .form(fields)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn seeded_lead(app: &TestApp, seeded: &Seeded) -> u64 {
    let visit = crate::leads::visit(app, seeded.site.id, "fp:ann").await;
    let call = crate::leads::call(app, seeded, "CA-operator-1", Some(visit), 125).await;
    call.record_ref
}

async fn an_operator_logs_in_and_works_a_lead_from_its_page(engine: Engine) {
    let config = Config::default();
    let (app, seeded) = TestApp::spawn_site(
        engine,
        config,
        SiteSettings {
            cost_per_minute_minor: 50,
            ..SiteSettings::default()
        },
    )
    .await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    let record_ref = seeded_lead(&app, &seeded).await;
    assert_eq!(record_ref, 1000);

    let (status, _) = page(&app, "leadline_session=forged", "/app/leads/1000").await;
    assert_eq!(status, 303, "no session: to the login page");
    assert_eq!(log_in(&app, "ann@example.com", "wrong password!!").await, Err(401));
    assert_eq!(log_in(&app, "nobody@example.com", PASSWORD).await, Err(401));
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();

    let (status, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Call 1000") && html.contains("Visit from google / cpc"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let path = "/app/leads/1000";
    assert_eq!(
        post(
            &app,
            &cookie,
            &format!("{path}/notes"),
            &[("csrf", &csrf), ("text", "Wants <b>blue</b> velvet")]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        post(
            &app,
            &cookie,
            &format!("{path}/status"),
            &[("csrf", &csrf), ("status", "qualified")]
        )
        .await
        .status(),
        303
    );
    let sale = [
        ("csrf", csrf.as_str()),
        ("revenue", "1,200.50"),
        ("cost_from_calls", "on"),
    ];
    assert_eq!(post(&app, &cookie, &format!("{path}/sales"), &sale).await.status(), 303);

    let (_, html) = page(&app, &cookie, path).await;
    assert!(
        html.contains("Wants &#60;b&#62;blue&#60;/b&#62; velvet")
            || html.contains("Wants &lt;b&gt;blue&lt;/b&gt; velvet"),
        "notes are escaped: {html}"
    );
    assert!(
        html.contains("Revenue 1200.50 · cost 1.50 · profit 1199.00 USD"),
        "{html}"
    );
    let lead = app.store.lead(seeded.site.business_id, record_ref).await.unwrap();
    assert_eq!(lead.status, LeadStatus::Qualified);
    let activities = app
        .store
        .lead_activities(seeded.site.business_id, lead.id)
        .await
        .unwrap();
    let kinds: Vec<ActivityKind> = activities.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [ActivityKind::Note, ActivityKind::Status, ActivityKind::Sale]);
    assert!(activities.iter().all(|a| a.author.as_str() == "user:ann@example.com"));
    assert_eq!(activities[2].detail["cost_basis"], "3 call minutes × 0.50 USD");
    app.finish().await;
}

async fn bad_operator_posts_change_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    seeded_lead(&app, &seeded).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let csrf = csrf_of(&html);
    assert_eq!(
        post(
            &app,
            &cookie,
            "/app/leads/1000/notes",
            &[("csrf", "stale"), ("text", "x")]
        )
        .await
        .status(),
        403
    );
    let foreign = client()
        .post(format!("{}/app/leads/1000/notes", app.base_url))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let bad_sale = post(
        &app,
        &cookie,
        "/app/leads/1000/sales",
        &[("csrf", &csrf), ("revenue", "12.345")],
    )
    .await;
    assert_eq!(bad_sale.status(), 400);
    assert!(bad_sale.text().await.unwrap().contains("more decimals than USD has"));
    let no_rate = post(
        &app,
        &cookie,
        "/app/leads/1000/sales",
        &[("csrf", &csrf), ("revenue", "5"), ("cost_from_calls", "on")],
    )
    .await;
    assert!(no_rate.text().await.unwrap().contains("no cost per minute"));
    let bad_status = post(
        &app,
        &cookie,
        "/app/leads/1000/status",
        &[("csrf", &csrf), ("status", "won")],
    )
    .await;
    assert_eq!(bad_status.status(), 400);
    let lead = app.store.lead(seeded.site.business_id, 1000).await.unwrap();
    assert!(
        app.store
            .lead_activities(seeded.site.business_id, lead.id)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    let logged_out = post(&app, &cookie, "/app/logout", &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(logged_out.status(), 303);
    assert_eq!(page(&app, &cookie, "/app/leads/1000").await.0, 303, "logged out");
    app.finish().await;
}

async fn an_operator_never_sees_another_business_lead(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    seeded_lead(&app, &seeded).await;
    let other = app.add_business("other", "Other").await;
    operator(&app, other.id, "mallory@example.com").await;
    let cookie = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let (status, body) = page(&app, &cookie, "/app/leads/1000").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        post(&app, &cookie, "/app/leads/1000/notes", &[("csrf", "x"), ("text", "x")])
            .await
            .status(),
        403
    );
    app.finish().await;
}

/// Posts the demo-like contact form with a file, as a browser does.
pub(crate) async fn form_with_file(app: &TestApp, seeded: &Seeded, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("leadline_site", seeded.site.key.as_str().to_owned())
        .text("email", "ann@example.com")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    app.client
        .post(format!("{}/v1/forms", app.base_url))
        .header("origin", "http://localhost")
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";

async fn an_operator_downloads_a_form_attachment_from_the_lead_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    let refused = form_with_file(&app, &seeded, "setup.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused.text().await.unwrap().contains("setup.exe"),
        "the refusal names the file"
    );
    let sent = form_with_file(&app, &seeded, "quote.pdf", PDF.to_vec()).await;
    assert_eq!(sent.status(), 201);
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert_eq!(status, 200, "{html}");
    let start = html.find("/app/attachments/").expect("a download link on the page");
    let link = html[start..].split('"').next().unwrap().to_owned();
    let download = client()
        .get(format!("{}{link}", app.base_url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    assert_eq!(
        client()
            .get(format!("{}{link}", app.base_url))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "login first"
    );

    let other = app.add_business("other", "Other").await;
    operator(&app, other.id, "mallory@example.com").await;
    let foreign = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let stolen = client()
        .get(format!("{}{link}", app.base_url))
        .header("cookie", &foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 404);
    app.finish().await;
}

async fn an_operator_marks_a_call_as_an_ad_conversion_from_the_lead_page(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    seeded_lead(&app, &seeded).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, "/app/leads/1000").await;
    assert!(html.contains(r#"name="record" value="call:1000""#), "{html}");
    let csrf = csrf_of(&html);
    let path = "/app/leads/1000/conversions";
    let foreign = "call:99999".to_owned();
    let stolen = post(
        &app,
        &cookie,
        path,
        &[("csrf", &csrf), ("record", &foreign), ("name", "")],
    )
    .await;
    assert_eq!(
        stolen.status(),
        404,
        "another lead's call cannot be marked from this page"
    );
    let marked = post(
        &app,
        &cookie,
        path,
        &[("csrf", &csrf), ("record", "call:1000"), ("name", "Qualified call")],
    )
    .await;
    assert_eq!(marked.status(), 200);
    assert!(
        marked
            .text()
            .await
            .unwrap()
            .contains("Call 1000 is marked as the ad conversion &#34;Qualified call&#34;"),
        "a notice says so"
    );
    let query = ConversionQuery {
        business: seeded.site.business_id,
        site: None,
        kind: ConversionKind::Call,
        from: None,
        to: None,
        include_unmarked: false,
    };
    let rows = app.store.conversion_rows(&query).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record, ConversionRecord::Call { record_ref: 1000 });
    assert_eq!(rows[0].name.as_str(), "Qualified call");
    app.finish().await;
}

crate::on_both_engines!(
    an_operator_marks_a_call_as_an_ad_conversion_from_the_lead_page,
    an_operator_downloads_a_form_attachment_from_the_lead_page,
    an_operator_logs_in_and_works_a_lead_from_its_page,
    bad_operator_posts_change_nothing,
    an_operator_never_sees_another_business_lead,
);
