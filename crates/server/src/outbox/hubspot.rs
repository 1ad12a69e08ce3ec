//! HubSpot: each lead becomes a HubSpot contact; calls, forms, sales and notes become notes on
//! it; status changes set its `hs_lead_status`.
//!
//! - The first event of a lead with no contact id creates the contact
//!   (`POST /crm/v3/objects/contacts` with a private-app token). HubSpot keeps one contact per
//!   e-mail: a 409 ("Contact already exists. Existing ID: 123") links that contact, which is
//!   also what makes a retried create (the first attempt timed out after HubSpot made the
//!   contact) harmless. A lead without an e-mail is first looked up by phone (search), for the
//!   same reason. The id is kept with `set_external_id`.
//! - A call, form, sale or note becomes a note (`POST /crm/v3/objects/notes`) associated with
//!   the contact (association type 202, note to contact), stamped with the event's time. A
//!   retried attempt first searches the contact's notes at that time and posts nothing when one
//!   is there.
//! - A status change `PATCH`es `hs_lead_status` ([`to_hubspot`]); a form or a contact change
//!   `PATCH`es the contact fields.

use super::crm::{ContactValues, Creating, authored_by, clip, send_json, store_failure, summary};
use super::{Adapter, Context, Failure, Sent, http_failure};
use async_trait::async_trait;
use chrono::SecondsFormat;
use leadline_core::erasure::Subject;
use leadline_core::event::{EventData, EventKind, LeadSnapshot};
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::{Integration, IntegrationConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The HubSpot adapter.
pub struct Hubspot;

/// Where the API is unless configured.
pub const DEFAULT_ENDPOINT: &str = "https://api.hubapi.com";

/// The author of the changes the pull makes in Leadline.
pub const AUTHOR: &str = "hubspot";

/// HubSpot's association type of a note to a contact.
pub const NOTE_TO_CONTACT: u32 = 202;

/// The `hs_lead_status` Leadline sends for its own status (HubSpot's default options).
/// HubSpot has no "won" lead status (closing belongs to deals), so a converted lead is
/// `OPEN_DEAL` like a qualified one.
pub fn to_hubspot(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "NEW",
        LeadStatus::InCall => "IN_PROGRESS",
        LeadStatus::Contacted => "CONNECTED",
        LeadStatus::Qualified | LeadStatus::Converted => "OPEN_DEAL",
        LeadStatus::Lost => "UNQUALIFIED",
    }
}

/// The Leadline status an `hs_lead_status` means; other (custom) values mean nothing here.
pub fn from_hubspot(status: &str) -> Option<LeadStatus> {
    Some(match status.trim().to_ascii_uppercase().as_str() {
        "NEW" | "OPEN" => LeadStatus::New,
        "ATTEMPTED_TO_CONTACT" | "IN_PROGRESS" | "CONNECTED" | "BAD_TIMING" => LeadStatus::Contacted,
        "OPEN_DEAL" => LeadStatus::Qualified,
        "UNQUALIFIED" => LeadStatus::Lost,
        _ => return None,
    })
}

/// The contact's properties (`None` values left out).
fn contact_properties(values: ContactValues) -> Map<String, Value> {
    let properties = [
        ("firstname", values.first_name),
        ("lastname", values.last_name),
        ("email", values.email),
        ("phone", values.phone),
        ("company", values.company),
    ];
    properties
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), Value::String(value?))))
        .collect()
}

/// Text made safe for `hs_note_body`, which HubSpot shows as HTML.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// The number in "Contact already exists. Existing ID: 123".
fn existing_id(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("Existing ID:")?;
    let id: String = rest.trim().chars().take_while(|c| c.is_ascii_digit()).collect();
    (!id.is_empty()).then_some(id)
}

