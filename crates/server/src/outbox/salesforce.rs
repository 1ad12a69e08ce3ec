//! Salesforce: each lead becomes a Salesforce Lead, kept up to date by its events.
//!
//! - The token comes from `POST {login_url}/services/oauth2/token` with the client-credentials
//!   grant and is kept in the [`Cache`] (by integration) for [`TOKEN_TTL`]; a 401 from the API
//!   forgets it and the request is sent once more with a fresh one.
//! - The first event of a lead with no Salesforce id looks for an open Lead with the lead's
//!   e-mail (else phone) and links it; only when there is none is a Lead created
//!   (`LastName` and `Company` are required by Salesforce: "Unknown" and "[not provided]"
//!   stand in). The id is kept with `set_external_id`. Looking first makes a retried create
//!   (the first attempt timed out after Salesforce made the Lead) find that Lead instead of
//!   making a second one.
//! - Later events `PATCH` the Lead: its `Status` on a status change, its contact fields on a
//!   form or a contact change, and one line appended to `Description` for a call, a form, a
//!   sale or a note. A line already there is not appended again, so a retried attempt adds
//!   nothing twice.
//! - When the lead's source names a campaign in the configuration, the Lead joins it as a
//!   `CampaignMember` (`Status: Responded`) when it is created or linked, and on every
//!   completed call or form; Salesforce's `DUPLICATE_VALUE` answer (already a member) counts
//!   as done.
//!
//! Statuses go out as the standard picklist values ([`to_salesforce`]) and come back from the
//! pull ([`from_salesforce`]); see docs/crm.md.

mod api;

pub(crate) use api::Api;

use super::crm::{ContactValues, Creating, authored_by, clip, store_failure, summary};
use super::{Adapter, Context, Failure, Sent};
use api::Reply;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::erasure::Subject;
use leadline_core::event::{Event, EventData, LeadSnapshot};
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::{Integration, IntegrationConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};
use std::time::Duration;

/// The Salesforce adapter.
pub struct Salesforce;

/// How long an access token is reused before a new one is asked for (Salesforce's shortest
/// session timeout is 15 minutes; a token that expired earlier is caught by its 401).
pub const TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// The author of the changes the pull makes in Leadline.
pub const AUTHOR: &str = "salesforce";

/// The longest `Description` Salesforce keeps (a Long Text Area of 32,000 characters); the
/// oldest lines are dropped to make room.
const DESCRIPTION_CHARS: usize = 32_000;

/// The status Leadline sends for its own status: the standard Lead Status picklist.
pub fn to_salesforce(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "Open - Not Contacted",
        LeadStatus::InCall | LeadStatus::Contacted | LeadStatus::Qualified => "Working - Contacted",
        LeadStatus::Converted => "Closed - Converted",
        LeadStatus::Lost => "Closed - Not Converted",
    }
}

/// The Leadline status a Salesforce Lead's status means: the standard picklist, and the values
/// of orgs set up since 2020 (`New`, `Working`, `Nurturing`, `Qualified`, `Unqualified`). A
/// converted Lead is converted whatever its status says; other values mean nothing here.
pub fn from_salesforce(status: &str, is_converted: bool) -> Option<LeadStatus> {
    if is_converted {
        return Some(LeadStatus::Converted);
    }
    Some(match status.trim().to_ascii_lowercase().as_str() {
        "open - not contacted" | "new" => LeadStatus::New,
        "working - contacted" | "working" | "nurturing" => LeadStatus::Contacted,
        "qualified" => LeadStatus::Qualified,
        "closed - converted" | "converted" => LeadStatus::Converted,
        "closed - not converted" | "unqualified" => LeadStatus::Lost,
        _ => return None,
    })
}

/// The line as it goes into `Description`: stamped with the event's time, in UTC.
fn stamped(event: &Event, line: &str) -> String {
    format!("{} · {line}", event.occurred_at.format("%Y-%m-%d %H:%M UTC"))
}

