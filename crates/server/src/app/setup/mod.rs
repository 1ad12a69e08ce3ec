//! What a business sets up (sites, tracking numbers, destinations): added, edited, disabled
//! and removed through these use cases only, by the Settings pages and the command line
//! alike. Removing archives: the calls, leads and submissions that came through a site,
//! number or destination keep it.

pub mod destinations;
pub mod installation;
pub mod numbers;
pub mod pool;
pub mod sites;
pub mod storage;
