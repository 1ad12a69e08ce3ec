//! The call as it comes in: the prompt for the code, the keyed code resolved to its visit,
//! click or offline source, the call record, the forwarded `<Dial>` and the whisper.

use super::signed::{Signed, verify};
use super::twiml::{DialNumber, Verb};
use super::{callback_url, fallback_verbs, twiml_response};
use crate::http::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use leadline_core::call::{Call, CallOrigin, CallReport, MatchedBy, NewCall};
use leadline_core::keypad::{self, Keyed};
use leadline_core::site::SiteKey;
use leadline_core::store::StoreError;
use leadline_core::tenant::Site;
use leadline_core::visit::{PoolKey, Selector};

/// How far back a caller's earlier call names their visit when they key no code.
const CALLER_MEMORY_MS: i64 = 7 * 24 * 3_600_000;
/// Seconds the operators' phones ring before voicemail.
const RING_SECONDS: u32 = 20;

/// The site the call is for: `?site=KEY` where one number serves several, else the first.
async fn site_of(state: &AppState, signed: &Signed) -> Result<Site, StoreError> {
    if let Some(key) = signed.query("site").and_then(|k| SiteKey::parse(k).ok()) {
        let site = state.store.site_by_key(&key).await?;
        if signed.number.site_ids.contains(&site.id) {
            return Ok(site);
        }
    }
    let first = *signed.number.site_ids.first().ok_or(StoreError::NotFound)?;
    state.store.site_by_id(first).await
}

/// The numbers of the business's destinations (at most ten are rung).
async fn destinations(state: &AppState, signed: &Signed) -> Result<Vec<String>, StoreError> {
    let site = site_of(state, signed).await?;
    let all = state.store.list_destinations(site.business_id).await?;
    Ok(all.into_iter().map(|d| d.number.to_string()).collect())
}

/// `POST /twilio/voice`: ask for the extension.
pub async fn incoming(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let signed = match verify(&state, &uri, &headers, body).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    let site_query: Vec<(&str, &str)> = signed.query("site").map(|s| ("site", s)).into_iter().collect();
    let num_digits = match site_of(&state, &signed).await {
        Ok(site) => uniform_code_length(&state, &signed, &site).await,
        Err(e) => {
            tracing::warn!(error = %e, "incoming call: no site; gathering anyway");
            None
        }
    };
    twiml_response(&[Verb::Gather {
        action: callback_url(&state, "/twilio/gather", &signed.number.number, &site_query),
        num_digits,
        timeout_seconds: 5,
        prompt: "Thank you for calling. If you have an extension, enter it now.".into(),
    }])
}

/// The number of digits every live code of the plain pool is keyed with, when they agree:
/// the gather then ends the moment the last digit is keyed.
async fn uniform_code_length(state: &AppState, signed: &Signed, site: &Site) -> Option<usize> {
    let pool = PoolKey {
        number: signed.number.id,
        selector: Selector::Plain,
    };
    let (low, high) = state.store.live_code_span(pool).await.ok()??;
    let check = usize::from(site.settings.check_digit);
    let (low, high) = (low.to_string().len() + check, high.to_string().len() + check);
    (low == high).then_some(low)
}

/// `POST /twilio/gather`: resolve the keyed code, record the call, forward it.
pub async fn keyed(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let signed = match verify(&state, &uri, &headers, body).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    let destinations = destinations(&state, &signed).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot load the destinations of a call");
        Vec::new()
    });
    match forward(&state, &signed, &destinations).await {
        Ok(verbs) => twiml_response(&verbs),
        Err(e) => {
            tracing::error!(error = %e, "the call could not be tracked; forwarding it untracked");
            twiml_response(&fallback_verbs(destinations.into_iter()))
        }
    }
}

