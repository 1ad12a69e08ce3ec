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

use super::{Adapter, Cache, Context, Failure, Sent, http_failure, transport_failure};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::event::{Event, EventKind, LeadSnapshot};
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::{Integration, IntegrationConfig};
use leadline_core::site::Currency;
use leadline_core::store::StoreError;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The Salesforce adapter.
pub struct Salesforce;

/// How long an access token is reused before a new one is asked for (Salesforce's shortest
/// session timeout is 15 minutes; a token that expired earlier is caught by its 401).
pub const TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// The author of the changes the pull makes in Leadline.
pub const AUTHOR: &str = "salesforce";

/// Whether the change behind a lead event was made by `author` (its data's `author`).
pub(crate) fn authored_by(event: &Event, author: &str) -> bool {
    event.data["author"].as_str() == Some(author)
}

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

/// Why a store call failed, as a failure worth retrying.
pub(crate) fn store_failure(error: StoreError) -> Failure {
    Failure::Retry(format!("database: {error}"))
}

/// A person's name as (first name, last name): the last word is the last name.
pub(crate) fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = name.unwrap_or_default().split_whitespace().collect();
    match words.split_last() {
        None => (None, None),
        Some((last, [])) => (None, Some((*last).to_owned())),
        Some((last, rest)) => (Some(rest.join(" ")), Some((*last).to_owned())),
    }
}

/// Where the event's visit came from (`google / cpc`), else where the lead first came from.
fn source_of(event: &Event) -> Option<String> {
    event
        .visitor
        .attribution
        .as_ref()
        .map(|a| format!("{} / {}", a.source, a.medium))
        .or_else(|| event.lead.as_ref().and_then(|l| l.source.clone()))
}

/// An amount in minor units as text in its currency's major units (`120.50`).
fn money(minor: i64, currency: &str) -> String {
    let digits = Currency::parse(currency).map(|c| c.minor_digits()).unwrap_or(2) as u32;
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale as u64;
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

/// What happened, in one line for a person (`Call 1042 from google / cpc, 3 min, answered`);
/// `None` for events that are not worth a line (status and contact changes).
pub(crate) fn summary(event: &Event) -> Option<String> {
    let data = &event.data;
    let from = source_of(event).map(|s| format!(" from {s}")).unwrap_or_default();
    let reference = event.record_ref.map(|r| format!(" {r}")).unwrap_or_default();
    Some(match event.kind {
        EventKind::CallInitiated | EventKind::CallConnected => return None,
        EventKind::CallDialed => format!("Call{reference}{from} came in"),
        EventKind::CallCompleted => {
            let mut line = format!("Call{reference}{from}");
            if let Some(seconds) = data["duration_seconds"].as_u64() {
                if seconds < 60 {
                    line.push_str(&format!(", {seconds} s"));
                } else {
                    line.push_str(&format!(", {} min", (seconds + 30) / 60));
                }
            }
            let outcome = match (data["outcome"].as_str(), data["answered"].as_bool()) {
                (Some(outcome), _) => Some(outcome.replace(['-', '_'], " ")),
                (None, Some(true)) => Some("answered".to_owned()),
                (None, Some(false)) => Some("not answered".to_owned()),
                (None, None) => None,
            };
            if let Some(outcome) = outcome {
                line.push_str(&format!(", {outcome}"));
            }
            line
        }
        EventKind::FormCompleted => format!("Form submitted{from}"),
        EventKind::SaleRecorded => {
            let currency = data["currency"].as_str().unwrap_or("");
            let amount = |key: &str| data[key].as_i64().map(|m| money(m, currency));
            let mut line = format!(
                "Sale of {} {currency}",
                amount("revenue_minor").unwrap_or_else(|| "?".into())
            );
            if let (Some(cost), Some(profit)) = (amount("cost_minor"), amount("profit_minor")) {
                line.push_str(&format!(" (cost {cost}, profit {profit})"));
            }
            if let Some(call) = data["call_ref"].as_u64() {
                line.push_str(&format!(", call {call}"));
            }
            line
        }
        EventKind::NoteAdded => {
            let text = data["text"].as_str().unwrap_or("").trim();
            format!("Note: {}", clip(text, 2_000))
        }
        EventKind::LeadStatusChanged | EventKind::LeadUpdated => return None,
    })
}

/// `text` cut to at most `max` characters.
pub(crate) fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
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
fn contact_fields(lead: &LeadSnapshot, only: Option<&[String]>) -> Map<String, Value> {
    let wanted = |field: &str| only.is_none_or(|only| only.iter().any(|f| f == field));
    let mut fields = Map::new();
    let mut put = |key: &str, value: Option<String>, max: usize| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            fields.insert(key.into(), Value::String(clip(value.trim(), max)));
        }
    };
    if wanted("name") {
        let (first, last) = split_name(lead.name.as_deref());
        put("FirstName", first, 40);
        put("LastName", last, 80);
    }
    if wanted("email") {
        put("Email", lead.email.clone(), 80);
    }
    if wanted("phone") {
        put("Phone", lead.phone.clone(), 40);
    }
    if wanted("company") {
        put("Company", lead.company.clone(), 255);
    }
    fields
}

