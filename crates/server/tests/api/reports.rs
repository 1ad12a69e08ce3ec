//! Reports: a seeded day of visits, calls, forms, leads and a sale, read back through
//! `GET /v1/reports/{dimension}`, the page and its CSV, on both engines; every row equals what
//! the seed says it must be. Bad parameters and another business's site are refused.

use crate::helpers::{Engine, Seeded, TestApp, key_for};
use crate::operator::{PASSWORD, log_in, operator, page};
use leadline::config::Config;
use leadline_core::call::{CallKey, CallOrigin, CallOutcome, CallReport, MatchedBy, NewCall};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::lead::{Author, LeadChange, LeadStatus, NewSale};
use leadline_core::provider::{CallSid, Caller, CallerPlace, WebLink};
use leadline_core::report::ReportStore;
use leadline_core::site::SiteSettings;
use leadline_core::store::{CallStore, LeadStore, NumberStore, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, Selector, Touch, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{LeadId, SiteId};
use serde_json::Value;
use std::collections::BTreeMap;

/// A visit of `visitor` from `source / medium`.
struct V<'a> {
    visitor: &'a str,
    source: &'a str,
    medium: &'a str,
    campaign: Option<&'a str>,
    term: Option<&'a str>,
    page: &'a str,
    device: Device,
    language: Option<&'a str>,
}

async fn visit(app: &TestApp, site: SiteId, v: V<'_>) -> VisitRef {
    let new = NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(v.visitor).unwrap(),
        landing_url: format!("https://www.acme.example{}", v.page),
        referrer: None,
        title: None,
        attribution: Attribution {
            source: v.source.into(),
            medium: v.medium.into(),
            campaign: v.campaign.map(Into::into),
            term: v.term.map(Into::into),
            content: None,
        },
        click_ids: ClickIds::default(),
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: v.device,
        temp_id: None,
        ads_consent: Default::default(),
    };
    app.store.register_visit(&new, CodePlan::None).await.unwrap();
    if let Some(language) = v.language {
        let vars = BTreeMap::from([("language".to_owned(), language.to_owned())]);
        let touch = Touch::SetVars { vars, replace: false };
        app.store
            .touch_visit(site, &new.public_id, &touch, CodePlan::None)
            .await
            .unwrap();
    }
    // Visits of one visitor must not share a millisecond: first and last touch are told apart by time.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    new.public_id
}

/// Opens a call (from `visit`, or through the offline source `label`) and ends it as `report` says.
async fn call(
    app: &TestApp,
    seeded: &Seeded,
    sid: &str,
    caller: &str,
    from: (Option<VisitRef>, Option<&str>),
    place: CallerPlace,
    report: CallReport,
) -> LeadId {
    let number = app.store.number_by_e164(&seeded.number).await.unwrap();
    let (visit, label) = from;
    let new = NewCall {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        number_id: number.id,
        provider_call_sid: CallSid::parse(sid).unwrap(),
        caller: Caller::parse(caller),
        keyed: String::new(),
        code: None,
        selector: Selector::Plain,
        extension: None,
        origin: CallOrigin {
            matched_by: if visit.is_some() {
                MatchedBy::Code
            } else {
                MatchedBy::Reserved
            },
            visit,
            intent: None,
            source_label: label.map(Into::into),
            confidence: None,
        },
        place,
    };
    let call = app.store.open_call(&new).await.unwrap();
    let sid = CallSid::parse(sid).unwrap();
    app.store
        .report_call(
            CallKey::Provider {
                number: number.id,
                sid: &sid,
            },
            &report,
        )
        .await
        .unwrap();
    LeadId(call.lead_id)
}

fn ended(outcome: Option<CallOutcome>, answered_by: Option<&str>, seconds: u32, recording: bool) -> CallReport {
    CallReport {
        outcome,
        answered_by: answered_by.map(Into::into),
        duration_seconds: Some(seconds),
        recording_url: recording.then(|| WebLink::parse("https://api.twilio.com/recordings/RE1").unwrap()),
        ended: true,
        tags: Vec::new(),
    }
}

async fn set_status(app: &TestApp, seeded: &Seeded, lead: LeadId, status: LeadStatus) {
    let change = LeadChange::Status(status);
    app.store
        .change_lead(seeded.site.business_id, lead, &Author::system(), &change)
        .await
        .unwrap();
}

