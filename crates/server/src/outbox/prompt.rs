//! Post-call prompts: after an answered call, the operator who answered is asked for notes,
//! by SMS from the call's tracking number (the provider's REST API, `Messages.json`) or by
//! e-mail through the SMTP relay. Going through the outbox, a prompt survives a crash or a
//! relay outage: a failed attempt is retried with backoff like any delivery.
//!
//! The prompt names the call's ref, which the operator's reply starts with:
//! "Call 1042 from google / cpc (3 min). Reply with 1042 at the start to add notes to this
//! call, or [ID] 1042 [REVENUE] 1,000 to record a sale."

use super::{Adapter, Context, Failure, Sent, http_failure, transport_failure};
use crate::mail::Mail;
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::E164;
use leadline_core::call::Call;
use leadline_core::event::EventData;
use leadline_core::outbox::{IntegrationConfig, PromptChannel};
use leadline_core::store::StoreError;
use leadline_core::tenant::TrackingNumber;

/// The prompt adapter.
pub struct OperatorPrompt;

/// What a prompt says about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// `Call 1042 from google / cpc: reply with notes`.
    pub subject: String,
    /// `Call 1042 from google / cpc (3 min). Reply with 1042 at the start …`.
    pub body: String,
}

/// Where the call came from, as the prompt says it: the visit's `source / medium`, else the
/// offline source's label, else the caller's number.
fn origin(call: &Call) -> String {
    if let Some(a) = &call.attribution {
        return format!("{} / {}", a.source, a.medium);
    }
    call.origin.source_label.clone().unwrap_or_else(|| call.caller.clone())
}

/// A duration as the prompt says it: `45 s` under a minute, else whole minutes (rounded).
fn duration(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min", (seconds + 30) / 60)
    }
}

/// The prompt for `call`, which lasted `seconds`.
pub fn prompt(call: &Call, seconds: u64) -> Prompt {
    let r = call.record_ref;
    let from = origin(call);
    Prompt {
        subject: format!("Call {r} from {from}: reply with notes"),
        body: format!(
            "Call {r} from {from} ({}). Reply with {r} at the start to add notes to this call, \
             or [ID] {r} [REVENUE] 1,000 to record a sale.",
            duration(seconds)
        ),
    }
}

/// A store error: a missing row cannot appear by retrying, anything else may pass.
pub(super) fn store_failure(what: &str, error: StoreError) -> Failure {
    match error {
        StoreError::NotFound => Failure::Permanent(format!("{what} not found")),
        other => Failure::Retry(format!("cannot read {what}: {other}")),
    }
}

#[async_trait]
impl Adapter for OperatorPrompt {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let delivery = ctx.delivery;
        let IntegrationConfig::OperatorPrompt { channel } = &delivery.integration.config else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the prompt adapter",
                delivery.integration.config.kind()
            )));
        };
        let event = &delivery.event;
        let EventData::CallCompleted(completed) = &event.data else {
            return Ok(Sent {
                response: Some(format!(
                    "nothing to send: prompts follow call.completed, not {}",
                    event.kind().as_str()
                )),
            });
        };
        let answered_by = completed.answered_by.as_deref().filter(|a| !a.is_empty());
        let (true, Some(answered_by)) = (completed.answered, answered_by) else {
            return Ok(Sent {
                response: Some("nothing to send: nobody answered".into()),
            });
        };
        let operator = E164::parse(answered_by)
            .map_err(|e| Failure::Permanent(format!("the number that answered ({answered_by}) is not usable: {e}")))?;
        let record_ref = event
            .record_ref
            .ok_or_else(|| Failure::Permanent("the event names no call".into()))?;
        let business = event.business_id;
        let call = ctx
            .store
            .call_by_ref(business, record_ref)
            .await
            .map_err(|e| store_failure(&format!("call {record_ref}"), e))?;
        let prompt = prompt(&call, u64::from(completed.duration_seconds));
        match channel {
            PromptChannel::Sms => send_sms(ctx, business, &call, &operator, &prompt).await,
            PromptChannel::Email => send_email(ctx, business, &operator, &prompt).await,
        }
    }
}

