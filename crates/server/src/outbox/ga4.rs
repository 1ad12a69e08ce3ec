//! GA4 Measurement Protocol: a site's calls, forms, lead status changes and sales as events on
//! the visitor's GA client and session ("Remote Tracking Requests" labelled with the record
//! ref). The body is built by [`payload`], checked against GA4's limits by [`limits`] (a
//! payload that breaks one is never sent: the delivery is dead with the violations listed),
//! then posted to `/mp/collect`, or to `/debug/mp/collect` in debug mode, whose validation
//! messages are kept on the delivery.
//!
//! An event more than 72 hours old cannot be backdated; sent without a timestamp GA4 would
//! count it now, against the wrong day and session, so its delivery is dead instead ("older
//! than GA4's 72-hour backdating window").
//!
//! The API secret travels in the query string, so it is never logged and transport errors are
//! recorded without their URL.

pub mod limits;
pub mod payload;

use super::{Adapter, Context, Failure, Sent, http_failure, transport_failure};
use async_trait::async_trait;
use leadline_core::outbox::IntegrationConfig;
use payload::Built;
use serde_json::Value;

/// Where GA4 collects, unless the integration says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://www.google-analytics.com";

/// The GA4 adapter.
pub struct Ga4;

#[async_trait]
impl Adapter for Ga4 {
    async fn deliver(&self, ctx: &Context<'_>) -> Result<Sent, Failure> {
        let IntegrationConfig::Ga4 {
            measurement_id,
            api_secret,
            endpoint,
            debug,
        } = &ctx.delivery.integration.config
        else {
            return Err(Failure::Permanent(format!(
                "a {} integration was handed to the GA4 adapter",
                ctx.delivery.integration.config.kind()
            )));
        };
        let now = leadline_core::clock::now();
        let key = ctx.delivery.idempotency_key();
        let payload = match payload::build(&ctx.delivery.event, &key, measurement_id, now) {
            Built::Send(payload) => payload,
            Built::Skip(reason) => {
                tracing::debug!(idempotency_key = %key, %reason, "GA4: nothing to send");
                return Ok(Sent {
                    response: Some(reason.to_string()),
                });
            }
            Built::Refuse(reason) => return Err(Failure::Permanent(format!("not sent: {reason}"))),
        };
        let violations = limits::validate(&payload, now);
        if !violations.is_empty() {
            let message = limits::describe(&violations);
            tracing::warn!(idempotency_key = %key, measurement_id = %measurement_id, %message, "GA4: payload refused");
            return Err(Failure::Permanent(message));
        }

        let url = collect_url(endpoint.as_deref(), *debug, measurement_id, api_secret)?;
        let response = ctx
            .http
            .post(url)
            .timeout(ctx.timeout)
            .json(&payload)
            .send()
            .await
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e.without_url()))?;
        if !status.is_success() {
            return Err(http_failure(status, &body));
        }
        let names = payload.event_names();
        let is_debug = *debug;
        tracing::info!(
            idempotency_key = %key,
            measurement_id = %measurement_id,
            events = %names,
            debug_mode = is_debug,
            "GA4: sent"
        );
        if *debug {
            return debug_answer(&body);
        }
        Ok(Sent {
            response: Some(format!("sent {names} (HTTP {})", status.as_u16())),
        })
    }
}

/// `{endpoint}/mp/collect` (or `/debug/mp/collect`) with the stream and the secret.
fn collect_url(
    endpoint: Option<&str>,
    debug: bool,
    measurement_id: &str,
    api_secret: &str,
) -> Result<url::Url, Failure> {
    let base = endpoint
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(DEFAULT_ENDPOINT)
        .trim_end_matches('/');
    let path = if debug { "/debug/mp/collect" } else { "/mp/collect" };
    let mut url = url::Url::parse(&format!("{base}{path}"))
        .map_err(|e| Failure::Permanent(format!("the GA4 endpoint '{base}' is not a URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("measurement_id", measurement_id.trim())
        .append_pair("api_secret", api_secret.trim());
    Ok(url)
}

/// The validation server's answer: kept on the delivery; any message makes it dead, so that
/// the operator sees what GA4 would drop.
fn debug_answer(body: &str) -> Result<Sent, Failure> {
    let answer: Value = serde_json::from_str(body).map_err(|_| {
        Failure::Retry(format!(
            "GA4's validation server answered something other than JSON: {}",
            body.chars().take(200).collect::<String>()
        ))
    })?;
    let messages = answer["validationMessages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() {
        return Ok(Sent {
            response: Some(format!("GA4 validation: no messages {answer}")),
        });
    }
    let listed: Vec<String> = messages
        .iter()
        .map(|m| {
            let field = m["fieldPath"].as_str().unwrap_or("");
            let description = m["description"].as_str().unwrap_or("");
            let code = m["validationCode"].as_str().unwrap_or("");
            if field.is_empty() {
                format!("{description} ({code})")
            } else {
                format!("{field}: {description} ({code})")
            }
        })
        .collect();
    Err(Failure::Permanent(format!(
        "GA4's validation server reported {}: {}",
        listed.len(),
        listed.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collect_url_carries_the_stream_and_secret_and_debug_changes_the_path() {
        let url = collect_url(None, false, "G-ABC123", "s3cret").unwrap();
        assert_eq!(
            url.as_str(),
            "https://www.google-analytics.com/mp/collect?measurement_id=G-ABC123&api_secret=s3cret"
        );
        let url = collect_url(Some("http://127.0.0.1:9/"), true, "G-ABC123", "a&b").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/debug/mp/collect?measurement_id=G-ABC123&api_secret=a%26b"
        );
        assert!(matches!(
            collect_url(Some("not a url"), false, "G-A", "s"),
            Err(Failure::Permanent(_))
        ));
    }

    #[test]
    fn validation_messages_make_the_delivery_dead_and_none_keep_the_answer() {
        let ok = debug_answer(r#"{"validationMessages":[]}"#).unwrap();
        assert_eq!(
            ok.response.as_deref(),
            Some(r#"GA4 validation: no messages {"validationMessages":[]}"#)
        );
        let bad = debug_answer(
            r#"{"validationMessages":[{"fieldPath":"events[0].name","description":"Event name is reserved.","validationCode":"NAME_RESERVED"}]}"#,
        );
        assert_eq!(
            bad,
            Err(Failure::Permanent(
                "GA4's validation server reported 1: events[0].name: Event name is reserved. (NAME_RESERVED)".into()
            ))
        );
        assert!(matches!(debug_answer("<html>"), Err(Failure::Retry(_))));
    }
}
