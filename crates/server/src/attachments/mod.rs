//! Attachment storage: where the files of form submissions are kept (a local directory by
//! default, or the business's own hosting: a mounted directory or an S3-compatible bucket),
//! the size and type limits they must pass, and signed, expiring download links.
//!
//! Files are stored under their [`StoredName`] (the message id and a keyed hash of the
//! message id, site and original name), flat, at the root of the storage. A business's own
//! storage is read from the database on each use and its built client is cached per business
//! until the description changes.

pub mod storage;
pub mod types;

use bytes::Bytes;
use leadline_core::BusinessId;
use leadline_core::form::StoredName;
use leadline_core::secret::Secret;
use leadline_core::store::Store;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use storage::StorageSpec;
use types::Found;

/// How many businesses' storage clients are kept at once (the cache starts afresh past it).
const CACHED_STORES: usize = 256;

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
    /// The file has no content at all.
    #[error("the file '{name}' is empty")]
    Empty { name: String },
}

/// A business's built storage and the description it was built from.
type Cached = (String, Arc<dyn ObjectStore>);

/// The configured storage and limits.
pub struct Attachments {
    secret: Secret,
    max_file_bytes: u64,
    max_files: usize,
    types: Vec<String>,
    link_ttl: Duration,
    /// The server's default storage.
    global_spec: StorageSpec,
    /// Built on first use, so that a server which never stores a file creates no directory.
    global: Mutex<Option<Arc<dyn ObjectStore>>>,
    /// Where businesses' own storage descriptions are read; without it every business uses
    /// the default storage.
    store: Option<Arc<dyn Store>>,
    /// Each business's built storage, with the description it was built from.
    per_business: Mutex<HashMap<BusinessId, Cached>>,
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachments")
            .field("max_file_bytes", &self.max_file_bytes)
            .field("max_files", &self.max_files)
            .field("types", &self.types)
            .field("link_ttl", &self.link_ttl)
            .field("storage", &self.global_spec.describe())
            .finish_non_exhaustive()
    }
}

impl Attachments {
    /// Storage and limits from the configuration.
    pub fn from_config(config: &crate::config::Config, secret: Secret) -> anyhow::Result<Self> {
        let types = config
            .attachments_types
            .iter()
            .map(|t| types::parse_type(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            secret,
            max_file_bytes: config.attachments_max_file_bytes,
            max_files: config.attachments_max_files,
            types,
            link_ttl: Duration::from_secs(config.attachments_link_ttl_seconds),
            global_spec: config.attachment_storage()?,
            global: Mutex::new(None),
            store: None,
            per_business: Mutex::new(HashMap::new()),
        })
    }

    /// Reads each business's own storage (set with `leadline business storage`) from `store`.
    pub fn with_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The largest accepted file, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The most files one submission may carry.
    pub fn max_files(&self) -> usize {
        self.max_files
    }

    /// How long the download links shown to operators work.
    pub fn link_ttl(&self) -> Duration {
        self.link_ttl
    }

    /// The server's default storage, in words (no secrets).
    pub fn default_storage(&self) -> String {
        self.global_spec.describe()
    }

    /// Checks a file against the limits; the answer is its content type, found from the bytes.
    pub fn check(&self, original_name: &str, bytes: &[u8]) -> Result<String, Refused> {
        let name = || original_name.to_owned();
        if bytes.is_empty() {
            return Err(Refused::Empty { name: name() });
        }
        if bytes.len() as u64 > self.max_file_bytes {
            return Err(Refused::TooLarge {
                name: name(),
                limit: self.max_file_bytes,
            });
        }
        match types::sniff(original_name, bytes) {
            Found::Type(found) if self.types.contains(&found) => Ok(found),
            Found::Type(found) | Found::Unusable(found) => Err(Refused::Type { name: name(), found }),
        }
    }

    /// Writes a checked file under its stored name, in the business's storage.
    pub async fn put(&self, business: BusinessId, name: &StoredName, bytes: Bytes) -> anyhow::Result<()> {
        let storage = self.storage_of(business).await?;
        storage
            .put(&ObjectPath::from(name.as_str()), PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| anyhow::anyhow!("cannot store attachment {}: {e}", name.as_str()))?;
        Ok(())
    }

