//! Operators' replies by SMS and e-mail (issue 7): the Twilio Messaging webhook, SendGrid
//! Inbound Parse, Mailgun routes and a built-in SMTP listener (the patent's "scripted inbox").
//! Each channel reads its message, `leadline_core::reply` turns the text into a command, and
//! [`crate::app::replies::apply`] checks the sender and records a note or a sale.

pub mod authenticity;
pub mod email;
mod http;
pub mod mime;
mod reported;
mod sms;
pub mod smtp;
mod smtp_tls;

use crate::app::AppState;
use axum::Router;
use axum::routing::post;

pub use crate::app::replies::{Refusal, RefusalKind, Sender, apply};
pub use smtp::serve_smtp;

/// The inbound routes: `POST /twilio/sms`, `/inbound/sendgrid/{token}`, `/inbound/mailgun/{token}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/sms", post(sms::incoming))
        .route("/inbound/sendgrid/{token}", post(http::sendgrid))
        .route("/inbound/mailgun/{token}", post(http::mailgun))
}
