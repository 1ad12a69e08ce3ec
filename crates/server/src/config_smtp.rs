//! The SMTP listener's security settings, checked together when the configuration is loaded.

use super::{Config, ConfigError};

/// Checks the SMTP security settings together: a certificate goes with its key, a user with a
/// password, and credentials (and requiring them) with TLS, so that no password ever crosses
/// the network in clear.
pub(super) fn check(config: &Config) -> Result<(), ConfigError> {
    let invalid = |why: &str| Err(ConfigError::Invalid(why.to_owned()));
    let tls = config.smtp_tls_cert_file.is_some();
    if tls != config.smtp_tls_key_file.is_some() {
        return invalid("smtp_tls_cert_file and smtp_tls_key_file go together");
    }
    let auth = config.smtp_auth_username.is_some();
    if auth != config.smtp_auth_password.is_some() {
        return invalid("smtp_auth_username and smtp_auth_password go together");
    }
    if auth && !tls {
        return invalid("smtp_auth_username needs smtp_tls_cert_file: credentials are only taken over TLS");
    }
    if config.smtp_require_auth && !auth {
        return invalid("smtp_require_auth needs smtp_auth_username and smtp_auth_password");
    }
    Ok(())
}
