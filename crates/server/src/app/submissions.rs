//! Form submissions, from a browser or the business's own form processor: the files are
//! checked and written under their derived names, the contact details read, and the
//! submission recorded on its lead in one transaction. Nothing is acknowledged before that
//! transaction commits.

use super::error::{AppError, AppResult};
use crate::app::AppState;
use axum::body::Bytes;
use leadline_core::click_id::ClickKind;
use leadline_core::form::{
    FormIdentity, MessageId, NewAttachment, NewSubmission, StoredName, Submission, SubmissionVia, contact_from_fields,
};
use leadline_core::tenant::Site;

/// A file of a form.
#[derive(Debug)]
pub struct Upload {
    /// The file name the browser gave, cleaned for display.
    pub name: String,
    pub bytes: Bytes,
}

/// A form, read and split, on its way to the store.
pub struct Form {
    pub site: Site,
    pub via: SubmissionVia,
    /// Who sent it: the visit Leadline vouches for (token checked, or named by the business's
    /// processor), else the page's temporary id, and the visitor's identifiers.
    pub identity: FormIdentity,
    /// Click id fields that held something else, dropped when the form was read.
    pub dropped_click_ids: Vec<ClickKind>,
    /// The page the form was on.
    pub page_url: Option<String>,
    /// The visitor's own fields.
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

/// Records the submission on its lead and answers it as stored. A file of a refused type is
/// refused with the reason, and nothing is stored.
pub async fn record_submission(state: &AppState, form: Form) -> AppResult<Submission> {
    let Form {
        site,
        via,
        mut identity,
        dropped_click_ids,
        page_url,
        fields,
        files,
    } = form;
    super::visits::count_dropped_click_ids(state, &site, &dropped_click_ids, "a form");
    let files = distinct_names(files);
    let mut types = Vec::with_capacity(files.len());
    for file in &files {
        let content_type = state
            .attachments
            .check(&file.name, &file.bytes)
            .map_err(|refused| AppError::Invalid(refused.to_string()))?;
        types.push(content_type);
    }
    // A form sent before the registration's answer came back names its visit by the page's
    // temporary id.
    if identity.visit.is_none()
        && let Some(temp) = &identity.temp_id
    {
        identity.visit = state.store.visit_by_temp_id(site.id, temp).await?;
    }
    let like = state.store.number_for_site(site.id).await?.map(|n| n.number);
    let contact = contact_from_fields(&fields, like.as_ref());
    let message_id = MessageId::generate();
    let mut attachments = Vec::with_capacity(files.len());
    for (file, content_type) in files.into_iter().zip(types) {
        let stored_name = StoredName::derive(&state.secret, &message_id, site.id, &file.name);
        let size_bytes = file.bytes.len() as u64;
        state
            .attachments
            .put(site.business_id, &stored_name, file.bytes)
            .await?;
        attachments.push(NewAttachment {
            original_name: file.name,
            stored_name,
            content_type,
            size_bytes,
        });
    }
    let new = NewSubmission {
        business_id: site.business_id,
        site_id: site.id,
        message_id,
        via,
        identity,
        contact,
        fields,
        page_url,
        attachments,
    };
    Ok(state.store.add_submission(&new).await?)
}

/// Files with the same name in one form get " (2)", " (3)"… so that each keeps its own
/// stored name (the name is part of the keyed hash).
fn distinct_names(files: Vec<Upload>) -> Vec<Upload> {
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .map(|mut file| {
            if file.name.is_empty() {
                file.name = "attachment".into();
            }
            let base = file.name.clone();
            let mut n = 1;
            while !seen.insert(file.name.clone()) {
                n += 1;
                file.name = match base.rsplit_once('.') {
                    Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
                    _ => format!("{base} ({n})"),
                };
            }
            file
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn upload(name: &str) -> Upload {
        Upload {
            name: name.into(),
            bytes: Bytes::from_static(b"x"),
        }
    }

    #[test]
    fn repeated_file_names_are_told_apart() {
        let names: Vec<String> = distinct_names(vec![upload("cv.pdf"), upload("cv.pdf"), upload(""), upload("cv.pdf")])
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["cv.pdf", "cv (2).pdf", "attachment", "cv (3).pdf"]);
    }
}
