//! Downloads of form attachments. `GET /v1/attachments/{name}?expires=UNIX&sig=HEX` serves a
//! file to whoever holds a signed, unexpired link; [`download`] serves one to an operator
//! already authorised for a business. A malformed, guessed or tampered name, a bad signature,
//! an expired link, another business's file and a file gone from storage all get the same 404.

use crate::app::AppState;
use crate::web::error::ApiError;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use leadline_core::BusinessId;
use leadline_core::form::{Attachment, StoredName};
use leadline_core::store::StoreError;

/// The public download route.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/attachments/{name}", get(signed_download))
}

async fn signed_download(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(Path(name)) = name else {
        return ApiError::NotFound.into_response();
    };
    let Some(name) = signed_name(&state, &name, query.as_deref()) else {
        return ApiError::NotFound.into_response();
    };
    match state.store.attachment(&name).await {
        Ok(attachment) => serve(&state, attachment).await,
        Err(err) => lookup_failed(err),
    }
}

/// The stored name of a link whose signature holds and has not expired; `None` otherwise.
fn signed_name(state: &AppState, name: &str, query: Option<&str>) -> Option<StoredName> {
    let name = StoredName::parse(name).ok()?;
    let (mut expires, mut signature) = (None, None);
    for (key, value) in form_urlencoded::parse(query?.as_bytes()) {
        match key.as_ref() {
            "expires" if expires.is_none() => expires = Some(value.parse::<i64>().ok()?),
            "sig" if signature.is_none() => signature = Some(value.into_owned()),
            _ => {}
        }
    }
    state
        .attachments
        .verify_link(&name, expires?, &signature?)
        .then_some(name)
}

/// Serves the attachment `name` of `business` to an operator the caller has already
/// authorised for that business; another business's file, or none, is the same 404.
pub async fn download(state: &AppState, business: BusinessId, name: &str) -> Response {
    let Ok(name) = StoredName::parse(name) else {
        return ApiError::NotFound.into_response();
    };
    match state.store.attachment(&name).await {
        Ok(attachment) if attachment.business_id == business => serve(state, attachment).await,
        Ok(_) => ApiError::NotFound.into_response(),
        Err(err) => lookup_failed(err),
    }
}

fn lookup_failed(err: StoreError) -> Response {
    match err {
        StoreError::NotFound | StoreError::Invalid(_) | StoreError::Conflict(_) => ApiError::NotFound.into_response(),
        backend @ StoreError::Backend(_) => ApiError::from(backend).into_response(),
    }
}

async fn serve(state: &AppState, attachment: Attachment) -> Response {
    match state
        .attachments
        .get(attachment.business_id, &attachment.stored_name)
        .await
    {
        Ok(Some(bytes)) => file(&attachment, bytes),
        Ok(None) => {
            tracing::warn!(
                business = %attachment.business_id,
                stored_name = attachment.stored_name.as_str(),
                "a recorded attachment is missing from its storage"
            );
            ApiError::NotFound.into_response()
        }
        Err(err) => ApiError::Internal(err).into_response(),
    }
}

fn file(attachment: &Attachment, bytes: Bytes) -> Response {
    let content_type = if attachment.content_type.starts_with("text/") {
        // Text was accepted only as UTF-8.
        format!("{}; charset=utf-8", attachment.content_type)
    } else {
        attachment.content_type.clone()
    };
    let content_type =
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(&attachment.original_name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII stand-in for old clients, then
/// the original name percent-encoded (RFC 6266, RFC 8187).
pub fn content_disposition(original_name: &str) -> String {
    let fallback: String = original_name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(original_name.len() * 3);
    for byte in original_name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_name_is_percent_encoded_with_an_ascii_stand_in() {
        assert_eq!(
            content_disposition("cv.pdf"),
            "attachment; filename=\"cv.pdf\"; filename*=UTF-8''cv.pdf"
        );
        assert_eq!(
            content_disposition("Résumé \"final\"; 100%.pdf"),
            "attachment; filename=\"R_sum_ _final__ 100_.pdf\"; \
             filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20100%25.pdf"
        );
        assert!(HeaderValue::from_str(&content_disposition("a\r\nb.txt")).is_ok());
    }
}
