//! The pull: status changes made in the lead manager (Salesforce, HubSpot) come back to
//! Leadline. Each round asks every enabled Salesforce or HubSpot integration for the records
//! changed since its cursor, finds the lead of each known record (`lead_by_external_id`) and
//! changes its status with the lead manager as author (`salesforce`, `hubspot`). The store
//! records that as an activity and emits `lead.status_changed`, which the analytics adapters
//! turn into their lead events; records Leadline never sent are ignored.
//!
//! No loops: the adapters do not send back a status change whose author is their own lead
//! manager (and were it sent, it would be the value it came from, changing nothing there). A record Leadline itself changed comes
//! back in the next pull; its status then means the lead's current status (or one that
//! Leadline's current status is sent as, such as `qualified` going out as
//! "Working - Contacted"), and equal statuses change nothing, so an echo is harmless. A remote
//! status older than the lead's last status change in Leadline is not applied either: the
//! later change wins, and an operator's change still waiting in the outbox is not undone.
//!
//! Each round re-reads the last [`OVERLAP`] before its cursor, so that a change saved in the
//! lead manager with a slightly earlier time is not skipped; reading a record twice is
//! harmless for the same reasons. Several servers may pull at once.

use super::hubspot::{self, from_hubspot, to_hubspot};
use super::salesforce::{self, from_salesforce, parse_time, to_salesforce};
use super::{Cache, Failure};
use crate::app::{AppError, leads};
use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use leadline_core::lead::{ActivityKind, Author, LeadChange, LeadStatus};
use leadline_core::outbox::{Integration, IntegrationConfig};
use leadline_core::store::{Store, StoreError};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// How far before its cursor each round reads again.
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);

/// The most records one round reads from one integration; the next round goes on from there.
pub const MAX_RECORDS: usize = 10_000;

/// One record of the lead manager, as the pull sees it.
#[derive(Debug, Clone, PartialEq)]
struct Remote {
    external_id: String,
    /// What its status means in Leadline; `None` for values that mean nothing here.
    status: Option<LeadStatus>,
    modified: DateTime<Utc>,
}

/// What the lead manager's value for a Leadline status means back in Leadline.
type Echo = fn(LeadStatus) -> Option<LeadStatus>;

/// A failed call to the lead manager, as an error.
fn failed(failure: Failure) -> anyhow::Error {
    match failure {
        Failure::Retry(message) | Failure::Permanent(message) | Failure::Wait { reason: message, .. } => {
            anyhow::anyhow!(message)
        }
    }
}

/// Runs one round for every enabled Salesforce and HubSpot integration; answers how many
/// leads changed status. An integration that fails is logged and tried again next round.
pub async fn pull_once(
    store: &dyn Store,
    http: &reqwest::Client,
    cache: &Cache,
    timeout: Duration,
) -> anyhow::Result<u32> {
    let integrations = store.all_integrations().await.context("listing integrations")?;
    let mut changed = 0;
    for integration in integrations.iter().filter(|i| i.enabled) {
        if !matches!(
            integration.config,
            IntegrationConfig::Salesforce { .. } | IntegrationConfig::Hubspot { .. }
        ) {
            continue;
        }
        match pull_integration(store, http, cache, timeout, integration).await {
            Ok(n) => changed += n,
            Err(e) => tracing::warn!(
                integration = %integration.id,
                kind = integration.config.kind(),
                error = %format!("{e:#}"),
                "pulling status changes failed; the next round tries again"
            ),
        }
    }
    Ok(changed)
}

/// Pulls `pull_once` every `interval` (with `timeout` per request) until `stop`.
pub async fn run_puller(
    store: Arc<dyn Store>,
    http: reqwest::Client,
    cache: Arc<Cache>,
    (interval, timeout): (Duration, Duration),
    stop: tokio_util::sync::CancellationToken,
) {
    crate::jobs::every(interval, stop, || async {
        match pull_once(store.as_ref(), &http, &cache, timeout).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changed = n, "lead statuses pulled from lead managers"),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "pulling from lead managers failed"),
        }
        false
    })
    .await;
}

/// One round for one integration; the cursor moves only when every record was applied.
async fn pull_integration(
    store: &dyn Store,
    http: &reqwest::Client,
    cache: &Cache,
    timeout: Duration,
    integration: &Integration,
) -> anyhow::Result<u32> {
    let since = match store.pull_cursor(integration.id).await? {
        Some(cursor) => parse_time(&cursor).with_context(|| format!("unreadable pull cursor {cursor}"))?,
        None => integration.created_at,
    };
    let from = since - OVERLAP;
    let (records, author, echo): (Vec<Remote>, _, Echo) = match &integration.config {
        IntegrationConfig::Salesforce { .. } => (
            salesforce_changes(http, cache, timeout, integration, from).await?,
            salesforce::AUTHOR,
            |s| from_salesforce(to_salesforce(s), false),
        ),
        IntegrationConfig::Hubspot { .. } => (
            hubspot_changes(http, timeout, integration, from).await?,
            hubspot::AUTHOR,
            |s| from_hubspot(to_hubspot(s)),
        ),
        _ => return Ok(0),
    };
    let changed = apply(store, integration, &Author::from_stored(author), &records, echo).await?;
    if let Some(latest) = records.iter().map(|r| r.modified).max().filter(|t| *t > since) {
        let cursor = latest.to_rfc3339_opts(SecondsFormat::Millis, true);
        store.set_pull_cursor(integration.id, &cursor).await?;
    }
    Ok(changed)
}

