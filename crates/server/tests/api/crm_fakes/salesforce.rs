//! A fake Salesforce org: the OAuth token endpoint, SOQL queries (a Lead lookup and the
//! pull's, in batches), Leads and CampaignMembers.

use super::{Answer, Fake, bearer, header, json_body, sorted_keys};
use crate::fakes::Request;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

pub const SF_CLIENT_ID: &str = "3MVG9leadline.test.client";
pub const SF_CLIENT_SECRET: &str = "sf-client-secret-0123456789";
pub const SF_VERSION: &str = "v60.0";

/// The standard Lead Status picklist; the fake refuses anything else, as a restricted
/// picklist does.
pub const SF_STATUSES: [&str; 4] = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];

/// Lead fields the fake knows, with their lengths.
const SF_LEAD_FIELDS: [(&str, usize); 8] = [
    ("FirstName", 40),
    ("LastName", 80),
    ("Company", 255),
    ("Email", 80),
    ("Phone", 40),
    ("LeadSource", 40),
    ("Status", 255),
    ("Description", 32_000),
];

/// A Lead in the fake org.
#[derive(Debug, Clone)]
pub struct SfLead {
    pub fields: Map<String, Value>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub converted: bool,
}

#[derive(Default)]
pub struct SfState {
    pub base: String,
    pub tokens_issued: Vec<String>,
    valid: HashSet<String>,
    pub leads: BTreeMap<String, SfLead>,
    /// The ids of Leads deleted (`DELETE /sobjects/Lead/{id}`), in order.
    pub deleted: Vec<String>,
    /// `CampaignMember`s: (CampaignId, LeadId, Status).
    pub members: Vec<(String, String, String)>,
    pub problems: Vec<String>,
    /// The next this many Lead creates are made but answered only after `slow` (a timeout).
    pub slow_creates: u32,
    pub slow: Duration,
    /// Every Lead create is refused with this status and body.
    pub refuse_creates: Option<(u16, Value)>,
    /// The `since` of each pull query.
    pub pulls_since: Vec<DateTime<Utc>>,
    /// Records a query answers per batch (Salesforce's is 2,000).
    pub batch: usize,
    /// Records waiting behind a `nextRecordsUrl`, by locator.
    more: BTreeMap<String, Vec<Value>>,
    next_id: u64,
}

/// The fake org.
pub type FakeSalesforce = Fake<SfState>;

impl FakeSalesforce {
    pub async fn start() -> Self {
        let state = SfState {
            batch: 2000,
            slow: Duration::from_secs(3),
            ..SfState::default()
        };
        let fake = Self::serve(state, sf_handle).await;
        fake.state().base = fake.url.clone();
        fake
    }

    /// Every token issued so far stops working (a session timeout).
    pub fn expire_tokens(&self) {
        self.state().valid.clear();
    }

    /// A salesperson changes a Lead's status in Salesforce.
    pub fn salesperson_sets_status(&self, id: &str, status: &str) {
        let mut state = self.state();
        let lead = state.leads.get_mut(id).expect("a Lead of the fake");
        lead.fields.insert("Status".into(), json!(status));
        lead.modified = Utc::now();
    }

    /// The only Lead of the org.
    pub fn only_lead(&self) -> (String, SfLead) {
        let state = self.state();
        assert_eq!(state.leads.len(), 1, "one Lead: {:?}", state.leads);
        let (id, lead) = state.leads.iter().next().unwrap();
        (id.clone(), lead.clone())
    }

    /// The requests with this method whose path ends with `suffix`.
    pub fn requests(&self, method: Method, suffix: &str) -> Vec<Request> {
        self.api.requests_to(method, suffix)
    }

    pub fn assert_no_problems(&self) {
        let state = self.state();
        assert!(state.problems.is_empty(), "Salesforce fake: {:#?}", state.problems);
    }
}

fn sf_error(status: u16, code: &str, message: &str, fields: &[&str]) -> Answer {
    (
        status,
        json!([{ "message": message, "errorCode": code, "fields": fields }]),
        Duration::ZERO,
    )
}

fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

