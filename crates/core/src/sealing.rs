//! Secrets at rest: provider auth tokens and integration settings are sealed before they are
//! stored, with XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the install secret.
//! A sealed value reads `sealed:1:KEYID:DATA`: the format's version, the first eight hex
//! digits of the key's SHA-256 (which key sealed it, so a rotation can hold two), and the
//! random 24-byte nonce followed by the ciphertext and its tag, base64url. The column a value
//! belongs to is authenticated with it, so a value copied into another column does not open.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:1:";
const NONCE: usize = 24;

/// Where a sealed value lives; authenticated with the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `tracking_numbers.auth_token`.
    NumberAuthToken,
    /// `provider_accounts.auth_token`.
    ProviderAuthToken,
    /// `integrations.config`, the whole settings document (secrets and all).
    IntegrationConfig,
    /// `businesses.attachment_storage`, which may hold a bucket's secret key.
    AttachmentStorage,
    /// `transcription_services.api_key`, a speech-to-text service's Bearer key.
    SpeechApiKey,
}

impl Column {
    fn label(self) -> &'static [u8] {
        match self {
            Self::NumberAuthToken => b"tracking_numbers.auth_token",
            Self::ProviderAuthToken => b"provider_accounts.auth_token",
            Self::IntegrationConfig => b"integrations.config",
            Self::AttachmentStorage => b"businesses.attachment_storage",
            Self::SpeechApiKey => b"transcription_services.api_key",
        }
    }
}

/// Why a stored value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsealable {
    /// Sealed under a key this server does not hold: another install secret.
    #[error(
        "a secret was sealed under another install secret (key {0}); start with that secret, or run `leadline secrets rotate --previous-secret-file` with it"
    )]
    UnknownKey(String),
    /// The value is damaged, or belongs to another column.
    #[error("a sealed secret does not open: it is damaged or was moved from another column")]
    Damaged,
}

/// One sealing key and its id.
#[derive(Clone)]
struct SealingKey {
    cipher: XChaCha20Poly1305,
    id: String,
}

impl SealingKey {
    fn derive(install_secret: &Secret) -> Self {
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(b"leadline secrets at rest"), install_secret.expose().as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(b"sealing key v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let id = hex8(&Sha256::digest(key));
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            id,
        }
    }
}

fn hex8(bytes: &[u8]) -> String {
    bytes[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals with the current key, opens with it or with the previous one during a rotation.
#[derive(Clone)]
pub struct Sealer {
    current: SealingKey,
    previous: Option<SealingKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key", &self.current.id)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// The sealer of an install secret.
    pub fn new(install_secret: &Secret) -> Self {
        Self {
            current: SealingKey::derive(install_secret),
            previous: None,
        }
    }

    /// A sealer that also opens what `previous` sealed: for re-sealing after the install
    /// secret changed.
    pub fn rotating_from(install_secret: &Secret, previous: &Secret) -> Self {
        Self {
            current: SealingKey::derive(install_secret),
            previous: Some(SealingKey::derive(previous)),
        }
    }

    /// The current key's id, as sealed values name it.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// The prefix every value sealed under the current key starts with.
    pub fn current_prefix(&self) -> String {
        format!("{PREFIX}{}:", self.current.id)
    }

    /// Seals `plain` for `column`.
    pub fn seal(&self, column: Column, plain: &str) -> String {
        let nonce: [u8; NONCE] = rand::random();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: column.label(),
        };
        let sealed = self
            .current
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 seals any length Leadline stores");
        let mut data = nonce.to_vec();
        data.extend(sealed);
        format!("{}{}", self.current_prefix(), URL_SAFE_NO_PAD.encode(data))
    }

    /// Opens a stored value of `column`. A value stored before sealing existed (no prefix)
    /// is returned as it is, until [`needs_sealing`] finds it and it is sealed.
    pub fn open(&self, column: Column, stored: &str) -> Result<String, Unsealable> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (id, data) = rest.split_once(':').ok_or(Unsealable::Damaged)?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)
            .ok_or_else(|| Unsealable::UnknownKey(id.to_owned()))?;
        let data = URL_SAFE_NO_PAD.decode(data).map_err(|_| Unsealable::Damaged)?;
        if data.len() < NONCE {
            return Err(Unsealable::Damaged);
        }
        let (nonce, sealed) = data.split_at(NONCE);
        let payload = Payload {
            msg: sealed,
            aad: column.label(),
        };
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| Unsealable::Damaged)?;
        String::from_utf8(plain).map_err(|_| Unsealable::Damaged)
    }

    /// Whether a stored value is not sealed under the current key (clear, or sealed under
    /// the previous one) and should be sealed again.
    pub fn needs_sealing(&self, stored: &str) -> bool {
        !stored.starts_with(&self.current_prefix())
    }
}

/// The install secret the test suites run with.
#[cfg(feature = "test-support")]
pub const TEST_INSTALL_SECRET: &str = "a test install secret that is long enough";

#[cfg(feature = "test-support")]
impl Sealer {
    /// The sealer of [`TEST_INSTALL_SECRET`]: what the test suites open their stores with.
    pub fn for_tests() -> Self {
        Self::new(&Secret::new(TEST_INSTALL_SECRET))
    }
}

#[cfg(test)]
#[path = "sealing_tests.rs"]
mod tests;
