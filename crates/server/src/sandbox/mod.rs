//! The sandbox phone. It plays the telephony provider against any Leadline server, the way
//! Twilio would: it signs every request with the tracking number's auth token, follows the
//! TwiML it gets, keys the caller's digits, answers as an operator (or lets the call go to
//! voicemail) and posts the callbacks. `leadline sim call` and the demo's in-browser phone
//! place their calls with it; so do tests.

mod phone;
mod transcript;
mod twiml;
mod wire;

pub use phone::place;
pub use transcript::Transcript;

/// What the call is placed with, flags and demo.json combined and checked.
#[derive(Debug)]
pub struct Settings {
    /// The server's public base URL, without a trailing slash.
    pub server: String,
    pub to: String,
    pub from: String,
    pub digits: Option<String>,
    pub answer_after: u32,
    pub talk: u32,
    pub no_answer: bool,
    pub auth_token: String,
}
