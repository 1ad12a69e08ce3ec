//! An e-mailed reply, whichever way it came (SendGrid, Mailgun, SMTP): the business is the
//! one of the user with the sender's address, the subject and text become a command, and the
//! answer is mailed back to the sender when a relay is configured.

use super::authenticity::{self, Evidence};
use super::mime::Incoming;
use crate::app::AppState;
use crate::app::replies::{Refusal, RefusalKind, Sender, apply};
use crate::mail::Mail;
use leadline_core::net::Email;
use leadline_core::store::StoreError;

/// Records the reply `incoming`, once its business has checked `evidence` of who sent it
/// (when it asks); the text (confirmation or refusal) is also mailed back.
pub async fn handle(state: &AppState, incoming: &Incoming, evidence: &Evidence<'_>) -> Result<String, Refusal> {
    let outcome = record(state, incoming, evidence).await;
    let text = match &outcome {
        Ok(text) => text.clone(),
        Err(refusal) => refusal.reason.clone(),
    };
    answer(state, incoming, text);
    outcome
}

async fn record(state: &AppState, incoming: &Incoming, evidence: &Evidence<'_>) -> Result<String, Refusal> {
    let stranger = || {
        Refusal::new(
            RefusalKind::NotOperator,
            format!(
                "{} is not the address of an operator: nothing was changed.",
                incoming.from
            ),
        )
    };
    let email = Email::parse(&incoming.from).map_err(|_| stranger())?;
    let user = match state.store.user_credentials(&email).await {
        Ok(found) => found.user,
        Err(StoreError::NotFound) => return Err(stranger()),
        Err(e) => return Err(Refusal::internal(&e)),
    };
    // The business the user joined first; someone removed from every business is a stranger.
    let business = match state.store.memberships(user.id).await {
        Ok(memberships) => memberships.first().map(|m| m.business.id).ok_or_else(stranger)?,
        Err(e) => return Err(Refusal::internal(&e)),
    };
    // Before the command is read: a forged message learns nothing of what it would have done.
    authenticity::check(state, business, email.as_str(), evidence).await?;
    let command = leadline_core::reply::parse_email(&incoming.subject, &incoming.body)
        .map_err(|e| Refusal::new(RefusalKind::Invalid, capitalized(&e.reason)))?;
    apply(state, business, &Sender::Email(email.as_str().to_owned()), command).await
}

/// The reason as a sentence to mail or text back.
pub fn capitalized(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !text.ends_with(['.', '!', '?', ')']) {
        text.push('.');
    }
    text
}

/// Mails `text` back to the sender in the background (when a relay is configured).
fn answer(state: &AppState, incoming: &Incoming, text: String) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    let subject = if incoming.subject.to_ascii_lowercase().starts_with("re:") {
        incoming.subject.clone()
    } else {
        format!("Re: {}", incoming.subject)
    };
    let mail = Mail {
        to: incoming.from.clone(),
        subject,
        body: text,
        in_reply_to: incoming.message_id.clone(),
    };
    tokio::spawn(async move {
        if let Err(e) = mailer.send(&mail).await {
            tracing::warn!(error = %e, "the answer to an e-mailed reply could not be sent");
        }
    });
}
