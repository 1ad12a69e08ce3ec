//! Erasure of one person (GDPR article 17, the CCPA's right to delete): what Leadline must
//! remove outside its own rows first (recordings at the provider, stored files), which of the
//! business's outside systems are asked to erase the person too and by which identifier, and
//! the record that the erasure happened: who asked, when, and which systems confirmed, never
//! what was erased.

use crate::lead::Author;
use crate::outbox::{DeliveryStatus, Integration, IntegrationConfig, IntegrationId};
use crate::retention::ExpiredRecording;
use crate::store::StoreResult;
use crate::{BusinessId, LeadId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an outside system knows the person: what its erasure request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Subject {
    /// The id the system gave the person's record (a HubSpot contact, a Salesforce Lead).
    RecordId(String),
    /// The person's e-mail address, for a system that erases by it (HubSpot).
    Email(String),
    /// A Google Analytics client id (`123.456`, from the `_ga` cookie).
    GaClientId(String),
}

/// What outside systems may know the person by, read before the erasure scrubs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonIds {
    pub email: Option<String>,
    /// Every Google Analytics client id of the person's visits and forms, without repeats.
    pub ga_client_ids: Vec<String>,
    /// The record ids integrations gave the lead.
    pub record_ids: BTreeMap<IntegrationId, String>,
}

/// One outside system asked to erase the person, with what names them there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideErasure {
    pub integration: IntegrationId,
    /// Empty for a system told only that the lead was erased (a signed webhook).
    pub subjects: Vec<Subject>,
}

/// The outside systems to ask, and by what: every webhook (the business's own systems hear
/// of it); HubSpot by its contact id, else by e-mail (HubSpot also blocks the address from
/// coming back); Salesforce by the Lead's id, where Leadline made or linked one; a GA4 user
/// deletion integration by each client id. A system with nothing to name the person by is
/// not asked: it cannot know them through Leadline.
pub fn outside_erasures(integrations: &[Integration], ids: &PersonIds) -> Vec<OutsideErasure> {
    integrations
        .iter()
        .filter_map(|integration| {
            let record = ids.record_ids.get(&integration.id).cloned().map(Subject::RecordId);
            let subjects = match &integration.config {
                IntegrationConfig::Webhook { .. } => Vec::new(),
                IntegrationConfig::Hubspot { .. } => {
                    vec![record.or_else(|| ids.email.clone().map(Subject::Email))?]
                }
                IntegrationConfig::Salesforce { .. } => vec![record?],
                IntegrationConfig::Ga4Deletion { .. } if !ids.ga_client_ids.is_empty() => {
                    ids.ga_client_ids.iter().cloned().map(Subject::GaClientId).collect()
                }
                _ => return None,
            };
            Some(OutsideErasure {
                integration: integration.id,
                subjects,
            })
        })
        .collect()
}

/// A page address without what may name the person: its query (click ids, e-mail addresses
/// in links, search terms) and fragment go; the page stays for reports.
pub fn page_only(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_owned()
}

/// Where a referrer came from, without the path or query that may name the person
/// (`https://www.google.com/search?q=ann+smith` becomes `https://www.google.com`).
pub fn origin_only(url: &str) -> String {
    let page = page_only(url);
    match page.find("://") {
        Some(scheme_end) => {
            let host_start = scheme_end + 3;
            let host_end = page[host_start..].find('/').map_or(page.len(), |i| host_start + i);
            page[..host_end].to_owned()
        }
        None => String::new(),
    }
}

/// How long a call still `in_call` counts as in progress: its last webhooks would write the
/// caller back, so the person is erased once it ends. An older one lost its last webhook and
/// does not hold the erasure up.
pub const CALL_IN_PROGRESS: chrono::TimeDelta = chrono::TimeDelta::hours(4);

/// Whether a call of the person keeps them from being erased now.
pub fn holds_up_erasure(status: &str, started_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status == "in_call" && now - started_at < CALL_IN_PROGRESS
}

/// What lives outside Leadline's rows and goes before them: recordings at the provider and
/// the files sent with forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub recordings: Vec<ExpiredRecording>,
    /// The files' names in the attachment storage.
    pub files: Vec<String>,
}

/// One outside system's part in an erasure: asked, confirmed or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureNotice {
    pub integration: IntegrationId,
    /// The integration's name and kind, as the business named it.
    pub name: String,
    pub kind: String,
    /// `delivered` once the system confirmed; `dead` when it refused for good.
    pub status: DeliveryStatus,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The record that a person was erased: who asked, when, and which systems confirmed. It
/// names the lead only by its ref, which now leads to an empty record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub record_ref: u64,
    pub erased_by: Author,
    pub erased_at: DateTime<Utc>,
    pub systems: Vec<ErasureNotice>,
}

/// Erasing people, in the store.
#[async_trait]
pub trait ErasureStore {
    /// The recordings and files of the lead's calls and forms.
    async fn person_leftovers(&self, business: BusinessId, lead: LeadId) -> StoreResult<Leftovers>;

    /// What the business's integrations may know the lead by.
    async fn person_ids(&self, business: BusinessId, lead: LeadId) -> StoreResult<PersonIds>;

    /// In one transaction: removes the lead's personal data from every row that holds it
    /// (the lead, its calls, forms and files' rows, visits and their pages, clicks and codes,
    /// notes and changes, events and their deliveries, record ids), keeps the anonymous
    /// counts (the rows stay, emptied), records the erasure and queues one delivery per
    /// outside system. A lead with a call in progress is refused (`Conflict`): the call's
    /// last webhooks would write the caller back.
    async fn erase_person(
        &self,
        business: BusinessId,
        lead: LeadId,
        by: &Author,
        outside: &[OutsideErasure],
    ) -> StoreResult<Erasure>;