fn sf_handle(s: &mut SfState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    let path = uri.path().to_owned();
    if path == "/services/oauth2/token" {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        if *method != Method::POST {
            s.problems.push(format!("token: {method}"));
        }
        if header(headers, "content-type") != "application/x-www-form-urlencoded" {
            s.problems
                .push(format!("token: content-type {:?}", header(headers, "content-type")));
        }
        let expected: BTreeMap<String, String> = [
            ("grant_type", "client_credentials"),
            ("client_id", SF_CLIENT_ID),
            ("client_secret", SF_CLIENT_SECRET),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        if form != expected {
            let wrong_secret = form.get("client_secret").map(String::as_str) != Some(SF_CLIENT_SECRET);
            if !wrong_secret || form.len() != 3 {
                s.problems.push(format!("token: form {form:?}"));
            }
            return (
                400,
                json!({"error": "invalid_client", "error_description": "invalid client credentials"}),
                Duration::ZERO,
            );
        }
        let token = format!("00Dfake!token{}", s.tokens_issued.len() + 1);
        s.tokens_issued.push(token.clone());
        s.valid.insert(token.clone());
        let reply = json!({
            "access_token": token,
            "instance_url": s.base,
            "id": format!("{}/id/00Dfake/005fake", s.base),
            "token_type": "Bearer",
            "issued_at": Utc::now().timestamp_millis().to_string(),
            "signature": "c2lnbmF0dXJl",
        });
        return (200, reply, Duration::ZERO);
    }
    let what = format!("{method} {path}");
    let payload = json_body(headers, body, &mut s.problems, &what);
    match bearer(headers) {
        None => {
            s.problems.push(format!("{what}: no bearer token"));
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid", &[]);
        }
        Some(token) if !s.valid.contains(&token) => {
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid", &[]);
        }
        Some(_) => {}
    }
    let api = format!("/services/data/{SF_VERSION}");
    let Some(rest) = path.strip_prefix(&api).map(str::to_owned) else {
        s.problems.push(format!("{what}: not under {api}"));
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[]);
    };
    let query: BTreeMap<String, String> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    match (method.clone(), rest.as_str()) {
        (Method::GET, "/query") => sf_query(s, query.get("q").map(String::as_str).unwrap_or("")),
        (Method::GET, more) if more.starts_with("/query/") => {
            let locator = more.trim_start_matches("/query/").to_owned();
            match s.more.remove(&locator) {
                Some(records) => sf_batch(s, records),
                None => {
                    s.problems.push(format!("{what}: unknown locator"));
                    sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[])
                }
            }
        }
        (Method::POST, "/sobjects/Lead/") => sf_create(s, &payload),
        (Method::GET, lead) if lead.starts_with("/sobjects/Lead/") => {
            let id = lead.trim_start_matches("/sobjects/Lead/");
            if query.get("fields").map(String::as_str) != Some("Description") {
                s.problems.push(format!("{what}: fields {:?}", query.get("fields")));
            }
            match s.leads.get(id) {
                None => sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[]),
                Some(lead) => {
                    let mut record = json!({
                        "attributes": {"type": "Lead", "url": format!("{api}/sobjects/Lead/{id}")},
                        "Id": id,
                    });
                    record["Description"] = lead.fields.get("Description").cloned().unwrap_or(Value::Null);
                    (200, record, Duration::ZERO)
                }
            }
        }
        (Method::PATCH, lead) if lead.starts_with("/sobjects/Lead/") => {
            let id = lead.trim_start_matches("/sobjects/Lead/").to_owned();
            sf_update(s, &id, &payload)
        }
        (Method::POST, "/sobjects/CampaignMember/") => sf_member(s, &payload),
        (Method::DELETE, lead) if lead.starts_with("/sobjects/Lead/") => {
            let id = lead.trim_start_matches("/sobjects/Lead/").to_owned();
            if s.leads.remove(&id).is_some() {
                s.deleted.push(id);
                (204, Value::Null, Duration::ZERO)
            } else if s.deleted.contains(&id) {
                sf_error(404, "ENTITY_IS_DELETED", "entity is deleted", &[])
            } else {
                sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[])
            }
        }
        _ => {
            s.problems.push(format!("{what}: unexpected"));
            sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[])
        }
    }
}