/// Which fields a `lead.updated` event says changed (`{"changed": {"email": {"from", "to"}}}`,
/// or a list of names); `None` when it changed none (tags).
pub(crate) fn changed_fields(data: &Value) -> Option<Vec<String>> {
    match &data["changed"] {
        Value::Object(map) => Some(map.keys().cloned().collect()),
        Value::Array(list) => Some(list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
        _ => None,
    }
}

/// The Lead to create for `lead`, with what happened.
fn new_lead(lead: &LeadSnapshot, description: Option<String>) -> Map<String, Value> {
    let mut fields = contact_fields(lead, None);
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

/// A string literal in SOQL: backslash and quote escaped, in quotes.
pub(crate) fn soql_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One of Salesforce's error entries.
#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "errorCode")]
    error_code: String,
    #[serde(default)]
    fields: Vec<String>,
}

/// A response from the API.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    /// The error codes of an error response (`DUPLICATE_VALUE`, …).
    fn codes(&self) -> Vec<String> {
        serde_json::from_str::<Vec<ApiError>>(&self.body)
            .map(|errors| errors.into_iter().map(|e| e.error_code).collect())
            .unwrap_or_default()
    }

    fn has_code(&self, code: &str) -> bool {
        self.codes().iter().any(|c| c == code)
    }

    fn json(&self, what: &str) -> Result<Value, Failure> {
        serde_json::from_str(&self.body)
            .map_err(|e| Failure::Retry(format!("Salesforce {what}: the answer is not JSON: {e}")))
    }

    /// What a failed call means: 5xx, 408, 429 and Salesforce's transient codes are retried;
    /// other refusals are final, with Salesforce's own message.
    pub(crate) fn failure(&self, what: &str) -> Failure {
        let message = match serde_json::from_str::<Vec<ApiError>>(&self.body) {
            Ok(errors) if !errors.is_empty() => errors
                .iter()
                .map(|e| {
                    let fields = if e.fields.is_empty() {
                        String::new()
                    } else {
                        format!(" (fields: {})", e.fields.join(", "))
                    };
                    format!("{}: {}{fields}", e.error_code, e.message)
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => self.body.chars().take(500).collect(),
        };
        let message = format!("Salesforce {what}: HTTP {}: {message}", self.status);
        let transient = ["REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"];
        let retry = matches!(http_failure(self.status, ""), Failure::Retry(_))
            || self.codes().iter().any(|c| transient.contains(&c.as_str()));
        if retry {
            Failure::Retry(message)
        } else {
            Failure::Permanent(message)
        }
    }
}

/// An access token and the org's API host.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    access_token: String,
    instance_url: String,
}

/// One org's REST API, with its token.
pub(crate) struct Api<'a> {
    http: &'a reqwest::Client,
    cache: &'a Cache,
    timeout: Duration,
    login_url: String,
    client_id: &'a str,
    client_secret: &'a str,
    /// `/services/data/v60.0`.
    base: String,
    /// The cache key of the token.
    key: String,
}

impl<'a> Api<'a> {
    /// The API of a Salesforce integration; a permanent failure for any other kind.
    pub(crate) fn new(
        http: &'a reqwest::Client,
        cache: &'a Cache,
        timeout: Duration,
        integration: &'a Integration,
    ) -> Result<Self, Failure> {
        let IntegrationConfig::Salesforce {
            login_url,
            client_id,
            client_secret,
            api_version,
            ..
        } = &integration.config
        else {
            return Err(Failure::Permanent(format!(
                "integration {} is {}, not salesforce",
                integration.id,
                integration.config.kind()
            )));
        };
        let version = api_version.trim().trim_start_matches('v');
        Ok(Self {
            http,
            cache,
            timeout,
            login_url: login_url.trim().trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            base: format!("/services/data/v{version}"),
            key: format!("salesforce:{}:{client_id}", integration.id),
        })
    }

