//! The lead managers: the Salesforce and HubSpot adapters deliver real outbox deliveries to
//! local fakes that check every request (crm_fakes.rs), and the pull brings status changes made
//! there back as Leadline status changes, which the analytics integrations then receive. The
//! Salesforce tests are here, with what both share; HubSpot's are in crm_hubspot.rs.

use crate::crm_fakes::{FakeSalesforce, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_VERSION};
use crate::helpers::{Engine, Seeded, TestApp};
use crate::leads::{activities, call, submit, visit};
use axum::http::Method;
use chrono::Utc;
use leadline::outbox::pull::pull_once;
use leadline::outbox::{Cache, Context, Failure, Sent, adapter_for};
use leadline_core::BusinessId;
use leadline_core::event::EventKind;
use leadline_core::form::{FormIdentity, Submission};
use leadline_core::lead::{Author, FieldsPatch, Lead, LeadChange, LeadStatus, NewSale};
use leadline_core::net::Email;
use leadline_core::net::Reach;
use leadline_core::outbox::{ClaimedDelivery, DeliveryOutcome, Integration, IntegrationConfig, NewIntegration};
use leadline_core::site::SiteSettings;
use leadline_core::store::{LeadStore, OutboxStore};
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
const CAMPAIGN: &str = "7015g000000FakeAAA";

pub(crate) async fn spawn(engine: Engine) -> (TestApp, Seeded) {
    TestApp::spawn_site(engine, crate::helpers::delivering_by_hand(), SiteSettings::default()).await
}

pub(crate) async fn add(app: &TestApp, business: BusinessId, name: &str, config: IntegrationConfig) -> Integration {
    let new = NewIntegration {
        business_id: business,
        site_id: None,
        name: name.into(),
        config,
    };
    app.store.add_integration(&new).await.unwrap()
}

pub(crate) async fn add_salesforce(app: &TestApp, business: BusinessId, fake: &FakeSalesforce) -> Integration {
    let config = IntegrationConfig::Salesforce {
        login_url: format!("{}/", fake.url),
        client_id: SF_CLIENT_ID.into(),
        client_secret: SF_CLIENT_SECRET.into(),
        api_version: SF_VERSION.into(),
        campaigns: [("google / cpc".to_owned(), CAMPAIGN.to_owned())].into(),
    };
    add(app, business, "Sales org", config).await
}

/// Claims every due delivery and hands those of `integration` to its adapter, oldest event
/// first, recording each outcome as the worker does (a retry is due again at once); the
/// deliveries of other integrations are put off for a day.
pub(crate) async fn deliver(
    app: &TestApp,
    cache: &Cache,
    integration: &Integration,
    timeout: Duration,
) -> Vec<(EventKind, Result<Sent, Failure>)> {
    let now = Utc::now().timestamp_millis();
    let mut claimed = app.store.claim_deliveries(now, 60_000, 100).await.unwrap();
    claimed.sort_by_key(|d| d.id);
    let mut outcomes = Vec::new();
    for delivery in claimed {
        if delivery.integration.id != integration.id {
            let later = DeliveryOutcome::Retry {
                at: Utc::now() + chrono::Duration::days(1),
                error: "not this test's".into(),
            };
            let finished = app.store.finish_delivery(delivery.id, &delivery.lease_token, &later);
            assert!(finished.await.unwrap());
        } else {
            outcomes.push((delivery.event.kind(), attempt(app, cache, &delivery, timeout).await));
        }
    }
    outcomes
}

/// Hands a claimed delivery to its adapter and records the outcome as the worker does (a
/// retry is due again at once); answers what the adapter said.
pub(crate) async fn attempt(
    app: &TestApp,
    cache: &Cache,
    delivery: &ClaimedDelivery,
    timeout: Duration,
) -> Result<Sent, Failure> {
    let http = leadline::egress::client(TIMEOUT, Reach::PublicAndLoopback);
    let ctx = Context {
        http: &http,
        store: &app.store,
        delivery,
        timeout,
        cache,
        provider_api_base: "https://api.twilio.com",
        mailer: None,
        base_url: "http://127.0.0.1",
        push: None,
    };
    let result = adapter_for(&delivery.integration.config).deliver(&ctx).await;
    let outcome = match &result {
        Ok(sent) => DeliveryOutcome::Delivered {
            response: sent.response.clone(),
        },
        Err(Failure::Retry(error)) => DeliveryOutcome::Retry {
            at: Utc::now(),
            error: error.clone(),
        },
        Err(Failure::Permanent(error)) => DeliveryOutcome::Dead { error: error.clone() },
        Err(Failure::Wait { until, reason }) => DeliveryOutcome::Retry {
            at: *until,
            error: reason.clone(),
        },
    };
    let finished = app.store.finish_delivery(delivery.id, &delivery.lease_token, &outcome);
    assert!(finished.await.unwrap());
    result
}

