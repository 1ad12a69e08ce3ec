//! Forms in a real browser: headless Chromium, driven through WebDriver (Debian's
//! `chromedriver`), types into the demo contact form and sends it. The snippet must have
//! appended the visit's identifiers as the form went off, and the submission must land on the
//! lead of that visit. The page is served as `localhost` and the form posts to `127.0.0.1`, so
//! the post crosses origins as on a real site. Skipped, saying so, only where Chromium or
//! chromedriver is missing (`.ci/run` installs both).

use crate::helpers::{Engine, Seeded, TestApp};
use crate::on_both_engines;
use crate::webdriver::{Browser, page, tools, until};
use futures::FutureExt;
use leadline::config::Config;
use leadline_core::click_id::ClickId;
use leadline_core::form::{Submission, SubmissionVia, TempId};
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, VisitStore};
use leadline_core::visit::VisitRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

/// Records the form's hidden fields each time it is submitted: the first submit is stopped
/// and kept in `window.firstSubmit`; the sent one goes to `sessionStorage`, which outlives the
/// navigation to the thank-you page (same origin, same tab).
const WATCH_FORM: &str = r#"
    const form = document.getElementById('enquiry');
    const hidden = () => Array.from(form.querySelectorAll('input[type=hidden]'), i => [i.name, i.value]);
    form.addEventListener('submit', e => { e.preventDefault(); window.firstSubmit = hidden(); }, { once: true });
    form.addEventListener('submit', () => sessionStorage.setItem('sentFields', JSON.stringify(hidden())));
"#;

/// Adds two forms that post elsewhere, one marked `data-leadline-ignore`, the other with a
/// `leadline_site` of its own; submits each (stopped) and answers the names of the inputs each
/// then holds.
const ADD_FORMS_LATER: &str = r#"
    const submitted = ignore => {
        const form = document.body.appendChild(document.createElement('form'));
        form.action = '/elsewhere';
        if (ignore) form.setAttribute('data-leadline-ignore', '');
        else form.appendChild(Object.assign(document.createElement('input'), { type: 'hidden', name: 'leadline_site', value: 'its own' }));
        form.addEventListener('submit', e => e.preventDefault());
        form.requestSubmit();
        return Array.from(form.querySelectorAll('input'), i => i.name);
    };
    return [submitted(false), submitted(true)];
"#;

/// Name → value of recorded fields; a name twice is a failure.
fn fields(recorded: &Value) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for pair in recorded.as_array().unwrap_or_else(|| panic!("no fields: {recorded}")) {
        let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        assert!(
            map.insert(name.to_owned(), value.to_owned()).is_none(),
            "{name} appears twice: {recorded}"
        );
    }
    map
}

/// A small real PNG, as a visitor would attach a photo.
fn photo(dir: &Path) -> PathBuf {
    let path = dir.join("sofa.png");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut encoder = png::Encoder::new(file, 2, 2);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[138u8, 75, 42].repeat(4)).unwrap();
    writer.finish().unwrap();
    path
}

fn unique_email() -> String {
    format!(
        "ann.{}@example.com",
        leadline_core::secret::random_token(10).to_lowercase()
    )
}

/// Fills in the demo's enquiry form.
async fn fill_in(browser: &Browser, email: &str) {
    browser.type_into("#enquiry [name=name]", "Ann Lee").await;
    browser.type_into("#enquiry [name=email]", email).await;
    browser.type_into("#enquiry [name=phone]", "(202) 555-0169").await;
    browser
        .type_into("#enquiry [name=message]", "Two dining chairs, new seats.")
        .await;
}

/// Waits until the snippet has registered the page's visit and shows its extension.
async fn registered(browser: &Browser) -> VisitRef {
    let visit = until("the snippet to register and rewrite the number", || async {
        let shown = browser
            .run(
                "const s = window.leadline && leadline.state, n = document.querySelector('.callout [data-leadline-number]');
                 return s && s.code && n.textContent.includes(' ext. ' + s.code) ? s.visit : null",
            )
            .await;
        shown.as_str().map(str::to_owned)
    })
    .await;
    VisitRef::parse(&visit).unwrap()
}

/// Watches the form, presses its button once (the submit is stopped) and answers the
/// fields the form carried at that moment.
async fn stopped_submit(browser: &Browser) -> BTreeMap<String, String> {
    browser.run(WATCH_FORM).await;
    browser.click("#enquiry button[type=submit]").await;
    let first = until("the stopped submit", || async {
        let seen = browser.run("return window.firstSubmit || null").await;
        (!seen.is_null()).then_some(seen)
    })
    .await;
    fields(&first)
}

