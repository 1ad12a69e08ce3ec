//! The application layer: what every surface (HTTP pages and APIs, provider webhooks, reply
//! channels, the outbox, the command line) works with, and the use cases that are the only
//! code that changes state. It knows nothing of HTTP or TwiML; the surfaces parse their input
//! and call it.

pub mod access;
pub mod adgroup;
pub mod alerts;
pub mod audit;
pub mod call_me;
pub mod calls;
pub mod capacity;
pub mod conversions;
pub mod erasure;
pub mod error;
pub mod heatmap;
pub mod integrations;
pub mod leads;
pub mod people;
pub mod provider_numbers;
pub mod replies;
pub mod reports;
pub mod retention;
pub mod routing;
pub mod routing_rules;
pub mod sales;
pub mod sender_auth;
pub mod setup;
pub mod sources;
pub mod spam;
pub mod speech_rules;
mod state;
pub mod submissions;
pub mod summaries;
pub mod test_calls;
pub mod test_phone;
pub mod transcripts;
pub mod visits;
pub mod web_push;

pub use error::{AppError, AppResult};
pub use state::{AppState, DemoSite, InboundSettings};
