//! Leads: how submissions and calls find their lead, what a submission keeps, and (in the
//! submodules) changes, lists and tenant isolation.

mod changes;
mod isolation;
mod lists;

use crate::conformance;
use crate::fixtures::{business, site, tracking_number};
use leadline_core::call::{Call, CallOrigin, MatchedBy, NewCall};
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::form::{FormIdentity, MessageId, NewAttachment, NewSubmission, StoredName, SubmissionVia, TempId};
use leadline_core::lead::{Contact, LeadMatch};
use leadline_core::net::Email;
use leadline_core::secret::Secret;
use leadline_core::store::{CallStore, LeadStore, StoreError, VisitStore};
use leadline_core::visit::{CodePlan, NewVisit, Selector, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{BusinessId, E164, NumberId, SiteId};
use leadline_store::SqlStore;
use std::collections::BTreeMap;

/// A business with a site and a tracking number.
pub struct Setup {
    pub business: BusinessId,
    pub site: SiteId,
    pub number: NumberId,
}

pub async fn setup(store: &SqlStore, slug: &str, number: &str) -> Setup {
    let b = business(store, slug).await;
    let s = site(store, b.id, &format!("{slug}.example")).await;
    Setup {
        business: b.id,
        site: s.id,
        number: tracking_number(store, s.id, number).await.number,
    }
}

/// A visit from google / cpc, optionally registered under a temporary id.
pub async fn visit_with(store: &SqlStore, site: SiteId, visitor: &str, temp: Option<TempId>) -> VisitRef {
    let new = NewVisit {
        site_id: site,
        public_id: VisitRef::generate(),
        visitor_key: VisitorKey::from_stored(visitor).unwrap(),
        landing_url: "https://acme.example/?gclid=abc".into(),
        referrer: None,
        title: None,
        attribution: Attribution {
            source: "google".into(),
            medium: "cpc".into(),
            campaign: None,
            term: None,
            content: None,
        },
        click_ids: ClickIds::default(),
        ga_cookie: None,
        ga_streams: BTreeMap::new(),
        utma: None,
        device: Device::Desktop,
        temp_id: temp,
        ads_consent: Default::default(),
    };
    store.register_visit(&new, CodePlan::None).await.unwrap();
    new.public_id
}

pub async fn visit(store: &SqlStore, site: SiteId, visitor: &str) -> VisitRef {
    visit_with(store, site, visitor, None).await
}

pub fn contact(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> Contact {
    Contact {
        name: name.map(str::to_owned),
        email: email.map(|e| Email::parse(e).unwrap()),
        phone: phone.map(|p| E164::parse(p).unwrap()),
        company: None,
    }
}

/// A browser submission on the setup's site.
pub fn form(s: &Setup, contact: Contact, identity: FormIdentity) -> NewSubmission {
    NewSubmission {
        business_id: s.business,
        site_id: s.site,
        message_id: MessageId::generate(),
        via: SubmissionVia::Browser,
        identity,
        contact,
        fields: vec![("message".into(), "Call me back".into())],
        page_url: Some("https://acme.example/contact".into()),
        attachments: Vec::new(),
    }
}

pub fn keyed(visitor_key: &str) -> FormIdentity {
    FormIdentity {
        visitor_key: Some(visitor_key.into()),
        ..FormIdentity::default()
    }
}

pub fn from_visit(visit: &VisitRef, form_key: Option<&str>) -> FormIdentity {
    FormIdentity {
        visit: Some(visit.clone()),
        visitor_key: form_key.map(str::to_owned),
        ..FormIdentity::default()
    }
}

/// Opens a call on the setup's site.
pub async fn call(store: &SqlStore, s: &Setup, sid: &str, caller: &str, visit: Option<VisitRef>) -> Call {
    call_with_label(store, s, sid, caller, visit, None).await
}

pub async fn call_with_label(
    store: &SqlStore,
    s: &Setup,
    sid: &str,
    caller: &str,
    visit: Option<VisitRef>,
    label: Option<&str>,
) -> Call {
    store
        .open_call(&new_call_on(s, sid, caller, visit, label))
        .await
        .unwrap()
}

/// The call [`call_with_label`] opens, for a test to change before opening it.
pub fn new_call_on(s: &Setup, sid: &str, caller: &str, visit: Option<VisitRef>, label: Option<&str>) -> NewCall {
    NewCall {
        business_id: s.business,
        site_id: s.site,
        number_id: s.number,
        provider_call_sid: leadline_core::provider::CallSid::parse(sid).unwrap(),
        caller: leadline_core::provider::Caller::parse(caller),
        keyed: String::new(),
        code: None,
        selector: Selector::Plain,
        extension: None,
        origin: CallOrigin {
            matched_by: if visit.is_some() {
                MatchedBy::Code
            } else {
                MatchedBy::None
            },
            visit,
            intent: None,
            source_label: label.map(str::to_owned),
            confidence: None,
        },
        place: Default::default(),
    }
}

async fn a_stranger_gets_a_new_lead_with_a_fresh_ref(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let first_call = call(&store, &s, "CA1", "+12025550169", None).await;
    let new = form(
        &s,
        contact(Some("Ann"), Some("ann@example.com"), None),
        FormIdentity::default(),
    );
    let sub = store.add_submission(&new).await.unwrap();
    assert_eq!(sub.matched_by, LeadMatch::New);
    assert_ne!(sub.lead_id.0, first_call.lead_id);
    let lead = store.lead_by_id(s.business, sub.lead_id).await.unwrap();
    assert_eq!(
        lead.record_ref,
        first_call.record_ref + 1,
        "calls and leads share the counter"
    );
    assert_eq!(lead.site_id, Some(s.site));
    assert_eq!(lead.source, None, "no visit, no source");
    assert_eq!(lead.contact.name.as_deref(), Some("Ann"));
    assert_eq!(store.lead(s.business, lead.record_ref).await.unwrap().id, lead.id);
}

async fn a_known_visit_gives_its_key_and_source_to_a_new_lead(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), None),
            from_visit(&v, Some("fp:form-key")),
        ))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.visit.as_ref()), (LeadMatch::New, Some(&v)));
    let lead = store.lead_by_id(s.business, sub.lead_id).await.unwrap();
    assert_eq!(lead.visitor_key.as_deref(), Some("ga:1.1"), "the visit's own key wins");
    assert_eq!(lead.source.as_deref(), Some("google / cpc"));
}

