//! The sandbox phone. It plays the telephony provider against any Leadline server, the way
//! Twilio would: it signs every request with the tracking number's auth token, follows the
//! TwiML it gets, keys the caller's digits, answers as an operator (or lets the call go to
//! voicemail) and posts the callbacks. `leadline sim call` and the demo's in-browser phone
//! place their calls with it; so do tests, and the test call of Settings → Numbers, which
//! plays it in real time ([`Pace::RealTime`]).

mod phone;
mod transcript;
mod twiml;
mod wire;

pub use phone::place;
pub use transcript::Transcript;

/// How the call's times pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pace {
    /// Only the operator's ring (`answer_after`) is waited; the talk, a message and an
    /// unanswered ring are reported, not waited for (`leadline sim call`, the demo's phone,
    /// tests).
    #[default]
    Reported,
    /// As a real call: the ring, the talk, a message and an unanswered ring are all waited
    /// for, so a person watching the live panel sees each stage (the Settings test call).
    RealTime,
}

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
    /// Whether talk and unanswered ringing are waited for too.
    pub pace: Pace,
}
