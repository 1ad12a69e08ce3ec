//! Operators' replies by SMS and e-mail (issue 7): the Twilio Messaging webhook, SendGrid
//! Inbound Parse, Mailgun routes and a built-in SMTP listener (the patent's "scripted inbox").
//! Each channel reads its message, `leadline_core::reply` turns the text into a command, and
//! [`apply::apply`] checks the sender and records a note or a sale.

pub mod apply;
pub mod email;
mod http;
pub mod mime;
mod slots;
mod sms;
pub mod smtp;

use crate::config::Config;
use crate::http::AppState;
use axum::Router;
use axum::routing::post;
use std::time::Duration;

pub use apply::{Refusal, RefusalKind, Sender, apply};
pub use smtp::serve_smtp;

/// What the inbound channels need from the configuration. No `Debug`: it holds secrets.
pub struct Settings {
    /// The largest message taken (an HTTP body, an SMTP `DATA`).
    pub max_message_bytes: usize,
    /// The secret path segment of the e-mail webhooks; unset, they answer 404.
    pub email_token: Option<String>,
    /// Mailgun's webhook signing key; set, every Mailgun post must be signed.
    pub mailgun_signing_key: Option<String>,
    /// How long the SMTP listener waits for the client's next line.
    pub smtp_idle: Duration,
    /// Most SMTP sessions at once from one client address.
    pub smtp_sessions_per_address: usize,
}

impl Settings {
    /// The settings a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_message_bytes: config.inbound_max_message_bytes,
            email_token: config.inbound_email_token.clone(),
            mailgun_signing_key: config.mailgun_signing_key.clone(),
            smtp_idle: Duration::from_secs(config.smtp_idle_timeout_seconds),
            smtp_sessions_per_address: config.smtp_sessions_per_address,
        }
    }
}

/// The inbound routes: `POST /twilio/sms`, `/inbound/sendgrid/{token}`, `/inbound/mailgun/{token}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/sms", post(sms::incoming))
        .route("/inbound/sendgrid/{token}", post(http::sendgrid))
        .route("/inbound/mailgun/{token}", post(http::mailgun))
}