/// A response from the API.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    fn json(&self, what: &str) -> Result<Value, Failure> {
        serde_json::from_str(&self.body)
            .map_err(|e| Failure::Retry(format!("HubSpot {what}: the answer is not JSON: {e}")))
    }

    /// HubSpot's own message of an error answer (`{"status":"error","message":…}`).
    fn message(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| {
                let message = v["message"].as_str()?.to_owned();
                Some(match v["category"].as_str() {
                    Some(category) => format!("{category}: {message}"),
                    None => message,
                })
            })
            .unwrap_or_else(|| self.body.chars().take(500).collect())
    }

    /// 5xx, 408 and 429 are retried; other refusals are final, with HubSpot's message.
    pub(crate) fn failure(&self, what: &str) -> Failure {
        let message = format!("HubSpot {what}: HTTP {}: {}", self.status, self.message());
        match http_failure(self.status, "") {
            Failure::Permanent(_) => Failure::Permanent(message),
            _ => Failure::Retry(message),
        }
    }
}

/// One HubSpot account's API.
pub(crate) struct Api<'a> {
    http: &'a reqwest::Client,
    timeout: Duration,
    base: String,
    token: &'a str,
}

impl<'a> Api<'a> {
    /// The API of a HubSpot integration; a permanent failure for any other kind.
    pub(crate) fn new(
        http: &'a reqwest::Client,
        timeout: Duration,
        integration: &'a Integration,
    ) -> Result<Self, Failure> {
        let IntegrationConfig::Hubspot { endpoint, token } = &integration.config else {
            return Err(Failure::Permanent(format!(
                "integration {} is {}, not hubspot",
                integration.id,
                integration.config.kind()
            )));
        };
        let base = endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
        Ok(Self {
            http,
            timeout,
            base: base.trim().trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// Sends `method path` with the token and a JSON body.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply, Failure> {
        let url = format!("{}{path}", self.base);
        let (status, body) = send_json(self.http, self.timeout, self.token, method, url, body).await?;
        Ok(Reply { status, body })
    }

    /// Searches `object` (`contacts`, `notes`); answers the result page.
    pub(crate) async fn search(&self, object: &str, body: &Value) -> Result<Value, Failure> {
        let reply = self
            .send(Method::POST, &format!("/crm/v3/objects/{object}/search"), Some(body))
            .await?;
        if !reply.status.is_success() {
            return Err(reply.failure(&format!("{object} search")));
        }
        reply.json(&format!("{object} search"))
    }

    /// Permanently deletes the person's contact (`POST /crm/v3/objects/contacts/gdpr-delete`),
    /// named by its id or, when Leadline never linked one, by e-mail (HubSpot then also blocks
    /// the address from being recreated). A contact HubSpot does not have is nothing to delete.
    pub(crate) async fn gdpr_delete(&self, subject: &Subject) -> Result<String, Failure> {
        let body = match subject {
            Subject::RecordId(id) => json!({ "objectId": id }),
            Subject::Email(email) => json!({ "objectId": email, "idProperty": "email" }),
            Subject::GaClientId(_) => return Ok("HubSpot does not know client ids".into()),
        };
        let reply = self
            .send(Method::POST, "/crm/v3/objects/contacts/gdpr-delete", Some(&body))
            .await?;
        match reply.status {
            status if status.is_success() => Ok("HubSpot deleted the contact (GDPR delete)".into()),
            StatusCode::NOT_FOUND => Ok("HubSpot had no such contact".into()),
            _ => Err(reply.failure("GDPR delete")),
        }
    }

    /// The id of the first contact whose `property` equals `value`.
    async fn find_contact(&self, property: &str, value: &str) -> Result<Option<String>, Failure> {
        let body = json!({
            "filterGroups": [{"filters": [{"propertyName": property, "operator": "EQ", "value": value}]}],
            "properties": [property],
            "limit": 1,
        });
        let page = self.search("contacts", &body).await?;
        Ok(page["results"]
            .as_array()
            .and_then(|r| r.first())
            .and_then(|c| c["id"].as_str())
            .map(str::to_owned))
    }

    /// Creates the contact, or finds the one HubSpot already has with its e-mail; answers the
    /// id and whether it was created.
    async fn create_contact(&self, lead: &LeadSnapshot) -> Result<(String, bool), Failure> {
        let mut properties = contact_properties(ContactValues::of(lead, None));
        if let Ok(status) = LeadStatus::parse(&lead.status) {
            properties.insert("hs_lead_status".into(), Value::String(to_hubspot(status).into()));
        }
        let body = json!({ "properties": properties });
        let reply = self.send(Method::POST, "/crm/v3/objects/contacts", Some(&body)).await?;
        if reply.status.is_success() {
            let contact = reply.json("contact create")?;
            let id = contact["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| Failure::Retry(format!("HubSpot contact create: no id in {contact}")))?;
            return Ok((id, true));
        }
        if reply.status == StatusCode::CONFLICT {
            if let Some(id) = existing_id(&reply.message()) {
                return Ok((id, false));
            }
            if let Some(email) = lead.email.as_deref()
                && let Some(id) = self.find_contact("email", email.trim()).await?
            {
                return Ok((id, false));
            }
        }
        Err(reply.failure("contact create"))
    }

    /// Whether the contact has a note at exactly this time already (a retried attempt).
    async fn has_note_at(&self, contact: &str, millis: i64) -> Result<bool, Failure> {
        let body = json!({
            "filterGroups": [{"filters": [
                {"propertyName": "hs_timestamp", "operator": "EQ", "value": millis.to_string()},
                {"propertyName": "associations.contact", "operator": "EQ", "value": contact},
            ]}],
            "properties": ["hs_timestamp"],
            "limit": 1,
        });
        let page = self.search("notes", &body).await?;
        Ok(page["total"].as_u64().unwrap_or(0) > 0 || page["results"].as_array().is_some_and(|r| !r.is_empty()))
    }
}

#[async_trait]
impl Adapter for Hubspot {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let delivery = ctx.delivery;
        let integration = &delivery.integration;
        let event = &delivery.event;
        if let EventData::LeadErased(erased) = &event.data {
            let api = Api::new(ctx.http, ctx.timeout, integration)?;
            let mut said = Vec::new();
            for subject in &erased.subjects {
                said.push(api.gdpr_delete(subject).await?);
            }
            return Ok(Sent {
                response: Some(said.join("; ")),
            });
        }
        let Some(lead) = &event.lead else {
            return Ok(Sent {
                response: Some("no lead: nothing for HubSpot".into()),
            });
        };
        let api = Api::new(ctx.http, ctx.timeout, integration)?;
        let known = ctx
            .store
            .external_id(integration.id, lead.id)
            .await
            .map_err(store_failure)?;
        let mut done = Vec::new();
        let contact = match known {
            Some(id) => id,
            None => {
                let _creating = Creating::claim(
                    ctx.cache,
                    format!("hubspot:{}:creating:{}", integration.id, lead.id),
                    ctx.timeout.saturating_mul(4) + Duration::from_secs(5),
                )?;
                // Another delivery of the lead may have made it between the look and the claim.
                let again = ctx
                    .store
                    .external_id(integration.id, lead.id)
                    .await
                    .map_err(store_failure)?;
                match again {
                    Some(id) => id,
                    None => {
                        let found = match (lead.email.as_deref(), lead.phone.as_deref()) {
                            (None, Some(phone)) if !phone.trim().is_empty() => {
                                api.find_contact("phone", phone.trim()).await?
                            }
                            _ => None,
                        };
                        let (id, created) = match found {
                            Some(id) => (id, false),
                            None => api.create_contact(lead).await?,
                        };
                        ctx.store
                            .set_external_id(integration.id, lead.id, &id)
                            .await
                            .map_err(store_failure)?;
                        done.push(if created { "created" } else { "linked" });
                        id
                    }
                }
            }
        };
        let properties = match &event.data {
            // The pull made this change from HubSpot's own status; sending it back could only
            // replace a value Leadline has no word for with its nearest one.
            EventData::LeadStatusChanged(_) if authored_by(event, AUTHOR) => Map::new(),
            EventData::LeadStatusChanged(_) => {
                let mut properties = Map::new();
                if let Ok(status) = LeadStatus::parse(&lead.status) {
                    properties.insert("hs_lead_status".into(), Value::String(to_hubspot(status).into()));
                }
                properties
            }
            EventData::LeadUpdated(_) | EventData::FormCompleted(_) => {
                contact_properties(ContactValues::changed_by(event, lead))
            }
            _ => Map::new(),
        };
        if !properties.is_empty() && !done.contains(&"created") {
            let body = json!({ "properties": properties });
            let reply = api
                .send(
                    Method::PATCH,
                    &format!("/crm/v3/objects/contacts/{contact}"),
                    Some(&body),
                )
                .await?;
            if reply.status == StatusCode::NOT_FOUND {
                return Ok(Sent {
                    response: Some(format!("HubSpot contact {contact} is deleted there; not updated")),
                });
            }
            if !reply.status.is_success() {
                return Err(reply.failure("contact update"));
            }
            done.push("updated");
        }
        if let Some(line) = summary(event).filter(|_| makes_a_note(event.kind())) {
            let millis = event.occurred_at.timestamp_millis();
            if delivery.attempt <= 1 || !api.has_note_at(&contact, millis).await? {
                let body = json!({
                    "properties": {
                        "hs_timestamp": event.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                        "hs_note_body": html(&clip(&line, 60_000)),
                    },
                    "associations": [{
                        "to": {"id": contact},
                        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}],
                    }],
                });
                let reply = api.send(Method::POST, "/crm/v3/objects/notes", Some(&body)).await?;
                if !reply.status.is_success() {
                    return Err(reply.failure("note create"));
                }
                done.push("noted");
            }
        }
        let what = if done.is_empty() {
            "unchanged".to_owned()
        } else {
            done.join(", ")
        };
        Ok(Sent {
            response: Some(format!("HubSpot contact {contact} {what}")),
        })
    }
}

