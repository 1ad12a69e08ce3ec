//! Leadline's pure domain: types that validate on parse, the tenancy records and the Store
//! traits (ports) that the storage crate implements. No HTTP, no SQL.

pub mod access;
pub mod adgroup;
pub mod call;
pub mod call_handling;
pub mod callme;
pub mod channel;
pub mod click_id;
pub mod codeplan;
pub mod conversion;
pub mod damm;
pub mod error;
pub mod event;
pub mod fields;
pub mod form;
pub mod heatmap;
pub mod hours;
pub mod ids;
pub mod interaction;
pub mod keypad;
pub mod lead;
pub mod login_throttle;
pub mod matching;
pub mod money;
pub mod names;
pub mod net;
pub mod outbox;
pub mod phone;
pub mod provider;
pub mod provider_account;
pub mod reply;
pub mod report;
pub mod routing;
pub mod sealing;
pub mod secret;
pub mod site;
pub mod source;
pub mod store;
pub mod tenant;
pub mod token;
pub mod twilio;
pub mod visit;
pub mod visitor;

pub use error::Invalid;
pub use ids::{ApiKeyId, BusinessId, DestinationId, IntentId, LeadId, NumberId, SiteId, UserId, VisitId};
pub use phone::E164;
