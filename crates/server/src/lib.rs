//! The `leadline` server: configuration, HTTP, background jobs and the command line. The
//! binary in `main.rs` only parses arguments and calls [`commands::run`].

/// Every binary that links the server allocates with jemalloc: requests allocate and free
/// many small objects, where glibc's malloc cost a heartbeat a fifth of its samples (and
/// kept more of the freed memory: 49 MB idle against jemalloc's 35).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
pub mod push;
pub mod sandbox;
pub mod sender_auth;
pub mod shutdown;
pub mod slots;
pub mod smtp_security;
pub mod speech;
pub mod telemetry;
pub mod telephony;
pub mod web;