/// Checks Lead fields as Salesforce does; the error to answer, if any.
fn sf_check_fields(s: &mut SfState, what: &str, fields: &Map<String, Value>) -> Option<Answer> {
    for (key, value) in fields {
        let Some((_, max)) = SF_LEAD_FIELDS.iter().find(|(name, _)| name == key) else {
            s.problems.push(format!("{what}: unknown field {key}"));
            return Some(sf_error(
                400,
                "INVALID_FIELD",
                &format!("No such column '{key}' on sobject of type Lead"),
                &[],
            ));
        };
        let Some(text) = value.as_str() else {
            s.problems.push(format!("{what}: {key} is not text: {value}"));
            return Some(sf_error(400, "JSON_PARSER_ERROR", "Cannot deserialize", &[key]));
        };
        if text.chars().count() > *max {
            s.problems.push(format!("{what}: {key} longer than {max}"));
            return Some(sf_error(
                400,
                "STRING_TOO_LONG",
                &format!("{key}: data value too large"),
                &[key],
            ));
        }
        if key == "Status" && !SF_STATUSES.contains(&text) {
            s.problems.push(format!("{what}: Status {text:?}"));
            return Some(sf_error(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                &format!("Status: bad value for restricted picklist field: {text}"),
                &["Status"],
            ));
        }
        if key == "Email" && !text.contains('@') {
            s.problems.push(format!("{what}: Email {text:?}"));
            return Some(sf_error(
                400,
                "INVALID_EMAIL_ADDRESS",
                "Email: invalid email address",
                &["Email"],
            ));
        }
    }
    None
}

fn sf_create(s: &mut SfState, payload: &Value) -> Answer {
    if let Some((status, body)) = s.refuse_creates.clone() {
        return (status, body, Duration::ZERO);
    }
    let Some(fields) = payload.as_object().cloned() else {
        s.problems.push(format!("Lead create: body {payload}"));
        return sf_error(400, "JSON_PARSER_ERROR", "not an object", &[]);
    };
    if let Some(error) = sf_check_fields(s, "Lead create", &fields) {
        return error;
    }
    for required in ["LastName", "Company"] {
        if fields
            .get(required)
            .and_then(Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
        {
            s.problems.push(format!("Lead create: no {required}"));
            return sf_error(
                400,
                "REQUIRED_FIELD_MISSING",
                &format!("Required fields are missing: [{required}]"),
                &[required],
            );
        }
    }
    s.next_id += 1;
    let id = format!("00Q5g00000Fake{:04}", s.next_id);
    let now = Utc::now();
    s.leads.insert(
        id.clone(),
        SfLead {
            fields,
            created: now,
            modified: now,
            converted: false,
        },
    );
    let delay = if s.slow_creates > 0 {
        s.slow_creates -= 1;
        s.slow
    } else {
        Duration::ZERO
    };
    (201, json!({"id": id, "success": true, "errors": []}), delay)
}

fn sf_update(s: &mut SfState, id: &str, payload: &Value) -> Answer {
    let Some(fields) = payload.as_object().cloned() else {
        s.problems.push(format!("Lead update: body {payload}"));
        return sf_error(400, "JSON_PARSER_ERROR", "not an object", &[]);
    };
    if fields.is_empty() {
        s.problems.push("Lead update: nothing to change".into());
    }
    if let Some(error) = sf_check_fields(s, "Lead update", &fields) {
        return error;
    }
    let Some(lead) = s.leads.get_mut(id) else {
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[]);
    };
    if lead.converted {
        return sf_error(
            400,
            "CANNOT_UPDATE_CONVERTED_LEAD",
            "cannot reference converted lead",
            &[],
        );
    }
    lead.fields.extend(fields);
    lead.modified = Utc::now();
    (204, Value::Null, Duration::ZERO)
}

fn sf_member(s: &mut SfState, payload: &Value) -> Answer {
    let keys = sorted_keys(payload);
    if keys != ["CampaignId", "LeadId", "Status"] {
        s.problems.push(format!("CampaignMember: fields {keys:?}"));
        return sf_error(400, "INVALID_FIELD", "bad fields", &[]);
    }
    let (campaign, lead, status) = (
        payload["CampaignId"].as_str().unwrap_or("").to_owned(),
        payload["LeadId"].as_str().unwrap_or("").to_owned(),
        payload["Status"].as_str().unwrap_or("").to_owned(),
    );
    if !s.leads.contains_key(&lead) {
        s.problems.push(format!("CampaignMember: unknown Lead {lead}"));
        return sf_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &["LeadId"],
        );
    }
    if status != "Responded" {
        s.problems.push(format!("CampaignMember: Status {status}"));
    }
    if s.members.iter().any(|(c, l, _)| *c == campaign && *l == lead) {
        return sf_error(400, "DUPLICATE_VALUE", "Already a campaign member.", &[]);
    }
    s.members.push((campaign, lead, status));
    s.next_id += 1;
    (
        201,
        json!({"id": format!("00v5g00000Fake{:04}", s.next_id), "success": true, "errors": []}),
        Duration::ZERO,
    )
}

