//! A fake of the provider's numbers API (Twilio's REST API, 2010-04-01): it checks every
//! request as Twilio documents it (the path under the account, the method, HTTP Basic with
//! the account id and its auth token, form-encoded bodies with only documented parameters,
//! absolute webhook URLs and GET or POST methods) and answers with Twilio's JSON, errors
//! included (`{code, message, more_info, status}`).

use crate::fakes::FakeApi;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";

/// A number the fake account holds.
#[derive(Debug, Clone)]
pub struct Held {
    pub sid: String,
    pub number: String,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
pub struct Account {
    pub held: Vec<Held>,
    /// Numbers offered by area code.
    pub available: HashMap<String, Vec<String>>,
}

type Shared = Arc<Mutex<Account>>;

/// The parameters the buy and update requests may carry (Twilio's documented ones Leadline
/// uses; a misspelt one would be silently ignored by the real API, so the fake refuses it).
const WEBHOOK_FIELDS: [&str; 6] = [
    "VoiceUrl",
    "VoiceMethod",
    "StatusCallback",
    "StatusCallbackMethod",
    "SmsUrl",
    "SmsMethod",
];

/// Starts the fake with a held number (+14155550199, pointed elsewhere) and two numbers on
/// offer in area code 415.
pub async fn start() -> (FakeApi, Shared) {
    let account = Shared::new(Mutex::new(Account {
        held: vec![Held {
            sid: format!("PN{}", "1".repeat(32)),
            number: "+14155550199".into(),
            form: HashMap::from([("VoiceUrl".to_owned(), "https://old.example/voice".to_owned())]),
        }],
        available: HashMap::from([(
            "415".to_owned(),
            vec!["+14155550123".to_owned(), "+14155550124".to_owned()],
        )]),
    }));
    let base = format!("/2010-04-01/Accounts/{ACCOUNT}");
    let router = Router::new()
        .route(&format!("{base}/IncomingPhoneNumbers.json"), get(list).post(buy))
        .route(
            &format!("{base}/IncomingPhoneNumbers/{{sid}}"),
            axum::routing::post(update),
        )
        .route(
            &format!("{base}/AvailablePhoneNumbers/{{country}}/Local.json"),
            get(search),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found") })
        .with_state(account.clone());
    (FakeApi::start(router).await, account)
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

/// HTTP Basic with the account id and its token, or Twilio's 401.
fn authenticated(headers: &HeaderMap) -> Result<(), Box<Response>> {
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    if given == format!("Basic {expected}") {
        Ok(())
    } else {
        Err(Box::new(error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")))
    }
}

/// A form-encoded body with documented parameters only, absolute URLs and GET/POST methods.
fn form(headers: &HeaderMap, body: &[u8], allowed: &[&str]) -> Result<HashMap<String, String>, Box<Response>> {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type != "application/x-www-form-urlencoded" {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            20001,
            "the body must be form-encoded",
        )));
    }
    let mut fields = HashMap::new();
    for (name, value) in form_urlencoded::parse(body).into_owned() {
        if !allowed.contains(&name.as_str()) {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                20001,
                &format!("unknown parameter {name}"),
            )));
        }
        let bad_url = name.ends_with("Url") || name == "StatusCallback";
        if bad_url && !url::Url::parse(&value).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                21502,
                &format!("{name} is not a valid URL"),
            )));
        }
        if name.ends_with("Method") && !matches!(value.as_str(), "GET" | "POST") {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                21503,
                &format!("{name} must be GET or POST"),
            )));
        }
        fields.insert(name, value);
    }
    Ok(fields)
}

fn resource(held: &Held) -> Value {
    json!({
        "sid": held.sid,
        "account_sid": ACCOUNT,
        "phone_number": held.number,
        "friendly_name": format!("({}) {}-{}", &held.number[2..5], &held.number[5..8], &held.number[8..]),
        "voice_url": held.form.get("VoiceUrl"),
        "voice_method": held.form.get("VoiceMethod").map_or("POST", String::as_str),
        "status_callback": held.form.get("StatusCallback").map_or("", String::as_str),
        "sms_url": held.form.get("SmsUrl").map_or("", String::as_str),
        "capabilities": {"voice": true, "sms": true, "mms": false, "fax": false},
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{}.json", held.sid),
    })
}

async fn list(State(account): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authenticated(&headers) {
        return *refused;
    }
    let account = account.lock().unwrap();
    let numbers: Vec<Value> = account.held.iter().map(resource).collect();
    axum::Json(json!({
        "incoming_phone_numbers": numbers,
        "page": 0, "page_size": 1000, "next_page_uri": null,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json?PageSize=1000&Page=0"),
    }))
    .into_response()
}

async fn search(
    State(account): State<Shared>,
    Path(country): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authenticated(&headers) {
        return *refused;
    }
    if country != "US" {
        return axum::Json(json!({"available_phone_numbers": []})).into_response();
    }
    let area = query.get("AreaCode").cloned().unwrap_or_default();
    if !area.is_empty() && area.parse::<u16>().is_err() {
        return error(StatusCode::BAD_REQUEST, 21452, "AreaCode must be an integer");
    }
    let account = account.lock().unwrap();
    let offered: Vec<Value> = account
        .available
        .get(&area)
        .into_iter()
        .flatten()
        .map(|n| {
            json!({
                "friendly_name": format!("({}) {}-{}", &n[2..5], &n[5..8], &n[8..]),
                "phone_number": n, "locality": "San Francisco", "region": "CA",
                "iso_country": "US", "address_requirements": "none", "beta": false,
                "capabilities": {"voice": true, "SMS": true, "MMS": true},
            })
        })
        .collect();
    axum::Json(json!({"available_phone_numbers": offered, "uri": "/…/Local.json"})).into_response()
}

async fn buy(State(account): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(refused) = authenticated(&headers) {
        return *refused;
    }
    let mut allowed = WEBHOOK_FIELDS.to_vec();
    allowed.push("PhoneNumber");
    let fields = match form(&headers, &body, &allowed) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let Some(number) = fields.get("PhoneNumber").cloned() else {
        return error(StatusCode::BAD_REQUEST, 21450, "PhoneNumber or AreaCode is required");
    };
    let mut account = account.lock().unwrap();
    let offered = account.available.values_mut().find(|numbers| numbers.contains(&number));
    let Some(offered) = offered else {
        return error(
            StatusCode::BAD_REQUEST,
            21422,
            &format!("PhoneNumber {number} is not available"),
        );
    };
    offered.retain(|n| n != &number);
    let held = Held {
        sid: format!("PN{:032x}", account.held.len() + 0xabc),
        number,
        form: fields,
    };
    account.held.push(held.clone());
    (StatusCode::CREATED, axum::Json(resource(&held))).into_response()
}

async fn update(
    State(account): State<Shared>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = authenticated(&headers) {
        return *refused;
    }
    let fields = match form(&headers, &body, &WEBHOOK_FIELDS) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let mut account = account.lock().unwrap();
    let sid = file.strip_suffix(".json").unwrap_or("");
    match account.held.iter_mut().find(|h| h.sid == sid) {
        Some(held) => {
            held.form.extend(fields);
            axum::Json(resource(held)).into_response()
        }
        None => error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found"),
    }
}