async fn forward(state: &AppState, signed: &Signed, destinations: &[String]) -> Result<Vec<Verb>, StoreError> {
    let site = site_of(state, signed).await?;
    let digits = signed.param("Digits").unwrap_or("");
    let keyed = keypad::read(digits, site.settings.check_digit);
    let caller = signed.param("From").unwrap_or("anonymous").to_owned();
    let (site, origin) = resolve(state, signed, site, &keyed, &caller).await?;
    let sid = signed.param("CallSid").ok_or(StoreError::NotFound)?.to_owned();
    let call = state
        .store
        .open_call(&NewCall {
            business_id: site.business_id,
            site_id: site.id,
            number_id: signed.number.id,
            provider_call_sid: sid.clone(),
            caller,
            keyed: digits.chars().take(40).collect(),
            code: keyed.code,
            selector: keyed.selector,
            extension: keyed.extension.clone(),
            origin,
        })
        .await?;
    let recording = callback_url(state, "/twilio/recording", &signed.number.number, &[]);
    if destinations.is_empty() {
        return Ok(voicemail(recording));
    }
    let whisper = callback_url(state, "/twilio/whisper", &signed.number.number, &[("call", &sid)]);
    let numbers = destinations
        .iter()
        .map(|number| DialNumber {
            number: number.clone(),
            whisper_url: Some(whisper.clone()),
            send_digits: call.extension.clone(),
        })
        .collect();
    Ok(vec![Verb::Dial {
        action: Some(callback_url(state, "/twilio/dial", &signed.number.number, &[])),
        timeout_seconds: RING_SECONDS,
        record: site.settings.record_calls,
        recording_callback: recording,
        numbers,
    }])
}

/// The verbs of a voicemail: a prompt and a recording.
pub fn voicemail(recording_callback: String) -> Vec<Verb> {
    vec![
        Verb::Say("Sorry, nobody can take your call right now. Please leave a message after the tone.".into()),
        Verb::Record {
            max_length_seconds: 120,
            recording_callback,
        },
        Verb::Hangup,
    ]
}

/// The origin of the call: a live code's visit or click, a reserved code's source, else the
/// caller's recent visit, else none. A live code of another site on the same number moves
/// the call to that site.
async fn resolve(
    state: &AppState,
    signed: &Signed,
    site: Site,
    keyed: &Keyed,
    caller: &str,
) -> Result<(Site, CallOrigin), StoreError> {
    if let Some(code) = keyed.code {
        let pool = PoolKey {
            number: signed.number.id,
            selector: keyed.selector,
        };
        match state.store.live_code(pool, code).await {
            Ok(live) => {
                let site = if live.site_id == site.id {
                    site
                } else {
                    state.store.site_by_id(live.site_id).await?
                };
                let matched_by = if live.intent.is_some() {
                    MatchedBy::Click
                } else {
                    MatchedBy::Code
                };
                let origin = CallOrigin {
                    matched_by,
                    visit: Some(live.visit),
                    intent: live.intent,
                    source_label: None,
                };
                return Ok((site, origin));
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
        if let Some(label) = state.store.reserved_label(pool, code).await? {
            let origin = CallOrigin {
                matched_by: MatchedBy::Reserved,
                visit: None,
                intent: None,
                source_label: Some(label),
            };
            return Ok((site, origin));
        }
    }
    let since = chrono::Utc::now().timestamp_millis() - CALLER_MEMORY_MS;
    let origin = match state.store.recent_visit_of_caller(site.id, caller, since).await? {
        Some(visit) => CallOrigin {
            matched_by: MatchedBy::Caller,
            visit: Some(visit),
            intent: None,
            source_label: None,
        },
        None => CallOrigin {
            matched_by: MatchedBy::None,
            visit: None,
            intent: None,
            source_label: None,
        },
    };
    Ok((site, origin))
}

/// `POST /twilio/whisper`: on the answering operator's leg, say whose call it is. The
/// request's `To` is the operator who answered, recorded on the call.
pub async fn whisper(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let signed = match verify(&state, &uri, &headers, body).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    let Some(sid) = signed.query("call").map(str::to_owned) else {
        return twiml_response(&[]);
    };
    let report = CallReport {
        answered_by: signed.param("To").map(str::to_owned),
        ..CallReport::default()
    };
    match state.store.report_call(&sid, &report).await {
        Ok(call) => twiml_response(&[Verb::Say(announcement(&call))]),
        Err(e) => {
            tracing::warn!(error = %e, "whisper: unknown call; bridging without an announcement");
            twiml_response(&[])
        }
    }
}

/// "Call 1042 from google cpc, keyword sofa upholstery."
pub fn announcement(call: &Call) -> String {
    let mut text = format!("Call {}", call.record_ref);
    match (&call.attribution, &call.origin.source_label) {
        (Some(a), _) => {
            text.push_str(&format!(" from {} {}", a.source, a.medium));
            if let Some(campaign) = &a.campaign {
                text.push_str(&format!(", campaign {campaign}"));
            }
            if let Some(term) = &a.term {
                text.push_str(&format!(", keyword {term}"));
            }
        }
        (None, Some(label)) => text.push_str(&format!(" from {label}")),
        (None, None) => text.push_str(", source unknown"),
    }
    text.push('.');
    text
}
