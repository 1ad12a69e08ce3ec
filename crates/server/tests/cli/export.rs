//! `leadline conversion mark` and `leadline export`: an operator marks a call and a form,
//! then writes the Google Ads and Microsoft Advertising files; bad input changes nothing.

use crate::harness::{Cli, site_key_in};
use leadline_core::E164;
use leadline_core::call::{CallKey, CallOrigin, CallReport, MatchedBy, NewCall};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::form::{FormIdentity, MessageId, NewSubmission, SubmissionVia};
use leadline_core::lead::Contact;
use leadline_core::names::Slug;
use leadline_core::provider::{CallSid, Caller};
use leadline_core::site::{SiteKey, Timezone};
use leadline_core::store::{BusinessStore, CallStore, LeadStore, NumberStore, SiteStore, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, Selector, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use std::collections::BTreeMap;

/// What the set-up recorded: the call's ref, its local start and end, the form's id and
/// local time.
struct Recorded {
    call_ref: u64,
    call_start: String,
    call_end: String,
    message_id: String,
    form_time: String,
}

fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    let zone = Timezone::parse("America/New_York").unwrap().tz();
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A business with a site in New York and a number, through the CLI; then a call from a
/// Google ad and a form from a Microsoft ad, written to its database.
fn set_up(cli: &Cli) -> Recorded {
    cli.ok(&["business", "add", "Acme Upholstery"]);
    let out = cli.ok(&[
        "site",
        "add",
        "--business",
        "acme-upholstery",
        "--name",
        "Main",
        "--domain",
        "acme.example",
        "--timezone",
        "America/New_York",
    ]);
    let key = site_key_in(&out);
    let out = cli.run_with_stdin(
        &[
            "number",
            "add",
            "+12025550100",
            "--site",
            &key,
            "--account-sid",
            "AC123",
            "--auth-token-stdin",
        ],
        "0123456789abcdef0123456789abcdef\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(record(cli, &key))
}

async fn record(cli: &Cli, key: &str) -> Recorded {
    let store = cli.store().await;
    let business = store
        .business_by_slug(&Slug::parse("acme-upholstery").unwrap())
        .await
        .unwrap();
    let site = store.site_by_key(&SiteKey::parse(key).unwrap()).await.unwrap();
    let number = store
        .number_by_e164(&E164::parse("+12025550100").unwrap())
        .await
        .unwrap();
    let visit = NewVisit {
        site_id: site.id,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored("ga:1.1").unwrap(),
        landing_url: "https://acme.example/?gclid=Cj0KCQiA-cli".into(),
        referrer: None,
        title: None,
        attribution: Attribution {
            source: "google".into(),
            medium: "cpc".into(),
            campaign: None,
            term: None,
            content: None,
        },
        click_ids: ClickIds {
            gclid: Some(ClickId::parse(ClickKind::Gclid, "Cj0KCQiA-cli").unwrap()),
            ..ClickIds::default()
        },
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Desktop,
        temp_id: None,
        ads_consent: Default::default(),
    };
    store.register_visit(&visit, CodePlan::None).await.unwrap();
    let opened = store
        .open_call(&NewCall {
            business_id: business.id,
            site_id: site.id,
            number_id: number.id,
            provider_call_sid: CallSid::parse("CA1").unwrap(),
            caller: Caller::parse("+12025550169"),
            keyed: String::new(),
            code: None,
            selector: Selector::Plain,
            extension: None,
            origin: CallOrigin {
                matched_by: MatchedBy::Code,
                visit: Some(visit.public_id.clone()),
                intent: None,
                source_label: None,
                confidence: None,
            },
            place: Default::default(),
        })
        .await
        .unwrap();
    let report = CallReport {
        ended: true,
        duration_seconds: Some(60),
        ..CallReport::default()
    };
    let key = CallKey::Ref {
        business: business.id,
        record_ref: opened.record_ref,
    };
    let ended = store.report_call(key, &report).await.unwrap();
    let form = store
        .add_submission(&NewSubmission {
            business_id: business.id,
            site_id: site.id,
            message_id: MessageId::generate(),
            via: SubmissionVia::Processor,
            identity: FormIdentity {
                click_ids: ClickIds {
                    msclkid: Some(ClickId::parse(ClickKind::Msclkid, "msclkid-cli").unwrap()),
                    ..ClickIds::default()
                },
                ..FormIdentity::default()
            },
            contact: Contact::default(),
            fields: vec![("message".into(), "A quote".into())],
            page_url: None,
            attachments: Vec::new(),
        })
        .await
        .unwrap();
    store.close().await;
    Recorded {
        call_ref: opened.record_ref,
        call_start: local(ended.started_at),
        call_end: local(ended.ended_at.unwrap()),
        message_id: form.message_id.as_str().to_owned(),
        form_time: local(form.created_at),
    }
}

const BUSINESS: [&str; 2] = ["--business", "acme-upholstery"];

fn with<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let mut all = head.to_vec();
    all.extend_from_slice(&BUSINESS);
    all.extend_from_slice(tail);
    all
}

#[test]
fn an_operator_marks_a_call_and_a_form_and_exports_them() {
    let cli = Cli::new();
    let r = set_up(&cli);
    let call_ref = r.call_ref.to_string();
    let export = |platform: &'static str| cli.ok(&with(&["export", platform], &[]));

    let nothing = export("google-ads");
    assert_eq!(
        nothing,
        "Parameters:TimeZone=America/New_York\n\
         Google Click ID,GBRAID,WBRAID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n",
        "nothing is marked yet"
    );
    let out = cli.ok(&with(
        &["conversion", "mark"],
        &["--call", &call_ref, "--value", "1,200.50"],
    ));
    assert_eq!(out, format!("marked call {call_ref} as 'Phone Call' (1200.50 USD)\n"));
    let out = cli.ok(&with(
        &["conversion", "mark"],
        &[
            "--submission",
            &r.message_id,
            "--name",
            "Quote, signed",
            "--value",
            "15000",
            "--currency",
            "JPY",
        ],
    ));
    assert_eq!(
        out,
        format!("marked submission {} as 'Quote, signed' (15000 JPY)\n", r.message_id)
    );

    assert_eq!(
        export("google-ads"),
        format!(
            "Parameters:TimeZone=America/New_York\n\
             Google Click ID,GBRAID,WBRAID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n\
             Cj0KCQiA-cli,,,Phone Call,{},1200.50,USD\n",
            r.call_end
        )
    );
    assert_eq!(
        export("microsoft-ads"),
        format!(
            "Parameters:TimeZone=America/New_York\n\
             Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n\
             msclkid-cli,\"Quote, signed\",{},15000,JPY\n",
            r.form_time
        )
    );
    assert_eq!(
        export("google-ads-calls"),
        format!(
            "Parameters:TimeZone=America/New_York\n\
             Caller's Phone Number,Call Start Time,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n\
             +12025550169,{},Phone Call,{},1200.50,USD\n",
            r.call_start, r.call_end
        )
    );
    assert_eq!(
        cli.ok(&with(&["export", "google-ads"], &["--five-columns"])),
        format!(
            "Parameters:TimeZone=America/New_York\n\
             Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n\
             Cj0KCQiA-cli,Phone Call,{},1200.50,USD\n",
            r.call_end
        )
    );
    let out = cli.run(&with(&["export", "google-ads"], &[]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("left out 1 marked record without a Google click id"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The spreadsheet holds the same cells.
    let file = cli.path("google-ads.xlsx");
    let out = cli.run(&with(
        &["export", "google-ads"],
        &["--format", "xlsx", "--output", file.to_str().unwrap()],
    ));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 1 conversion to"));
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&file).unwrap();
    let range = book.worksheet_range("Conversions").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows[0][0], Data::String("Parameters:TimeZone=America/New_York".into()));
    assert_eq!(rows[1][0], Data::String("Google Click ID".into()));
    assert_eq!(
        rows[2],
        vec![
            Data::String("Cj0KCQiA-cli".into()),
            Data::Empty,
            Data::Empty,
            Data::String("Phone Call".into()),
            Data::String(r.call_end.clone()),
            Data::Float(1200.5),
            Data::String("USD".into()),
        ]
    );

    // A window in the past, and unmarking.
    let out = cli.ok(&with(
        &["export", "google-ads"],
        &["--from", "2020-01-01", "--to", "2020-01-31"],
    ));
    assert_eq!(out.lines().count(), 2);
    let out = cli.ok(&with(&["conversion", "unmark"], &["--call", &call_ref]));
    assert_eq!(out, format!("unmarked call {call_ref}\n"));
    let out = cli.ok(&with(&["conversion", "unmark"], &["--call", &call_ref]));
    assert_eq!(out, format!("call {call_ref} was not marked\n"));
    assert_eq!(export("google-ads").lines().count(), 2);
    let out = cli.ok(&with(&["export", "google-ads"], &["--include-unmarked"]));
    assert!(
        out.contains(&format!("Cj0KCQiA-cli,,,Phone Call,{},,\n", r.call_end)),
        "{out}"
    );
}

#[test]
fn bad_marks_and_exports_are_refused() {
    let cli = Cli::new();
    let r = set_up(&cli);
    let call_ref = r.call_ref.to_string();
    for (args, says) in [
        (
            with(&["conversion", "mark"], &["--call", "999999"]),
            "has no call 999999",
        ),
        (with(&["conversion", "mark"], &["--submission", "m_nope"]), "message id"),
        (
            with(&["conversion", "mark"], &["--call", &call_ref, "--value", "12,00"]),
            "not an amount",
        ),
        (
            with(&["conversion", "mark"], &["--call", &call_ref, "--name", " "]),
            "conversion name",
        ),
        (with(&["export", "google-ads"], &["--format", "xlsx"]), "needs --output"),
        (
            with(&["export", "google-ads"], &["--site", "aaaaaaaaaaaaaaaaaaaa"]),
            "has no site",
        ),
        (with(&["export", "google-ads"], &["--from", "March"]), "not a date"),
        (
            with(&["export", "microsoft-ads"], &["--five-columns"]),
            "--five-columns is for google-ads only",
        ),
        (
            with(
                &["export", "google-ads"],
                &["--from", "2025-03-02", "--to", "2025-03-01"],
            ),
            "not before",
        ),
    ] {
        let err = cli.refused(&args);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Neither --call nor --submission, or both: clap refuses before anything runs.
    let out = cli.run(&with(&["conversion", "mark"], &[]));
    assert_eq!(out.status.code(), Some(2));
    let out = cli.run(&with(
        &["conversion", "mark"],
        &["--call", &call_ref, "--submission", &r.message_id],
    ));
    assert_eq!(out.status.code(), Some(2));
    // Nothing was marked.
    assert_eq!(cli.ok(&with(&["export", "google-ads"], &[])).lines().count(), 2);
    // With a second site, an export names one.
    cli.ok(&[
        "site",
        "add",
        "--business",
        "acme-upholstery",
        "--name",
        "Shop",
        "--domain",
        "shop.acme.example",
    ]);
    let err = cli.refused(&with(&["export", "google-ads"], &[]));
    assert!(err.contains("several sites") && err.contains("--site"), "{err}");
}