/// Sends the form for real and waits for the thank-you state; answers the fields it carried.
async fn send(browser: &Browser) -> BTreeMap<String, String> {
    browser.click("#enquiry button[type=submit]").await;
    until("the thank-you page", || async {
        let url = browser.client.current_url().await.ok()?;
        url.query().is_some_and(|q| q.contains("sent=1")).then_some(())
    })
    .await;
    let thanked = browser
        .run("return !document.getElementById('thanks').hidden && document.getElementById('enquiry').hidden")
        .await;
    assert_eq!(thanked, json!(true), "the page shows its thank-you state");
    let sent = browser
        .run("return JSON.parse(sessionStorage.getItem('sentFields'))")
        .await;
    fields(&sent)
}

/// The submission carrying `email` on the lead of `visit`'s visitor key.
async fn submission_on_lead_of(app: &TestApp, seeded: &Seeded, visit: &VisitRef, email: &str) -> Submission {
    let site = &seeded.site;
    let stored = app.store.visit(site.id, visit).await.unwrap();
    let lead = app
        .store
        .lead_by_visitor(site.id, stored.visitor_key.as_str())
        .await
        .unwrap_or_else(|e| panic!("no lead for {}: {e}", stored.visitor_key));
    assert_eq!(lead.visitor_key.as_deref(), Some(stored.visitor_key.as_str()));
    assert_eq!(lead.contact.email.as_ref().map(|e| e.as_str()), Some(email));
    assert_eq!(lead.contact.name.as_deref(), Some("Ann Lee"));
    let submissions = app.store.lead_submissions(site.business_id, lead.id).await.unwrap();
    let submission = submissions
        .into_iter()
        .find(|s| s.fields.iter().any(|(n, v)| n == "email" && v == email))
        .unwrap_or_else(|| panic!("no submission with {email} on lead {}", lead.record_ref));
    assert_eq!(submission.via, SubmissionVia::Browser);
    assert_eq!(submission.lead_id, lead.id);
    assert!(
        submission.fields.iter().all(|(n, _)| !n.starts_with("leadline_")),
        "the snippet's fields are not the visitor's data: {:?}",
        submission.fields
    );
    submission
}

async fn a_form_sent_from_the_demo_page_lands_on_the_lead_of_its_visit(engine: Engine) {
    let Some(tools) = tools() else { return };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let browser = Browser::start(&tools).await;
    let files = tempfile::tempdir().unwrap();
    let outcome = AssertUnwindSafe(async {
        // An analytics cookie already on the site, as GA would have set it.
        browser.client.goto(&page(&app, "/demo/style.css")).await.unwrap();
        browser
            .run("document.cookie = '_ga=GA1.1.123456789.1700000000; path=/'; return null")
            .await;
        let landing = page(&app, "/demo/contact.html?gclid=TEST123");
        browser.client.goto(&landing).await.unwrap();
        let visit = registered(&browser).await;

        let email = unique_email();
        fill_in(&browser, &email).await;
        let picture = photo(files.path());
        browser
            .type_into("#enquiry [name=photo]", picture.to_str().unwrap())
            .await;
        let first = stopped_submit(&browser).await;
        assert_eq!(first["leadline_visit"], visit.as_str(), "{first:?}");
        assert!(!first.contains_key("leadline_temp"), "the visit is known: {first:?}");
        assert_eq!(first["leadline_gclid"], "TEST123");
        assert_eq!(first["leadline_ga"], "123456789.1700000000");
        assert_eq!(first["leadline_visitor"], "ga:123456789.1700000000");
        assert_eq!(first["leadline_page"], landing);
        assert_eq!(first["leadline_site"], seeded.site.key.as_str());
        assert!(!first["leadline_token"].is_empty(), "the form posts to the tracker");

        // A form added after load that posts elsewhere gets the ids but no token, and keeps
        // the site key it had; a form marked data-leadline-ignore is left alone.
        let later = browser.run(ADD_FORMS_LATER).await;
        let (elsewhere, ignored) = (&later[0], &later[1]);
        let names: Vec<&str> = elsewhere.as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(
            names,
            [
                "leadline_site",
                "leadline_visit",
                "leadline_visitor",
                "leadline_ga",
                "leadline_page",
                "leadline_gclid"
            ],
            "{later}"
        );
        assert_eq!(ignored, &json!([]), "{later}");

        let sent = send(&browser).await;
        assert_eq!(
            sent.keys().collect::<Vec<_>>(),
            first.keys().collect::<Vec<_>>(),
            "a second submit updates the fields, never adds them again"
        );
        assert_eq!(sent["leadline_visit"], visit.as_str());

        let submission = submission_on_lead_of(&app, &seeded, &visit, &email).await;
        assert_eq!(submission.visit.as_ref(), Some(&visit));
        assert_eq!(
            submission.identity.click_ids.gclid.as_ref().map(ClickId::as_str),
            Some("TEST123")
        );
        assert_eq!(
            submission.identity.ga_client_id.as_deref(),
            Some("123456789.1700000000")
        );
        assert_eq!(submission.page_url.as_deref(), Some(landing.as_str()));
        let stored = app.store.visit(seeded.site.id, &visit).await.unwrap();
        assert_eq!(stored.visitor_key.as_str(), "ga:123456789.1700000000");
        let attached: Vec<_> = submission
            .attachments
            .iter()
            .map(|a| (a.original_name.as_str(), a.content_type.as_str()))
            .collect();
        assert_eq!(attached, [("sofa.png", "image/png")]);
    })
    .catch_unwind()
    .await;
    browser.close().await;
    app.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn a_form_sent_before_registration_answers_lands_on_the_visit_by_its_temporary_id(engine: Engine) {
    let Some(tools) = tools() else { return };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        // The registration reaches the server, but its answer is held in the browser for good:
        // the page never learns its visit id.
        browser
            .devtools(
                "Fetch.enable",
                json!({ "patterns": [{ "urlPattern": "*/v1/visits", "requestStage": "Response" }] }),
            )
            .await;
        let landing = page(&app, "/demo/contact.html?gclid=TEMP456");
        browser.client.goto(&landing).await.unwrap();

        let email = unique_email();
        fill_in(&browser, &email).await;
        let first = stopped_submit(&browser).await;
        assert!(!first.contains_key("leadline_visit"), "no answer yet: {first:?}");
        assert!(!first.contains_key("leadline_token"), "no answer yet: {first:?}");
        assert_eq!(first["leadline_gclid"], "TEMP456");
        assert_eq!(first["leadline_site"], seeded.site.key.as_str());
        let temp = TempId::parse(&first["leadline_temp"]).expect("a well-formed temporary id");
        assert_eq!(
            browser.run("return window.leadline.state").await,
            Value::Null,
            "the registration's answer is held back"
        );
        let visit = until("the server to have the registration", || async {
            app.store.visit_by_temp_id(seeded.site.id, &temp).await.unwrap()
        })
        .await;

        let sent = send(&browser).await;
        assert_eq!(sent["leadline_temp"], temp.as_str());
        assert!(!sent.contains_key("leadline_visit"));

        let submission = submission_on_lead_of(&app, &seeded, &visit, &email).await;
        assert_eq!(
            submission.visit.as_ref(),
            Some(&visit),
            "exchanged through the temporary id"
        );
        assert_eq!(submission.identity.temp_id.as_ref(), Some(&temp));
        assert_eq!(
            submission.identity.click_ids.gclid.as_ref().map(ClickId::as_str),
            Some("TEMP456")
        );
        assert!(submission.attachments.is_empty());
    })
    .catch_unwind()
    .await;
    browser.close().await;
    app.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// What the page keeps on the device besides the test's own record: cookies, session and
