//! Turning a read form into a stored submission: the files are checked and written under
//! their derived names, the contact details read, and the submission recorded on its lead
//! in one transaction. Nothing is acknowledged before that transaction commits.

use super::identity::{self, Hidden};
use super::payload::Upload;
use crate::app::AppState;
use crate::web::error::ApiError;
use leadline_core::form::{MessageId, NewAttachment, NewSubmission, StoredName, Submission, SubmissionVia};
use leadline_core::tenant::Site;
use leadline_core::visit::VisitRef;

/// A form, read and split, on its way to the store.
pub struct Intake {
    pub site: Site,
    pub via: SubmissionVia,
    pub hidden: Hidden,
    /// The visitor's own fields.
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
    /// The visit Leadline vouches for (token checked, or named by the business's processor).
    pub visit: Option<VisitRef>,
}

/// Records the submission and answers it as stored.
pub async fn record(state: &AppState, intake: Intake) -> Result<Submission, ApiError> {
    let Intake {
        site,
        via,
        hidden,
        fields,
        files,
        visit,
    } = intake;
    crate::http::visits::count_dropped_click_ids(state, &site, &hidden.dropped_click_ids, "a form");
    let files = distinct_names(files);
    let mut types = Vec::with_capacity(files.len());
    for file in &files {
        let content_type = state
            .attachments
            .check(&file.name, &file.bytes)
            .map_err(|refused| ApiError::BadRequest(refused.to_string()))?;
        types.push(content_type);
    }
    let visit = match visit {
        Some(visit) => Some(visit),
        None => exchange_temp_id(state, &site, &hidden).await?,
    };
    let like = state.store.number_for_site(site.id).await?.map(|n| n.number);
    let contact = identity::contact(&fields, like.as_ref());
    let message_id = MessageId::generate();
    let mut attachments = Vec::with_capacity(files.len());
    for (file, content_type) in files.into_iter().zip(types) {
        let stored_name = StoredName::derive(&state.secret, &message_id, site.id, &file.name);
        let size_bytes = file.bytes.len() as u64;
        state
            .attachments
            .put(site.business_id, &stored_name, file.bytes)
            .await
            .map_err(ApiError::Internal)?;
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
        identity: hidden.identity(visit, via == SubmissionVia::Processor),
        contact,
        fields,
        page_url: hidden.page.clone(),
        attachments,
    };
    Ok(state.store.add_submission(&new).await?)
}

/// The visit a page registered under the form's temporary id, when the form went off
/// before the registration's answer came back.
async fn exchange_temp_id(state: &AppState, site: &Site, hidden: &Hidden) -> Result<Option<VisitRef>, ApiError> {
    match &hidden.temp {
        Some(temp) => Ok(state.store.visit_by_temp_id(site.id, temp).await?),
        None => Ok(None),
    }
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
