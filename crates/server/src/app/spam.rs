//! Spam and robocalls: screening a call before it rings (a blocked or listed number is answered
//! with the business's choice and logged as spam), a person's mark, the block list and the settings. What counts as spam is decided in
//! `leadline_core::spam`.

use super::audit;
use super::calls::{self, Incoming};
use super::error::{AppError, AppResult};
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::call::{Call, CallKey, CallReport};
use leadline_core::lead::Author;
use leadline_core::phone::E164;
use leadline_core::spam::{self, BlockSource, BlockedAnswer, SpamMark, SpamReason, SpamSettings};
use leadline_core::store::Store;

/// A call answered before it rang anyone: what the caller gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    pub answer: BlockedAnswer,
    /// The call as logged (flagged spam), when it could be.
    pub call: Option<Call>,
}

/// Whether the call's number is blocked or on the spam list of the site's business; if it is,
/// the call is logged flagged spam and ended, and the business's answer is given back. `None`
/// (ring as usual) when it is on neither, or when the list cannot be read: a failure here
/// never keeps a caller from the business.
pub async fn screen(store: &dyn Store, incoming: Incoming<'_>) -> Option<Screened> {
    let business = incoming.site.business_id;
    let caller = incoming.caller.number()?.as_str().to_owned();
    let reason = match store.blocked_reason(business, &caller).await {
        Ok(reason) => reason?,
        Err(e) => {
            tracing::warn!(error = %e, "spam screening: the block list could not be read; ringing");
            return None;
        }
    };
    let answer = match store.spam_settings(business).await {
        Ok(settings) => settings.answer,
        Err(e) => {
            tracing::warn!(error = %e, "spam screening: settings unreadable; rejecting");
            BlockedAnswer::Reject
        }
    };
    let call = log_screened(store, incoming, reason)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "a blocked call could not be logged"))
        .ok();
    Some(Screened { answer, call })
}

/// Logs a screened call: opened (no digits were asked for), flagged, ended at once.
async fn log_screened(store: &dyn Store, incoming: Incoming<'_>, reason: SpamReason) -> AppResult<Call> {
    let business = incoming.site.business_id;
    let call_id = incoming.call_id.clone();
    let number = incoming.number.id;
    let call = calls::open_call(store, incoming).await?;
    store
        .mark_calls_spam(
            business,
            &[call.record_ref],
            Some(SpamMark::Flagged(reason)),
            &Author::system(),
        )
        .await?;
    let ended = CallReport {
        duration_seconds: Some(0),
        ended: true,
        ..CallReport::default()
    };
    let key = CallKey::Provider { number, sid: &call_id };
    calls::report_call(store, key, &ended).await
}

/// A person marks the business's call `record_ref` as spam (`true`) or not spam; not spam is
/// remembered, so no rule flags the call again.
pub async fn mark_call(
    store: &dyn Store,
    business: BusinessId,
    record_ref: u64,
    is_spam: bool,
    author: &Author,
) -> AppResult<Call> {
    let call = store.call_by_ref(business, record_ref).await?;
    let (mark, action) = if is_spam {
        (SpamMark::Flagged(SpamReason::Operator), AuditAction::CallMarkedSpam)
    } else {
        (SpamMark::Cleared, AuditAction::CallClearedSpam)
    };
    if SpamMark::is_spam(call.spam) == is_spam {
        return Ok(call);
    }
    store
        .mark_calls_spam(business, &[record_ref], Some(mark), author)
        .await?;
    let subject = AuditSubject::of("call", record_ref);
    audit::record(store, business, author, action, subject, AuditDetail::new("")).await;
    Ok(store.call_by_ref(business, record_ref).await?)
}

/// Blocks `number` for the business: its next calls are answered before anyone is rung.
pub async fn block(store: &dyn Store, business: BusinessId, number: &E164, author: &Author) -> AppResult<()> {
    store.block_number(business, number, BlockSource::Operator).await?;
    audit::record(
        store,
        business,
        author,
        AuditAction::NumberBlocked,
        numbered(number),
        AuditDetail::new(""),
    )
    .await;
    Ok(())
}

/// Blocks the caller of the business's call `record_ref` and flags that call: the lead page's
/// *Block this number*.
pub async fn block_caller(store: &dyn Store, business: BusinessId, record_ref: u64, author: &Author) -> AppResult<()> {
    let call = store.call_by_ref(business, record_ref).await?;
    let number = E164::from_stored(&call.caller)
        .map_err(|_| AppError::Refused("the caller's number is withheld, so it cannot be blocked".into()))?;
    block(store, business, &number, author).await?;
    if !SpamMark::is_spam(call.spam) {
        store
            .mark_calls_spam(
                business,
                &[record_ref],
                Some(SpamMark::Flagged(SpamReason::Blocked)),
                author,
            )
            .await?;
    }
    Ok(())
}

/// Takes a number a person blocked off the list.
pub async fn unblock(store: &dyn Store, business: BusinessId, number: &E164, author: &Author) -> AppResult<()> {
    store.unblock_number(business, number).await?;
    audit::record(
        store,
        business,
        author,
        AuditAction::NumberUnblocked,
        numbered(number),
        AuditDetail::new(""),
    )
    .await;
    Ok(())
}

/// Replaces the business's list of known spam numbers with those `text` holds (read by
/// `spam::parse_list`, national numbers in the country of the business's first number).
/// Answers how many are on the list.
pub async fn replace_list(store: &dyn Store, business: BusinessId, text: &str, author: &Author) -> AppResult<u64> {
    let numbers = store.list_numbers(business).await?;
    let like = numbers.first().map(|n| &n.number);
    let list = spam::parse_list(text, like)?;
    let stored = store.replace_spam_list(business, &list).await?;
    let detail = AuditDetail::new(format!("{} numbers", list.len()));
    audit::record(
        store,
        business,
        author,
        AuditAction::SpamListReplaced,
        AuditSubject::business(),
        detail,
    )
    .await;
    Ok(stored)
}

/// Changes what a blocked caller gets and the repeated-calls rule.
pub async fn configure(
    store: &dyn Store,
    business: BusinessId,
    settings: &SpamSettings,
    author: &Author,
) -> AppResult<()> {
    store.set_spam_settings(business, settings).await?;
    let rule = match settings.repeat {
        Some(r) => format!("{} calls of {} s in {} h", r.calls, r.max_seconds, r.within_hours),
        None => "off".into(),
    };
    let detail = AuditDetail::new(format!("{}; repeated calls: {rule}", settings.answer.kind()));
    audit::record(
        store,
        business,
        author,
        AuditAction::SpamSettingsChanged,
        AuditSubject::business(),
        detail,
    )
    .await;
    Ok(())
}

/// A blocked number in the audit log by its last four digits only: the log outlives a
/// person's erasure, so it holds no whole number.
fn numbered(number: &E164) -> AuditSubject {
    let digits = number.as_str();
    let tail = &digits[digits.len().saturating_sub(4)..];
    AuditSubject::of("blocked number", format!("…{tail}"))
}
