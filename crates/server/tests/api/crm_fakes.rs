//! Local fakes of Salesforce and HubSpot for the CRM tests. Each records every request it gets
//! and checks it as the real API would (credentials, content type, field names, required
//! fields, picklist values, association types); what does not pass is answered as the real API
//! answers it AND noted in `problems`, which every test asserts is empty.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One request as a fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    /// The bearer token, when the request had one.
    pub bearer: Option<String>,
    /// The JSON body (`Null` when there was none), or the form fields as an object.
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    header(headers, "authorization")
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

/// The body as JSON when it is declared JSON; a problem otherwise.
fn json_body(headers: &HeaderMap, body: &Bytes, problems: &mut Vec<String>, what: &str) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if !header(headers, "content-type").starts_with("application/json") {
        problems.push(format!("{what}: content-type {:?}", header(headers, "content-type")));
    }
    serde_json::from_slice(body).unwrap_or_else(|e| {
        problems.push(format!("{what}: body is not JSON: {e}"));
        Value::Null
    })
}

/// An object's keys in order.
fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

fn answer(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    if body.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Salesforce
// ---------------------------------------------------------------------------------------------

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
    /// `CampaignMember`s: (CampaignId, LeadId, Status).
    pub members: Vec<(String, String, String)>,
    pub requests: Vec<Seen>,
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

pub struct FakeSalesforce {
    pub url: String,
    state: Arc<Mutex<SfState>>,
}

impl FakeSalesforce {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(SfState {
            batch: 2000,
            slow: Duration::from_secs(3),
            ..SfState::default()
        }));
        let app = Router::new().fallback(salesforce).with_state(state.clone());
        let url = serve(app).await;
        state.lock().unwrap().base = url.clone();
        Self { url, state }
    }

    pub fn state(&self) -> MutexGuard<'_, SfState> {
        self.state.lock().unwrap()
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
    pub fn requests(&self, method: Method, suffix: &str) -> Vec<Seen> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .cloned()
            .collect()
    }

    pub fn assert_no_problems(&self) {
        let state = self.state();
        assert!(state.problems.is_empty(), "Salesforce fake: {:#?}", state.problems);
    }
}

fn sf_error(status: u16, code: &str, message: &str, fields: &[&str]) -> (u16, Value, Duration) {
    (
        status,
        json!([{ "message": message, "errorCode": code, "fields": fields }]),
        Duration::ZERO,
    )
}

fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

async fn salesforce(
    State(state): State<Arc<Mutex<SfState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, reply, delay) = {
        let mut s = state.lock().unwrap();
        let outcome = sf_handle(&mut s, &method, &uri, &headers, &body);
        let last = s.requests.len() - 1;
        s.requests[last].status = outcome.0;
        outcome
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer(status, reply)
}