/// local storage.
async fn kept_on_device(browser: &Browser) -> Value {
    browser
        .run(
            "return [document.cookie, Object.keys(sessionStorage).filter(k => k != 'sentFields'), Object.keys(localStorage)]",
        )
        .await
}

async fn on_a_cookieless_site_a_form_lands_on_its_visit_and_nothing_is_kept_on_the_device(engine: Engine) {
    let Some(tools) = tools() else { return };
    let settings = SiteSettings {
        cookieless: true,
        ..SiteSettings::default()
    };
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), settings).await;
    let browser = Browser::start(&tools).await;
    let outcome = AssertUnwindSafe(async {
        browser
            .client
            .goto(&page(&app, "/demo/contact.html?msclkid=NOCOOKIE"))
            .await
            .unwrap();
        let visit = registered(&browser).await;
        let nothing = json!(["", [], []]);
        assert_eq!(kept_on_device(&browser).await, nothing);

        let email = unique_email();
        fill_in(&browser, &email).await;
        let first = stopped_submit(&browser).await;
        assert_eq!(first["leadline_visit"], visit.as_str());
        assert_eq!(first["leadline_msclkid"], "NOCOOKIE");
        assert!(
            !first.contains_key("leadline_visitor"),
            "no cookie names the browser: {first:?}"
        );
        assert_eq!(kept_on_device(&browser).await, nothing);

        send(&browser).await;
        registered(&browser).await;
        assert_eq!(
            kept_on_device(&browser).await,
            nothing,
            "the thank-you page stores nothing either"
        );

        let submission = submission_on_lead_of(&app, &seeded, &visit, &email).await;
        assert_eq!(submission.visit.as_ref(), Some(&visit));
        assert_eq!(
            submission.identity.click_ids.msclkid.as_ref().map(ClickId::as_str),
            Some("NOCOOKIE")
        );
        let stored = app.store.visit(seeded.site.id, &visit).await.unwrap();
        assert!(
            stored.visitor_key.as_str().starts_with("anon:"),
            "{}",
            stored.visitor_key
        );
    })
    .catch_unwind()
    .await;
    browser.close().await;
    app.finish().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

on_both_engines!(
    a_form_sent_from_the_demo_page_lands_on_the_lead_of_its_visit,
    a_form_sent_before_registration_answers_lands_on_the_visit_by_its_temporary_id,
    on_a_cookieless_site_a_form_lands_on_its_visit_and_nothing_is_kept_on_the_device,
);
