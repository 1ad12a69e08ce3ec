//! Where attachment files live: a directory (local, or a volume the business's hosting is
//! mounted on) or an S3-compatible bucket. A business's own storage is kept in the database
//! as the JSON of a [`StorageSpec`]; the server's default one comes from the configuration.

use leadline_core::Invalid;
use leadline_core::net::is_loopback;
use leadline_core::secret::Secret;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use serde::{Deserialize, Serialize, Serializer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Where attachments are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StorageSpec {
    /// A directory on this machine (a local disk or a mounted volume).
    Dir {
        /// Absolute path of the directory.
        path: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Spec),
}

/// An S3-compatible bucket and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Spec {
    /// The bucket's name.
    pub bucket: String,
    /// A folder within the bucket (no leading or trailing slash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The endpoint of an S3-compatible service (MinIO, Ceph, a hosting company's object
    /// storage); unset means Amazon S3 itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The bucket's region (`us-east-1` for most S3-compatible services).
    pub region: String,
    /// The access key id; unset (with the secret) means the machine's own credentials
    /// (instance metadata), for the server's default storage only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The secret access key.
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "expose_secret")]
    pub secret_access_key: Option<Secret>,
    /// Whether a plain `http://` endpoint may be used (always allowed on a loopback address).
    #[serde(default)]
    pub allow_http: bool,
    /// Address the bucket as `https://BUCKET.ENDPOINT/` rather than `https://ENDPOINT/BUCKET/`
    /// (path style, the default, which every S3-compatible service understands).
    #[serde(default)]
    pub virtual_hosted_style: bool,
}

fn expose_secret<S: Serializer>(secret: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

/// `s3://BUCKET` or `s3://BUCKET/PREFIX` as the bucket and the prefix.
pub fn parse_s3_url(input: &str) -> Result<(String, Option<String>), Invalid> {
    let what = "S3 location";
    let rest = input
        .strip_prefix("s3://")
        .ok_or_else(|| Invalid::new(what, format!("'{input}' does not start with s3://")))?;
    let (bucket, prefix) = match rest.split_once('/') {
        Some((bucket, prefix)) => (bucket, prefix.trim_matches('/')),
        None => (rest, ""),
    };
    check_bucket(bucket)?;
    if prefix.split('/').any(|part| part == "." || part == "..")
        || prefix.contains("//")
        || prefix.chars().any(|c| c.is_control() || c == '\\')
    {
        return Err(Invalid::new(what, format!("'{prefix}' is not a usable folder")));
    }
    Ok((bucket.to_owned(), (!prefix.is_empty()).then(|| prefix.to_owned())))
}

/// S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots and hyphens, starting
/// and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), Invalid> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "bucket name",
            format!("'{bucket}' is not 3 to 63 lower-case letters, digits, dots and hyphens"),
        ))
    }
}

impl S3Spec {
    /// Checks every field; the error says which one is wrong.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_bucket(&self.bucket)?;
        if let Some(prefix) = &self.prefix {
            parse_s3_url(&format!("s3://{}/{prefix}", self.bucket))?;
        }
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 64
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !region_ok {
            return Err(Invalid::new(
                "S3 region",
                format!("'{}' is not a region name such as us-east-1", self.region),
            ));
        }
        if let Some(endpoint) = &self.endpoint {
            let url = Url::parse(endpoint)
                .map_err(|e| Invalid::new("S3 endpoint", format!("'{endpoint}' is not a URL: {e}")))?;
            match url.scheme() {
                "https" => {}
                "http" if self.allow_http || is_loopback(&url) => {}
                "http" => {
                    return Err(Invalid::new(
                        "S3 endpoint",
                        format!("'{endpoint}' is plain http: use https, or allow http explicitly for a local endpoint"),
                    ));
                }
                _ => {
                    return Err(Invalid::new(
                        "S3 endpoint",
                        format!("'{endpoint}' is not an http:// or https:// URL"),
                    ));
                }
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(Invalid::new(
                    "S3 endpoint",
                    "put the credentials in the access key settings, not in the URL",
                ));
            }
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.expose().trim().is_empty() => Ok(()),
            (None, None) => Ok(()),
            _ => Err(Invalid::new(
                "S3 credentials",
                "give both the access key id and the secret access key, or neither",
            )),
        }
    }

    /// `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("s3://{}/{prefix}", self.bucket),
            None => format!("s3://{}", self.bucket),
        }
    }

    fn build(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        self.validate()?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(self.virtual_hosted_style)
            // A download waits on this: fail in seconds, not the default three minutes.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(20)),
            )
            .with_allow_http(self.allow_http || self.endpoint_is_loopback_http());
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret.expose());
        }
        let bucket: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        Ok(match &self.prefix {
            Some(prefix) => Arc::new(PrefixStore::new(bucket, prefix.as_str())),
            None => bucket,
        })
    }

    fn endpoint_is_loopback_http(&self) -> bool {
        self.endpoint
            .as_deref()
            .and_then(|e| Url::parse(e).ok())
            .is_some_and(|url| url.scheme() == "http" && is_loopback(&url))
    }
}

