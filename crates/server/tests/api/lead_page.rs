//! The lead page's inline editing: contact fields, custom fields by kind, tags; links between
//! its calls and forms; refusals shown next to their field, changing nothing.

use crate::helpers::{Engine, Seeded, TestApp};
use crate::leads::submit;
use crate::operator::{PASSWORD, client, csrf_of, log_in, operator, page, post, seeded_lead};
use leadline::config::Config;
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use leadline_core::form::{FormIdentity, Submission};
use leadline_core::lead::Lead;
use leadline_core::site::SiteSettings;
use leadline_core::store::LeadStore;
use serde_json::json;

const LEAD: &str = "/app/leads/1000";

/// A lead (ref 1000) with a visit, a call and a form, an operator logged in, and the page's
/// form token.
pub(crate) async fn lead_with_call_and_form(engine: Engine) -> (TestApp, Seeded, Submission, String, String) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    seeded_lead(&app, &seeded).await;
    let identity = FormIdentity {
        visitor_key: Some("fp:ann".into()),
        ..FormIdentity::default()
    };
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    let form = submit(&app, business, site, "Ann Lee", "ann@example.com", identity).await;
    for (name, kind, required) in [
        ("budget", FieldKind::Number, false),
        ("vip", FieldKind::Boolean, false),
        ("move_date", FieldKind::Date, false),
    ] {
        let def = FieldDef {
            name: FieldName::parse(name).unwrap(),
            kind,
            required,
        };
        app.store.define_field(business, &def).await.unwrap();
    }
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (_, html) = page(&app, &cookie, LEAD).await;
    let csrf = csrf_of(&html);
    (app, seeded, form, cookie, csrf)
}

async fn lead(app: &TestApp, seeded: &Seeded) -> Lead {
    app.store.lead(seeded.site.business_id, 1000).await.unwrap()
}