fn sf_handle(s: &mut SfState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> (u16, Value, Duration) {
    let path = uri.path().to_owned();
    let mut seen = Seen {
        method: method.clone(),
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        bearer: bearer(headers),
        body: Value::Null,
        status: 0,
    };
    if path == "/services/oauth2/token" {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        seen.body = json!(form);
        s.requests.push(seen);
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
    seen.body = json_body(headers, body, &mut s.problems, &what);
    let payload = seen.body.clone();
    s.requests.push(seen);
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
        _ => {
            s.problems.push(format!("{what}: unexpected"));
            sf_error(404, "NOT_FOUND", "The requested resource does not exist", &[])
        }
    }
}

/// Checks Lead fields as Salesforce does; the error to answer, if any.
fn sf_check_fields(s: &mut SfState, what: &str, fields: &Map<String, Value>) -> Option<(u16, Value, Duration)> {
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

fn sf_create(s: &mut SfState, payload: &Value) -> (u16, Value, Duration) {
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

fn sf_update(s: &mut SfState, id: &str, payload: &Value) -> (u16, Value, Duration) {
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

fn sf_member(s: &mut SfState, payload: &Value) -> (u16, Value, Duration) {
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

fn sf_query(s: &mut SfState, soql: &str) -> (u16, Value, Duration) {
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
    s.problems.push(format!("query: {soql}"));
    sf_error(400, "MALFORMED_QUERY", "unexpected query", &[])
}

/// The first batch of `records`; the rest wait behind a `nextRecordsUrl`.
fn sf_batch(s: &mut SfState, mut records: Vec<Value>) -> (u16, Value, Duration) {
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

// ---------------------------------------------------------------------------------------------
// HubSpot
// ---------------------------------------------------------------------------------------------

pub const HS_TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

/// HubSpot's default `hs_lead_status` options.
pub const HS_STATUSES: [&str; 8] = [
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
];

const HS_PROPERTIES: [&str; 6] = ["email", "firstname", "lastname", "phone", "company", "hs_lead_status"];

#[derive(Debug, Clone)]
pub struct HsContact {
    pub properties: Map<String, Value>,
    pub modified: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct HsNote {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub body: String,
    pub contact: String,
}

#[derive(Default)]
pub struct HsState {
    pub contacts: BTreeMap<String, HsContact>,
    pub notes: Vec<HsNote>,
    pub requests: Vec<Seen>,
    pub problems: Vec<String>,
    /// The next this many notes are made but answered only after `slow` (a timeout).
    pub slow_notes: u32,
    pub slow: Duration,
    next_id: u64,
}

pub struct FakeHubspot {
    pub url: String,
    state: Arc<Mutex<HsState>>,
}

impl FakeHubspot {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(HsState {
            next_id: 500,
            slow: Duration::from_secs(3),
            ..HsState::default()
        }));
        let app = Router::new().fallback(hubspot).with_state(state.clone());
        let url = serve(app).await;
        Self { url, state }
    }

    pub fn state(&self) -> MutexGuard<'_, HsState> {
        self.state.lock().unwrap()
    }

    /// A contact someone made in HubSpot; answers its id.
    pub fn add_contact(&self, properties: Value) -> String {
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id.to_string();
        state.contacts.insert(
            id.clone(),
            HsContact {
                properties: properties.as_object().cloned().unwrap(),
                modified: Utc::now(),
            },
        );
        id
    }

    /// A salesperson changes a contact's lead status in HubSpot.
    pub fn salesperson_sets_status(&self, id: &str, status: &str) {
        let mut state = self.state();
        let contact = state.contacts.get_mut(id).expect("a contact of the fake");
        contact.properties.insert("hs_lead_status".into(), json!(status));
        contact.modified = Utc::now();
    }

    pub fn requests(&self, method: Method, path: &str) -> Vec<Seen> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    pub fn assert_no_problems(&self) {
        let state = self.state();
        assert!(state.problems.is_empty(), "HubSpot fake: {:#?}", state.problems);
    }
}

fn hs_error(status: u16, category: &str, message: &str) -> (u16, Value, Duration) {
    (
        status,
        json!({"status": "error", "message": message, "correlationId": "c0ffee00-0000-4000-8000-000000000000", "category": category}),
        Duration::ZERO,
    )
}

fn hs_contact_json(id: &str, contact: &HsContact) -> Value {
    let mut properties = contact.properties.clone();
    properties.insert("hs_object_id".into(), json!(id));
    properties.insert(
        "lastmodifieddate".into(),
        json!(contact.modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    json!({
        "id": id,
        "properties": properties,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": contact.modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "archived": false,
    })
}

async fn hubspot(
    State(state): State<Arc<Mutex<HsState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, reply, delay) = {
        let mut s = state.lock().unwrap();
        let outcome = hs_handle(&mut s, &method, &uri, &headers, &body);
        let last = s.requests.len() - 1;
        s.requests[last].status = outcome.0;
        outcome
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer(status, reply)
}

fn hs_handle(s: &mut HsState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> (u16, Value, Duration) {
    let path = uri.path().to_owned();
    let what = format!("{method} {path}");
    let payload = json_body(headers, body, &mut s.problems, &what);
    s.requests.push(Seen {
        method: method.clone(),
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        bearer: bearer(headers),
        body: payload.clone(),
        status: 0,
    });
    if bearer(headers).as_deref() != Some(HS_TOKEN) {
        return hs_error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        );
    }
    match (method.clone(), path.as_str()) {
        (Method::POST, "/crm/v3/objects/contacts") => hs_create_contact(s, &payload),
        (Method::PATCH, p) if p.starts_with("/crm/v3/objects/contacts/") => {
            let id = p.trim_start_matches("/crm/v3/objects/contacts/").to_owned();
            hs_update_contact(s, &id, &payload)
        }
        (Method::POST, "/crm/v3/objects/contacts/search") => hs_search_contacts(s, &payload),
        (Method::POST, "/crm/v3/objects/notes") => hs_create_note(s, &payload),
        (Method::POST, "/crm/v3/objects/notes/search") => hs_search_notes(s, &payload),
        _ => {
            s.problems.push(format!("{what}: unexpected"));
            hs_error(404, "OBJECT_NOT_FOUND", "not found")
        }
    }
}

fn hs_check_properties(s: &mut HsState, what: &str, properties: &Map<String, Value>) -> Option<(u16, Value, Duration)> {
    for (key, value) in properties {
        if !HS_PROPERTIES.contains(&key.as_str()) {
            s.problems.push(format!("{what}: unknown property {key}"));
            return Some(hs_error(
                400,
                "VALIDATION_ERROR",
                &format!("Property \"{key}\" does not exist"),
            ));
        }
        let Some(text) = value.as_str() else {
            s.problems.push(format!("{what}: {key} is not text"));
            return Some(hs_error(400, "VALIDATION_ERROR", "Property values were not valid"));
        };
        if key == "hs_lead_status" && !HS_STATUSES.contains(&text) {
            s.problems.push(format!("{what}: hs_lead_status {text:?}"));
            return Some(hs_error(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: {text} was not one of the allowed options"),
            ));
        }
    }
    None
}

fn hs_create_contact(s: &mut HsState, payload: &Value) -> (u16, Value, Duration) {
    let keys: Vec<&String> = payload.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    let Some(properties) = payload["properties"].as_object().cloned().filter(|_| keys.len() == 1) else {
        s.problems.push(format!("contact create: body {payload}"));
        return hs_error(400, "VALIDATION_ERROR", "Invalid input JSON");
    };
    if let Some(error) = hs_check_properties(s, "contact create", &properties) {
        return error;
    }
    if let Some(email) = properties.get("email").and_then(Value::as_str) {
        let existing = s
            .contacts
            .iter()
            .find(|(_, c)| c.properties.get("email").and_then(Value::as_str) == Some(email))
            .map(|(id, _)| id.clone());
        if let Some(id) = existing {
            return hs_error(409, "CONFLICT", &format!("Contact already exists. Existing ID: {id}"));
        }
    }
    s.next_id += 1;
    let id = s.next_id.to_string();
    let contact = HsContact {
        properties,
        modified: Utc::now(),
    };
    let reply = hs_contact_json(&id, &contact);
    s.contacts.insert(id, contact);
    (201, reply, Duration::ZERO)
}

fn hs_update_contact(s: &mut HsState, id: &str, payload: &Value) -> (u16, Value, Duration) {
    let keys: Vec<&String> = payload.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    let Some(properties) = payload["properties"].as_object().cloned().filter(|_| keys.len() == 1) else {
        s.problems.push(format!("contact update: body {payload}"));
        return hs_error(400, "VALIDATION_ERROR", "Invalid input JSON");
    };
    if properties.is_empty() {
        s.problems.push("contact update: nothing to change".into());
    }
    if let Some(error) = hs_check_properties(s, "contact update", &properties) {
        return error;
    }
    let Some(contact) = s.contacts.get_mut(id) else {
        return hs_error(404, "OBJECT_NOT_FOUND", "resource not found");
    };
    contact.properties.extend(properties);
    contact.modified = Utc::now();
    let reply = hs_contact_json(id, contact);
    (200, reply, Duration::ZERO)
}

/// The one filter group's filters as (property, operator, value).
fn hs_filters(s: &mut HsState, what: &str, payload: &Value) -> Vec<(String, String, String)> {
    let groups = payload["filterGroups"].as_array().cloned().unwrap_or_default();
    if groups.len() != 1 {
        s.problems.push(format!("{what}: {} filter groups", groups.len()));
    }
    let limit = payload["limit"].as_u64().unwrap_or(10);
    if !(1..=200).contains(&limit) {
        s.problems.push(format!("{what}: limit {limit}"));
    }
    groups
        .first()
        .and_then(|g| g["filters"].as_array())
        .into_iter()
        .flatten()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or("").to_owned();
            (text("propertyName"), text("operator"), text("value"))
        })
        .collect()
}

fn hs_search_contacts(s: &mut HsState, payload: &Value) -> (u16, Value, Duration) {
    let filters = hs_filters(s, "contact search", payload);
    let [(property, operator, value)] = filters.as_slice() else {
        s.problems.push(format!("contact search: filters {filters:?}"));
        return hs_error(400, "VALIDATION_ERROR", "bad filters");
    };
    let mut found: Vec<(String, HsContact)> = match (property.as_str(), operator.as_str()) {
        ("email" | "phone", "EQ") => s
            .contacts
            .iter()
            .filter(|(_, c)| c.properties.get(property).and_then(Value::as_str) == Some(value.as_str()))
            .map(|(id, c)| (id.clone(), c.clone()))
            .collect(),
        ("lastmodifieddate", "GT") => {
            let Ok(millis) = value.parse::<i64>() else {
                s.problems
                    .push(format!("contact search: lastmodifieddate value {value:?}"));
                return hs_error(400, "VALIDATION_ERROR", "bad value");
            };
            let sorts = &payload["sorts"];
            if *sorts != json!([{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]) {
                s.problems.push(format!("contact search: sorts {sorts}"));
            }
            let mut found: Vec<(String, HsContact)> = s
                .contacts
                .iter()
                .filter(|(_, c)| c.modified.timestamp_millis() > millis)
                .map(|(id, c)| (id.clone(), c.clone()))
                .collect();
            found.sort_by_key(|(_, c)| c.modified);
            found
        }
        _ => {
            s.problems.push(format!("contact search: filter {property} {operator}"));
            return hs_error(400, "VALIDATION_ERROR", "bad filter");
        }
    };
    let total = found.len();
    let after: usize = payload["after"].as_str().and_then(|a| a.parse().ok()).unwrap_or(0);
    let limit = payload["limit"].as_u64().unwrap_or(10) as usize;
    let page: Vec<Value> = found
        .drain(..)
        .skip(after)
        .take(limit)
        .map(|(id, c)| hs_contact_json(&id, &c))
        .collect();
    let mut reply = json!({"total": total, "results": page});
    if after + limit < total {
        reply["paging"] = json!({"next": {"after": (after + limit).to_string()}});
    }
    (200, reply, Duration::ZERO)
}

fn hs_create_note(s: &mut HsState, payload: &Value) -> (u16, Value, Duration) {
    let keys = sorted_keys(payload);
    if keys != ["associations", "properties"] {
        s.problems.push(format!("note create: keys {keys:?}"));
    }
    let properties = payload["properties"].as_object().cloned().unwrap_or_default();
    let property_keys = sorted_keys(&payload["properties"]);
    if property_keys != ["hs_note_body", "hs_timestamp"] {
        s.problems.push(format!("note create: properties {property_keys:?}"));
    }
    let timestamp = properties
        .get("hs_timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let Some(timestamp) = timestamp else {
        s.problems.push(format!(
            "note create: hs_timestamp {:?}",
            properties.get("hs_timestamp")
        ));
        return hs_error(400, "VALIDATION_ERROR", "hs_timestamp is required");
    };
    let body = properties
        .get("hs_note_body")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if body.trim().is_empty() {
        s.problems.push("note create: empty body".into());
    }
    let associations = payload["associations"].as_array().cloned().unwrap_or_default();
    let [association] = associations.as_slice() else {
        s.problems.push(format!("note create: associations {associations:?}"));
        return hs_error(400, "VALIDATION_ERROR", "associations");
    };
    let types = json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]);
    if association["types"] != types {
        s.problems
            .push(format!("note create: association types {}", association["types"]));
        return hs_error(400, "VALIDATION_ERROR", "invalid association type");
    }
    let contact = association["to"]["id"].as_str().unwrap_or("").to_owned();
    if !s.contacts.contains_key(&contact) {
        s.problems.push(format!("note create: unknown contact {contact:?}"));
        return hs_error(400, "VALIDATION_ERROR", "association to an unknown object");
    }
    s.next_id += 1;
    let id = s.next_id.to_string();
    s.notes.push(HsNote {
        id: id.clone(),
        timestamp: timestamp.with_timezone(&Utc),
        body,
        contact,
    });
    let delay = if s.slow_notes > 0 {
        s.slow_notes -= 1;
        s.slow
    } else {
        Duration::ZERO
    };
    (
        201,
        json!({"id": id, "properties": properties, "archived": false}),
        delay,
    )
}

fn hs_search_notes(s: &mut HsState, payload: &Value) -> (u16, Value, Duration) {
    let filters = hs_filters(s, "note search", payload);
    let mut timestamp = None;
    let mut contact = None;
    for (property, operator, value) in &filters {
        match (property.as_str(), operator.as_str()) {
            ("hs_timestamp", "EQ") => timestamp = value.parse::<i64>().ok(),
            ("associations.contact", "EQ") => contact = Some(value.clone()),
            _ => s.problems.push(format!("note search: filter {property} {operator}")),
        }
    }
    let (Some(timestamp), Some(contact)) = (timestamp, contact) else {
        s.problems.push(format!("note search: filters {filters:?}"));
        return hs_error(400, "VALIDATION_ERROR", "bad filters");
    };
    let results: Vec<Value> = s
        .notes
        .iter()
        .filter(|n| n.contact == contact && n.timestamp.timestamp_millis() == timestamp)
        .map(|n| json!({"id": n.id, "properties": {"hs_timestamp": n.timestamp.to_rfc3339()}}))
        .collect();
    (200, json!({"total": results.len(), "results": results}), Duration::ZERO)
}