pub(crate) fn kinds(outcomes: &[(EventKind, Result<Sent, Failure>)]) -> Vec<EventKind> {
    outcomes.iter().map(|(kind, _)| *kind).collect()
}

pub(crate) fn assert_all_sent(outcomes: &[(EventKind, Result<Sent, Failure>)]) {
    assert!(outcomes.iter().all(|(_, r)| r.is_ok()), "{outcomes:#?}");
}

pub(crate) async fn change(app: &TestApp, lead: &Lead, change: LeadChange) {
    app.store
        .change_lead(lead.business_id, lead.id, &Author::system(), &change)
        .await
        .unwrap();
}

/// A person submits a form on the seeded site, with no visit behind it.
pub(crate) async fn submits(app: &TestApp, seeded: &Seeded, name: &str, email: &str) -> Submission {
    let (business, site) = (seeded.site.business_id, seeded.site.id);
    submit(app, business, site, name, email, FormIdentity::default()).await
}

/// The description's lines without their time stamps.
pub(crate) fn lines(description: &Value) -> Vec<String> {
    description
        .as_str()
        .unwrap_or("")
        .lines()
        .map(|line| {
            let (stamp, text) = line.split_once(" · ").expect("stamped lines");
            assert!(stamp.ends_with(" UTC"), "{line}");
            text.to_owned()
        })
        .collect()
}

async fn a_call_becomes_a_salesforce_lead_that_follows_the_lead_and_joins_its_campaign(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let from_ads = visit(&app, seeded.site.id, "ga:111.222").await;
    let call = call(&app, &seeded, "CA-sf-1", Some(from_ads), 170).await;

    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(kinds(&outcomes), [EventKind::CallDialed, EventKind::CallCompleted]);
    assert_all_sent(&outcomes);
    let (id, lead) = sf.only_lead();
    let ours = app.store.lead(business, call.record_ref).await.unwrap();
    assert_eq!(
        app.store.external_id(integration.id, ours.id).await.unwrap(),
        Some(id.clone())
    );
    let fields = &lead.fields;
    assert_eq!(fields["LastName"], "Unknown", "required; the caller gave no name");
    assert_eq!(fields["Company"], "[not provided]", "required");
    assert_eq!(fields["Phone"], "+12025550169");
    assert_eq!(fields["LeadSource"], "google / cpc");
    assert!(!fields.contains_key("FirstName") && !fields.contains_key("Email"));
    let r = call.record_ref;
    assert_eq!(
        lines(&fields["Description"]),
        [
            format!("Call {r} from google / cpc came in"),
            format!("Call {r} from google / cpc, 3 min, answered")
        ]
    );
    let lookups = sf.requests(Method::GET, "/query");
    let lookup = lookups[0].query.as_deref().unwrap();
    let soql: String = form_urlencoded::parse(lookup.as_bytes())
        .find(|(k, _)| k == "q")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        soql,
        "SELECT Id FROM Lead WHERE IsConverted = false AND Phone = '+12025550169' ORDER BY CreatedDate DESC LIMIT 1",
        "looked for before creating"
    );
    assert_eq!(
        sf.state().members,
        [(CAMPAIGN.to_owned(), id.clone(), "Responded".to_owned())]
    );
    let joins = sf.requests(Method::POST, "/sobjects/CampaignMember/");
    assert_eq!(
        joins.iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 400],
        "the completed call asks again; DUPLICATE_VALUE counts as done"
    );
    {
        let state = sf.state();
        assert_eq!(state.tokens_issued.len(), 1, "one token for every request");
        let all = sf.all_requests();
        let api: Vec<_> = all.iter().filter(|r| r.path.starts_with("/services/data/")).collect();
        assert!(api.iter().all(|r| r.bearer() == Some(state.tokens_issued[0].as_str())));
    }

    change(&app, &ours, LeadChange::Status(LeadStatus::Qualified)).await;
    let contact = FieldsPatch {
        name: Some(Some("Ann Marie Lee".into())),
        email: Some(Some(Email::parse("ann@example.com").unwrap())),
        ..FieldsPatch::default()
    };
    change(&app, &ours, LeadChange::Fields(contact)).await;
    change(&app, &ours, LeadChange::Note("Call back Tuesday".into())).await;
    let sale = NewSale {
        currency: "USD".into(),
        revenue_minor: 12_050,
        cost_minor: 2_000,
        profit_minor: 10_050,
        call_ref: Some(r),
        form: None,
        cost_basis: None,
    };
    change(&app, &ours, LeadChange::Sale(sale)).await;
    change(
        &app,
        &ours,
        LeadChange::Tags {
            add: vec!["vip".into()],
            remove: vec![],
        },
    )
    .await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        kinds(&outcomes),
        [
            EventKind::LeadStatusChanged,
            EventKind::LeadUpdated,
            EventKind::NoteAdded,
            EventKind::SaleRecorded,
            EventKind::LeadUpdated
        ]
    );
    assert_all_sent(&outcomes);
    let (_, lead) = sf.only_lead();
    let fields = &lead.fields;
    assert_eq!(
        fields["Status"], "Working - Contacted",
        "qualified has no value of its own"
    );
    assert_eq!(
        (&fields["FirstName"], &fields["LastName"], &fields["Email"]),
        (&json!("Ann Marie"), &json!("Lee"), &json!("ann@example.com"))
    );
    assert_eq!(
        lines(&fields["Description"])[2..],
        [
            "Note: Call back Tuesday".to_owned(),
            format!("Sale of 120.50 USD (cost 20.00, profit 100.50), call {r}")
        ]
    );
    let patches = sf.requests(Method::PATCH, &format!("/sobjects/Lead/{id}"));
    assert_eq!(
        patches.len(),
        5,
        "the completed call's line, then status, contact, note, sale; tags are not sent"
    );
    assert_eq!(patches[1].json(), json!({"Status": "Working - Contacted"}));
    assert_eq!(
        patches[2].json(),
        json!({"FirstName": "Ann Marie", "LastName": "Lee", "Email": "ann@example.com"}),
        "only what changed"
    );
    sf.assert_no_problems();
    app.finish().await;
}