    /// Reads a file back; `None` when the storage has no such file.
    pub async fn get(&self, business: BusinessId, name: &StoredName) -> anyhow::Result<Option<Bytes>> {
        let storage = self.storage_of(business).await?;
        let read = async {
            let found = storage.get(&ObjectPath::from(name.as_str())).await?;
            found.bytes().await
        };
        match read.await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(anyhow::anyhow!("cannot read attachment {}: {e}", name.as_str())),
        }
    }

    /// Deletes a file from the business's storage; a file already gone is fine.
    pub async fn delete(&self, business: BusinessId, name: &str) -> anyhow::Result<()> {
        let storage = self.storage_of(business).await?;
        match storage.delete(&ObjectPath::from(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(anyhow::anyhow!("cannot delete attachment {name}: {e}")),
        }
    }

    /// A download link under `base_url` that works for `ttl` and is refused after.
    pub fn signed_link(&self, base_url: &str, name: &StoredName, ttl: std::time::Duration) -> String {
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let expires = leadline_core::clock::now().timestamp().saturating_add(ttl.max(1));
        self.link_until(base_url, name, expires)
    }

    /// A download link under `base_url` that works until `expires` (Unix seconds).
    pub fn link_until(&self, base_url: &str, name: &StoredName, expires: i64) -> String {
        format!(
            "{}/v1/attachments/{}?expires={expires}&sig={}",
            base_url.trim_end_matches('/'),
            name.as_str(),
            name.link_signature(&self.secret, expires)
        )
    }

    /// Whether a link's `expires` and `sig` sign `name` and have not expired.
    pub fn verify_link(&self, name: &StoredName, expires: i64, signature: &str) -> bool {
        name.verify_link(
            &self.secret,
            expires,
            signature,
            leadline_core::clock::now().timestamp(),
        )
    }

    /// The storage `business` keeps its files in: its own when set, else the default.
    async fn storage_of(&self, business: BusinessId) -> anyhow::Result<Arc<dyn ObjectStore>> {
        let own = match &self.store {
            Some(store) => store
                .attachment_storage(business)
                .await
                .map_err(|e| anyhow::anyhow!("cannot read the attachment storage of business {business}: {e}"))?,
            None => None,
        };
        let Some(description) = own else {
            self.per_business.lock().expect("cache lock").remove(&business);
            return self.global();
        };
        if let Some((built_from, storage)) = self.per_business.lock().expect("cache lock").get(&business)
            && *built_from == description
        {
            return Ok(storage.clone());
        }
        let storage = StorageSpec::from_json(&description)?
            .build(false)
            .map_err(|e| anyhow::anyhow!("the attachment storage of business {business}: {e:#}"))?;
        let mut cache = self.per_business.lock().expect("cache lock");
        if cache.len() >= CACHED_STORES {
            cache.clear();
        }
        cache.insert(business, (description, storage.clone()));
        Ok(storage)
    }

    fn global(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        let mut global = self.global.lock().expect("storage lock");
        if let Some(storage) = global.as_ref() {
            return Ok(storage.clone());
        }
        let storage = self.global_spec.build(true)?;
        *global = Some(storage.clone());
        Ok(storage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use leadline_core::SiteId;
    use leadline_core::form::MessageId;

    fn attachments(config: Config) -> Attachments {
        Attachments::from_config(&config, Secret::new("an install secret of enough length")).unwrap()
    }

    fn png() -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend([0u8; 32]);
        bytes
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n".to_vec()
    }

    fn name(original: &str) -> StoredName {
        StoredName::derive(
            &Secret::new("an install secret of enough length"),
            &MessageId::generate(),
            SiteId(1),
            original,
        )
    }

    #[test]
    fn files_are_typed_by_their_content_not_their_name() {
        let a = attachments(Config::default());
        assert_eq!(a.check("photo.png", &png()).unwrap(), "image/png");
        assert_eq!(a.check("photo.pdf", &png()).unwrap(), "image/png");
        assert_eq!(a.check("quote", &pdf()).unwrap(), "application/pdf");
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(a.check("me.jpg", &jpeg).unwrap(), "image/jpeg");
        assert_eq!(a.check("notes.txt", b"call me back").unwrap(), "text/plain");
        assert_eq!(a.check("rooms.csv", b"room,size\nhall,12\n").unwrap(), "text/csv");
    }

    #[test]
    fn programs_and_disguised_files_are_refused_with_what_was_found() {
        let a = attachments(Config::default());
        let mut exe = b"MZ\x90\0\x03\0\0\0".to_vec();
        exe.extend([0u8; 64]);
        let err = a.check("invoice.pdf", &exe).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("'invoice.pdf'"), "{message}");
        assert!(
            message.contains("application/vnd.microsoft.portable-executable"),
            "{message}"
        );
        let err = a
            .check("page.txt", b"<!DOCTYPE html><html><script>x</script></html>")
            .unwrap_err();
        assert!(err.to_string().contains("text/html"), "{err}");
        let err = a.check("notes.pdf", b"plain words").unwrap_err();
        assert!(err.to_string().contains(".txt or .csv"), "{err}");
        let err = a.check("data.txt", b"abc\0def").unwrap_err();
        assert!(err.to_string().contains("no recognised type"), "{err}");
        let err = a.check("blob.bin", &[0xde, 0xad, 0xbe, 0xef, 0xff]).unwrap_err();
        assert!(matches!(err, Refused::Type { .. }), "{err}");
    }

    #[test]
    fn empty_and_oversized_files_are_refused_with_the_limit() {
        let a = attachments(Config {
            attachments_max_file_bytes: 20,
            ..Config::default()
        });
        let err = a.check("empty.txt", b"").unwrap_err();
        assert_eq!(err.to_string(), "the file 'empty.txt' is empty");
        let err = a.check("big.png", &png()).unwrap_err();
        assert_eq!(err.to_string(), "the file 'big.png' is larger than 20 bytes");
        assert_eq!(a.check("small.txt", &[b'a'; 20]).unwrap(), "text/plain");
    }

    #[test]
    fn only_the_configured_types_pass() {
        let a = attachments(Config {
            attachments_types: vec!["Image/PNG".into()],
            ..Config::default()
        });
        assert_eq!(a.check("a.png", &png()).unwrap(), "image/png");
        let err = a.check("a.pdf", &pdf()).unwrap_err();
        assert!(err.to_string().contains("(application/pdf)"), "{err}");
        assert!(a.check("a.txt", b"words").is_err());
        let bad = Attachments::from_config(
            &Config {
                attachments_types: vec!["pdf".into()],
                ..Config::default()
            },
            Secret::new("s"),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn the_limits_come_from_the_configuration() {
        let a = attachments(Config::default());
        assert_eq!(a.max_file_bytes(), 10 * 1024 * 1024);
        assert_eq!(a.max_files(), 5);
        assert_eq!(a.link_ttl(), Duration::from_secs(900));
    }

    #[test]
    fn signed_links_verify_until_they_expire_and_not_for_another_name() {
        let a = attachments(Config::default());
        let stored = name("cv.pdf");
        let link = a.signed_link("https://track.example.com/", &stored, Duration::from_secs(60));
        let url = url::Url::parse(&link).unwrap();
        assert_eq!(url.path(), format!("/v1/attachments/{}", stored.as_str()));
        let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
        let expires: i64 = query["expires"].parse().unwrap();
        let now = leadline_core::clock::now().timestamp();
        assert!((now + 59..=now + 61).contains(&expires), "{expires}");
        assert!(a.verify_link(&stored, expires, &query["sig"]));
        assert!(!a.verify_link(&name("cv.pdf"), expires, &query["sig"]));
        assert!(!a.verify_link(&stored, expires + 1, &query["sig"]));
        let past = a.link_until("https://x", &stored, now - 1);
        let sig = past.rsplit("sig=").next().unwrap();
        assert!(!a.verify_link(&stored, now - 1, sig));
    }

    #[tokio::test]
    async fn files_go_to_the_data_directory_by_default_and_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = attachments(Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        });
        assert!(
            !dir.path().join("data").exists(),
            "nothing is created before a file is stored"
        );
        let stored = name("a.png");
        let business = BusinessId(1);
        assert_eq!(a.get(business, &stored).await.unwrap(), None);
        a.put(business, &stored, Bytes::from(png())).await.unwrap();
        let on_disk = dir.path().join("data/attachments").join(stored.as_str());
        assert_eq!(std::fs::read(on_disk).unwrap(), png());
        assert_eq!(a.get(business, &stored).await.unwrap(), Some(Bytes::from(png())));
        assert_eq!(a.get(business, &name("other.png")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_configured_directory_is_used_instead() {
        let dir = tempfile::tempdir().unwrap();
        let a = attachments(Config {
            data_dir: dir.path().join("data"),
            attachments_dir: Some(dir.path().join("files")),
            ..Config::default()
        });
        let stored = name("a.txt");
        a.put(BusinessId(7), &stored, Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert!(dir.path().join("files").join(stored.as_str()).exists());
        assert!(!dir.path().join("data").exists());
    }
}
