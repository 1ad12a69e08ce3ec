//! Attachment storage: where the files of form submissions are kept (a local directory by
//! default, or the business's own hosting: a mounted directory or an S3-compatible bucket),
//! the size and type limits they must pass, and signed, expiring download links.

// PLACEHOLDER API (issue 5): the bodies are being written; the signatures are the contract.

use bytes::Bytes;
use leadline_core::BusinessId;
use leadline_core::form::StoredName;
use leadline_core::secret::Secret;

/// Why an upload was refused, in words for the person who sent it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Larger than the configured limit.
    #[error("the file '{name}' is larger than {limit} bytes")]
    TooLarge { name: String, limit: u64 },
    /// Its content is not an allowed type.
    #[error("the file '{name}' is of a type that is not accepted ({found})")]
    Type { name: String, found: String },
    /// More files than allowed in one submission.
    #[error("at most {limit} files may be attached")]
    TooMany { limit: usize },
}

/// The configured storage and limits.
pub struct Attachments {
    secret: Secret,
}

impl Attachments {
    /// Storage and limits from the configuration.
    pub fn from_config(config: &crate::config::Config, secret: Secret) -> anyhow::Result<Self> {
        let _ = config;
        Ok(Self { secret })
    }

    /// The largest accepted file, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        10 * 1024 * 1024
    }

    /// The most files one submission may carry.
    pub fn max_files(&self) -> usize {
        5
    }

    /// Checks a file against the limits; the answer is its content type, found from the bytes.
    pub fn check(&self, original_name: &str, bytes: &[u8]) -> Result<String, Refused> {
        let _ = (original_name, bytes, &self.secret);
        todo!()
    }

    /// Writes a checked file under its stored name, in the business's storage.
    pub async fn put(&self, business: BusinessId, name: &StoredName, bytes: Bytes) -> anyhow::Result<()> {
        let _ = (business, name, bytes);
        todo!()
    }

    /// Reads a file back; `None` when the storage has no such file.
    pub async fn get(&self, business: BusinessId, name: &StoredName) -> anyhow::Result<Option<Bytes>> {
        let _ = (business, name);
        todo!()
    }

    /// A download link under `base_url` that works for `ttl` and is refused after.
    pub fn signed_link(&self, base_url: &str, name: &StoredName, ttl: std::time::Duration) -> String {
        let _ = (base_url, name, ttl);
        todo!()
    }
}