/// Changes the status of each known record's lead where the remote status says something
/// new and is newer than the lead's last status change.
async fn apply(
    store: &dyn Store,
    integration: &Integration,
    author: &Author,
    records: &[Remote],
    echo: Echo,
) -> anyhow::Result<u32> {
    let business = integration.business_id;
    let mut changed = 0;
    for record in records {
        let Some(wanted) = record.status else { continue };
        let lead = match store.lead_by_external_id(integration.id, &record.external_id).await {
            Ok(lead) => lead,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let lead = match store.lead_by_id(business, lead).await {
            Ok(lead) => lead,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        if lead.status == wanted || echo(lead.status) == Some(wanted) {
            continue;
        }
        let last_change = store
            .lead_activities(business, lead.id)
            .await?
            .iter()
            .filter(|a| a.kind == ActivityKind::Status)
            .map(|a| a.at)
            .max()
            .unwrap_or(lead.created_at);
        if record.modified <= last_change {
            continue;
        }
        match leads::change_lead(store, &lead, author, &LeadChange::Status(wanted)).await {
            Ok(_) => changed += 1,
            Err(e @ (AppError::NotFound | AppError::Invalid(_) | AppError::Conflict(_))) => {
                tracing::warn!(lead = %lead.id, error = %e, "a pulled status change was refused");
            }
            Err(e @ (AppError::Refused(_) | AppError::Unavailable(_))) => {
                tracing::warn!(lead = %lead.id, error = %e, "a pulled status change was refused");
            }
            Err(AppError::Internal(e)) => return Err(e),
        }
    }
    Ok(changed)
}

/// The Salesforce Leads modified after `from`, oldest first.
async fn salesforce_changes(
    http: &reqwest::Client,
    cache: &Cache,
    timeout: Duration,
    integration: &Integration,
    from: DateTime<Utc>,
) -> anyhow::Result<Vec<Remote>> {
    let api = salesforce::Api::new(http, cache, timeout, integration).map_err(failed)?;
    let soql = format!(
        "SELECT Id, Status, IsConverted, LastModifiedDate FROM Lead WHERE LastModifiedDate > {} ORDER BY LastModifiedDate",
        from.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let mut page = api.query(&soql).await.map_err(failed)?;
    let mut records = Vec::new();
    loop {
        for record in page["records"].as_array().into_iter().flatten() {
            let (Some(id), Some(modified)) = (
                record["Id"].as_str(),
                record["LastModifiedDate"].as_str().and_then(parse_time),
            ) else {
                continue;
            };
            let status = record["Status"].as_str().unwrap_or("");
            records.push(Remote {
                external_id: id.to_owned(),
                status: from_salesforce(status, record["IsConverted"].as_bool().unwrap_or(false)),
                modified,
            });
        }
        let next = page["nextRecordsUrl"]
            .as_str()
            .filter(|_| page["done"] != Value::Bool(true));
        match next {
            Some(next) if records.len() < MAX_RECORDS => page = api.query_more(next).await.map_err(failed)?,
            _ => break,
        }
    }
    Ok(records)
}

/// The HubSpot contacts modified after `from`, oldest first.
async fn hubspot_changes(
    http: &reqwest::Client,
    timeout: Duration,
    integration: &Integration,
    from: DateTime<Utc>,
) -> anyhow::Result<Vec<Remote>> {
    let api = hubspot::Api::new(http, timeout, integration).map_err(failed)?;
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut body = json!({
            "filterGroups": [{"filters": [{
                "propertyName": "lastmodifieddate",
                "operator": "GT",
                "value": from.timestamp_millis().to_string(),
            }]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["hs_lead_status", "lastmodifieddate"],
            "limit": 100,
        });
        if let Some(after) = &after {
            body["after"] = Value::String(after.clone());
        }
        let page = api.search("contacts", &body).await.map_err(failed)?;
        for contact in page["results"].as_array().into_iter().flatten() {
            let modified = contact["properties"]["lastmodifieddate"]
                .as_str()
                .or(contact["updatedAt"].as_str())
                .and_then(parse_time);
            let (Some(id), Some(modified)) = (contact["id"].as_str(), modified) else {
                continue;
            };
            records.push(Remote {
                external_id: id.to_owned(),
                status: contact["properties"]["hs_lead_status"].as_str().and_then(from_hubspot),
                modified,
            });
        }
        let next = &page["paging"]["next"]["after"];
        after = next
            .as_str()
            .map(str::to_owned)
            .or_else(|| next.as_u64().map(|n| n.to_string()));
        if after.is_none() || records.len() >= MAX_RECORDS {
            break;
        }
    }
    Ok(records)
}
