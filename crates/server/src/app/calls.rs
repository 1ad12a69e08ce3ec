//! Calls, whoever reports them (the provider's webhooks, a business's PBX): opening one from
//! what was keyed (the code resolved to its visit, click or offline source, else the caller's
//! recent visit, else none), merging what is reported later, freeing the call's code once it
//! ends, and flagging a caller's repeated short unanswered calls as spam (`core::spam`).

use super::error::AppResult;
use leadline_core::call::{Call, CallKey, CallOrigin, CallReport, MatchedBy, NewCall};
use leadline_core::keypad::{self, Keyed};
use leadline_core::matching::{self, CallFound, CallLookup};
use leadline_core::provider::{CallSid, Caller, CallerPlace};
use leadline_core::spam::{SpamMark, SpamReason};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{Site, TrackingNumber};
use leadline_core::visit::PoolKey;

/// A call as it arrives: the number dialled, the site it serves, what was keyed, who calls.
pub struct Incoming<'a> {
    pub number: &'a TrackingNumber,
    pub site: Site,
    pub digits: &'a str,
    pub caller: Caller,
    /// The provider's (or PBX's) id of the call: retries with it answer the same record.
    pub call_id: CallSid,
    /// Where the caller is, as the provider says.
    pub place: CallerPlace,
}

/// Resolves the digits and records the call (once per call id), on the lead of its visitor
/// or caller.
pub async fn open_call(store: &dyn Store, incoming: Incoming<'_>) -> AppResult<Call> {
    let settings = &incoming.site.settings;
    let keyed = keypad::read(incoming.digits, settings.check_digit, settings.star_click_codes);
    let (site, origin) = resolve(store, incoming.number, incoming.site, &keyed, &incoming.caller).await?;
    let call = store
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
            place: incoming.place,
        })
        .await?;
    Ok(call)
}

/// Merges a report into the call `key` names, and frees its code once it has ended. A call of
/// another number or business is not found, and nothing changes.
pub async fn report_call(store: &dyn Store, key: CallKey<'_>, report: &CallReport) -> AppResult<Call> {
    let call = store.report_call(key, report).await?;
    if call.ended_at.is_some() {
        free_code(store, &call).await;
        flag_repeated_calls(store, &call).await;
    }
    Ok(call)
}

/// Applies the repeated-short-calls rule once `call` has ended unanswered: when the caller's
/// short unanswered calls reach the business's count within its window, they are flagged. A
/// failure is logged; the call itself stands.
async fn flag_repeated_calls(store: &dyn Store, call: &Call) {
    if let Err(e) = apply_repeat_rule(store, call).await {
        tracing::warn!(error = %e, "the repeated-calls rule could not be applied");
    }
}

async fn apply_repeat_rule(store: &dyn Store, call: &Call) -> AppResult<()> {
    // Only an ended call nobody answered starts the rule (`spam::repeated` checks the rest).
    if call.ended_at.is_none() || call.spam.is_some() || call.answered_by.is_some() || call.caller.is_empty() {
        return Ok(());
    }
    let Some(rule) = store.spam_settings(call.business_id).await?.repeat else {
        return Ok(());
    };
    let now = leadline_core::clock::now();
    let history = store
        .caller_calls_since(call.business_id, &call.caller, rule.since(now))
        .await?;
    let flagged = leadline_core::spam::repeated(&rule, now, &history);
    if !flagged.is_empty() {
        store
            .mark_calls_spam(
                call.business_id,
                &flagged,
                Some(SpamMark::Flagged(SpamReason::Repeated)),
                &leadline_core::lead::Author::system(),
            )
            .await?;
    }
    Ok(())
}

/// Frees the code the call was keyed with, if its visit still holds it (a failure is left to
/// the sweep, which frees idle codes anyway).
async fn free_code(store: &dyn Store, call: &Call) {
    let (Some(code), Some(visit)) = (call.code, &call.origin.visit) else {
        return;
    };
    if !matches!(
        call.origin.matched_by,
        MatchedBy::Code | MatchedBy::Click | MatchedBy::Redial
    ) {
        return;
    }
    let pool = PoolKey {
        number: call.number_id,
        selector: call.selector,
    };
    if let Err(e) = store.free_code_of_visit(pool, code, visit).await {
        tracing::warn!(error = %e, "the code of an ended call could not be freed; the sweep will");
    }
}

/// The origin of the call: the answer of the first of core's lookups that finds something
/// (`matching::call_lookups`). A live code of another site on the same number moves the call
/// to that site.
async fn resolve(
    store: &dyn Store,
    number: &TrackingNumber,
    site: Site,
    keyed: &Keyed,
    caller: &Caller,
) -> Result<(Site, CallOrigin), StoreError> {
    let now_ms = leadline_core::clock::now_millis();
    // A number of the site's pool names its holder; no code is keyed on it.
    let lookups = if number.pool_of == Some(site.id) {
        matching::pool_call_lookups(number.id, caller.number())
    } else {
        matching::call_lookups(keyed, number.id, caller.number(), site.settings.levers(), now_ms)
    };
    for lookup in lookups {
        let Some(found) = look_up(store, &site, lookup, now_ms).await? else {
            continue;
        };
        let elsewhere = match &found {
            CallFound::Live(live) => Some(live.site_id),
            CallFound::ClickIntent { site_id, .. } | CallFound::Rested { site_id, .. } => Some(*site_id),
            _ => None,
        };
        let site = match elsewhere {
            Some(other) if other != site.id => store.site_by_id(other).await?,
            _ => site,
        };
        return Ok((site, matching::origin(Some(found))));
    }
    Ok((site, matching::origin(None)))
}

/// Asks the store one of the matcher's questions.
async fn look_up(
    store: &dyn Store,
    site: &Site,
    lookup: CallLookup,
    now_ms: i64,
) -> Result<Option<CallFound>, StoreError> {
    Ok(match lookup {
        CallLookup::LiveCode(pool, code) => match store.live_code(pool, code).await {
            Ok(live) => Some(CallFound::Live(live)),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
        CallLookup::Redial {
            caller,
            pool,
            code,
            since_ms,
        } => store
            .redial_visit(site.id, caller.as_str(), pool, code, since_ms)
            .await?
            .map(CallFound::Redial),
        CallLookup::RestedCode(pool, code, since_ms) => store
            .rested_code(pool, code, since_ms)
            .await?
            .map(|(site_id, visit)| CallFound::Rested { site_id, visit }),
        CallLookup::ReservedCode(pool, code) => store
            .reserved_label(pool, code)
            .await?
            .map(|label| CallFound::Reserved { label }),
        CallLookup::PoolHolder(number) => store
            .pool_holder(site.id, number, now_ms)
            .await?
            .map(CallFound::PoolHolder),
        CallLookup::RecentVisitOf(caller) => store
            .recent_visit_of_caller(site.id, caller.as_str(), now_ms - matching::CALLER_MEMORY_MS)
            .await?
            .map(CallFound::RecentVisit),
        CallLookup::PendingClicks { number, since_ms } => {
            matching::sole_pending_click(&store.pending_clicks(number, since_ms).await?, now_ms)
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