/// Whether an event of this kind becomes a note on the contact.
pub fn makes_a_note(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::CallCompleted | EventKind::FormCompleted | EventKind::SaleRecorded | EventKind::NoteAdded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_go_out_as_default_options_and_come_back_equivalent() {
        for status in LeadStatus::ALL {
            // What comes back for what went out means something, and sends out the same again
            // after one round: the pull's echo rule (see pull.rs) rests on this.
            let back = from_hubspot(to_hubspot(status)).unwrap();
            assert_eq!(from_hubspot(to_hubspot(back)), Some(back), "{status:?}");
        }
        assert_eq!(from_hubspot("UNQUALIFIED"), Some(LeadStatus::Lost));
        assert_eq!(from_hubspot("open_deal"), Some(LeadStatus::Qualified));
        assert_eq!(from_hubspot("WAITING"), None);
    }

    #[test]
    fn the_existing_id_is_read_from_the_conflict_message() {
        assert_eq!(
            existing_id("Contact already exists. Existing ID: 51"),
            Some("51".into())
        );
        assert_eq!(existing_id("Contact already exists."), None);
    }

    #[test]
    fn note_bodies_are_escaped() {
        assert_eq!(html("a <b> & \"c\"\nd"), "a &lt;b&gt; &amp; &quot;c&quot;<br>d");
    }

    #[test]
    fn errors_keep_hubspot_words() {
        let reply = Reply {
            status: StatusCode::BAD_REQUEST,
            body: r#"{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR"}"#
                .into(),
        };
        assert_eq!(
            reply.failure("contact create"),
            Failure::Permanent(
                "HubSpot contact create: HTTP 400 Bad Request: VALIDATION_ERROR: Property values were not valid".into()
            )
        );
        let limited = Reply {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: "{}".into(),
        };
        assert!(matches!(limited.failure("x"), Failure::Retry(_)));
    }
}
