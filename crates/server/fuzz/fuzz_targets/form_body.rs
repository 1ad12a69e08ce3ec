//! Any bytes as a form body: the first byte picks the content type (urlencoded, multipart
//! with the boundary `XyZ`, JSON) and the second the per-file limit (0 to 255 bytes, at most
//! two files). Read or refused, never a panic; what is read keeps every limit (no file over
//! the per-file limit, no more files, fields or text than allowed) and its hidden fields are
//! well-formed.
#![no_main]

use leadline::fuzzing::{self, MAX_FIELDS, MAX_NAME_BYTES, MAX_TEXT_BYTES};
use leadline_core::visitor::{VisitorKey, form_client_id};
use libfuzzer_sys::fuzz_target;

const MAX_FILES: usize = 2;

fuzz_target!(|data: &[u8]| {
    let [kind, limit, body @ ..] = data else {
        return;
    };
    let content_type = match kind % 3 {
        0 => "application/x-www-form-urlencoded",
        1 => "multipart/form-data; boundary=XyZ",
        _ => "application/json",
    };
    let max_file_bytes = u64::from(*limit);
    let Ok(form) = fuzzing::read_form(content_type, body.to_vec(), MAX_FILES, max_file_bytes) else {
        return;
    };
    assert!(form.files.len() <= MAX_FILES, "{} files", form.files.len());
    for (name, size) in &form.files {
        assert!(
            *size as u64 <= max_file_bytes,
            "a file of {size} bytes over {max_file_bytes}"
        );
        assert!(name.chars().count() <= 200 && name.trim() == name, "{name:?}");
        assert!(
            !name.contains(['/', '\\']) && !name.chars().any(char::is_control),
            "{name:?}"
        );
    }
    assert!(form.fields.len() <= MAX_FIELDS);
    let mut text = 0;
    for (name, value) in &form.fields {
        assert!((1..=MAX_NAME_BYTES).contains(&name.len()), "{name:?}");
        text += name.len() + value.len();
    }
    assert!(text <= MAX_TEXT_BYTES);
    if let Ok(hidden) = form.hidden {
        if let Some(id) = hidden.ga_client_id {
            assert_eq!(form_client_id(&id), Some(id.as_str()));
        }
        if let Some(visitor) = hidden.visitor {
            assert!(VisitorKey::is_claimed(&visitor), "{visitor:?}");
        }
        if let Some(page) = hidden.page {
            assert!(page.len() <= 2048 && !page.chars().any(char::is_control), "{page:?}");
        }
    }
});
