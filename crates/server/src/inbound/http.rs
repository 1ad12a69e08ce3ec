//! E-mail over HTTP: `POST /inbound/sendgrid/{token}` (Inbound Parse, parsed or raw mode) and
//! `POST /inbound/mailgun/{token}` (a route's forward). The token is the configured
//! `inbound_email_token` (else 404); bodies over `inbound_max_message_bytes` get 413.
//! SendGrid gets 200 for every message it delivered (it retries anything else for three
//! days); Mailgun gets 406 for what is malformed or stale (refused without retry).

use super::authenticity::Evidence;
use super::email::handle;
use super::mime::{self, Incoming, bare_address};
use super::reported;
use crate::app::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The oldest Mailgun timestamp taken, in seconds.
const MAX_MAILGUN_AGE_SECONDS: i64 = 15 * 60;

/// The fields of a posted form, values as bytes (raw messages need not be UTF-8).
struct Form(Vec<(String, Vec<u8>)>);

impl Form {
    fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }

    fn text(&self, name: &str) -> Option<String> {
        self.bytes(name).map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// `POST /inbound/sendgrid/{token}`.
pub async fn sendgrid(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form = match read_form(&state, &token, &headers, body).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let incoming = match form.bytes("email") {
        Some(raw) => mime::read(raw, state.inbound.max_message_bytes),
        None => sendgrid_fields(&form),
    };
    match incoming {
        Ok(incoming) => {
            let verdict = reported::sendgrid(
                form.text("SPF").as_deref(),
                form.text("dkim").as_deref(),
                form.text("envelope").as_deref(),
                domain_of(&incoming.from),
            );
            outcome(&state, &incoming, &Evidence::Reported(verdict)).await
        }
        Err(why) => {
            tracing::warn!(reason = %why, "an e-mail from SendGrid was refused");
            // 200 all the same: SendGrid would retry it for three days.
            (StatusCode::OK, axum::Json(json!({ "recorded": false, "error": why }))).into_response()
        }
    }
}

/// A parsed-mode post: the fields decoded with the charsets SendGrid names.
fn sendgrid_fields(form: &Form) -> Result<Incoming, String> {
    let charsets: serde_json::Value = form
        .text("charsets")
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let decode = |name: &str| -> Option<String> {
        let bytes = form.bytes(name)?;
        let charset = charsets[name].as_str().unwrap_or("utf-8");
        Some(match charset_decoder(charset.as_bytes()) {
            Some(decoder) if !charset.eq_ignore_ascii_case("utf-8") => decoder(bytes),
            _ => String::from_utf8_lossy(bytes).into_owned(),
        })
    };
    let from = decode("from")
        .as_deref()
        .and_then(bare_address)
        .ok_or("malformed post: no from address")?;
    let body = match decode("text").filter(|t| !t.trim().is_empty()) {
        Some(text) => text,
        None => decode("html")
            .map(|h| html_to_text(&h))
            .ok_or("the message has no text: send the reply as plain text")?,
    };
    let message_id = form.text("headers").and_then(|h| {
        h.lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .map(|l| l["message-id:".len()..].trim().to_owned())
    });
    Ok(Incoming {
        from,
        subject: decode("subject").unwrap_or_default(),
        body,
        message_id,
    })
}

/// `POST /inbound/mailgun/{token}`.
pub async fn mailgun(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form = match read_form(&state, &token, &headers, body).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    if let Some(key) = &state.inbound.mailgun_signing_key
        && let Err(why) = mailgun_signed(key, &form, leadline_core::clock::now().timestamp())
    {
        tracing::warn!(reason = why, "a Mailgun post was refused");
        return (StatusCode::NOT_ACCEPTABLE, why).into_response();
    }
    let from = form
        .text("from")
        .as_deref()
        .and_then(bare_address)
        .or_else(|| form.text("sender").as_deref().and_then(bare_address));
    let Some(from) = from else {
        return (StatusCode::NOT_ACCEPTABLE, "malformed post: no sender").into_response();
    };
    let body = form
        .text("body-plain")
        .filter(|t| !t.trim().is_empty())
        .or_else(|| form.text("stripped-text"))
        .or_else(|| form.text("body-html").map(|h| html_to_text(&h)));
    let Some(body) = body else {
        return (StatusCode::NOT_ACCEPTABLE, "malformed post: no body-plain").into_response();
    };
    let incoming = Incoming {
        from,
        subject: form.text("subject").unwrap_or_default(),
        body,
        message_id: form.text("Message-Id"),
    };
    let verdict = reported::mailgun(
        form.text("message-headers").as_deref(),
        form.text("sender").as_deref(),
        domain_of(&incoming.from),
    );
    outcome(&state, &incoming, &Evidence::Reported(verdict)).await
}

/// The domain of an address (`ann@example.com` → `example.com`).
fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Checks Mailgun's signature: hex HMAC-SHA256 of timestamp + token, at most 15 minutes old.
fn mailgun_signed(key: &str, form: &Form, now: i64) -> Result<(), &'static str> {
    let (Some(timestamp), Some(token), Some(signature)) =
        (form.text("timestamp"), form.text("token"), form.text("signature"))
    else {
        return Err("unsigned: timestamp, token and signature are required");
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|_| "bad signing key")?;
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    if !bool::from(
        expected
            .as_bytes()
            .ct_eq(signature.trim().to_ascii_lowercase().as_bytes()),
    ) {
        return Err("bad signature");
    }
    let sent: i64 = timestamp.trim().parse().map_err(|_| "bad timestamp")?;
    if (now - sent).abs() > MAX_MAILGUN_AGE_SECONDS {
        return Err("stale timestamp: more than 15 minutes old");
    }
    Ok(())
}