/// `current` with `line` appended, the oldest lines dropped while it is too long.
fn append_line(current: &str, line: &str) -> String {
    let mut lines: Vec<&str> = current.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.push(line);
    let mut text = lines.join("\n");
    while text.chars().count() > DESCRIPTION_CHARS && lines.len() > 1 {
        lines.remove(0);
        text = lines.join("\n");
    }
    clip(&text, DESCRIPTION_CHARS)
}

/// The contact fields of a Lead, cut to Salesforce's lengths; `None` values are left out.
fn contact_fields(values: ContactValues) -> Map<String, Value> {
    let fields = [
        ("FirstName", values.first_name, 40),
        ("LastName", values.last_name, 80),
        ("Email", values.email, 80),
        ("Phone", values.phone, 40),
        ("Company", values.company, 255),
    ];
    fields
        .into_iter()
        .filter_map(|(key, value, max)| Some((key.to_owned(), Value::String(clip(&value?, max)))))
        .collect()
}

/// The Lead to create for `lead`, with what happened.
fn new_lead(lead: &LeadSnapshot, description: Option<String>) -> Map<String, Value> {
    let mut fields = contact_fields(ContactValues::of(lead, None));
    fields
        .entry("LastName")
        .or_insert_with(|| Value::String("Unknown".into()));
    fields
        .entry("Company")
        .or_insert_with(|| Value::String("[not provided]".into()));
    if let Some(source) = lead.source.as_deref().filter(|s| !s.trim().is_empty()) {
        fields.insert("LeadSource".into(), Value::String(clip(source.trim(), 40)));
    }
    if let Ok(status) = LeadStatus::parse(&lead.status) {
        fields.insert("Status".into(), Value::String(to_salesforce(status).into()));
    }
    if let Some(description) = description {
        fields.insert("Description".into(), Value::String(description));
    }
    fields
}

/// The campaign the lead's source joins, if the configuration names one (the exact source
/// text first, then ignoring case).
fn campaign_for<'c>(integration: &'c Integration, lead: &LeadSnapshot) -> Option<&'c str> {
    let IntegrationConfig::Salesforce { campaigns, .. } = &integration.config else {
        return None;
    };
    let source = lead.source.as_deref()?.trim();
    campaigns
        .get(source)
        .or_else(|| {
            campaigns
                .iter()
                .find(|(key, _)| key.trim().eq_ignore_ascii_case(source))
                .map(|(_, id)| id)
        })
        .map(String::as_str)
        .filter(|id| !id.trim().is_empty())
}

#[async_trait]
impl Adapter for Salesforce {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let delivery = ctx.delivery;
        let integration = &delivery.integration;
        let event = &delivery.event;
        if let EventData::LeadErased(erased) = &event.data {
            let api = Api::new(ctx.http, ctx.cache, ctx.timeout, integration)?;
            let mut said = Vec::new();
            for subject in &erased.subjects {
                if let Subject::RecordId(id) = subject {
                    said.push(api.delete_lead(id).await?);
                }
            }
            return Ok(Sent {
                response: Some(said.join("; ")),
            });
        }
        let Some(lead) = &event.lead else {
            return Ok(Sent {
                response: Some("no lead: nothing for Salesforce".into()),
            });
        };
        let api = Api::new(ctx.http, ctx.cache, ctx.timeout, integration)?;
        let line = summary(event).map(|line| stamped(event, &line));
        let known = ctx
            .store
            .external_id(integration.id, lead.id)
            .await
            .map_err(store_failure)?;
        let (id, linked) = match known {
            Some(id) => (id, false),
            None => {
                let _creating = Creating::claim(
                    ctx.cache,
                    format!("salesforce:{}:creating:{}", integration.id, lead.id),
                    ctx.timeout.saturating_mul(6) + Duration::from_secs(5),
                )?;
                // Another delivery of the lead may have made it between the look and the claim.
                let again = ctx
                    .store
                    .external_id(integration.id, lead.id)
                    .await
                    .map_err(store_failure)?;
                let found = match again {
                    Some(id) => return respond(&api, integration, event, lead, id, false, line).await,
                    None => api.find_lead(lead).await?,
                };
                match found {
                    Some(id) => {
                        ctx.store
                            .set_external_id(integration.id, lead.id, &id)
                            .await
                            .map_err(store_failure)?;
                        (id, true)
                    }
                    None => {
                        let id = api.create_lead(&new_lead(lead, line)).await?;
                        ctx.store
                            .set_external_id(integration.id, lead.id, &id)
                            .await
                            .map_err(store_failure)?;
                        if let Some(campaign) = campaign_for(integration, lead) {
                            api.join_campaign(campaign, &id).await?;
                        }
                        return Ok(Sent {
                            response: Some(format!("Salesforce Lead {id} created")),
                        });
                    }
                }
            }
        };
        respond(&api, integration, event, lead, id, linked, line).await
    }
}

