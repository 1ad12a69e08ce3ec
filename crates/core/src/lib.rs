//! Leadline's pure domain: types that validate on parse, the tenancy records and the Store
//! traits (ports) that the storage crate implements. No HTTP, no SQL.

pub mod error;
pub mod ids;
pub mod names;
pub mod net;
pub mod phone;
pub mod secret;
pub mod site;
pub mod store;
pub mod tenant;

pub use error::Invalid;
pub use ids::{ApiKeyId, BusinessId, DestinationId, NumberId, SiteId, UserId};
pub use phone::E164;
