//! Twilio-compatible voice webhooks: the incoming call, the keyed code, the whisper and the
//! callbacks. They answer TwiML in milliseconds and never a 5xx: whatever fails, the caller
//! is still connected to the business.

mod callbacks;
mod callme;
mod pbx;

mod form;
pub(crate) mod signed;
pub mod twiml;
mod voice;

use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use twiml::{DialNumber, Verb};

/// The provider webhook routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(voice::incoming))
        .route("/twilio/gather", post(voice::keyed))
        .route("/twilio/whisper", post(voice::whisper))
        .route("/twilio/dial", post(callbacks::dialled))
        .route("/twilio/status", post(callbacks::status))
        .route("/twilio/recording", post(callbacks::recording))
        .route("/twilio/transcription", post(callbacks::transcribed))
        .merge(pbx::router())
        .merge(callme::router())
}

/// A TwiML document as an HTTP answer.
pub fn twiml_response(verbs: &[Verb]) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )],
        twiml::render(verbs),
    )
        .into_response()
}

/// What to answer when something failed: ring the given numbers without tracking, or
/// apologise when there are none.
pub fn fallback_verbs(numbers: impl Iterator<Item = String>) -> Vec<Verb> {
    let numbers: Vec<DialNumber> = numbers
        .map(|number| DialNumber {
            number,
            whisper_url: None,
            send_digits: None,
        })
        .collect();
    if numbers.is_empty() {
        return vec![
            Verb::Say("We are sorry, your call cannot be connected right now. Please call again later.".into()),
            Verb::Hangup,
        ];
    }
    vec![Verb::Dial {
        action: None,
        timeout_seconds: 30,
        record: false,
        recording_callback: String::new(),
        numbers,
    }]
}

/// A URL of this server for the provider to call back, naming the tracking number (whose
/// auth token will sign the callback) and any extra query pairs.
pub fn callback_url(state: &AppState, path: &str, number: &leadline_core::E164, extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("number", number.as_str());
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    format!("{}{path}?{}", state.base_url, query.finish())
}
