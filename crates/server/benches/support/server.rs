//! What the benchmarks that start a Leadline server share.

/// The configuration of a benchmark's server at `base`: an install secret, and every rate
/// limit raised so that no load is refused (every client of a benchmark is 127.0.0.1).
pub fn unlimited_config(base: &str) -> leadline::config::Config {
    leadline::config::Config {
        public_base_url: Some(url::Url::parse(base).expect("base url")),
        secret_key: Some(leadline_core::sealing::TEST_INSTALL_SECRET.into()),
        rate_limit_per_second: 1_000_000_000,
        visit_registrations_per_ip_per_minute: 1_000_000_000,
        visit_registrations_per_site_per_minute: 1_000_000_000,
        visit_events_per_ip_per_minute: 1_000_000_000,
        connections_per_address: 1_000_000_000,
        ..leadline::config::Config::default()
    }
}