/// The seed: six visitors and an offline caller. See each line for what the reports must say.
async fn seed(app: &TestApp, seeded: &Seeded) {
    let site = seeded.site.id;
    let v = |visitor, source, medium, page, device| V {
        visitor,
        source,
        medium,
        campaign: None,
        term: None,
        page,
        device,
        language: None,
    };
    // ga:1, google / cpc "spring" "Sofa Upholstery", mobile, English: calls, answered by Ann in Boston, converted, 250.00.
    let one = visit(
        app,
        site,
        V {
            campaign: Some("spring"),
            term: Some("Sofa Upholstery"),
            language: Some("en"),
            ..v("ga:1", "google", "cpc", "/sofas?gclid=x", Device::Mobile)
        },
    )
    .await;
    let place = CallerPlace::parse(Some("Boston"), Some("MA"), Some("US"));
    let lead = call(
        app,
        seeded,
        "CA1",
        "+12025550169",
        (Some(one), None),
        place,
        ended(Some(CallOutcome::Answered), Some("+12025550111"), 60, false),
    )
    .await;
    set_status(app, seeded, lead, LeadStatus::Converted).await;
    let sale = NewSale {
        currency: "USD".into(),
        revenue_minor: 25_000,
        cost_minor: 1_000,
        profit_minor: 24_000,
        call_ref: None,
        form: None,
        cost_basis: None,
    };
    app.store
        .change_lead(
            seeded.site.business_id,
            lead,
            &Author::system(),
            &LeadChange::Sale(sale),
        )
        .await
        .unwrap();
    // ga:2, google / cpc "spring" "upholstery sofa", desktop, German: a form, qualified.
    let two = visit(
        app,
        site,
        V {
            campaign: Some("spring"),
            term: Some("upholstery sofa"),
            language: Some("de"),
            ..v("ga:2", "google", "cpc", "/sofas", Device::Desktop)
        },
    )
    .await;
    let identity = leadline_core::form::FormIdentity {
        visit: Some(two),
        ..Default::default()
    };
    let form = crate_form(seeded, identity);
    let submission = app.store.add_submission(&form).await.unwrap();
    set_status(app, seeded, submission.lead_id, LeadStatus::Qualified).await;
    // ga:3, bing / cpc "brand" "couch", desktop: a London caller leaves a voicemail.
    let three = visit(
        app,
        site,
        V {
            campaign: Some("brand"),
            term: Some("couch"),
            ..v("ga:3", "bing", "cpc", "/", Device::Desktop)
        },
    )
    .await;
    call(
        app,
        seeded,
        "CA3",
        "+442079460000",
        (Some(three), None),
        CallerPlace::default(),
        ended(None, None, 40, true),
    )
    .await;
    // ga:4, direct, mobile: only visits.
    visit(app, site, v("ga:4", "(direct)", "(none)", "/", Device::Mobile)).await;
    // ga:5 first from facebook, then back from google "spring", hangs up within seconds.
    visit(app, site, v("ga:5", "facebook", "social", "/", Device::Desktop)).await;
    let five = visit(
        app,
        site,
        V {
            campaign: Some("spring"),
            ..v("ga:5", "google", "cpc", "/sofas", Device::Desktop)
        },
    )
    .await;
    call(
        app,
        seeded,
        "CA5",
        "+12025550170",
        (Some(five), None),
        CallerPlace::default(),
        ended(None, None, 3, false),
    )
    .await;
    // The radio spot's reserved code: answered by Ben.
    call(
        app,
        seeded,
        "CA6",
        "+12025550180",
        (None, Some("Radio spot")),
        CallerPlace::default(),
        ended(Some(CallOutcome::Answered), Some("+12025550112"), 90, false),
    )
    .await;
}

fn crate_form(seeded: &Seeded, identity: leadline_core::form::FormIdentity) -> leadline_core::form::NewSubmission {
    leadline_core::form::NewSubmission {
        business_id: seeded.site.business_id,
        site_id: seeded.site.id,
        message_id: leadline_core::form::MessageId::generate(),
        via: leadline_core::form::SubmissionVia::Browser,
        identity,
        contact: leadline_core::lead::Contact {
            name: Some("Bea".into()),
            ..Default::default()
        },
        fields: vec![("message".into(), "Call me".into())],
        page_url: Some("https://acme.example/contact".into()),
        attachments: Vec::new(),
    }
}