/// Texts the operator from the call's tracking number.
async fn send_sms(
    ctx: &Context<'_>,
    business: BusinessId,
    call: &Call,
    operator: &E164,
    prompt: &Prompt,
) -> Result<Sent, Failure> {
    let numbers = ctx
        .store
        .list_numbers(business)
        .await
        .map_err(|e| store_failure("the tracking numbers", e))?;
    let number: &TrackingNumber = numbers
        .iter()
        .find(|n| n.id == call.number_id)
        .ok_or_else(|| Failure::Permanent(format!("the tracking number of call {} is gone", call.record_ref)))?;
    let sid = text(ctx, number, operator, &prompt.body).await?;
    Ok(Sent {
        response: Some(match sid {
            Some(sid) => format!("texted {operator} (message {sid})"),
            None => format!("texted {operator}"),
        }),
    })
}

/// Sends `body` to `to` from tracking number `from` through the provider's REST API
/// (`Messages.json`, HTTP Basic with the number's account); answers the message's sid when
/// the provider gave one.
pub(super) async fn text(
    ctx: &Context<'_>,
    from: &TrackingNumber,
    to: &E164,
    body: &str,
) -> Result<Option<String>, Failure> {
    let account = from.account_sid.as_str();
    let url = url::Url::parse(ctx.provider_api_base)
        .and_then(|base| base.join(&format!("/2010-04-01/Accounts/{account}/Messages.json")))
        .map_err(|e| Failure::Permanent(format!("telephony_api_base_url: {e}")))?;
    let form = [("To", to.as_str()), ("From", from.number.as_str()), ("Body", body)];
    let response = ctx
        .http
        .post(url)
        .timeout(ctx.timeout)
        .basic_auth(account, Some(from.auth_token.expose()))
        .form(&form)
        .send()
        .await
        .map_err(|e| transport_failure(&e))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_failure(status, &text));
    }
    Ok(serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|body| body["sid"].as_str().map(str::to_owned)))
}

/// E-mails the user linked to the destination whose number answered.
async fn send_email(
    ctx: &Context<'_>,
    business: BusinessId,
    operator: &E164,
    prompt: &Prompt,
) -> Result<Sent, Failure> {
    let Some(mailer) = ctx.mailer else {
        return Err(Failure::Permanent(
            "no SMTP relay configured (smtp_relay_url, mail_from)".into(),
        ));
    };
    let destinations = ctx
        .store
        .list_destinations(business)
        .await
        .map_err(|e| store_failure("the destinations", e))?;
    let destination = destinations
        .iter()
        .find(|d| &d.number == operator)
        .ok_or_else(|| Failure::Permanent(format!("{operator} answered but is no destination of the business")))?;
    let user_id = destination.user_id.ok_or_else(|| {
        Failure::Permanent(format!(
            "destination {} ({operator}) has no user, so no e-mail address",
            destination.name
        ))
    })?;
    let users = ctx
        .store
        .list_users(business)
        .await
        .map_err(|e| store_failure("the users", e))?;
    let user = users
        .iter()
        .find(|u| u.id == user_id)
        .ok_or_else(|| Failure::Permanent(format!("the user of destination {} is gone", destination.name)))?;
    let mail = Mail {
        to: user.email.as_str().to_owned(),
        subject: prompt.subject.clone(),
        body: prompt.body.clone(),
        in_reply_to: None,
    };
    // The relay refusing or being down looks the same from here: retried with backoff, and
    // dead after the configured attempts with the relay's words on the delivery.
    mailer.send(&mail).await.map_err(|e| Failure::Retry(format!("{e:#}")))?;
    Ok(Sent {
        response: Some(format!("e-mailed {}", user.email.as_str())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds_then_whole_minutes() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(170), "3 min");
        assert_eq!(duration(209), "3 min");
    }
}
