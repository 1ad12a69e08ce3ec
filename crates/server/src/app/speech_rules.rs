//! A business's rules on what was said: added and removed by its owners, applied to each new
//! transcript, and on request to every past one. What a rule does to a lead (a tag, a status)
//! goes through `leads::change_lead` with the rules as its author, so it reaches the outbox
//! (GA4, the CRM, webhooks) like any other change; the score is kept on the call's transcript.

use super::audit;
use super::error::AppResult;
use super::leads::change_lead;
use leadline_core::BusinessId;
use leadline_core::LeadId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::{Author, LeadChange, LeadStatus};
use leadline_core::speech_rules::{NewSpeechRule, SpeechRule, judge};
use leadline_core::store::Store;
use leadline_core::transcript::Transcript;

/// Past transcripts read per page when the rules are applied again.
const PAGE: u32 = 200;

/// Adds a rule at the end of the business's list.
pub async fn add_rule(
    store: &dyn Store,
    business: BusinessId,
    author: &Author,
    rule: &NewSpeechRule,
) -> AppResult<SpeechRule> {
    rule.validate()?;
    let added = store.add_speech_rule(business, rule).await?;
    let phrases: Vec<String> = rule.phrases.iter().map(|p| p.as_text()).collect();
    let subject = AuditSubject::of("speech rule", added.id);
    let detail = AuditDetail::new(phrases.join(", "));
    audit::record(store, business, author, AuditAction::SpeechRuleAdded, subject, detail).await;
    Ok(added)
}

/// Removes one of the business's rules (another business's is not found).
pub async fn remove_rule(store: &dyn Store, business: BusinessId, author: &Author, id: i64) -> AppResult<()> {
    store.remove_speech_rule(business, id).await?;
    let subject = AuditSubject::of("speech rule", id);
    audit::record(
        store,
        business,
        author,
        AuditAction::SpeechRuleRemoved,
        subject,
        AuditDetail::new(""),
    )
    .await;
    Ok(())
}

/// Applies the business's rules to the transcript of call `record_ref`: tags and status on
/// the call's lead (only what changes it), and answers the score.
pub async fn apply(
    store: &dyn Store,
    business: BusinessId,
    record_ref: u64,
    transcript: &Transcript,
) -> AppResult<i64> {
    let rules = store.speech_rules(business).await?;
    let verdict = judge(&rules, transcript);
    if verdict.tags.is_empty() && verdict.status.is_none() {
        return Ok(verdict.score);
    }
    let call = store.call_by_ref(business, record_ref).await?;
    let lead = store.lead_by_id(business, LeadId(call.lead_id)).await?;
    let author = Author::speech_rules();
    let add: Vec<String> = verdict.tags.into_iter().filter(|t| !lead.tags.contains(t)).collect();
    let lead = if add.is_empty() {
        lead
    } else {
        change_lead(
            store,
            &lead,
            &author,
            &LeadChange::Tags {
                add,
                remove: Vec::new(),
            },
        )
        .await?
    };
    if let Some(status) = verdict.status
        && status != lead.status
        && lead.status != LeadStatus::InCall
    {
        change_lead(store, &lead, &author, &LeadChange::Status(status)).await?;
    }
    Ok(verdict.score)
}

/// Applies the rules again to every past transcript of the business; answers how many.
pub async fn reapply(store: &dyn Store, business: BusinessId, author: &Author) -> AppResult<usize> {
    let mut after = 0;
    let mut count = 0;
    loop {
        let page = store.transcribed_calls(business, after, PAGE).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        for (record_ref, transcript) in &page {
            let score = apply(store, business, *record_ref, transcript).await?;
            store.set_transcript_score(business, *record_ref, score).await?;
            count += 1;
        }
    }
    let subject = AuditSubject::of("speech rules", business.0);
    let detail = AuditDetail::new(format!("{count} transcripts"));
    audit::record(
        store,
        business,
        author,
        AuditAction::SpeechRulesReapplied,
        subject,
        detail,
    )
    .await;
    Ok(count)
}
