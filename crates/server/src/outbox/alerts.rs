//! Members' alerts: a new form, a missed call, a first-time caller, sent to each member who
//! chose that kind by each channel they chose (e-mail through the SMTP relay, SMS through the
//! provider's REST API, as the post-call prompt sends them).
//!
//! One delivery carries the event to every member. What went out is remembered per event,
//! member and channel (`alert_sends`), so a retry sends only what is missing: one member's
//! failing channel neither loses nor repeats the others' alerts. A member in quiet hours is
//! skipped until they end; the delivery then waits for the earliest end ([`Failure::Wait`]).

use super::prompt::{store_failure, text};
use super::{Adapter, Context, Failure, Sent};
use crate::app::alerts::ALERTS_PAGE;
use crate::mail::Mail;
use crate::push::Pushed;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::NumberId;
use leadline_core::alerts::{
    AlertChannel, AlertKind, AlertMessage, AlertRecipient, alert_kind, alert_message, release_at,
};
use leadline_core::event::Event;
use leadline_core::spam::SpamMark;
use leadline_core::tenant::TrackingNumber;
use leadline_core::web_push::PushSubscription;

/// The alerts adapter.
pub struct Alerts;

/// What one pass over the members came to.
#[derive(Default)]
struct Round {
    said: Vec<String>,
    retry: Option<String>,
    wait_until: Option<DateTime<Utc>>,
}

#[async_trait]
impl Adapter for Alerts {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let event = &ctx.delivery.event;
        let nothing = |why: String| Ok(Sent { response: Some(why) });
        let Some(kind) = alert_kind(&event.data) else {
            return nothing(format!("nothing to send: no alert follows {}", event.kind().as_str()));
        };
        let business = event.business_id;
        let recipients: Vec<AlertRecipient> = ctx
            .store
            .alert_recipients(business)
            .await
            .map_err(|e| store_failure("the alert choices", e))?
            .into_iter()
            .filter(|r| r.choices.wants(kind))
            .collect();
        if recipients.is_empty() {
            return nothing(format!("nothing to send: nobody chose {}", kind.as_str()));
        }
        // The call, read once: a robocall (a blocked or listed number, repeated short calls)
        // alerts nobody, and an SMS alert comes from the number it called.
        let call = match (kind, event.record_ref) {
            (AlertKind::NewForm, _) | (_, None) => None,
            (_, Some(record_ref)) => Some(
                ctx.store
                    .call_by_ref(business, record_ref)
                    .await
                    .map_err(|e| store_failure(&format!("call {record_ref}"), e))?,
            ),
        };
        if let Some(reason) = call.as_ref().and_then(|c| SpamMark::reason(c.spam)) {
            return nothing(format!("nothing to send: the call is spam ({})", reason.label()));
        }
        if kind == AlertKind::FirstTimeCaller {
            let record_ref = event
                .record_ref
                .ok_or_else(|| Failure::Permanent("the event names no call".into()))?;
            let first = ctx
                .store
                .first_call_of_lead(business, record_ref)
                .await
                .map_err(|e| store_failure(&format!("call {record_ref}"), e))?;
            if !first {
                return nothing("nothing to send: the caller called before".into());
            }
        }
        let sent = ctx
            .store
            .alerts_sent(business, &event.id)
            .await
            .map_err(|e| store_failure("the alerts sent", e))?;
        let lead_ref = event
            .lead
            .as_ref()
            .map(|l| l.record_ref)
            .or(event.record_ref)
            .unwrap_or_default();
        let lead_url = format!("{}/app/leads/{lead_ref}", ctx.base_url);
        let message = alert_message(kind, event, &lead_url, &format!("{}{ALERTS_PAGE}", ctx.base_url));
        let now = leadline_core::clock::now();
        let mut round = Round::default();
        for recipient in &recipients {
            let release = release_at(recipient.choices.quiet, recipient.choices.zone.tz(), now);
            let browsers = ctx
                .store
                .push_subscriptions(business, recipient.user_id)
                .await
                .map_err(|e| store_failure("the subscribed browsers", e))?;
            let mut channels = recipient.choices.channels();
            if !browsers.is_empty() {
                channels.push(AlertChannel::Push);
            }
            for channel in channels {
                if sent.contains(&(recipient.user_id, channel)) {
                    continue;
                }
                let who = format!("user {} by {}", recipient.user_id.0, channel.as_str());
                if release > now {
                    round.wait_until = Some(round.wait_until.map_or(release, |w| w.min(release)));
                    round.said.push(format!("{who}: held for quiet hours until {release}"));
                    continue;
                }
                let to = Recipient {
                    member: recipient,
                    browsers: &browsers,
                    lead_url: &lead_url,
                    call_number: call.as_ref().map(|c| c.number_id),
                };
                match send(ctx, event, &to, channel, &message).await {
                    Ok(said) => {
                        ctx.store
                            .record_alert_sent(
                                business,
                                &event.id,
                                recipient.user_id,
                                channel,
                                leadline_core::clock::now(),
                            )
                            .await
                            .map_err(|e| store_failure("the alert sent", e))?;
                        round.said.push(format!("{who}: {said}"));
                    }
                    Err(Failure::Permanent(why)) => round.said.push(format!("{who}: given up: {why}")),
                    Err(Failure::Retry(why) | Failure::Wait { reason: why, .. }) => {
                        round.said.push(format!("{who}: {why}"));
                        round.retry = Some(why);
                    }
                }
            }
        }
        finish(round)
    }
}