    /// The business's erasures, newest first, with each system's answer so far.
    async fn erasures(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<Erasure>>;

    /// The erasure of the lead with `record_ref`, when it was erased.
    async fn erasure_of(&self, business: BusinessId, record_ref: u64) -> StoreResult<Option<Erasure>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Integration;

    fn integration(id: i64, config: IntegrationConfig) -> Integration {
        Integration {
            id: IntegrationId(id),
            business_id: BusinessId(1),
            site_id: None,
            name: format!("integration {id}"),
            config,
            enabled: true,
            created_at: Utc::now(),
        }
    }

    fn every_kind() -> Vec<Integration> {
        vec![
            integration(
                1,
                IntegrationConfig::Webhook {
                    url: "https://hooks.example/x".into(),
                    secret: "s".into(),
                },
            ),
            integration(
                2,
                IntegrationConfig::Hubspot {
                    endpoint: None,
                    token: "t".into(),
                },
            ),
            integration(
                3,
                IntegrationConfig::Salesforce {
                    login_url: "https://login.salesforce.com".into(),
                    client_id: "c".into(),
                    client_secret: "s".into(),
                    api_version: "v60.0".into(),
                    campaigns: BTreeMap::new(),
                },
            ),
            integration(
                4,
                IntegrationConfig::Ga4Deletion {
                    property_id: "123456".into(),
                    client_id: "c".into(),
                    client_secret: "s".into(),
                    refresh_token: "r".into(),
                    token_url: None,
                    endpoint: None,
                },
            ),
            integration(
                5,
                IntegrationConfig::Matomo {
                    url: "https://m.example/".into(),
                    site_id: 1,
                    token_auth: None,
                    goal_id: None,
                },
            ),
        ]
    }

    #[test]
    fn each_system_is_asked_by_the_best_identifier_it_has() {
        let ids = PersonIds {
            email: Some("ann@example.com".into()),
            ga_client_ids: vec!["111.222".into(), "333.444".into()],
            record_ids: BTreeMap::from([(IntegrationId(2), "901".into()), (IntegrationId(3), "00Q1".into())]),
        };
        let asked = outside_erasures(&every_kind(), &ids);
        assert_eq!(
            asked,
            vec![
                OutsideErasure {
                    integration: IntegrationId(1),
                    subjects: vec![]
                },
                OutsideErasure {
                    integration: IntegrationId(2),
                    subjects: vec![Subject::RecordId("901".into())]
                },
                OutsideErasure {
                    integration: IntegrationId(3),
                    subjects: vec![Subject::RecordId("00Q1".into())]
                },
                OutsideErasure {
                    integration: IntegrationId(4),
                    subjects: vec![
                        Subject::GaClientId("111.222".into()),
                        Subject::GaClientId("333.444".into())
                    ],
                },
            ]
        );
    }

    #[test]
    fn a_system_that_cannot_know_the_person_is_not_asked_and_hubspot_falls_back_to_the_email() {
        let ids = PersonIds {
            email: Some("ann@example.com".into()),
            ..PersonIds::default()
        };
        let asked = outside_erasures(&every_kind(), &ids);
        assert_eq!(
            asked,
            vec![
                OutsideErasure {
                    integration: IntegrationId(1),
                    subjects: vec![]
                },
                OutsideErasure {
                    integration: IntegrationId(2),
                    subjects: vec![Subject::Email("ann@example.com".into())]
                },
            ]
        );
        let nobody = outside_erasures(&every_kind(), &PersonIds::default());
        assert_eq!(nobody.len(), 1, "only the webhook hears of a person no system knows");
    }

    #[test]
    fn only_a_recent_call_in_progress_holds_an_erasure_up() {
        let now = Utc::now();
        assert!(holds_up_erasure("in_call", now - chrono::TimeDelta::minutes(5), now));
        assert!(!holds_up_erasure("completed", now - chrono::TimeDelta::minutes(5), now));
        assert!(
            !holds_up_erasure("in_call", now - chrono::TimeDelta::hours(5), now),
            "a call that lost its last webhook"
        );
    }

    #[test]
    fn pages_keep_their_path_and_referrers_their_origin() {
        assert_eq!(
            page_only("https://acme.example/contact?gclid=Cj0&email=a%40b.c#form"),
            "https://acme.example/contact"
        );
        assert_eq!(page_only("https://acme.example/#top"), "https://acme.example/");
        assert_eq!(page_only("https://acme.example/"), "https://acme.example/");
        assert_eq!(
            origin_only("https://www.google.com/search?q=ann+smith"),
            "https://www.google.com"
        );
        assert_eq!(origin_only("https://news.example"), "https://news.example");
        assert_eq!(origin_only("android-app://com.google"), "android-app://com.google");
        assert_eq!(origin_only("not a url"), "");
    }

    #[test]
    fn subjects_are_stored_as_tagged_json() {
        let stored = serde_json::to_string(&vec![Subject::GaClientId("1.2".into())]).unwrap();
        assert_eq!(stored, r#"[{"by":"ga_client_id","value":"1.2"}]"#);
        assert_eq!(
            serde_json::from_str::<Vec<Subject>>(&stored).unwrap(),
            vec![Subject::GaClientId("1.2".into())]
        );
    }
}
