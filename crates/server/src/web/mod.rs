//! What every HTTP surface shares (the browser and API pages, the provider webhooks, the
//! reply channels): the one error type, authentication by API key, the client's address and
//! rate limit, and the checks that stand between the public and a site's visits.

pub mod api_key;
pub mod client;
pub mod connections;
pub mod error;
pub mod json;
pub mod origin;
pub mod request_id;
pub mod server;
pub mod visit_guard;
