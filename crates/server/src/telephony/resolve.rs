//! From keyed digits to a call record: the code resolved to its visit, click or offline
//! source, else the caller's recent visit, else none; shared by the provider webhooks and the
//! PBX API.

use crate::http::AppState;
use leadline_core::call::{Call, CallOrigin, MatchedBy, NewCall};
use leadline_core::keypad::{self, Keyed};
use leadline_core::provider::{CallSid, Caller};
use leadline_core::store::StoreError;
use leadline_core::tenant::{Site, TrackingNumber};
use leadline_core::visit::PoolKey;

/// How far back a caller's earlier call names their visit when they key no code.
const CALLER_MEMORY_MS: i64 = 7 * 24 * 3_600_000;

/// A call as it arrives: the number dialled, the site it serves, what was keyed, who calls.
pub struct Incoming<'a> {
    pub number: &'a TrackingNumber,
    pub site: Site,
    pub digits: &'a str,
    pub caller: Caller,
    /// The provider's (or PBX's) id of the call: retries with it answer the same record.
    pub call_id: CallSid,
}

/// Resolves the digits and records the call (once per call id).
pub async fn record_call(state: &AppState, incoming: Incoming<'_>) -> Result<Call, StoreError> {
    let settings = &incoming.site.settings;
    let keyed = keypad::read(incoming.digits, settings.check_digit, settings.star_click_codes);
    let (site, origin) = resolve(state, incoming.number, incoming.site, &keyed, &incoming.caller).await?;
    state
        .store
        .open_call(&NewCall {
            business_id: site.business_id,
            site_id: site.id,
            number_id: incoming.number.id,
            provider_call_sid: incoming.call_id,
            caller: incoming.caller,
            keyed: keyed_text(incoming.digits),
            code: keyed.code,
            selector: keyed.selector,
            extension: keyed.extension.clone(),
            origin,
        })
        .await
}

/// The origin of the call: a live code's visit or click, a reserved code's source, else the
/// caller's recent visit, else none. A live code of another site on the same number moves
/// the call to that site.
async fn resolve(
    state: &AppState,
    number: &TrackingNumber,
    site: Site,
    keyed: &Keyed,
    caller: &Caller,
) -> Result<(Site, CallOrigin), StoreError> {
    if let Some(code) = keyed.code {
        let pool = PoolKey {
            number: number.id,
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
    // Only a number names a caller: withheld callers are many people, not one.
    let recent = match caller.number() {
        Some(number) => {
            state
                .store
                .recent_visit_of_caller(site.id, number.as_str(), since)
                .await?
        }
        None => None,
    };
    let origin = match recent {
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

/// What was keyed, as stored: keypad keys only (digits, `*`, `#`), at most 40.
fn keyed_text(digits: &str) -> String {
    digits
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#'))
        .take(40)
        .collect()
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
