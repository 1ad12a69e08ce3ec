//! Reading a form body: `application/x-www-form-urlencoded`, `multipart/form-data` (with
//! files) or, from a site's form processor, JSON. Every path applies the same limits, so a
//! body that breaks one is refused before anything is stored.

pub use crate::app::submissions::Upload;
use crate::web::error::ApiError;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use serde_json::Value;

/// Most fields in one form.
pub const MAX_FIELDS: usize = 200;
/// Longest field name, in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Largest text of all fields together, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// A form's fields in order, and its files.
#[derive(Debug, Default)]
pub struct Payload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
    text_bytes: usize,
}

/// How much a payload may carry.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    pub max_files: usize,
    pub max_file_bytes: u64,
}

/// Room for multipart boundaries and part headers besides the files and the text.
const MULTIPART_OVERHEAD_BYTES: usize = 64 * 1024;

impl FileLimits {
    /// The largest body a form may be: every file at its limit, the text, the framing.
    pub fn max_body_bytes(&self) -> usize {
        let files = self.max_files as u64 * self.max_file_bytes;
        usize::try_from(files)
            .unwrap_or(usize::MAX)
            .saturating_add(MAX_TEXT_BYTES + MULTIPART_OVERHEAD_BYTES)
    }

    /// The refusal of a body over [`Self::max_body_bytes`].
    fn body_too_large(&self) -> ApiError {
        ApiError::PayloadTooLarge(format!(
            "the form is too large (max {}: at most {} files of {} each, and {} of text)",
            size(self.max_body_bytes() as u64),
            self.max_files,
            size(self.max_file_bytes),
            size(MAX_TEXT_BYTES as u64)
        ))
    }

    /// The refusal of file `file` of field `field`, over the per-file limit.
    fn file_too_large(&self, field: &str, file: &str) -> ApiError {
        ApiError::PayloadTooLarge(format!(
            "file too large: '{file}' in field '{field}' (max {} per file)",
            size(self.max_file_bytes)
        ))
    }
}

/// A size as people read it: `10 MiB`, `2.3 MiB`, `256 KiB`, `100 bytes`.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl Payload {
    fn push_field(&mut self, name: String, value: String) -> Result<(), ApiError> {
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(ApiError::BadRequest(format!(
                "a field name must be 1 to {MAX_NAME_BYTES} bytes"
            )));
        }
        if self.fields.len() >= MAX_FIELDS {
            return Err(ApiError::BadRequest(format!(
                "a form may have at most {MAX_FIELDS} fields"
            )));
        }
        self.text_bytes += name.len() + value.len();
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(ApiError::body_over(MAX_TEXT_BYTES));
        }
        self.fields.push((name, value));
        Ok(())
    }

    /// The first value of a field.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Reads the body by its content type. A body that says it is over the limits is refused
    /// before a byte of it is read.
    pub async fn read(request: Request, limits: FileLimits) -> Result<Self, ApiError> {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limits.max_body_bytes() as u64) {
            return Err(limits.body_too_large());
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| ApiError::BadRequest(format!("the multipart body cannot be read: {e}")))?;
            Self::from_multipart(multipart, limits).await
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            Self::from_urlencoded(&text_body(request).await?)
        } else if content_type.starts_with("application/json") {
            Self::from_json(&text_body(request).await?)
        } else {
            Err(ApiError::BadRequest(
                "send the form as application/x-www-form-urlencoded, multipart/form-data or application/json".into(),
            ))
        }
    }

    fn from_urlencoded(body: &[u8]) -> Result<Self, ApiError> {
        let mut payload = Self::default();
        for (name, value) in form_urlencoded::parse(body) {
            payload.push_field(name.into_owned(), value.into_owned())?;
        }
        Ok(payload)
    }

    /// JSON from a form processor: `{"fields": {"name": "value" | ["v1", "v2"]}, …}` or the
    /// fields as `[["name", "value"], …]` to keep their order. Other top-level keys
    /// (`site`, `page_url`) are read by the caller.
    fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let document: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
        let mut payload = Self::default();
        let Value::Object(top) = document else {
            return Err(ApiError::BadRequest("the body must be a JSON object".into()));
        };
        for (key, value) in top {
            match (key.as_str(), value) {
                ("fields", Value::Object(fields)) => {
                    for (name, value) in fields {
                        for text in json_texts(&name, value)? {
                            payload.push_field(name.clone(), text)?;
                        }
                    }
                }
                ("fields", Value::Array(pairs)) => {
                    for pair in pairs {
                        let (name, value) = json_pair(pair)?;
                        payload.push_field(name, value)?;
                    }
                }
                ("fields", _) => {
                    return Err(ApiError::BadRequest(
                        "'fields' must be an object or a list of pairs".into(),
                    ));
                }
                ("site", Value::String(site)) => payload.push_field("leadline_site".into(), site)?,
                ("page_url", Value::String(page)) => payload.push_field("leadline_page".into(), page)?,
                (other, _) => {
                    return Err(ApiError::BadRequest(format!(
                        "unknown key '{other}': the body takes site, page_url and fields"
                    )));
                }
            }
        }
        Ok(payload)
    }

    async fn from_multipart(mut multipart: Multipart, limits: FileLimits) -> Result<Self, ApiError> {
        let mut payload = Self::default();
        let bad = |e: MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                limits.body_too_large()
            } else {
                ApiError::BadRequest(format!("the multipart body cannot be read: {e}"))
            }
        };
        while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            let Some(file_name) = field.file_name().map(clean_file_name) else {
                let value = field.text().await.map_err(bad)?;
                payload.push_field(name, value)?;
                continue;
            };
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > limits.max_file_bytes {
                    return Err(limits.file_too_large(&name, &file_name));
                }
            }
            // A file input left empty is sent with no name and no bytes: not an attachment.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if payload.files.len() >= limits.max_files {
                return Err(ApiError::BadRequest(format!(
                    "at most {} files may be attached",
                    limits.max_files
                )));
            }
            payload.files.push(Upload {
                name: file_name,
                bytes: Bytes::from(bytes),
            });
        }
        Ok(payload)
    }
}

