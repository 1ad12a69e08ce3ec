//! The `leadline` server: configuration, HTTP, background jobs and the command line. The
//! binary in `main.rs` only parses arguments and calls [`commands::run`].

pub mod app;
pub mod attachments;
pub mod cli;
pub mod commands;
pub mod config;
pub mod egress;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod inbound;
pub mod jobs;
pub mod launch;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod outbox;
pub mod provider_api;
pub mod sandbox;
pub mod shutdown;
pub mod slots;
pub mod telemetry;
pub mod telephony;
pub mod web;
