//! The `leadline` binary as an operator uses it: set-up commands and bad input,
//! configuration and databases, the demo.

mod harness;

mod config;
mod crash;
mod demo;
mod export;
mod outbox;
#[cfg(unix)]
mod permissions;
mod prompts;
mod provider;
mod setup;
mod sim;
mod storage;
