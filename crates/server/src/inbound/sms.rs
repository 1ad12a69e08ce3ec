//! `POST /twilio/sms`: an operator's SMS to a tracking number (Twilio's Messaging webhook).
//! The request must be signed with the number's auth token (403 and nothing changed when it
//! is not); the answer is TwiML `<Response><Message>…</Message></Response>`, never a 5xx.

use super::email::capitalized;
use crate::app::AppState;
use crate::app::replies::{Refusal, RefusalKind, Sender, apply};
use crate::telephony::signed::{self, Signed};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leadline_core::E164;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// What an internal failure answers.
const TRY_AGAIN: &str = "Could not record that, try again.";

/// `POST /twilio/sms`.
pub async fn incoming(State(state): State<AppState>, request: Request) -> Response {
    let signed = match signed::verify(&state, request).await {
        Ok(signed) => signed,
        Err(signed::Refusal::Forbidden(why)) => return (StatusCode::FORBIDDEN, why).into_response(),
        Err(signed::Refusal::Unavailable) => return message(TRY_AGAIN),
    };
    let text = match record(&state, &signed).await {
        Ok(text) => text,
        Err(refusal) => {
            if refusal.kind != RefusalKind::Internal {
                tracing::info!(reason = %refusal.reason, "an SMS reply was refused");
            }
            refusal.reason
        }
    };
    message(&text)
}

async fn record(state: &AppState, signed: &Signed) -> Result<String, Refusal> {
    let from = signed
        .param("From")
        .and_then(|f| E164::parse(f).ok())
        .ok_or_else(|| Refusal::new(RefusalKind::NotOperator, "Replies are taken only from a phone number."))?;
    let site_id = *signed
        .number
        .site_ids
        .first()
        .ok_or_else(|| Refusal::internal(&"a tracking number without a site"))?;
    let site = state.store.site_by_id(site_id).await?;
    let command = leadline_core::reply::parse_sms(signed.param("Body").unwrap_or(""))
        .map_err(|e| Refusal::new(RefusalKind::Invalid, capitalized(&e.reason)))?;
    let sender = Sender::Phone {
        number: from,
        like: signed.number.number.clone(),
    };
    apply(state, site.business_id, &sender, command).await
}

/// `<Response><Message>text</Message></Response>`, escaped by the XML writer.
fn message(text: &str) -> Response {
    let mut writer = Writer::new(Vec::new());
    let events = [
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
        Event::Start(BytesStart::new("Response")),
        Event::Start(BytesStart::new("Message")),
        Event::Text(BytesText::new(text)),
        Event::End(BytesEnd::new("Message")),
        Event::End(BytesEnd::new("Response")),
    ];
    for event in events {
        writer.write_event(event).expect("writing to a Vec cannot fail");
    }
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"))],
        writer.into_inner(),
    )
        .into_response()
}
