//! Secrets: a wrapper that never prints its content, password hashing (argon2id) and the
//! business API keys (shown once, stored as a SHA-256 hash).

use crate::Invalid;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret string (auth token, password, API key). `Debug` and `Display` print `[redacted]`;
/// the value is reached only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Call it only where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// A random string of `len` ASCII letters and digits from the OS-seeded CSPRNG.
pub fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A password a person chose, checked for length before it is hashed.
#[derive(Debug, Clone)]
pub struct NewPassword(Secret);

impl NewPassword {
    /// Shortest accepted password, in characters.
    pub const MIN_CHARS: usize = 12;

    /// Accepts a password of 12 to 1024 characters.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Invalid::new(
                "password",
                format!("it has {chars} characters; at least {} are needed", Self::MIN_CHARS),
            ));
        }
        if chars > 1024 {
            return Err(Invalid::new("password", "it is longer than 1024 characters"));
        }
        Ok(Self(Secret::new(input)))
    }

    /// A random 20-character password, for accounts created without one.
    pub fn generate() -> Self {
        Self(Secret::new(random_token(20)))
    }

    /// The password, to show once to the person who will use it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Hashes the password with argon2id and a random salt (PHC string format).
    pub fn hash(&self) -> Secret {
        let salt_bytes: [u8; 16] = rand::rng().random();
        let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a valid salt");
        let hash = Argon2::default()
            .hash_password(self.0.expose().as_bytes(), &salt)
            .expect("argon2 with default parameters hashes any password");
        Secret::new(hash.to_string())
    }
}

/// Checks `candidate` against a stored argon2 PHC hash, in constant time.
pub fn verify_password(stored_hash: &Secret, candidate: &str) -> bool {
    PasswordHash::new(stored_hash.expose())
        .map(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A business API key as issued: `ll_<prefix>_<secret>`. The prefix finds the row; only the
/// SHA-256 of the whole key is stored.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    /// The full key, to show once.
    pub key: Secret,
    /// The public prefix (8 characters) that identifies the key in lists and logs.
    pub prefix: String,
    /// The hex SHA-256 of the full key, to store.
    pub hash: String,
}

impl IssuedApiKey {
    /// Makes a new random key (about 190 bits of secret).
    pub fn generate() -> Self {
        let prefix = random_token(8);
        let key = format!("ll_{prefix}_{}", random_token(32));
        Self {
            hash: api_key_hash(&key),
            key: Secret::new(key),
            prefix,
        }
    }
}

/// The hex SHA-256 of a presented API key.
pub fn api_key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The prefix of a presented key in the `ll_<prefix>_<secret>` form, if it has that form.
pub fn api_key_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("ll_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 8 && secret.len() == 32).then_some(prefix)
}

/// Whether a presented key matches a stored hash, compared in constant time.
pub fn api_key_matches(key: &str, stored_hash: &str) -> bool {
    api_key_hash(key).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let hash = password.hash();
        assert!(hash.expose().starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password(&Secret::new("garbage"), "x"));
    }

    #[test]
    fn short_passwords_are_refused() {
        let err = NewPassword::parse("short").unwrap_err();
        assert!(err.to_string().contains("at least 12"), "{err}");
    }

    #[test]
    fn api_keys_round_trip_through_their_hash() {
        let issued = IssuedApiKey::generate();
        let key = issued.key.expose();
        assert_eq!(api_key_prefix(key), Some(issued.prefix.as_str()));
        assert!(api_key_matches(key, &issued.hash));
        assert!(!api_key_matches(&format!("{key}x"), &issued.hash));
        assert_eq!(api_key_prefix("ll_short_x"), None);
        assert_eq!(api_key_prefix("bearer"), None);
    }
}