async fn text_body(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), MAX_TEXT_BYTES)
        .await
        .map_err(|_| ApiError::body_over(MAX_TEXT_BYTES))
}

fn json_texts(name: &str, value: Value) -> Result<Vec<String>, ApiError> {
    match value {
        Value::String(text) => Ok(vec![text]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Null => Ok(vec![]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(ApiError::BadRequest(format!(
                    "field '{name}' holds {other}: list items must be strings"
                ))),
            })
            .collect(),
        Value::Object(_) => Err(ApiError::BadRequest(format!("field '{name}' holds an object"))),
    }
}

fn json_pair(pair: Value) -> Result<(String, String), ApiError> {
    match pair {
        Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
            (Value::String(name), Value::String(value)) => Ok((name.clone(), value.clone())),
            _ => Err(ApiError::BadRequest(
                "each field pair must be [name, value] strings".into(),
            )),
        },
        _ => Err(ApiError::BadRequest("each field pair must be [name, value]".into())),
    }
}

/// The last path segment of a browser's file name, without control characters, at most
/// 200 characters: it is shown to operators and offered as the download's name.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_fields_keep_their_order_and_repeats() {
        let payload = Payload::from_urlencoded(b"b=2&a=1&b=3&name=Ann+Lee").unwrap();
        assert_eq!(payload.fields[0], ("b".into(), "2".into()));
        assert_eq!(payload.fields[2], ("b".into(), "3".into()));
        assert_eq!(payload.get("name"), Some("Ann Lee"));
    }

    #[test]
    fn too_many_fields_or_too_much_text_is_refused() {
        let many: String = (0..=MAX_FIELDS).map(|i| format!("f{i}=x&")).collect();
        assert!(Payload::from_urlencoded(many.as_bytes()).is_err());
        let huge = format!("a={}", "x".repeat(MAX_TEXT_BYTES));
        assert!(matches!(
            Payload::from_urlencoded(huge.as_bytes()),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }

    #[test]
    fn json_fields_take_objects_lists_and_pairs() {
        let payload =
            Payload::from_json(br#"{"site":"k","fields":{"email":"a@b.example","topics":["x","y"],"n":3}}"#).unwrap();
        assert_eq!(payload.get("leadline_site"), Some("k"));
        assert_eq!(payload.fields.iter().filter(|(n, _)| n == "topics").count(), 2);
        assert_eq!(payload.get("n"), Some("3"));
        let pairs = Payload::from_json(br#"{"fields":[["b","1"],["a","2"]]}"#).unwrap();
        assert_eq!(pairs.fields[0].0, "b");
        for bad in [
            r#"[1]"#,
            r#"{"fields":{"x":{"y":1}}}"#,
            r#"{"colour":"red"}"#,
            r#"{"fields":[["a"]]}"#,
        ] {
            assert!(Payload::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(10 * 1024 * 1024), "10 MiB");
        assert_eq!(size(2_424_832), "2.3 MiB");
        assert_eq!(size(256 * 1024), "256 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\ann\\cv.pdf"), "cv.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\nc.txt"), "abc.txt");
    }
}
