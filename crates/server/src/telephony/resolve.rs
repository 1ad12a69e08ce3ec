//! From keyed digits to a call record: the code resolved to its visit, click or offline
//! source, else the caller's recent visit, else none; shared by the provider webhooks and the
//! PBX API.

use crate::app::AppState;
use leadline_core::call::{Call, CallOrigin, NewCall};
use leadline_core::keypad::{self, Keyed};
use leadline_core::matching::{self, CallFound, CallLookup};
use leadline_core::provider::{CallSid, Caller};
use leadline_core::store::StoreError;
use leadline_core::tenant::{Site, TrackingNumber};

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

/// The origin of the call: the answer of the first of core's lookups that finds something
/// (`matching::call_lookups`). A live code of another site on the same number moves the call
/// to that site.
async fn resolve(
    state: &AppState,
    number: &TrackingNumber,
    site: Site,
    keyed: &Keyed,
    caller: &Caller,
) -> Result<(Site, CallOrigin), StoreError> {
    for lookup in matching::call_lookups(keyed, number.id, caller.number()) {
        let Some(found) = look_up(state, &site, lookup).await? else {
            continue;
        };
        let site = match &found {
            CallFound::Live(live) if live.site_id != site.id => state.store.site_by_id(live.site_id).await?,
            _ => site,
        };
        return Ok((site, matching::origin(Some(found))));
    }
    Ok((site, matching::origin(None)))
}

/// Asks the store one of the matcher's questions.
async fn look_up(state: &AppState, site: &Site, lookup: CallLookup) -> Result<Option<CallFound>, StoreError> {
    Ok(match lookup {
        CallLookup::LiveCode(pool, code) => match state.store.live_code(pool, code).await {
            Ok(live) => Some(CallFound::Live(live)),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
        CallLookup::ReservedCode(pool, code) => state
            .store
            .reserved_label(pool, code)
            .await?
            .map(|label| CallFound::Reserved { label }),
        CallLookup::RecentVisitOf(caller) => {
            let since = chrono::Utc::now().timestamp_millis() - CALLER_MEMORY_MS;
            state
                .store
                .recent_visit_of_caller(site.id, caller.as_str(), since)
                .await?
                .map(CallFound::RecentVisit)
        }
    })
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