/// Updates the Lead with the event and, for a linked Lead or a call or form, makes sure it is
/// in its campaign.
async fn respond(
    api: &Api<'_>,
    integration: &Integration,
    event: &Event,
    lead: &LeadSnapshot,
    id: String,
    linked: bool,
    line: Option<String>,
) -> Result<Sent, Failure> {
    let outcome = update(api, &id, event, lead, line.as_deref()).await?;
    let responded = matches!(event.data, EventData::CallCompleted(_) | EventData::FormCompleted(_));
    if (linked || responded)
        && outcome != Updated::Gone
        && let Some(campaign) = campaign_for(integration, lead)
    {
        api.join_campaign(campaign, &id).await?;
    }
    let verb = match (outcome, linked) {
        (Updated::Gone, _) => "is deleted or converted in Salesforce; not updated",
        (_, true) => "linked",
        (Updated::Changed, false) => "updated",
        (Updated::Unchanged, false) => "unchanged",
    };
    Ok(Sent {
        response: Some(format!("Salesforce Lead {id} {verb}")),
    })
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Updated {
    Changed,
    Unchanged,
    /// The Lead was deleted, or converted (converted Leads cannot be changed).
    Gone,
}

/// Brings the Lead up to date with the event.
async fn update(
    api: &Api<'_>,
    id: &str,
    event: &Event,
    lead: &LeadSnapshot,
    line: Option<&str>,
) -> Result<Updated, Failure> {
    let gone = |reply: &Reply| {
        reply.status == StatusCode::NOT_FOUND
            || reply.has_code("ENTITY_IS_DELETED")
            || reply.has_code("CANNOT_UPDATE_CONVERTED_LEAD")
    };
    let mut fields = match &event.data {
        // The pull made this change from Salesforce's own status: sending it back could only
        // replace a value Leadline has no word for ("Nurturing") with its nearest standard one.
        EventData::LeadStatusChanged(_) if authored_by(event, AUTHOR) => Map::new(),
        EventData::LeadStatusChanged(_) => {
            let mut fields = Map::new();
            if let Ok(status) = LeadStatus::parse(&lead.status) {
                fields.insert("Status".into(), Value::String(to_salesforce(status).into()));
            }
            fields
        }
        EventData::LeadUpdated(_) | EventData::FormCompleted(_) => {
            contact_fields(ContactValues::changed_by(event, lead))
        }
        _ => Map::new(),
    };
    // A call coming in is already on the Lead when it made the Lead; otherwise its end says more.
    let line = line.filter(|_| !matches!(event.data, EventData::CallDialed(_)));
    if let Some(line) = line {
        let path = api.path(&format!("/sobjects/Lead/{id}?fields=Description"));
        let reply = api.send(Method::GET, &path, None).await?;
        if gone(&reply) {
            return Ok(Updated::Gone);
        }
        if !reply.status.is_success() {
            return Err(reply.failure("Lead read"));
        }
        let current = reply.json("Lead read")?;
        let current = current["Description"].as_str().unwrap_or("");
        if !current.contains(line) {
            fields.insert("Description".into(), Value::String(append_line(current, line)));
        }
    }
    if fields.is_empty() {
        return Ok(Updated::Unchanged);
    }
    let body = Value::Object(fields);
    let reply = api
        .send(Method::PATCH, &api.path(&format!("/sobjects/Lead/{id}")), Some(&body))
        .await?;
    if reply.status.is_success() {
        Ok(Updated::Changed)
    } else if gone(&reply) {
        Ok(Updated::Gone)
    } else {
        Err(reply.failure("Lead update"))
    }
}

/// A Salesforce `LastModifiedDate` (`2024-05-01T12:00:00.000+0000`) or any RFC 3339 time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::crm::tests::{event, snapshot};
    use leadline_core::event::samples as data;
    use serde_json::json;

    #[test]
    fn every_leadline_status_goes_out_as_a_standard_value_and_comes_back_equivalent() {
        for status in LeadStatus::ALL {
            let remote = to_salesforce(status);
            let back = from_salesforce(remote, false).unwrap();
            // Lossy only where Salesforce has fewer values: the way back lands on the same value.
            assert_eq!(to_salesforce(back), remote, "{status:?}");
        }
        assert_eq!(
            from_salesforce("Closed - Converted", false),
            Some(LeadStatus::Converted)
        );
        assert_eq!(
            from_salesforce("Working - Contacted", false),
            Some(LeadStatus::Contacted)
        );
        assert_eq!(from_salesforce("Unqualified", false), Some(LeadStatus::Lost));
        assert_eq!(from_salesforce("Qualified", false), Some(LeadStatus::Qualified));
        assert_eq!(from_salesforce("Anything", true), Some(LeadStatus::Converted));
        assert_eq!(from_salesforce("Waiting on legal", false), None);
    }

    #[test]
    fn a_new_lead_has_the_required_fields_even_without_name_or_company() {
        let mut lead = snapshot();
        lead.name = None;
        let fields = new_lead(&lead, Some("x".into()));
        assert_eq!(fields["LastName"], "Unknown");
        assert_eq!(fields["Company"], "[not provided]");
        assert_eq!(fields["LeadSource"], "google / cpc");
        assert_eq!(fields["Status"], "Open - Not Contacted");
        assert_eq!(fields["Description"], "x");
        assert!(!fields.contains_key("FirstName"));
        let fields = new_lead(&snapshot(), None);
        assert_eq!(
            (fields["FirstName"].as_str(), fields["LastName"].as_str()),
            (Some("Ann Marie"), Some("Lee"))
        );
        assert!(!fields.contains_key("Description"));
    }

    #[test]
    fn contact_fields_are_cut_to_salesforce_lengths_and_limited_to_what_changed() {
        let mut lead = snapshot();
        lead.company = Some("c".repeat(300));
        let fields = contact_fields(ContactValues::of(&lead, None));
        assert_eq!(fields["Company"].as_str().map(str::len), Some(255));
        let only = contact_fields(ContactValues::of(&snapshot(), Some(&["email"])));
        assert_eq!(Value::Object(only), json!({"Email": "ann@example.com"}));
    }

    #[test]
    fn descriptions_grow_by_lines_and_drop_the_oldest_when_full() {
        assert_eq!(append_line("", "a"), "a");
        assert_eq!(append_line("a\n", "b"), "a\nb");
        let long = "x".repeat(20_000);
        let text = append_line(&format!("{long}\n{long}"), "new");
        assert_eq!(text, format!("{long}\nnew"));
        let note = event(data::note("Wants a quote"));
        assert_eq!(stamped(&note, "x"), "2024-05-01 14:03 UTC · x");
    }

    #[test]
    fn salesforce_times_parse() {
        let t = parse_time("2024-05-01T12:00:00.000+0000").unwrap();
        assert_eq!(t, "2024-05-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(parse_time("2024-05-01T12:00:00.000Z").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
