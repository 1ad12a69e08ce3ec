//! `leadline erase`: refused without `--yes`; with it, a person's form goes empty, the JSON
//! record says who erased them, and asking twice is refused with the reason.

use crate::harness::Cli;
use leadline_core::form::{FormIdentity, MessageId, NewSubmission, SubmissionVia};
use leadline_core::lead::Contact;
use leadline_core::names::Slug;
use leadline_core::net::Email;
use leadline_core::site::SiteKey;
use leadline_core::store::{BusinessStore, LeadStore, SiteStore};

const BUSINESS: &str = "acme-upholstery";

#[tokio::test]
async fn erasing_a_person_from_the_command_line_needs_yes_and_empties_their_lead() {
    let cli = Cli::new();
    let site_key = cli.with_site();
    let store = cli.store().await;
    let business = store.business_by_slug(&Slug::parse(BUSINESS).unwrap()).await.unwrap();
    let site = store.site_by_key(&SiteKey::parse(&site_key).unwrap()).await.unwrap();
    let form = store
        .add_submission(&NewSubmission {
            business_id: business.id,
            site_id: site.id,
            message_id: MessageId::generate(),
            via: SubmissionVia::Processor,
            identity: FormIdentity::default(),
            contact: Contact {
                name: Some("Ann Erasable".into()),
                email: Some(Email::parse("ann@example.com").unwrap()),
                ..Contact::default()
            },
            fields: vec![("message".into(), "Call me about the sofa".into())],
            page_url: None,
            attachments: Vec::new(),
        })
        .await
        .unwrap();
    let lead = store.lead_by_id(business.id, form.lead_id).await.unwrap();
    store.close().await;
    let reference = lead.record_ref.to_string();
    let args = ["erase", "--business", BUSINESS, "--lead", reference.as_str()];

    let refused = cli.refused(&args);
    assert!(refused.contains("add --yes to confirm"), "{refused}");
    let out = cli.ok(&[&args[..], &["--yes"]].concat());
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(record["lead_ref"], lead.record_ref);
    assert_eq!(record["erased_by"], "cli");
    let again = cli.refused(&[&args[..], &["--yes"]].concat());
    assert!(again.contains("was erased already"), "{again}");
    let missing = cli.refused(&["erase", "--business", BUSINESS, "--lead", "99999", "--yes"]);
    assert!(missing.contains("has no lead 99999"), "{missing}");

    let store = cli.store().await;
    let emptied = store.lead_by_id(business.id, form.lead_id).await.unwrap();
    assert_eq!((emptied.contact.name, emptied.contact.email), (None, None));
    let fields = store.lead_submissions(business.id, form.lead_id).await.unwrap();
    assert!(fields[0].fields.is_empty(), "{:?}", fields[0].fields);
    store.close().await;
}