/// A failure worth retrying comes first (its backoff is shorter than a night); then a wait
/// for quiet hours to end; else done.
fn finish(round: Round) -> Result<Sent, Failure> {
    let said = round.said.join("; ");
    if round.retry.is_some() {
        return Err(Failure::Retry(said));
    }
    if let Some(until) = round.wait_until {
        return Err(Failure::Wait { until, reason: said });
    }
    Ok(Sent {
        response: Some(if said.is_empty() {
            "every alert was sent before".into()
        } else {
            said
        }),
    })
}

/// Whom an alert goes to: the member, their subscribed browsers, and the lead's page.
struct Recipient<'a> {
    member: &'a AlertRecipient,
    browsers: &'a [PushSubscription],
    lead_url: &'a str,
    /// The tracking number the event's call came to, if it is a call's.
    call_number: Option<NumberId>,
}

/// Sends `message` to `to` by `channel`; answers what was done.
async fn send(
    ctx: &Context<'_>,
    event: &Event,
    to: &Recipient<'_>,
    channel: AlertChannel,
    message: &AlertMessage,
) -> Result<String, Failure> {
    let (recipient, call_number) = (to.member, to.call_number);
    match channel {
        AlertChannel::Email => {
            let Some(mailer) = ctx.mailer else {
                return Err(Failure::Permanent(
                    "no SMTP relay configured (smtp_relay_url, mail_from)".into(),
                ));
            };
            let mail = Mail {
                to: recipient.email.clone(),
                subject: message.subject.clone(),
                body: message.body.clone(),
                in_reply_to: None,
            };
            // Refused or down look the same from here: retried with backoff.
            mailer.send(&mail).await.map_err(|e| Failure::Retry(format!("{e:#}")))?;
            Ok(format!("e-mailed {}", recipient.email))
        }
        AlertChannel::Sms => {
            let Some(to) = &recipient.choices.sms else {
                return Err(Failure::Permanent("no alert number".into()));
            };
            let from = sender(ctx, event, call_number).await?;
            let sid = text(ctx, &from, to, &message.body).await?;
            Ok(match sid {
                Some(sid) => format!("texted {to} (message {sid})"),
                None => format!("texted {to}"),
            })
        }
        AlertChannel::Push => push(ctx, to, message).await,
    }
}

/// Sends `message` to each of the member's browsers as a notification (its title, text and
/// the lead's page); a browser its push service says is gone is forgotten. Retried whole when
/// a push service should be tried again, so a browser may then see an alert twice, never none.
async fn push(ctx: &Context<'_>, to: &Recipient<'_>, message: &AlertMessage) -> Result<String, Failure> {
    let Some(key) = ctx.push else {
        return Err(Failure::Permanent("this worker sends no Web Push".into()));
    };
    let payload = serde_json::json!({
        "title": message.subject,
        "body": message.body,
        "url": to.lead_url,
    })
    .to_string();
    let business = ctx.delivery.event.business_id;
    let mut said = Vec::new();
    for browser in to.browsers {
        match key
            .send(ctx.http, browser, payload.as_bytes(), ctx.base_url, ctx.timeout)
            .await
        {
            Pushed::Accepted => said.push("a browser took it".to_owned()),
            Pushed::Gone => {
                ctx.store
                    .remove_push_subscription(business, to.member.user_id, browser.endpoint())
                    .await
                    .map_err(|e| store_failure("a gone browser", e))?;
                said.push("a browser is gone and was forgotten".to_owned());
            }
            Pushed::Retry(why) => return Err(Failure::Retry(why)),
            Pushed::Refused(why) => said.push(format!("a browser's push service refused it: {why}")),
        }
    }
    Ok(format!("pushed: {}", said.join("; ")))
}

/// The number an SMS alert comes from: the call's tracking number for a call, else one of the
/// event's site, else the business's first.
async fn sender(ctx: &Context<'_>, event: &Event, call_number: Option<NumberId>) -> Result<TrackingNumber, Failure> {
    let numbers = ctx
        .store
        .list_numbers(event.business_id)
        .await
        .map_err(|e| store_failure("the tracking numbers", e))?;
    let chosen = call_number
        .and_then(|id| numbers.iter().find(|n| n.id == id))
        .or_else(|| {
            let site = event.site_id?;
            numbers.iter().find(|n| n.site_ids.contains(&site))
        })
        .or(numbers.first());
    chosen
        .cloned()
        .ok_or_else(|| Failure::Permanent("the business has no tracking number to text from".into()))
}