async fn the_visit_own_key_wins_over_the_form_key(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let by_form_key = store
        .add_submission(&form(&s, Contact::default(), keyed("fp:form-key")))
        .await
        .unwrap();
    let v = visit(&store, s.site, "ga:1.1").await;
    let by_visit = call(&store, &s, "CA1", "+12025550169", Some(v.clone())).await;
    let sub = store
        .add_submission(&form(&s, Contact::default(), from_visit(&v, Some("fp:form-key"))))
        .await
        .unwrap();
    assert_eq!(sub.matched_by, LeadMatch::VisitorKey);
    assert_eq!(sub.lead_id.0, by_visit.lead_id);
    assert_ne!(sub.lead_id, by_form_key.lead_id);
}

async fn the_form_key_counts_when_the_visit_is_unknown(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let first = store
        .add_submission(&form(&s, Contact::default(), keyed("fp:form-key")))
        .await
        .unwrap();
    let unknown = VisitRef::generate();
    let sub = store
        .add_submission(&form(&s, Contact::default(), from_visit(&unknown, Some("fp:form-key"))))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.lead_id), (LeadMatch::VisitorKey, first.lead_id));
    assert_eq!(sub.visit, None);
    assert_eq!(
        sub.identity.visit.as_ref(),
        Some(&unknown),
        "what the form said is kept"
    );
}

async fn the_visitor_key_beats_the_email(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let by_email = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    let by_key = store
        .add_submission(&form(&s, Contact::default(), keyed("fp:ann-laptop")))
        .await
        .unwrap();
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), None),
            keyed("fp:ann-laptop"),
        ))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.lead_id), (LeadMatch::VisitorKey, by_key.lead_id));
    assert_ne!(sub.lead_id, by_email.lead_id);
}

async fn the_email_beats_the_phone(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let by_phone = call(&store, &s, "CA1", "+12025550169", None).await;
    let by_email = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, Some("ann@example.com"), Some("+12025550169")),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.lead_id), (LeadMatch::Email, by_email.lead_id));
    assert_ne!(sub.lead_id.0, by_phone.lead_id);
}

async fn an_email_matches_whatever_its_case(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let first = store
        .add_submission(&form(
            &s,
            contact(None, Some("Ann.Lee@Example.com"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, Some("ANN.LEE@EXAMPLE.COM"), None),
            FormIdentity::default(),
        ))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.lead_id), (LeadMatch::Email, first.lead_id));
    let lead = store.lead_by_id(s.business, first.lead_id).await.unwrap();
    assert_eq!(lead.contact.email.unwrap().as_str(), "ann.lee@example.com");
}

async fn the_phone_matches_when_nothing_else_does(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let by_phone = call(&store, &s, "CA1", "+12025550169", None).await;
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, Some("bob@example.com"), Some("+1 202 555 0169")),
            keyed("fp:bob"),
        ))
        .await
        .unwrap();
    assert_eq!((sub.matched_by, sub.lead_id.0), (LeadMatch::Phone, by_phone.lead_id));
}