async fn an_operator_edits_contact_custom_fields_and_tags_in_place(engine: Engine) {
    let (app, seeded, form, cookie, csrf) = lead_with_call_and_form(engine).await;
    let (status, html) = page(&app, &cookie, LEAD).await;
    assert_eq!(status, 200);
    assert_eq!(
        form.lead_id,
        lead(&app, &seeded).await.id,
        "the form is the call's lead's"
    );
    assert!(html.contains(r#"<li class="call" id="call-1000">"#), "{html}");
    let form_anchor = format!(r#"id="form-{}""#, form.message_id.as_str());
    assert!(html.contains(&form_anchor), "each entry has an anchor");
    assert!(
        html.contains(r##"<a href="#call-1000">Call 1000 · "##),
        "links to the call"
    );
    assert!(html.contains(&format!(r##"<a href="#form-{}">Form · "##, form.message_id.as_str())));
    assert!(html.contains(r#"name="custom.budget""#) && html.contains(r#"type="date" name="custom.move_date""#));

    let contact = [
        ("csrf", csrf.as_str()),
        ("name", "Ann Lee-Park"),
        ("email", "ann@example.com"),
        ("phone", "+1 202 555 0100"),
        ("company", "Lee & Co"),
    ];
    assert_eq!(
        post(&app, &cookie, &format!("{LEAD}/contact"), &contact).await.status(),
        303
    );
    let custom = [
        ("csrf", csrf.as_str()),
        ("custom.budget", "2,500"),
        ("custom.vip", "yes"),
        ("custom.move_date", "2026-05-01"),
    ];
    let refused = post(&app, &cookie, &format!("{LEAD}/custom"), &custom).await;
    assert_eq!(refused.status(), 400, "2,500 is not a number");
    let custom = [
        ("csrf", csrf.as_str()),
        ("custom.budget", "2500"),
        ("custom.vip", "yes"),
        ("custom.move_date", "2026-05-01"),
    ];
    assert_eq!(
        post(&app, &cookie, &format!("{LEAD}/custom"), &custom).await.status(),
        303
    );
    let tags = [("csrf", csrf.as_str()), ("add", "vip, b2b")];
    assert_eq!(post(&app, &cookie, &format!("{LEAD}/tags"), &tags).await.status(), 303);
    let remove = [("csrf", csrf.as_str()), ("remove", "b2b")];
    assert_eq!(
        post(&app, &cookie, &format!("{LEAD}/tags"), &remove).await.status(),
        303
    );

    let changed = lead(&app, &seeded).await;
    assert_eq!(changed.contact.name.as_deref(), Some("Ann Lee-Park"));
    assert_eq!(changed.contact.phone.as_ref().map(|p| p.as_str()), Some("+12025550100"));
    assert_eq!(changed.contact.company.as_deref(), Some("Lee & Co"));
    assert_eq!(changed.custom["budget"], json!(2500));
    assert_eq!(changed.custom["vip"], json!(true));
    assert_eq!(changed.custom["move_date"], json!("2026-05-01"));
    assert_eq!(changed.tags, ["vip"]);
    let activities = app
        .store
        .lead_activities(seeded.site.business_id, changed.id)
        .await
        .unwrap();
    assert_eq!(
        activities.len(),
        4,
        "contact, custom, tags added, tag removed: {activities:?}"
    );
    assert!(activities.iter().all(|a| a.author.as_str() == "user:ann@example.com"));

    let (_, html) = page(&app, &cookie, LEAD).await;
    assert!(html.contains(r#"value="Ann Lee-Park""#) && html.contains(r#"value="2500""#));
    assert!(html.contains(r#"<option value="yes" selected>yes</option>"#));
    assert!(html.contains(r#"aria-label="Remove tag vip""#), "{html}");
    app.finish().await;
}

async fn bad_edits_show_the_reason_next_to_the_field_and_change_nothing(engine: Engine) {
    let (app, seeded, _form, cookie, csrf) = lead_with_call_and_form(engine).await;
    let before = lead(&app, &seeded).await;

    let response = post(
        &app,
        &cookie,
        &format!("{LEAD}/contact"),
        &[("csrf", &csrf), ("name", "Ann"), ("email", "not-an-address")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"value="not-an-address" aria-invalid="true" aria-describedby="why-email""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="error" id="why-email" role="alert">"#),
        "{html}"
    );

    let response = post(
        &app,
        &cookie,
        &format!("{LEAD}/custom"),
        &[("csrf", &csrf), ("custom.move_date", "next week")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="why-custom.move_date" role="alert">"#), "{html}");
    assert!(html.contains(r#"value="next week""#), "what was typed is shown again");

    for bad in [
        [("csrf", csrf.as_str()), ("add", " ")],
        [("csrf", csrf.as_str()), ("add", &"t".repeat(500))],
    ] {
        let response = post(&app, &cookie, &format!("{LEAD}/tags"), &bad).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains(r#"id="why-tags" role="alert""#));
    }

    let forged = [
        ("/contact", ("name", "Mallory")),
        ("/custom", ("custom.budget", "1")),
        ("/tags", ("add", "hacked")),
    ];
    for (path, field) in forged {
        let stale = post(&app, &cookie, &format!("{LEAD}{path}"), &[("csrf", "stale"), field]).await;
        assert_eq!(stale.status(), 403, "{path}");
        let none = post(&app, &cookie, &format!("{LEAD}{path}"), &[field]).await;
        assert_eq!(none.status(), 403, "{path} without a token");
        let foreign = client()
            .post(format!("{}{LEAD}{path}", app.base_url))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .form(&[("csrf", csrf.as_str()), field])
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403, "{path} from another site");
    }
    assert_eq!(lead(&app, &seeded).await, before, "nothing changed");
    assert!(
        app.store
            .lead_activities(seeded.site.business_id, before.id)
            .await
            .unwrap()
            .is_empty()
    );

    let other = app.add_business("other", "Other").await;
    operator(&app, other.id, "mallory@example.com").await;
    let mallory = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let (_, theirs) = page(&app, &mallory, "/app/leads").await;
    let their_csrf = csrf_of(&theirs);
    let response = post(
        &app,
        &mallory,
        &format!("{LEAD}/tags"),
        &[("csrf", &their_csrf), ("add", "x")],
    )
    .await;
    assert_eq!(response.status(), 404, "another business's lead");
    assert_eq!(lead(&app, &seeded).await, before);
    app.finish().await;
}

crate::on_both_engines!(
    an_operator_edits_contact_custom_fields_and_tags_in_place,
    bad_edits_show_the_reason_next_to_the_field_and_change_nothing,
);
