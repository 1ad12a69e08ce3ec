//! What a file is, found from its bytes (magic numbers), never from the name it was sent
//! under. Plain text and CSV have no magic: they pass as text only when the bytes are UTF-8
//! without NULs and the name ends in `.txt` or `.csv`.

use leadline_core::Invalid;

/// The types accepted when `attachments_types` is not set.
pub const DEFAULT_TYPES: [&str; 12] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
];

/// A configured MIME type (`type/subtype`), lower-cased.
pub fn parse_type(input: &str) -> Result<String, Invalid> {
    let lower = input.trim().to_ascii_lowercase();
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match lower.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(lower),
        _ => Err(Invalid::new(
            "attachment type",
            format!("'{input}' is not a MIME type such as application/pdf"),
        )),
    }
}

/// What the bytes turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A known type (its MIME name).
    Type(String),
    /// Nothing acceptable; the words say what was seen, for the refusal message.
    Unusable(String),
}

/// The type of `bytes`, sent under `name`.
pub fn sniff(name: &str, bytes: &[u8]) -> Found {
    if let Some(kind) = infer::get(bytes) {
        return Found::Type(kind.mime_type().to_owned());
    }
    let is_text = std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0);
    if !is_text {
        return Found::Unusable("content of no recognised type".to_owned());
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".txt") {
        Found::Type("text/plain".to_owned())
    } else if lower.ends_with(".csv") {
        Found::Type("text/csv".to_owned())
    } else {
        Found::Unusable("text, but only names ending in .txt or .csv are taken as text".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_types_are_mime_names() {
        assert_eq!(parse_type(" Application/PDF ").unwrap(), "application/pdf");
        assert_eq!(
            parse_type("application/vnd.ms-excel").unwrap(),
            "application/vnd.ms-excel"
        );
        for bad in ["pdf", "application/", "/pdf", "text/plain; charset=utf-8", "a b/c"] {
            assert!(parse_type(bad).is_err(), "{bad}");
        }
        for known in DEFAULT_TYPES {
            assert_eq!(parse_type(known).unwrap(), known);
        }
    }

    #[test]
    fn text_is_taken_from_its_name_only_when_it_is_clean_utf8() {
        assert_eq!(
            sniff("notes.TXT", "héllo\n".as_bytes()),
            Found::Type("text/plain".into())
        );
        assert_eq!(sniff("list.csv", b"a,b\n1,2\n"), Found::Type("text/csv".into()));
        assert!(matches!(sniff("notes", b"hello"), Found::Unusable(w) if w.contains(".txt or .csv")));
        assert!(matches!(sniff("a.txt", b"hel\0lo"), Found::Unusable(_)));
        assert!(matches!(sniff("a.txt", &[0xff, 0xfe, 0x41]), Found::Unusable(_)));
    }
}
