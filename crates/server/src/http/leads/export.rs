//! A person's data, for a request under GDPR's right of access (article 15) or the CCPA's
//! right to know: one ZIP with `lead.json` (the lead, its whole timeline of visits, calls,
//! forms and activities, and its deliveries, as `GET /v1/leads/{ref}` answers it), every file
//! they sent under `files/`, and a README saying what is where (the recordings are links in
//! `lead.json`). `GET /v1/leads/{ref}/export` with an API key; the lead page's owners get the
//! same file.

use super::find_lead;
use super::read::lead_document;
use crate::app::AppState;
use crate::web::api_key::BusinessKey;
use crate::web::error::ApiError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadline_core::BusinessId;
use leadline_core::lead::Lead;
use std::io::Write;
use zip::write::SimpleFileOptions;

/// `GET /v1/leads/{ref}/export`.
pub async fn export(
    State(state): State<AppState>,
    BusinessKey(business): BusinessKey,
    Path(record_ref): Path<String>,
) -> Result<Response, ApiError> {
    let lead = find_lead(&state, business, &record_ref).await?;
    person_zip_response(&state, business, &lead).await
}

/// The ZIP of `lead` as a download (never cached: it is one person's data).
pub async fn person_zip_response(state: &AppState, business: BusinessId, lead: &Lead) -> Result<Response, ApiError> {
    let bytes = person_zip(state, business, lead).await?;
    let name = format!("attachment; filename=\"lead-{}.zip\"", lead.record_ref);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Builds the ZIP of everything Leadline keeps on the person behind `lead`.
pub async fn person_zip(state: &AppState, business: BusinessId, lead: &Lead) -> Result<Vec<u8>, ApiError> {
    let document = lead_document(state, business, lead).await?;
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for submission in state.store.lead_submissions(business, lead.id).await? {
        for (i, file) in submission.attachments.iter().enumerate() {
            let path = format!(
                "files/{}/{}-{}",
                submission.message_id.as_str(),
                i + 1,
                safe_name(&file.original_name)
            );
            match state.attachments.get(business, &file.stored_name).await {
                Ok(Some(bytes)) => files.push((path, bytes)),
                Ok(None) => missing.push(format!("{path}: no longer in storage")),
                Err(e) => {
                    tracing::warn!(error = %e, "a file of a person's export could not be read");
                    missing.push(format!("{path}: could not be read"));
                }
            }
        }
    }
    let readme = readme(lead, &missing);
    let json = serde_json::to_vec_pretty(&document).expect("a JSON value serialises");
    tokio::task::spawn_blocking(move || write_zip(&readme, &json, &files))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the export could not be written: {e}")))
}

fn write_zip(readme: &str, json: &[u8], files: &[(String, bytes::Bytes)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("README.txt", options)?;
    zip.write_all(readme.as_bytes())?;
    zip.start_file("lead.json", options)?;
    zip.write_all(json)?;
    for (path, bytes) in files {
        zip.start_file(path.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// A file's name as a ZIP entry: its last path segment, without characters archive tools
/// treat specially.
fn safe_name(original: &str) -> String {
    let last = original.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || ":*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "file".to_owned(),
        name => name.to_owned(),
    }
}

fn readme(lead: &Lead, missing: &[String]) -> String {
    let mut text = format!(
        "Everything Leadline keeps on lead {}, exported {}.\n\n\
         lead.json  the lead (name, e-mail, phone, company, status, tags, custom fields), then\n\
         \x20          every visit (pages, source, click ids, visitor key), call (caller, outcome,\n\
         \x20          recording_url: the recording at the telephony provider), form (every field),\n\
         \x20          note, status change and sale in time order, and each delivery of its\n\
         \x20          events to the business's other systems.\n\
         files/     every file sent with a form, by form.\n",
        lead.record_ref,
        leadline_core::clock::now().to_rfc3339()
    );
    if !missing.is_empty() {
        text.push_str("\nNot included:\n");
        for line in missing {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_name_keeps_its_last_segment_and_loses_what_archives_treat_specially() {
        assert_eq!(safe_name("quote.pdf"), "quote.pdf");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\photos\\sofa?.png"), "sofa_.png");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name("a\u{0}b"), "a_b");
    }
}
