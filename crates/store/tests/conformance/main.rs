//! The Store conformance suite: every behaviour of the Store traits, run against SQLite
//! always and against PostgreSQL when `LEADLINE_TEST_POSTGRES_URL` is set. Each test gets a
//! fresh database and removes it afterwards.

mod fixtures;
mod harness;

mod access;
mod activity;
mod ad_consent;
mod ad_uploads;
mod adgroup;
mod alerts;
mod api_keys;
mod audit;
mod batch;
mod businesses;
mod call_batch;
mod calls;
mod capacity;
mod code_spans;
mod conversions;
mod destinations;
mod erasure;
mod event_data;
mod health;
mod heatmap;
mod interactions;
mod leads;
mod numbers;
mod outbox;
mod provider_accounts;
mod reports;
mod retention;
mod schema;
mod sealing;
mod sender_auth;
mod sessions;
mod setup_changes;
mod sites;
mod sources;
mod spam;
mod tenant_cache;
mod transcripts;
mod users;
mod visits;
mod web_push;