/// The answer once a message was read: 200 with what was recorded or why not.
async fn outcome(state: &AppState, incoming: &Incoming, evidence: &Evidence<'_>) -> Response {
    let body = match handle(state, incoming, evidence).await {
        Ok(reply) => json!({ "recorded": true, "reply": reply }),
        Err(refusal) => json!({ "recorded": false, "reply": refusal.reason }),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// Checks the token and the size, and reads a urlencoded or multipart form.
async fn read_form(state: &AppState, token: &str, headers: &HeaderMap, body: Body) -> Result<Form, Response> {
    let max = state.inbound.max_message_bytes;
    // The (bounded) body is read before the token is checked: answering while the client is
    // still sending makes it see a broken connection instead of the 404.
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the message is larger than {max} bytes"),
        )
            .into_response()
    })?;
    let expected = state.inbound.email_token.as_deref().unwrap_or("");
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(token.as_bytes())) {
        return Err(crate::web::error::ApiError::NotFound.into_response());
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let malformed = |why: String| (StatusCode::NOT_ACCEPTABLE, why).into_response();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(Form(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned().into_bytes()))
                .collect(),
        ));
    }
    if !content_type.starts_with("multipart/form-data") {
        return Err(malformed("expected multipart/form-data or a urlencoded form".into()));
    }
    let request = Request::builder()
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .map_err(|e| malformed(e.to_string()))?;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| malformed(format!("malformed multipart body: {e}")))?;
    let mut fields = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| malformed(format!("malformed multipart body: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let value = field
            .bytes()
            .await
            .map_err(|e| malformed(format!("malformed multipart body: {e}")))?;
        fields.push((name, value.to_vec()));
    }
    Ok(Form(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_form(key: &str, timestamp: &str) -> Form {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(format!("{timestamp}abc").as_bytes());
        let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        Form(vec![
            ("timestamp".into(), timestamp.as_bytes().to_vec()),
            ("token".into(), b"abc".to_vec()),
            ("signature".into(), signature.into_bytes()),
        ])
    }

    #[test]
    fn mailgun_signatures() {
        assert_eq!(mailgun_signed("key", &signed_form("key", "1000"), 1100), Ok(()));
        assert_eq!(
            mailgun_signed("other", &signed_form("key", "1000"), 1100),
            Err("bad signature")
        );
        assert!(mailgun_signed("key", &signed_form("key", "1000"), 1000 + 16 * 60).is_err());
    }
}