async fn a_salesforce_create_that_timed_out_links_the_lead_it_made_instead_of_making_another(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    sf.state().slow_creates = 1;
    let submission = submits(&app, &seeded, "Ann Lee", "ann@example.com").await;

    let first = deliver(&app, &cache, &integration, Duration::from_millis(800)).await;
    assert_eq!(kinds(&first), [EventKind::FormCompleted]);
    assert!(matches!(&first[0].1, Err(Failure::Retry(_))), "{first:?}");
    assert_eq!(sf.state().leads.len(), 1, "Salesforce made the Lead all the same");

    let second = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(kinds(&second), [EventKind::FormCompleted]);
    assert_all_sent(&second);
    let (id, lead) = sf.only_lead();
    assert_eq!(
        app.store.external_id(integration.id, submission.lead_id).await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(
        sf.requests(Method::POST, "/sobjects/Lead/").len(),
        1,
        "the retry found the Lead by its e-mail"
    );
    assert_eq!(
        lines(&lead.fields["Description"]),
        ["Form submitted"],
        "the line is not appended twice"
    );
    assert_eq!(
        (&lead.fields["FirstName"], &lead.fields["LastName"]),
        (&json!("Ann"), &json!("Lee"))
    );
    sf.assert_no_problems();
    app.finish().await;
}

async fn an_expired_salesforce_token_is_replaced_and_the_request_sent_again(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let submission = submits(&app, &seeded, "Ann Lee", "ann@example.com").await;
    assert_all_sent(&deliver(&app, &cache, &integration, TIMEOUT).await);
    sf.expire_tokens();
    let lead = app.store.lead_by_id(business, submission.lead_id).await.unwrap();
    change(&app, &lead, LeadChange::Note("Wants a quote".into())).await;

    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(kinds(&outcomes), [EventKind::NoteAdded]);
    assert_all_sent(&outcomes);
    {
        let state = sf.state();
        assert_eq!(state.tokens_issued.len(), 2);
        let reads: Vec<_> = sf
            .all_requests()
            .into_iter()
            .filter(|r| r.method == Method::GET && r.path.contains("/sobjects/Lead/"))
            .collect();
        assert_eq!(reads.len(), 2, "refused once, then sent again");
        assert_eq!((reads[0].status, reads[1].status), (401, 200));
        assert_eq!(reads[0].bearer(), Some(state.tokens_issued[0].as_str()));
        assert_eq!(reads[1].bearer(), Some(state.tokens_issued[1].as_str()));
    }
    let (_, lead) = sf.only_lead();
    assert_eq!(
        lines(&lead.fields["Description"]),
        ["Form submitted", "Note: Wants a quote"]
    );
    sf.assert_no_problems();
    app.finish().await;
}

async fn salesforce_refusals_are_final_with_its_words_and_outages_are_retried(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let refusal =
        json!([{"message": "Company: data value too large", "errorCode": "STRING_TOO_LONG", "fields": ["Company"]}]);
    sf.state().refuse_creates = Some((400, refusal));
    submits(&app, &seeded, "Ann Lee", "ann@example.com").await;
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(
        outcomes[0].1,
        Err(Failure::Permanent(
            "Salesforce Lead create: HTTP 400 Bad Request: STRING_TOO_LONG: Company: data value too large (fields: Company)"
                .into()
        ))
    );
    let dead = app.store.list_deliveries(Some(business), None, 10).await.unwrap();
    assert!(dead[0].last_error.as_deref().unwrap().contains("STRING_TOO_LONG"));

    sf.state().refuse_creates = Some((
        503,
        json!([{"message": "down for maintenance", "errorCode": "SERVER_UNAVAILABLE"}]),
    ));
    app.store
        .retry_delivery(Some(business), dead[0].id, Utc::now().timestamp_millis())
        .await
        .unwrap();
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert!(
        matches!(&outcomes[0].1, Err(Failure::Retry(m)) if m.contains("SERVER_UNAVAILABLE")),
        "{outcomes:?}"
    );

    // Wrong credentials are refused at the token endpoint, for good.
    let wrong = IntegrationConfig::Salesforce {
        login_url: sf.url.clone(),
        client_id: SF_CLIENT_ID.into(),
        client_secret: "not-the-secret".into(),
        api_version: SF_VERSION.into(),
        campaigns: Default::default(),
    };
    let wrong = add(&app, business, "Wrong org", wrong).await;
    sf.state().refuse_creates = None;
    submits(&app, &seeded, "Ben Ode", "ben@example.com").await;
    let outcomes = deliver(&app, &cache, &wrong, TIMEOUT).await;
    assert_eq!(
        outcomes[0].1,
        Err(Failure::Permanent(
            "Salesforce token: HTTP 400 Bad Request: invalid_client: invalid client credentials".into()
        ))
    );
    sf.assert_no_problems();
    app.finish().await;
}

async fn a_lead_converted_in_salesforce_becomes_converted_in_leadline_and_reaches_ga4(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let http = leadline::egress::client(TIMEOUT, Reach::PublicAndLoopback);
    let from_ads = visit(&app, seeded.site.id, "ga:111.222").await;
    let call = call(&app, &seeded, "CA-sf-2", Some(from_ads), 95).await;
    assert_all_sent(&deliver(&app, &cache, &integration, TIMEOUT).await);
    let (id, _) = sf.only_lead();
    let ga4 = IntegrationConfig::Ga4 {
        measurement_id: "G-TEST123".into(),
        api_secret: "ga4-secret".into(),
        endpoint: Some("http://127.0.0.1:9".into()),
        debug: false,
    };
    add(&app, business, "GA4", ga4).await;
    sf.salesperson_sets_status(&id, "Closed - Converted");

    let changed = pull_once(&app.store, &http, &cache, TIMEOUT).await.unwrap();
    assert_eq!(changed, 1);
    let lead = app.store.lead(business, call.record_ref).await.unwrap();
    assert_eq!(lead.status, LeadStatus::Converted);
    let recorded = activities(&app, business, call.record_ref).await;
    let (kind, author, detail) = recorded.last().unwrap();
    assert_eq!((kind.as_str(), author.as_str()), ("status", "salesforce"));
    assert_eq!(detail["to"], "converted");
    let deliveries = app.store.lead_deliveries(business, lead.id).await.unwrap();
    assert!(
        deliveries
            .iter()
            .any(|d| d.integration_kind == "ga4" && d.event_kind == EventKind::LeadStatusChanged),
        "{deliveries:#?}"
    );
    let since = sf.state().pulls_since[0];
    assert!(since <= integration.created_at - chrono::Duration::seconds(60));
    assert!(since > integration.created_at - chrono::Duration::seconds(62));
    let cursor = app.store.pull_cursor(integration.id).await.unwrap().unwrap();
    assert_eq!(
        leadline::outbox::salesforce::parse_time(&cursor).map(|t| t.timestamp_millis()),
        Some(sf.only_lead().1.modified.timestamp_millis()),
        "the cursor is the latest change seen"
    );

    // The change goes back out as nothing: Salesforce made it.
    let patched = sf.requests(Method::PATCH, &id).len();
    let outcomes = deliver(&app, &cache, &integration, TIMEOUT).await;
    assert_eq!(kinds(&outcomes), [EventKind::LeadStatusChanged]);
    assert_all_sent(&outcomes);
    assert_eq!(sf.requests(Method::PATCH, &id).len(), patched, "no echo to Salesforce");
    // And a second round changes nothing more.
    assert_eq!(pull_once(&app.store, &http, &cache, TIMEOUT).await.unwrap(), 0);
    assert_eq!(activities(&app, business, call.record_ref).await.len(), recorded.len());
    sf.assert_no_problems();
    app.finish().await;
}

async fn a_status_leadline_sent_or_changed_later_is_not_undone_by_the_pull(engine: Engine) {
    let (app, seeded) = spawn(engine).await;
    let business = seeded.site.business_id;
    let sf = FakeSalesforce::start().await;
    sf.state().batch = 1;
    let integration = add_salesforce(&app, business, &sf).await;
    let cache = Cache::default();
    let http = leadline::egress::client(TIMEOUT, Reach::PublicAndLoopback);
    let ann = submits(&app, &seeded, "Ann Lee", "ann@example.com").await;
    let ben = submits(&app, &seeded, "Ben Ode", "ben@example.com").await;
    assert_all_sent(&deliver(&app, &cache, &integration, TIMEOUT).await);
    let ann = app.store.lead_by_id(business, ann.lead_id).await.unwrap();
    let ben = app.store.lead_by_id(business, ben.lead_id).await.unwrap();
    let ben_id = app.store.external_id(integration.id, ben.id).await.unwrap().unwrap();

    // Ann is qualified in Leadline: Salesforce gets "Working - Contacted", which comes back.
    change(&app, &ann, LeadChange::Status(LeadStatus::Qualified)).await;
    assert_all_sent(&deliver(&app, &cache, &integration, TIMEOUT).await);
    // Ben is given up on in Salesforce, then qualified in Leadline before the pull runs.
    sf.salesperson_sets_status(&ben_id, "Closed - Not Converted");
    tokio::time::sleep(Duration::from_millis(20)).await;
    change(&app, &ben, LeadChange::Status(LeadStatus::Qualified)).await;

    assert_eq!(pull_once(&app.store, &http, &cache, TIMEOUT).await.unwrap(), 0);
    for lead in [&ann, &ben] {
        let now = app.store.lead_by_id(business, lead.id).await.unwrap();
        assert_eq!(now.status, LeadStatus::Qualified);
    }
    let batches = sf
        .all_requests()
        .iter()
        .filter(|r| r.path.contains("/query/01g"))
        .count();
    assert_eq!(
        batches, 1,
        "two changed Leads, one a batch: the second behind nextRecordsUrl"
    );
    sf.assert_no_problems();
    app.finish().await;
}

crate::on_both_engines!(
    a_call_becomes_a_salesforce_lead_that_follows_the_lead_and_joins_its_campaign,
    a_salesforce_create_that_timed_out_links_the_lead_it_made_instead_of_making_another,
    an_expired_salesforce_token_is_replaced_and_the_request_sent_again,
    salesforce_refusals_are_final_with_its_words_and_outages_are_retried,
    a_lead_converted_in_salesforce_becomes_converted_in_leadline_and_reaches_ga4,
    a_status_leadline_sent_or_changed_later_is_not_undone_by_the_pull,
);