/// The report once every stale day has been rebuilt (the background job runs every 100 ms).
async fn report(app: &TestApp, key: &str, path: &str) -> Value {
    for _ in 0..200 {
        let response = app
            .client
            .get(format!("{}{path}", app.base_url))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        if body["stale_days"] == 0 {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path}: the rollups never caught up");
}

/// Each row's value with the named figures, e.g. `[("google / cpc", [3, 2, …])]`.
fn rows(body: &Value, figures: &[&str]) -> BTreeMap<String, Vec<i64>> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let values = figures.iter().map(|f| row["metrics"][f].as_i64().unwrap()).collect();
            (row["value"].as_str().unwrap().to_owned(), values)
        })
        .collect()
}

fn expect(pairs: &[(&str, &[i64])]) -> BTreeMap<String, Vec<i64>> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.to_vec())).collect()
}

const COUNTS: [&str; 8] = [
    "visits",
    "calls",
    "answered",
    "missed",
    "abandoned",
    "forms",
    "leads",
    "qualified",
];

async fn every_report_counts_exactly_what_was_recorded(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = key_for(&app, seeded.site.business_id).await.key;
    seed(&app, &seeded).await;
    let source = report(&app, &key, "/v1/reports/source").await;
    assert_eq!(source["model"], "last");
    assert_eq!(
        rows(&source, &COUNTS),
        expect(&[
            ("google / cpc", &[3, 2, 1, 0, 1, 1, 3, 2]),
            ("bing / cpc", &[1, 1, 0, 1, 0, 0, 1, 0]),
            ("facebook / social", &[1, 0, 0, 0, 0, 0, 0, 0]),
            ("(direct) / (none)", &[1, 0, 0, 0, 0, 0, 0, 0]),
            ("Radio spot / offline", &[0, 1, 1, 0, 0, 0, 1, 0]),
        ])
    );
    assert_eq!(source["rows"][0]["value"], "google / cpc", "most visits first");
    let google = &source["rows"][0]["metrics"];
    assert_eq!(
        (google["revenue"].as_str(), google["revenue_minor"].as_i64()),
        (Some("250.00"), Some(25_000))
    );
    assert_eq!(
        (google["converted"].as_i64(), google["profit"].as_str()),
        (Some(1), Some("240.00"))
    );
    assert_eq!(google["visit_to_lead"].as_f64(), Some(1.0));
    assert_eq!(source["total"]["visits"], 6);
    assert_eq!(source["total"]["calls"], 4);
    assert_eq!(source["total"]["first_time_callers"], 4);

    let first = report(&app, &key, "/v1/reports/source?model=first").await;
    let leads = rows(&first, &["leads"]);
    assert_eq!(leads["google / cpc"], vec![2], "ga:5 came first from facebook");
    assert_eq!(leads["facebook / social"], vec![1]);
    assert_eq!(
        rows(&first, &["visits"])["google / cpc"],
        vec![3],
        "visits count under their own visit"
    );

    let dimension = |path: &'static str, figures: &'static [&'static str]| {
        let app = &app;
        let key = &key;
        async move { rows(&report(app, key, path).await, figures) }
    };
    assert_eq!(
        dimension("/v1/reports/campaign", &["visits", "calls"]).await,
        expect(&[("spring", &[3, 2]), ("brand", &[1, 1]), ("(none)", &[2, 1])])
    );
    assert_eq!(
        dimension("/v1/reports/keyword", &["visits"]).await,
        expect(&[
            ("Sofa Upholstery", &[1]),
            ("upholstery sofa", &[1]),
            ("couch", &[1]),
            ("(none)", &[3])
        ])
    );
    assert_eq!(
        dimension("/v1/reports/device", &["visits"]).await,
        expect(&[("mobile", &[2]), ("desktop", &[4]), ("(none)", &[0])])
    );
    assert_eq!(
        dimension("/v1/reports/landing-page", &["visits", "forms"]).await,
        expect(&[
            ("acme.example/sofas", &[3, 1]),
            ("acme.example/", &[3, 0]),
            ("(none)", &[0, 0])
        ])
    );
    assert_eq!(
        dimension("/v1/reports/operator", &["calls", "answered"]).await,
        expect(&[("Ann", &[1, 1]), ("Ben", &[1, 1]), ("(none)", &[2, 0])])
    );
    assert_eq!(
        dimension("/v1/reports/country", &["calls"]).await,
        expect(&[("US", &[3]), ("GB", &[1]), ("(none)", &[0])])
    );
    assert_eq!(
        dimension("/v1/reports/city", &["calls"]).await,
        expect(&[("Boston", &[1]), ("(none)", &[3])])
    );
    assert_eq!(
        dimension("/v1/reports/variable?variable=language", &["visits"]).await,
        expect(&[("en", &[1]), ("de", &[1]), ("(not set)", &[4])])
    );
    assert_eq!(
        dimension("/v1/reports/returning", &["visits"]).await,
        expect(&[("first-time", &[5]), ("returning", &[1])])
    );
    // Keyword variants land in one master phrase; ads in their master ad by its rules.
    assert_eq!(
        dimension("/v1/reports/master-phrase", &["visits"]).await,
        expect(&[("sofa upholstery", &[2]), ("couch", &[1]), ("(none)", &[3])])
    );
    let spring = leadline_core::adgroup::AdRule {
        source: Some(leadline_core::adgroup::Pattern::parse_as("source", "goo*").unwrap()),
        campaign: Some(leadline_core::adgroup::Pattern::parse_as("campaign", "spring").unwrap()),
        content: None,
    };
    let ad = leadline_core::adgroup::NewMasterAd {
        name: leadline_core::names::Name::parse_as("name", "Spring sofas").unwrap(),
        rules: vec![spring],
    };
    leadline_core::adgroup::AdGroupStore::create_master_ad(&app.store, seeded.site.business_id, &ad)
        .await
        .unwrap();
    assert_eq!(
        dimension("/v1/reports/master-ad", &["visits", "leads"]).await,
        expect(&[
            ("Spring sofas", &[3, 3]),
            ("bing / brand", &[1, 1]),
            ("facebook", &[1, 0]),
            ("(direct)", &[1, 0]),
            ("(none)", &[0, 1])
        ])
    );
    let daily = report(&app, &key, "/v1/reports/source?compare=true").await;
    let days = daily["daily"].as_array().unwrap();
    assert_eq!(days.len(), 30, "the last 30 days by default");
    assert_eq!(
        days.iter()
            .map(|d| d["metrics"]["calls"].as_i64().unwrap())
            .sum::<i64>(),
        4
    );
    assert!(days.iter().all(|d| d["previous"]["calls"] == 0), "nothing before");
    assert_eq!(daily["previous_total"]["visits"], 0);
    // Every rollup the background job kept equals a recount of the raw records.
    for day in days {
        let day = chrono::NaiveDate::parse_from_str(day["day"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        let stored = app.store.stored_report_day(seeded.site.id, day).await.unwrap();
        assert_eq!(
            stored,
            app.store.recount_report_day(seeded.site.id, day).await.unwrap(),
            "{day}"
        );
    }
    app.finish().await;
}

async fn the_page_and_its_csv_show_the_report_with_its_charts(engine: Engine) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    let key = key_for(&app, seeded.site.business_id).await.key;
    seed(&app, &seeded).await;
    report(&app, &key, "/v1/reports/source").await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    let (status, html) = page(&app, &cookie, "/app/reports?dimension=source&compare=on").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("leads credited by last touch"), "the model is named");
    assert!(html.contains(r#"<th scope="row">google / cpc</th>"#), "{html}");
    assert!(html.contains(r#"aria-sort="descending""#), "sorted by visits");
    assert!(
        html.contains(r#"<svg role="img" aria-labelledby="daily-caption""#),
        "the daily chart"
    );
    assert!(
        html.contains(r#"aria-labelledby="funnel-caption""#) && html.contains("250.00 USD"),
        "the funnel with revenue"
    );
    assert!(
        html.contains(r#"<th scope="row">Radio spot / offline</th><td class="num">1 (20%)</td>"#),
        "the share table: {html}"
    );
    assert!(html.contains("was 0"), "the previous period");
    assert!(!html.contains("style="), "no inline style under the CSP");

    let response = crate::operator::client()
        .get(format!("{}/app/reports.csv?dimension=campaign", app.base_url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("report-campaign-")
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("Campaign,Visits,Calls,Answered"));
    assert!(
        csv.contains("\nspring,3,2,1,0,1,2,1,3,2,1,250.00,10.00,240.00,100.0%,83.33\n"),
        "{csv}"
    );
    assert!(csv.contains("\nTotal,6,4,"), "{csv}");
    app.finish().await;
}

crate::on_both_engines!(
    every_report_counts_exactly_what_was_recorded,
    the_page_and_its_csv_show_the_report_with_its_charts,
);