/// A SOQL string literal's content, unescaped, and what follows it.
fn soql_literal(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '\'' => return Some((out, &rest[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn sf_query(s: &mut SfState, soql: &str) -> Answer {
    let lookup = "SELECT Id FROM Lead WHERE IsConverted = false AND ";
    let pull = "SELECT Id, Status, IsConverted, LastModifiedDate FROM Lead WHERE LastModifiedDate > ";
    if let Some(condition) = soql.strip_prefix(lookup) {
        let parsed = ["Email", "Phone"].iter().find_map(|field| {
            let literal = condition.strip_prefix(&format!("{field} = "))?;
            let (value, rest) = soql_literal(literal)?;
            (rest == " ORDER BY CreatedDate DESC LIMIT 1").then_some((*field, value))
        });
        let Some((field, value)) = parsed else {
            s.problems.push(format!("query: {soql}"));
            return sf_error(400, "MALFORMED_QUERY", "unexpected token", &[]);
        };
        let mut found: Vec<(&String, &SfLead)> = s
            .leads
            .iter()
            .filter(|(_, l)| !l.converted && l.fields.get(field).and_then(Value::as_str) == Some(value.as_str()))
            .collect();
        found.sort_by_key(|(_, l)| std::cmp::Reverse(l.created));
        let records: Vec<Value> = found
            .iter()
            .take(1)
            .map(|(id, _)| json!({"attributes": {"type": "Lead"}, "Id": id}))
            .collect();
        return (
            200,
            json!({"totalSize": records.len(), "done": true, "records": records}),
            Duration::ZERO,
        );
    }
    if let Some(rest) = soql.strip_prefix(pull) {
        let Some(literal) = rest.strip_suffix(" ORDER BY LastModifiedDate") else {
            s.problems.push(format!("query: {soql}"));
            return sf_error(400, "MALFORMED_QUERY", "unexpected token", &[]);
        };
        let Ok(since) = chrono::NaiveDateTime::parse_from_str(literal, "%Y-%m-%dT%H:%M:%SZ") else {
            s.problems.push(format!("query: datetime literal {literal}"));
            return sf_error(
                400,
                "MALFORMED_QUERY",
                "value of filter criterion is not of type dateTime",
                &[],
            );
        };
        let since = since.and_utc();
        s.pulls_since.push(since);
        let mut changed: Vec<(&String, &SfLead)> = s.leads.iter().filter(|(_, l)| l.modified > since).collect();
        changed.sort_by_key(|(_, l)| l.modified);
        let records: Vec<Value> = changed
            .iter()
            .map(|(id, l)| {
                json!({
                    "attributes": {"type": "Lead", "url": format!("/services/data/{SF_VERSION}/sobjects/Lead/{id}")},
                    "Id": id,
                    "Status": l.fields.get("Status").cloned().unwrap_or(Value::Null),
                    "IsConverted": l.converted,
                    "LastModifiedDate": sf_time(l.modified),
                })
            })
            .collect();
        return sf_batch(s, records);
    }
    if soql == "SELECT Id FROM Lead LIMIT 1" {
        let first: Vec<Value> = s
            .leads
            .keys()
            .take(1)
            .map(|id| json!({"attributes": {"type": "Lead"}, "Id": id}))
            .collect();
        return (
            200,
            json!({"totalSize": first.len(), "done": true, "records": first}),
            Duration::ZERO,
        );
    }
    s.problems.push(format!("query: {soql}"));
    sf_error(400, "MALFORMED_QUERY", "unexpected query", &[])
}

/// The first batch of `records`; the rest wait behind a `nextRecordsUrl`.
fn sf_batch(s: &mut SfState, mut records: Vec<Value>) -> Answer {
    let total = records.len();
    if records.len() <= s.batch {
        return (
            200,
            json!({"totalSize": total, "done": true, "records": records}),
            Duration::ZERO,
        );
    }
    let rest = records.split_off(s.batch);
    s.next_id += 1;
    let locator = format!("01gFake{:04}-{}", s.next_id, s.batch);
    s.more.insert(locator.clone(), rest);
    (
        200,
        json!({
            "totalSize": total,
            "done": false,
            "nextRecordsUrl": format!("/services/data/{SF_VERSION}/query/{locator}"),
            "records": records,
        }),
        Duration::ZERO,
    )
}
