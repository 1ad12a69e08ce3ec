//! People in Settings: members and roles, invitations by one-time link, removing someone,
//! the last owner, and password resets by mailed link. Bad input gets the form back with the
//! reason and changes nothing.

use crate::helpers::{Engine, TestApp};
use crate::operator::{PASSWORD, client, csrf_of, log_in, page, post, user};
use crate::prompts::start_smtp_sink;
use leadline::config::Config;
use leadline_core::access::AccessStore;
use leadline_core::net::Email;
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, UserStore};
use leadline_core::tenant::Role;
use leadline_core::{BusinessId, UserId};

pub(crate) async fn user_id(app: &TestApp, email: &str) -> UserId {
    let email = Email::parse(email).unwrap();
    app.store.user_credentials(&email).await.unwrap().user.id
}

/// An owner, logged in: the business, the cookie and the page's form token.
async fn owner(app: &TestApp, business: BusinessId) -> (String, String) {
    user(app, business, "olive@example.com", Role::Owner).await;
    let cookie = log_in(app, "olive@example.com", PASSWORD).await.unwrap();
    let csrf = csrf_of(&page(app, &cookie, "/app/settings/users").await.1);
    (cookie, csrf)
}

/// The one-time link's path (`/app/…/TOKEN`) shown in `text` after `prefix`.
fn link_in(text: &str, prefix: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("a link {prefix}… in {text}"));
    let token: String = text[start + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    format!("{prefix}{token}")
}