    /// The cached token, else a new one.
    async fn token(&self) -> Result<Token, Failure> {
        if let Some(token) = self.cache.get(&self.key).and_then(|t| serde_json::from_str(&t).ok()) {
            return Ok(token);
        }
        let response = self
            .http
            .post(format!("{}/services/oauth2/token", self.login_url))
            .timeout(self.timeout)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id),
                ("client_secret", self.client_secret),
            ])
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e))?;
        if !status.is_success() {
            // `{"error":"invalid_client","error_description":"invalid client credentials"}`
            let said: Value = serde_json::from_str(&body).unwrap_or_default();
            let message = match (said["error"].as_str(), said["error_description"].as_str()) {
                (Some(error), Some(description)) => format!("{error}: {description}"),
                (Some(error), None) => error.to_owned(),
                _ => body.chars().take(300).collect(),
            };
            return Err(match http_failure(status, "") {
                Failure::Retry(_) => Failure::Retry(format!("Salesforce token: HTTP {status}: {message}")),
                Failure::Permanent(_) => Failure::Permanent(format!("Salesforce token: HTTP {status}: {message}")),
            });
        }
        let token: Token = serde_json::from_str(&body).map_err(|e| {
            Failure::Permanent(format!(
                "Salesforce token: no access_token and instance_url in the answer: {e}"
            ))
        })?;
        self.cache.put(
            &self.key,
            serde_json::to_string(&token).expect("tokens serialise"),
            TOKEN_TTL,
        );
        Ok(token)
    }

    /// The path under the versioned API (`/sobjects/Lead/`).
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.base)
    }

    /// Sends `method path_and_query` on the org's host with the token; a 401 forgets the
    /// token and sends once more with a new one. Any answer other than 401 is returned.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Failure> {
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let url = format!("{}{path_and_query}", token.instance_url.trim_end_matches('/'));
            let mut request = self
                .http
                .request(method.clone(), url)
                .timeout(self.timeout)
                .bearer_auth(&token.access_token)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|e| transport_failure(&e))?;
            let status = response.status();
            let body = response.text().await.map_err(|e| transport_failure(&e))?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                self.cache.forget(&self.key);
                refreshed = true;
                continue;
            }
            return Ok(Reply { status, body });
        }
    }

    /// Runs a SOQL query; answers the first batch (`records`, `done`, `nextRecordsUrl`).
    pub(crate) async fn query(&self, soql: &str) -> Result<Value, Failure> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", soql)
            .finish();
        let reply = self
            .send(Method::GET, &self.path(&format!("/query?{query}")), None)
            .await?;
        if !reply.status.is_success() {
            return Err(reply.failure("query"));
        }
        reply.json("query")
    }

    /// The next batch of a query (`nextRecordsUrl`, a path on the org's host).
    pub(crate) async fn query_more(&self, next_records_url: &str) -> Result<Value, Failure> {
        if !next_records_url.starts_with("/services/") {
            return Err(Failure::Permanent(format!(
                "Salesforce query: unexpected nextRecordsUrl {next_records_url}"
            )));
        }
        let reply = self.send(Method::GET, next_records_url, None).await?;
        if !reply.status.is_success() {
            return Err(reply.failure("query"));
        }
        reply.json("query")
    }

    /// The open (unconverted) Lead with the lead's e-mail, else its phone, newest first.
    async fn find_lead(&self, lead: &LeadSnapshot) -> Result<Option<String>, Failure> {
        let condition = match (lead.email.as_deref(), lead.phone.as_deref()) {
            (Some(email), _) if !email.trim().is_empty() => format!("Email = {}", soql_string(email.trim())),
            (_, Some(phone)) if !phone.trim().is_empty() => format!("Phone = {}", soql_string(phone.trim())),
            _ => return Ok(None),
        };
        let soql =
            format!("SELECT Id FROM Lead WHERE IsConverted = false AND {condition} ORDER BY CreatedDate DESC LIMIT 1");
        let answer = self.query(&soql).await?;
        Ok(answer["records"]
            .as_array()
            .and_then(|records| records.first())
            .and_then(|record| record["Id"].as_str())
            .map(str::to_owned))
    }

    /// Creates a Lead; answers its id.
    async fn create_lead(&self, fields: &Map<String, Value>) -> Result<String, Failure> {
        let body = Value::Object(fields.clone());
        let reply = self
            .send(Method::POST, &self.path("/sobjects/Lead/"), Some(&body))
            .await?;
        if !reply.status.is_success() {
            return Err(reply.failure("Lead create"));
        }
        let answer = reply.json("Lead create")?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::Retry(format!("Salesforce Lead create: no id in {answer}")))
    }

    /// Makes the Lead a member of the campaign; already being one is fine.
    async fn join_campaign(&self, campaign: &str, lead: &str) -> Result<(), Failure> {
        let body = json!({ "CampaignId": campaign, "LeadId": lead, "Status": "Responded" });
        let reply = self
            .send(Method::POST, &self.path("/sobjects/CampaignMember/"), Some(&body))
            .await?;
        if reply.status.is_success() || reply.has_code("DUPLICATE_VALUE") {
            return Ok(());
        }
        Err(reply.failure("CampaignMember create"))
    }
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