async fn contact_details_are_filled_but_never_overwritten(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let mut first = form(
        &s,
        contact(Some("Ann"), Some("ann@example.com"), None),
        FormIdentity::default(),
    );
    first.contact.company = Some("  ".into());
    let created = store.add_submission(&first).await.unwrap();
    let before = store.lead_by_id(s.business, created.lead_id).await.unwrap();
    let v = visit(&store, s.site, "ga:9.9").await;
    let mut second = form(
        &s,
        contact(Some("Annie"), Some("ann@example.com"), Some("+12025550169")),
        from_visit(&v, None),
    );
    second.contact.company = Some("Acme Sofas".into());
    store.add_submission(&second).await.unwrap();
    let lead = store.lead_by_id(s.business, created.lead_id).await.unwrap();
    assert_eq!(lead.contact.name.as_deref(), Some("Ann"), "kept");
    assert_eq!(
        lead.contact.phone.as_ref().map(E164::as_str),
        Some("+12025550169"),
        "filled"
    );
    assert_eq!(lead.contact.company.as_deref(), Some("Acme Sofas"), "filled");
    assert_eq!(lead.visitor_key.as_deref(), Some("ga:9.9"), "filled");
    assert_eq!(lead.source.as_deref(), Some("google / cpc"), "filled");
    assert_eq!(lead.record_ref, before.record_ref);
    assert!(lead.updated_at >= before.updated_at);
}

async fn a_temp_id_finds_its_visit(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "rival", "+12025550101").await;
    let temp = TempId::generate();
    let v = visit_with(&store, s.site, "ga:3.3", Some(temp.clone())).await;
    assert_eq!(store.visit_by_temp_id(s.site, &temp).await.unwrap(), Some(v.clone()));
    assert_eq!(
        store.visit_by_temp_id(other.site, &temp).await.unwrap(),
        None,
        "another site's"
    );
    assert_eq!(store.visit_by_temp_id(s.site, &TempId::generate()).await.unwrap(), None);
    let identity = FormIdentity {
        temp_id: Some(temp.clone()),
        ..FormIdentity::default()
    };
    let sub = store
        .add_submission(&form(&s, Contact::default(), identity))
        .await
        .unwrap();
    assert_eq!(
        sub.visit,
        Some(v),
        "a form sent before registration answered still finds its visit"
    );
    assert_eq!(sub.identity.temp_id, Some(temp));
}