/// Posts a form with no session, from our own page.
async fn post_open(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base_url))
        .header("origin", app.base_url.as_str())
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn an_invited_person_chooses_a_name_and_password_once_and_is_logged_in(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, acme).await;

    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Nina New"),
        ("email", "nina@example.com"),
        ("role", "operator"),
    ];
    let answer = post(&app, &cookie, "/app/settings/users", &form).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("No mail could be sent"),
        "no relay: the link is shown: {html}"
    );
    let link = link_in(&html, "/app/invitations/");
    assert!(
        !page(&app, &cookie, "/app/settings/users").await.1.contains(&link),
        "shown once"
    );

    let (status, html) = page(&app, "", &link).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("nina@example.com") && html.contains("<label>Password"),
        "{html}"
    );
    let token = csrf_of(&html);
    let short = post_open(
        &app,
        &link,
        &[("csrf", &token), ("name", "Nina"), ("password", "short")],
    )
    .await;
    assert_eq!(short.status(), 400);
    assert!(short.text().await.unwrap().contains("at least 12 are needed"));
    let forged = post_open(
        &app,
        &link,
        &[("csrf", "forged"), ("name", "Nina"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(
        app.store
            .user_credentials(&Email::parse("nina@example.com").unwrap())
            .await
            .is_err(),
        "nothing yet"
    );

    let accepted = post_open(
        &app,
        &link,
        &[("csrf", &token), ("name", "Nina Nu"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(accepted.status(), 303);
    let session = accepted.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, html) = page(&app, &session, "/app/leads").await;
    assert_eq!(status, 200, "logged in");
    assert!(html.contains("Nina Nu"), "{html}");
    assert_eq!(page(&app, &session, "/app/settings").await.0, 404, "an operator");
    let again = post_open(
        &app,
        &link,
        &[("csrf", &token), ("name", "Eve"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(again.status(), 404, "used once");
    assert!(log_in(&app, "nina@example.com", PASSWORD).await.is_ok());
    app.finish().await;
}

async fn someone_with_a_login_invited_by_another_business_becomes_a_member_and_the_mail_says_so(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = Config {
        smtp_relay_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: Some("Leadline <app@leadline.example>".into()),
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let rival = app.add_business("rival", "Rival Co").await;
    user(&app, rival.id, "ann@example.com", Role::Operator).await;
    let (cookie, csrf) = owner(&app, acme).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Ann"),
        ("email", "ANN@example.com"),
        ("role", "owner"),
    ];
    let html = post(&app, &cookie, "/app/settings/users", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("is now a member, as owner"), "{html}");
    let ann = user_id(&app, "ann@example.com").await;
    assert_eq!(app.store.member(acme, ann).await.unwrap().role, Role::Owner);
    assert_eq!(
        app.store.member(rival.id, ann).await.unwrap().role,
        Role::Operator,
        "kept"
    );
    let again = post(&app, &cookie, "/app/settings/users", &form).await;
    assert_eq!(again.status(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("a member of this business already")
    );

    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Nina"),
        ("email", "nina@example.com"),
        ("role", "operator"),
    ];
    let html = post(&app, &cookie, "/app/settings/users", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("An invitation was mailed to nina@example.com") && !html.contains("/app/invitations/"));
    let sent = sink.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "the new member's notice and the invitation");
    assert!(sent[1].rcpt_to[0].contains("nina@example.com"));
    let link = link_in(&sent[1].data, "/app/invitations/");
    assert_eq!(page(&app, "", &link).await.0, 200, "the mailed link opens");
    app.finish().await;
}

async fn bad_invitations_come_back_with_the_reason_next_to_the_field_and_change_nothing(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, acme).await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("name", "Nina"), ("email", "not-an-email"), ("role", "operator")],
            r#"id="email-error""#,
        ),
        (
            &[("name", " "), ("email", "nina@example.com"), ("role", "operator")],
            r#"id="name-error""#,
        ),
        (
            &[("name", "Nina"), ("email", "nina@example.com"), ("role", "admin")],
            r#"id="role-error""#,
        ),
    ];
    for (fields, reason) in cases {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let answer = post(&app, &cookie, "/app/settings/users", &form).await;
        assert_eq!(answer.status(), 400, "{fields:?}");
        let html = answer.text().await.unwrap();
        assert!(html.contains(reason), "{fields:?}: {html}");
    }
    let bad_role = format!("/app/settings/users/{}/role", user_id(&app, "olive@example.com").await);
    let answer = post(&app, &cookie, &bad_role, &[("csrf", &csrf), ("role", "admin")]).await;
    assert_eq!(answer.status(), 400);
    assert_eq!(app.store.list_users(acme).await.unwrap().len(), 1, "nobody invited");
    assert_eq!(app.store.list_users(acme).await.unwrap()[0].role, Role::Owner);
    app.finish().await;
}

async fn a_removed_member_is_logged_out_at_once_and_the_last_owner_stays(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let acme = seeded.site.business_id;
    let (cookie, csrf) = owner(&app, acme).await;
    let olive = user_id(&app, "olive@example.com").await;
    user(&app, acme, "otto@example.com", Role::Operator).await;
    let otto = user_id(&app, "otto@example.com").await;
    let otto_session = log_in(&app, "otto@example.com", PASSWORD).await.unwrap();
    let record_ref = crate::operator::seeded_lead(&app, &seeded).await;
    let lead_path = format!("/app/leads/{record_ref}");
    let otto_csrf = csrf_of(&page(&app, &otto_session, &lead_path).await.1);
    let notes = format!("{lead_path}/notes");
    let note = post(
        &app,
        &otto_session,
        &notes,
        &[("csrf", &otto_csrf), ("text", "Call back")],
    )
    .await;
    assert_eq!(note.status(), 303);

    for (path, fields) in [
        (
            format!("/app/settings/users/{olive}/remove"),
            vec![("csrf", csrf.as_str())],
        ),
        (
            format!("/app/settings/users/{olive}/role"),
            vec![("csrf", csrf.as_str()), ("role", "operator")],
        ),
    ] {
        let answer = post(&app, &cookie, &path, &fields).await;
        assert_eq!(answer.status(), 400, "{path}");
        let html = answer.text().await.unwrap();
        assert!(
            html.contains("the business&#x27;s last owner cannot be") || html.contains("last owner cannot be"),
            "{html}"
        );
    }
    assert_eq!(
        app.store.member(acme, olive).await.unwrap().role,
        Role::Owner,
        "nothing changed"
    );

    let promote = format!("/app/settings/users/{otto}/role");
    assert_eq!(
        post(&app, &cookie, &promote, &[("csrf", &csrf), ("role", "owner")])
            .await
            .status(),
        303
    );
    assert_eq!(
        page(&app, &otto_session, "/app/settings").await.0,
        200,
        "the role follows at once"
    );
    let demote = post(&app, &cookie, &promote, &[("csrf", &csrf), ("role", "operator")]).await;
    assert_eq!(demote.status(), 303);

    let remove = format!("/app/settings/users/{otto}/remove");
    assert_eq!(post(&app, &cookie, &remove, &[("csrf", &csrf)]).await.status(), 303);
    let (status, _) = page(&app, &otto_session, "/app/leads").await;
    assert_eq!(status, 303, "the session ended: to the login page");
    assert_eq!(
        log_in(&app, "otto@example.com", PASSWORD).await,
        Err(403),
        "in no business any more"
    );
    let html = page(&app, &cookie, "/app/settings/users").await.1;
    assert!(!html.contains("otto@example.com"), "{html}");
    let name = app
        .store
        .user_credentials(&Email::parse("otto@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(
        name.user.name.as_str(),
        "Ann Operator",
        "the person's record (and name) stays for history"
    );
    let lead = app.store.lead(acme, record_ref).await.unwrap();
    let activities = app.store.lead_activities(acme, lead.id).await.unwrap();
    assert_eq!(
        activities[0].author.as_str(),
        "user:otto@example.com",
        "the note keeps its author"
    );
    let (status, html) = page(&app, &cookie, &lead_path).await;
    assert!(status == 200 && html.contains("Call back"), "{html}");
    app.finish().await;
}

async fn a_password_reset_link_is_mailed_used_once_and_ends_every_session(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = Config {
        smtp_relay_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: Some("Leadline <app@leadline.example>".into()),
        // The per-address quota (shared with log-ins) is not what these tests are about.
        visit_registrations_per_ip_per_minute: 600,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    user(&app, seeded.site.business_id, "ann@example.com", Role::Operator).await;
    let old_session = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, login) = page(&app, "", "/app/login").await;
    assert!(login.contains(r#"href="/app/password/forgot""#), "{login}");

    let known = post_open(&app, "/app/password/forgot", &[("email", "ann@example.com")]).await;
    let unknown = post_open(&app, "/app/password/forgot", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (200, 200));
    assert_eq!(
        known.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "the same answer"
    );
    let bad = post_open(&app, "/app/password/forgot", &[("email", "not an e-mail")]).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains(r#"id="email-error""#));
    let foreign = client()
        .post(format!("{}/app/password/forgot", app.base_url))
        .header("origin", "https://evil.example")
        .form(&[("email", "ann@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let sent = sink.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one mail, to the account that exists: {sent:?}");
    let link = link_in(&sent[0].data, "/app/password/reset/");

    let (status, html) = page(&app, "", &link).await;
    assert_eq!(status, 200);
    let token = csrf_of(&html);
    let short = post_open(&app, &link, &[("csrf", &token), ("password", "short")]).await;
    assert_eq!(short.status(), 400);
    assert!(short.text().await.unwrap().contains(r#"id="password-error""#));
    assert_eq!(
        post_open(&app, &link, &[("csrf", "x"), ("password", "a brand new password")])
            .await
            .status(),
        403
    );
    assert!(
        log_in(&app, "ann@example.com", PASSWORD).await.is_ok(),
        "nothing changed yet"
    );

    let done = post_open(&app, &link, &[("csrf", &token), ("password", "a brand new password")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        page(&app, &old_session, "/app/leads").await.0,
        303,
        "every session ended"
    );
    assert_eq!(log_in(&app, "ann@example.com", PASSWORD).await, Err(401));
    assert!(log_in(&app, "ann@example.com", "a brand new password").await.is_ok());
    let again = post_open(&app, &link, &[("csrf", &token), ("password", "yet another password")]).await;
    assert_eq!(again.status(), 404, "used once");
    app.finish().await;
}

async fn reset_requests_for_one_e_mail_stop_sending_after_a_few(engine: Engine) {
    let (sink, port) = start_smtp_sink().await;
    let config = Config {
        smtp_relay_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: Some("Leadline <app@leadline.example>".into()),
        // The per-address quota (shared with log-ins) is not what these tests are about.
        visit_registrations_per_ip_per_minute: 600,
        ..Config::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, config, SiteSettings::default()).await;
    user(&app, seeded.site.business_id, "ann@example.com", Role::Operator).await;
    for _ in 0..8 {
        let answer = post_open(&app, "/app/password/forgot", &[("email", "ann@example.com")]).await;
        assert_eq!(answer.status(), 200, "the same answer, limited or not");
    }
    let sent = sink.lock().unwrap().len();
    assert_eq!(
        sent,
        leadline_core::login_throttle::FREE_FAILURES as usize,
        "then nothing for a while"
    );
    app.finish().await;
}

crate::on_both_engines!(
    an_invited_person_chooses_a_name_and_password_once_and_is_logged_in,
    someone_with_a_login_invited_by_another_business_becomes_a_member_and_the_mail_says_so,
    bad_invitations_come_back_with_the_reason_next_to_the_field_and_change_nothing,
    a_removed_member_is_logged_out_at_once_and_the_last_owner_stays,
    a_password_reset_link_is_mailed_used_once_and_ends_every_session,
    reset_requests_for_one_e_mail_stop_sending_after_a_few,
);