/// Marks "a delivery of this process is creating the record of this lead" in the cache, for
/// as long as the value lives; dropping it clears the mark. A second delivery of the same lead
/// that finds the mark retries later and then finds the id, instead of creating a twin.
pub(crate) struct Creating<'a> {
    cache: &'a Cache,
    key: String,
}

impl<'a> Creating<'a> {
    pub(crate) fn claim(cache: &'a Cache, key: String, hold: Duration) -> Result<Self, Failure> {
        if cache.get(&key).is_some() {
            return Err(Failure::Retry(
                "another delivery of this lead is creating its record; trying again shortly".into(),
            ));
        }
        cache.put(&key, "1".into(), hold);
        Ok(Self { cache, key })
    }
}

impl Drop for Creating<'_> {
    fn drop(&mut self) {
        self.cache.forget(&self.key);
    }
}

#[async_trait]
impl Adapter for Salesforce {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let delivery = ctx.delivery;
        let integration = &delivery.integration;
        let event = &delivery.event;
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
    let responded = matches!(event.kind, EventKind::CallCompleted | EventKind::FormCompleted);
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
    let mut fields = match event.kind {
        // The pull made this change from Salesforce's own status: sending it back could only
        // replace a value Leadline has no word for ("Nurturing") with its nearest standard one.
        EventKind::LeadStatusChanged if authored_by(event, AUTHOR) => Map::new(),
        EventKind::LeadStatusChanged => {
            let mut fields = Map::new();
            if let Ok(status) = LeadStatus::parse(&lead.status) {
                fields.insert("Status".into(), Value::String(to_salesforce(status).into()));
            }
            fields
        }
        EventKind::LeadUpdated => changed_fields(&event.data)
            .map(|only| contact_fields(lead, Some(&only)))
            .unwrap_or_default(),
        EventKind::FormCompleted => contact_fields(lead, None),
        _ => Map::new(),
    };
    // A call coming in is already on the Lead when it made the Lead; otherwise its end says more.
    let line = line.filter(|_| event.kind != EventKind::CallDialed);
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
    use leadline_core::channel::Attribution;
    use leadline_core::event::VisitorIds;
    use leadline_core::{BusinessId, LeadId};

    fn event(kind: EventKind, data: Value) -> Event {
        Event {
            id: "ev_0123456789abcdefghijkl".into(),
            kind,
            occurred_at: "2024-05-01T14:03:09Z".parse().unwrap(),
            business_id: BusinessId(1),
            site_id: None,
            record_ref: Some(1042),
            lead: Some(snapshot()),
            visitor: VisitorIds {
                attribution: Some(Attribution {
                    source: "google".into(),
                    medium: "cpc".into(),
                    campaign: None,
                    term: None,
                    content: None,
                }),
                ..VisitorIds::default()
            },
            data,
        }
    }

