//! The `leadline` server: configuration, HTTP, background jobs and the command line. The
//! binary in `main.rs` only parses arguments and calls [`commands::run`].

pub mod attachments;
pub mod cli;
pub mod commands;
pub mod config;
pub mod egress;
pub mod export;
pub mod http;
pub mod inbound;
pub mod jobs;
pub mod mail;
pub mod outbox;
pub mod sandbox;
pub mod shutdown;
pub mod telemetry;
pub mod telephony;
