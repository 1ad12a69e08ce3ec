//! What protects the SMTP listener's sessions: STARTTLS with the configured certificate, and
//! the one user a relay authenticates as (`AUTH PLAIN` or `LOGIN`, only once the session is
//! encrypted). Checked when the configuration is loaded (`config_smtp.rs`); built once at
//! start-up.

use crate::config::Config;
use leadline_core::secret::{Secret, same_secret};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// The listener's TLS and authentication, as configured.
#[derive(Clone, Default)]
pub struct SmtpSecurity {
    /// Offered as STARTTLS when set.
    pub tls: Option<TlsAcceptor>,
    /// The user and password a client may authenticate as.
    credentials: Option<(String, Secret)>,
    /// Mail is taken only from authenticated clients.
    pub require_auth: bool,
}

impl SmtpSecurity {
    /// The security `config` asks for; an unreadable certificate or key is an error.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let tls = match (&config.smtp_tls_cert_file, &config.smtp_tls_key_file) {
            (Some(cert), Some(key)) => Some(acceptor(cert, key)?),
            _ => None,
        };
        let credentials = match (&config.smtp_auth_username, &config.smtp_auth_password) {
            (Some(user), Some(password)) => Some((user.clone(), Secret::new(password.clone()))),
            _ => None,
        };
        Ok(Self {
            tls,
            credentials,
            require_auth: config.smtp_require_auth,
        })
    }

    /// Whether clients may authenticate.
    pub fn offers_auth(&self) -> bool {
        self.credentials.is_some()
    }

    /// Whether `user` and `password` are the configured ones (compared in constant time).
    pub fn accepts(&self, user: &str, password: &str) -> bool {
        self.credentials
            .as_ref()
            .is_some_and(|(u, p)| same_secret(u, user) & same_secret(p.expose(), password))
    }
}

fn acceptor(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("smtp_tls_cert_file {}: {e}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "smtp_tls_cert_file {} holds no certificate",
        cert.display()
    );
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("smtp_tls_key_file {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| anyhow::anyhow!("the SMTP certificate and key do not go together: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