    fn snapshot() -> LeadSnapshot {
        LeadSnapshot {
            id: LeadId(5),
            record_ref: 1000,
            status: "new".into(),
            name: Some("Ann Marie Lee".into()),
            email: Some("ann@example.com".into()),
            phone: Some("+12025550169".into()),
            company: None,
            source: Some("google / cpc".into()),
            tags: vec![],
        }
    }

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
    fn names_split_on_the_last_word() {
        assert_eq!(
            split_name(Some("Ann Marie Lee")),
            (Some("Ann Marie".into()), Some("Lee".into()))
        );
        assert_eq!(split_name(Some("  Cher ")), (None, Some("Cher".into())));
        assert_eq!(split_name(Some("  ")), (None, None));
        assert_eq!(split_name(None), (None, None));
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
    fn summaries_say_what_happened_in_one_line() {
        let completed = event(
            EventKind::CallCompleted,
            json!({"duration_seconds": 170, "answered": true, "outcome": "answered"}),
        );
        assert_eq!(
            summary(&completed).unwrap(),
            "Call 1042 from google / cpc, 3 min, answered"
        );
        let missed = event(
            EventKind::CallCompleted,
            json!({"duration_seconds": 0, "answered": false, "outcome": "no-answer"}),
        );
        assert_eq!(summary(&missed).unwrap(), "Call 1042 from google / cpc, 0 s, no answer");
        let sale = event(
            EventKind::SaleRecorded,
            json!({"currency": "USD", "revenue_minor": 12050, "cost_minor": 2000, "profit_minor": 10050, "call_ref": 1042}),
        );
        assert_eq!(
            summary(&sale).unwrap(),
            "Sale of 120.50 USD (cost 20.00, profit 100.50), call 1042"
        );
        let yen = event(
            EventKind::SaleRecorded,
            json!({"currency": "JPY", "revenue_minor": 5000}),
        );
        assert_eq!(summary(&yen).unwrap(), "Sale of 5000 JPY");
        let note = event(EventKind::NoteAdded, json!({"text": " Wants a quote "}));
        assert_eq!(summary(&note).unwrap(), "Note: Wants a quote");
        assert_eq!(
            summary(&event(EventKind::FormCompleted, json!({}))).unwrap(),
            "Form submitted from google / cpc"
        );
        assert_eq!(summary(&event(EventKind::LeadStatusChanged, json!({}))), None);
        assert_eq!(stamped(&note, "x"), "2024-05-01 14:03 UTC · x");
    }

    #[test]
    fn descriptions_grow_by_lines_and_drop_the_oldest_when_full() {
        assert_eq!(append_line("", "a"), "a");
        assert_eq!(append_line("a\n", "b"), "a\nb");
        let long = "x".repeat(20_000);
        let text = append_line(&format!("{long}\n{long}"), "new");
        assert_eq!(text, format!("{long}\nnew"));
    }

    #[test]
    fn soql_strings_are_escaped() {
        assert_eq!(soql_string("o'brien@example.com"), r"'o\'brien@example.com'");
        assert_eq!(soql_string(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn changed_fields_are_read_from_either_shape() {
        assert_eq!(
            changed_fields(&json!({"changed": {"email": {"from": null, "to": "a@b.c"}}})),
            Some(vec!["email".into()])
        );
        assert_eq!(
            changed_fields(&json!({"changed": ["phone"]})),
            Some(vec!["phone".into()])
        );
        assert_eq!(changed_fields(&json!({})), None);
        let only = contact_fields(&snapshot(), Some(&["email".to_owned()]));
        assert_eq!(Value::Object(only), json!({"Email": "ann@example.com"}));
    }

    #[test]
    fn errors_keep_salesforce_words_and_retry_only_what_can_pass_later() {
        let reply = |status: u16, body: &str| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.into(),
        };
        let refused = reply(
            400,
            r#"[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]"#,
        );
        assert_eq!(
            refused.failure("Lead create"),
            Failure::Permanent(
                "Salesforce Lead create: HTTP 400 Bad Request: REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (fields: LastName)".into()
            )
        );
        let limited = reply(
            403,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert!(matches!(limited.failure("x"), Failure::Retry(_)));
        assert!(matches!(reply(503, "down").failure("x"), Failure::Retry(m) if m.contains("down")));
        assert!(
            reply(
                400,
                r#"[{"message":"already","errorCode":"DUPLICATE_VALUE","fields":[]}]"#
            )
            .has_code("DUPLICATE_VALUE")
        );
    }

    #[test]
    fn salesforce_times_parse() {
        let t = parse_time("2024-05-01T12:00:00.000+0000").unwrap();
        assert_eq!(t, "2024-05-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(parse_time("2024-05-01T12:00:00.000Z").is_some());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn a_second_creation_of_the_same_record_waits_for_the_first() {
        let cache = Cache::default();
        let first = Creating::claim(&cache, "k".into(), Duration::from_secs(60)).unwrap();
        assert!(matches!(
            Creating::claim(&cache, "k".into(), Duration::from_secs(60)),
            Err(Failure::Retry(_))
        ));
        drop(first);
        assert!(Creating::claim(&cache, "k".into(), Duration::from_secs(60)).is_ok());
    }
}