impl StorageSpec {
    /// The JSON kept in the database for a business's own storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a storage description always serialises")
    }

    /// Reads a stored description back.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let spec: Self = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("unreadable attachment storage description: {e}"))?;
        if let Self::S3(s3) = &spec {
            s3.validate()?;
        }
        Ok(spec)
    }

    /// Where the files go, in words, without any secret.
    pub fn describe(&self) -> String {
        match self {
            Self::Dir { path } => format!("the directory {}", path.display()),
            Self::S3(s3) => {
                let endpoint = s3.endpoint.as_deref().unwrap_or("Amazon S3");
                format!("{} at {endpoint} (region {})", s3.location(), s3.region)
            }
        }
    }

    /// The object store. A directory must exist unless `create_dir` is set (a business's
    /// mounted volume that has gone away must fail, not fill the local disk instead).
    pub fn build(&self, create_dir: bool) -> anyhow::Result<Arc<dyn ObjectStore>> {
        match self {
            Self::Dir { path } => {
                if create_dir {
                    leadline_store::private_dir(path)
                        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
                }
                let local = LocalFileSystem::new_with_prefix(path)
                    .map_err(|e| anyhow::anyhow!("attachment directory {}: {e}", path.display()))?;
                Ok(Arc::new(local))
            }
            Self::S3(s3) => s3.build(),
        }
    }
}

/// Checks that `path` is an existing directory this process can write to, and answers its
/// absolute, canonical form.
pub fn writable_dir(path: &Path) -> Result<PathBuf, Invalid> {
    let what = "attachment directory";
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| Invalid::new(what, format!("{} cannot be used: {e}", path.display())))?;
    if !canonical.is_dir() {
        return Err(Invalid::new(what, format!("{} is not a directory", path.display())));
    }
    let probe = canonical.join(format!(".leadline-probe-{}", leadline_core::secret::random_token(12)));
    std::fs::write(&probe, b"probe")
        .map_err(|e| Invalid::new(what, format!("{} is not writable: {e}", canonical.display())))?;
    let _ = std::fs::remove_file(&probe);
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn s3() -> S3Spec {
        S3Spec {
            bucket: "acme-files".into(),
            prefix: Some("forms".into()),
            endpoint: Some("https://objects.example.net".into()),
            region: "eu-west-1".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG")),
            allow_http: false,
            virtual_hosted_style: false,
        }
    }

    #[test]
    fn s3_locations_name_a_bucket_and_an_optional_folder() {
        assert_eq!(parse_s3_url("s3://acme-files").unwrap(), ("acme-files".into(), None));
        assert_eq!(
            parse_s3_url("s3://acme-files/forms/2024/").unwrap(),
            ("acme-files".into(), Some("forms/2024".into()))
        );
        for bad in [
            "acme-files",
            "https://acme-files",
            "s3://",
            "s3://AB",
            "s3://Acme",
            "s3://-acme",
            "s3://acme/../x",
            "s3://acme/a//b",
        ] {
            assert!(parse_s3_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bucket_description_keeps_its_secret_in_json_but_never_in_debug_or_words() {
        let spec = StorageSpec::S3(s3());
        let json = spec.to_json();
        assert!(json.contains("wJalrXUtnFEMI/K7MDENG"), "{json}");
        assert_eq!(StorageSpec::from_json(&json).unwrap(), spec);
        assert!(!format!("{spec:?}").contains("wJalr"));
        let words = spec.describe();
        assert_eq!(
            words,
            "s3://acme-files/forms at https://objects.example.net (region eu-west-1)"
        );
    }

    #[test]
    fn plain_http_endpoints_are_refused_unless_local_or_allowed() {
        let mut spec = s3();
        spec.endpoint = Some("http://objects.example.net".into());
        let err = spec.validate().unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        spec.allow_http = true;
        spec.validate().unwrap();
        spec.allow_http = false;
        for local in ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"] {
            spec.endpoint = Some(local.into());
            spec.validate().unwrap();
        }
        spec.endpoint = Some("ftp://objects.example.net".into());
        assert!(spec.validate().is_err());
        spec.endpoint = Some("https://key:secret@objects.example.net".into());
        assert!(spec.validate().is_err());
    }

    #[test]
    fn credentials_come_in_pairs_and_regions_are_names() {
        let mut spec = s3();
        spec.secret_access_key = None;
        assert!(spec.validate().unwrap_err().to_string().contains("both"));
        spec.access_key_id = None;
        spec.validate().unwrap();
        spec.region = "us east".into();
        assert!(spec.validate().unwrap_err().to_string().contains("region"));
    }

    #[test]
    fn unknown_fields_in_a_stored_description_are_refused() {
        assert!(StorageSpec::from_json(r#"{"kind":"dir","path":"/x","extra":1}"#).is_err());
        assert!(StorageSpec::from_json(r#"{"kind":"ftp"}"#).is_err());
        assert_eq!(
            StorageSpec::from_json(r#"{"kind":"dir","path":"/x"}"#).unwrap(),
            StorageSpec::Dir { path: "/x".into() }
        );
    }

    #[test]
    fn the_default_storage_is_a_directory_under_the_data_directory() {
        let config = Config {
            data_dir: "/srv/leadline".into(),
            ..Config::default()
        };
        assert_eq!(
            config.attachment_storage().unwrap(),
            StorageSpec::Dir {
                path: "/srv/leadline/attachments".into()
            }
        );
        let half = Config {
            attachments_s3_access_key_id: Some("AKID".into()),
            ..Config::default()
        };
        assert!(half.attachment_storage().is_err());
    }

    #[test]
    fn a_missing_directory_is_refused_and_an_existing_one_is_made_absolute() {
        let dir = tempfile::tempdir().unwrap();
        assert!(writable_dir(&dir.path().join("missing")).is_err());
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(writable_dir(&file).unwrap_err().to_string().contains("not a directory"));
        let found = writable_dir(dir.path()).unwrap();
        assert!(found.is_absolute());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the probe is removed"
        );
    }
}
