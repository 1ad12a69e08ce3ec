//! A fake HubSpot account: contacts (create, update, search) and notes on them.

use super::{Answer, Fake, bearer, json_body, sorted_keys};
use crate::fakes::Request;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

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
    /// What each GDPR delete named (a contact id, or an e-mail address), in order.
    pub gdpr_deleted: Vec<String>,
    pub notes: Vec<HsNote>,
    pub problems: Vec<String>,
    /// The next this many notes are made but answered only after `slow` (a timeout).
    pub slow_notes: u32,
    pub slow: Duration,
    next_id: u64,
}

/// The fake account.
pub type FakeHubspot = Fake<HsState>;

impl FakeHubspot {
    pub async fn start() -> Self {
        let state = HsState {
            next_id: 500,
            slow: Duration::from_secs(3),
            ..HsState::default()
        };
        Self::serve(state, hs_handle).await
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

    /// The requests with this method to exactly this path.
    pub fn requests(&self, method: Method, path: &str) -> Vec<Request> {
        let all = self.api.requests().into_iter();
        all.filter(|r| r.method == method && r.path == path).collect()
    }

    pub fn assert_no_problems(&self) {
        let state = self.state();
        assert!(state.problems.is_empty(), "HubSpot fake: {:#?}", state.problems);
    }
}

fn hs_error(status: u16, category: &str, message: &str) -> Answer {
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

fn hs_handle(s: &mut HsState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Answer {
    let path = uri.path().to_owned();
    let what = format!("{method} {path}");
    let payload = json_body(headers, body, &mut s.problems, &what);
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
        (Method::GET, "/crm/v3/objects/contacts") => hs_page_of_contacts(s, uri),
        (Method::POST, "/crm/v3/objects/contacts/search") => hs_search_contacts(s, &payload),
        (Method::POST, "/crm/v3/objects/contacts/gdpr-delete") => hs_gdpr_delete(s, &payload),
        (Method::POST, "/crm/v3/objects/notes") => hs_create_note(s, &payload),
        (Method::POST, "/crm/v3/objects/notes/search") => hs_search_notes(s, &payload),
        _ => {
            s.problems.push(format!("{what}: unexpected"));
            hs_error(404, "OBJECT_NOT_FOUND", "not found")
        }
    }
}

/// `POST /crm/v3/objects/contacts/gdpr-delete`: `{"objectId": ID}`, or
/// `{"objectId": EMAIL, "idProperty": "email"}`; 204. An unknown id is a 404; an unknown
/// e-mail is blocked from coming back, as HubSpot does, and answered 204.
fn hs_gdpr_delete(s: &mut HsState, payload: &Value) -> Answer {
    let keys = sorted_keys(payload);
    let by_email = payload["idProperty"] == "email";
    let expected: &[&str] = if by_email {
        &["idProperty", "objectId"]
    } else {
        &["objectId"]
    };
    let Some(object) = payload["objectId"].as_str().filter(|_| keys == expected) else {
        s.problems.push(format!("gdpr-delete: body {payload}"));
        return hs_error(400, "VALIDATION_ERROR", "Invalid input JSON");
    };
    let found = if by_email {
        s.contacts
            .iter()
            .find(|(_, c)| c.properties.get("email").and_then(Value::as_str) == Some(object))
            .map(|(id, _)| id.clone())
    } else {
        s.contacts.contains_key(object).then(|| object.to_owned())
    };
    match found {
        Some(id) => {
            s.contacts.remove(&id);
            s.notes.retain(|n| n.contact != id);
        }
        None if !by_email => return hs_error(404, "OBJECT_NOT_FOUND", "Object not found"),
        None => {}
    }
    s.gdpr_deleted.push(object.to_owned());
    (204, Value::Null, Duration::ZERO)
}

/// `GET /crm/v3/objects/contacts?limit=N`: the first page of contacts (`limit` 1 to 100).
fn hs_page_of_contacts(s: &mut HsState, uri: &Uri) -> Answer {
    let limit = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "limit")
        .map_or(Some(10), |(_, v)| {
            v.parse::<usize>().ok().filter(|n| (1..=100).contains(n))
        });
    let Some(limit) = limit else {
        s.problems.push(format!("contacts page: limit in {:?}", uri.query()));
        return hs_error(400, "VALIDATION_ERROR", "limit must be between 1 and 100");
    };
    let results: Vec<Value> = s
        .contacts
        .iter()
        .take(limit)
        .map(|(id, c)| hs_contact_json(id, c))
        .collect();
    (200, json!({ "results": results }), Duration::ZERO)
}

fn hs_check_properties(s: &mut HsState, what: &str, properties: &Map<String, Value>) -> Option<Answer> {
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

fn hs_create_contact(s: &mut HsState, payload: &Value) -> Answer {
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

fn hs_update_contact(s: &mut HsState, id: &str, payload: &Value) -> Answer {
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

fn hs_search_contacts(s: &mut HsState, payload: &Value) -> Answer {
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

fn hs_create_note(s: &mut HsState, payload: &Value) -> Answer {
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

fn hs_search_notes(s: &mut HsState, payload: &Value) -> Answer {
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
