//! The tenancy tables: businesses, users, sites, tracking numbers, destinations, API keys.

mod access;
mod api_keys;
mod businesses;
mod destinations;
mod numbers;
mod routing;
mod sites;
mod users;