async fn a_call_new_lead_shares_its_ref_and_later_calls_find_it(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:4.4").await;
    let first = call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    let lead = store.lead(s.business, first.record_ref).await.unwrap();
    assert_eq!((lead.id.0, lead.record_ref), (first.lead_id, first.record_ref));
    assert_eq!(lead.site_id, Some(s.site));
    assert_eq!(lead.source.as_deref(), Some("google / cpc"));
    let later = call(&store, &s, "CA2", "+12025550169", None).await;
    assert_ne!(later.record_ref, first.record_ref);
    assert_eq!(store.lead(s.business, later.record_ref).await.unwrap().id, lead.id);
    let print = call_with_label(&store, &s, "CA3", "+12025550170", None, Some("print: Spring flyer")).await;
    let printed = store.lead(s.business, print.record_ref).await.unwrap();
    assert_eq!(printed.source.as_deref(), Some("print: Spring flyer"));
    let hidden = call(&store, &s, "CA4", "anonymous", None).await;
    let hidden_again = call(&store, &s, "CA5", "anonymous", None).await;
    assert_ne!(
        hidden.lead_id, hidden_again.lead_id,
        "hidden callers are not one person"
    );
    assert_eq!(
        store.lead(s.business, hidden.record_ref).await.unwrap().contact.phone,
        None
    );
    assert!(matches!(
        store.lead(s.business, 999_999).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_duplicate_message_id_is_a_conflict(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let new = form(
        &s,
        contact(None, Some("ann@example.com"), None),
        FormIdentity::default(),
    );
    store.add_submission(&new).await.unwrap();
    let mut again = new.clone();
    again.contact = contact(None, Some("someone.else@example.com"), None);
    match store.add_submission(&again).await {
        Err(StoreError::Conflict(message)) => assert!(message.contains(new.message_id.as_str()), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let filter = leadline_core::lead::LeadFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        store.list_leads(s.business, &filter).await.unwrap().leads.len(),
        1,
        "no lead was made"
    );
}

async fn a_submission_keeps_its_fields_identity_and_attachments(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:5.5").await;
    let mut new = form(&s, contact(None, Some("ann@example.com"), None), from_visit(&v, None));
    new.via = SubmissionVia::Processor;
    new.identity.click_ids.gclid = Some(ClickId::parse(ClickKind::Gclid, "Cj0KCQ").unwrap());
    new.identity.ga_client_id = Some("123.456".into());
    new.fields = vec![
        ("z_last".into(), "1".into()),
        ("a_first".into(), "2".into()),
        ("z_last".into(), "3".into()),
    ];
    let secret = Secret::new("an install secret of enough length");
    new.attachments = ["cv.pdf", "photo.jpg"]
        .map(|name| NewAttachment {
            original_name: name.into(),
            stored_name: StoredName::derive(&secret, &new.message_id, s.site, name),
            content_type: "application/pdf".into(),
            size_bytes: 1234,
        })
        .to_vec();
    let stored = store.add_submission(&new).await.unwrap();
    assert_eq!(stored.fields, new.fields, "order and repeats kept");
    assert_eq!(stored.identity, new.identity);
    assert_eq!(
        (stored.via, stored.page_url.as_deref()),
        (SubmissionVia::Processor, Some("https://acme.example/contact"))
    );
    let names: Vec<&str> = stored.attachments.iter().map(|a| a.original_name.as_str()).collect();
    assert_eq!(names, ["cv.pdf", "photo.jpg"]);
    assert_eq!(store.submission(s.business, &new.message_id).await.unwrap(), stored);
    assert_eq!(
        store.lead_submissions(s.business, stored.lead_id).await.unwrap(),
        vec![stored.clone()]
    );
    let found = store.attachment(&new.attachments[1].stored_name).await.unwrap();
    assert_eq!(found, stored.attachments[1]);
    assert_eq!(
        (found.business_id, found.site_id, found.lead_id),
        (s.business, s.site, stored.lead_id)
    );
    assert_eq!(found.message_id, new.message_id);
    assert_eq!(found.size_bytes, 1234);
}

async fn a_lead_gathers_its_visits_calls_and_submissions(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let first = visit(&store, s.site, "ga:6.6").await;
    let second = visit(&store, s.site, "ga:6.6").await;
    let elsewhere = visit(&store, s.site, "fp:laptop").await;
    let unrelated = visit(&store, s.site, "ga:7.7").await;
    let c = call(&store, &s, "CA1", "+12025550169", Some(first.clone())).await;
    let sub = store
        .add_submission(&form(
            &s,
            contact(None, None, Some("+12025550169")),
            from_visit(&elsewhere, None),
        ))
        .await
        .unwrap();
    assert_eq!(
        sub.lead_id.0, c.lead_id,
        "the phone matched: the laptop's key is not the lead's"
    );
    let lead = store.lead_by_visitor(s.site, "ga:6.6").await.unwrap();
    assert_eq!(lead.id, sub.lead_id);
    let visits: Vec<VisitRef> = store
        .lead_visits(s.business, lead.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.public_id)
        .collect();
    assert_eq!(visits, [first.clone(), second, elsewhere]);
    assert!(!visits.contains(&unrelated));
    assert_eq!(
        store.lead_visits(s.business, lead.id, 1).await.unwrap()[0].public_id,
        first
    );
    let calls = store.lead_calls(s.business, lead.id).await.unwrap();
    assert_eq!(calls, vec![c]);
    assert!(matches!(
        store.lead_by_visitor(s.site, "ga:7.7").await,
        Err(StoreError::NotFound)
    ));
}

async fn concurrent_forms_from_one_person_make_one_lead(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            let new = form(
                &s,
                contact(None, Some("ann@example.com"), None),
                FormIdentity::default(),
            );
            tokio::spawn(async move { store.add_submission(&new).await.unwrap().lead_id })
        })
        .collect();
    let mut leads = Vec::new();
    for task in tasks {
        leads.push(task.await.unwrap());
    }
    assert!(leads.iter().all(|l| *l == leads[0]), "{leads:?}");
    assert_eq!(store.lead_submissions(s.business, leads[0]).await.unwrap().len(), 6);
}

conformance!(
    a_stranger_gets_a_new_lead_with_a_fresh_ref,
    a_known_visit_gives_its_key_and_source_to_a_new_lead,
    the_visit_own_key_wins_over_the_form_key,
    the_form_key_counts_when_the_visit_is_unknown,
    the_visitor_key_beats_the_email,
    the_email_beats_the_phone,
    an_email_matches_whatever_its_case,
    the_phone_matches_when_nothing_else_does,
    contact_details_are_filled_but_never_overwritten,
    a_temp_id_finds_its_visit,
    a_call_new_lead_shares_its_ref_and_later_calls_find_it,
    a_duplicate_message_id_is_a_conflict,
    a_submission_keeps_its_fields_identity_and_attachments,
    a_lead_gathers_its_visits_calls_and_submissions,
    concurrent_forms_from_one_person_make_one_lead,
);
