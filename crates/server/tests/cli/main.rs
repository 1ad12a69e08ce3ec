//! The `leadline` binary as an operator uses it: set-up commands and bad input,
//! configuration and databases, the demo.

mod ad_group;
mod ad_platforms;
mod audited;
mod backup;
mod bench;
mod capacity;
mod changes;
mod harness;
mod integrations;

mod config;
mod crash;
mod crash_registrations;
mod demo;
mod erase;
mod export;
mod outbox;
mod owners;
mod people;
#[cfg(unix)]
mod permissions;
mod prompts;
mod provider;
mod secrets;
mod setup;
mod sim;
mod spam;
mod storage;
mod transcripts;
