//! The tenancy tables: businesses, users, sites, tracking numbers, destinations, API keys,
//! provider accounts.

mod access;
mod api_keys;
mod businesses;
mod destinations;
mod numbers;
mod provider_accounts;
mod routing;
mod sites;
mod users;
