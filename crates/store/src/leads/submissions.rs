//! Recording a form submission on its lead, and reading submissions and attachments back.

use super::rows::{self, ATTACHMENT_SELECT, SUBMISSION_SELECT};
use crate::calls::{lock_refs, next_ref};
use crate::errors::{backend, classify, not_found_or_backend};
use crate::reports::marks::StaleMarks;
use crate::rows::now_millis;
use leadline_core::form::{Attachment, MessageId, NewSubmission, StoredName, Submission};
use leadline_core::lead::{LeadMatch, contact_text};
use leadline_core::matching::{PersonKeys, lead_lookups};
use leadline_core::store::StoreResult;
use leadline_core::visitor::VisitorKey;
use leadline_core::{BusinessId, LeadId};
use sqlx::{AnyConnection, AnyPool};

/// The visit a submission came from, as its lead needs it.
struct FormVisit {
    id: i64,
    visitor_key: String,
    source: String,
    medium: String,
}

/// What a submission tells about its lead.
struct FormLead {
    visitor_key: Option<String>,
    name: Option<String>,
    company: Option<String>,
    source: Option<String>,
}

/// Records the submission, its attachments and its lead's new details in one transaction;
/// returns the submission's row id.
pub(crate) async fn add(pool: &AnyPool, new: &NewSubmission, marks_on: bool) -> StoreResult<i64> {
    let now = now_millis();
    let mut tx = pool.begin().await.map_err(backend)?;
    // The first statement writes (SQLite) and serialises matching per business (PostgreSQL).
    lock_refs(&mut tx, new.business_id).await?;
    check_site(&mut tx, new).await?;
    let visit = form_visit(&mut tx, new).await?;
    let form = form_lead(new, visit.as_ref())?;
    let (lead, matched) = match find_lead(&mut tx, new, form.visitor_key.as_deref()).await? {
        Some((id, matched)) => {
            fill_lead(&mut tx, id, new, &form, now).await?;
            (id, matched)
        }
        None => (insert_lead(&mut tx, new, &form, now).await?, LeadMatch::New),
    };
    let id = insert_submission(&mut tx, new, lead, visit.map(|v| v.id), matched, now).await?;
    insert_attachments(&mut tx, new, id).await?;
    super::events::submitted(&mut tx, new, id, lead, matched, now).await?;
    let marks = StaleMarks::default().at(new.site_id.0, now).lead(&mut tx, lead).await?;
    marks.write(&mut tx, marks_on).await?;
    tx.commit().await.map_err(backend)?;
    Ok(id)
}

/// `NotFound` unless the site is the business's.
async fn check_site(conn: &mut AnyConnection, new: &NewSubmission) -> StoreResult<()> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM sites WHERE id = $1 AND business_id = $2")
        .bind(new.site_id.0)
        .bind(new.business_id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    Ok(())
}

/// The visit the form names, on the form's site; else the visit its page registered under
/// the temporary id; else none.
async fn form_visit(conn: &mut AnyConnection, new: &NewSubmission) -> StoreResult<Option<FormVisit>> {
    const COLUMNS: &str = "SELECT id, visitor_key, source, medium FROM visits";
    let mut found: Option<(i64, String, String, String)> = None;
    if let Some(visit) = &new.identity.visit {
        found = sqlx::query_as(&format!("{COLUMNS} WHERE public_id = $1 AND site_id = $2"))
            .bind(visit.as_str())
            .bind(new.site_id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    }
    if let (None, Some(temp)) = (&found, &new.identity.temp_id) {
        found = sqlx::query_as(&format!(
            "{COLUMNS} WHERE site_id = $1 AND temp_id = $2 ORDER BY id LIMIT 1"
        ))
        .bind(new.site_id.0)
        .bind(temp.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(found.map(|(id, visitor_key, source, medium)| FormVisit {
        id,
        visitor_key,
        source,
        medium,
    }))
}

/// The lead details the submission brings, checked: the visit's own key wins over the one
/// the form carried.
fn form_lead(new: &NewSubmission, visit: Option<&FormVisit>) -> StoreResult<FormLead> {
    let visitor_key = match (visit, new.identity.visitor_key.as_deref().map(str::trim)) {
        (Some(v), _) => Some(v.visitor_key.clone()),
        (None, Some(key)) if !key.is_empty() => Some(VisitorKey::from_stored(key)?.as_str().to_owned()),
        (None, _) => None,
    };
    let contact = &new.contact;
    Ok(FormLead {
        visitor_key,
        name: contact
            .name
            .as_deref()
            .map(|n| contact_text("name", n))
            .transpose()?
            .flatten(),
        company: contact
            .company
            .as_deref()
            .map(|c| contact_text("company", c))
            .transpose()?
            .flatten(),
        source: visit.map(|v| format!("{} / {}", v.source, v.medium)),
    })
}

/// The business's lead of this person, in the one order calls and forms share.
async fn find_lead(
    conn: &mut AnyConnection,
    new: &NewSubmission,
    visitor_key: Option<&str>,
) -> StoreResult<Option<(i64, LeadMatch)>> {
    let keys = PersonKeys {
        visitor_key,
        email: new.contact.email.as_ref(),
        phone: new.contact.phone.as_ref(),
    };
    super::person::find(conn, new.business_id, &lead_lookups(&keys)).await
}

/// Gives a found lead the details it lacks; what it has is kept.
async fn fill_lead(
    conn: &mut AnyConnection,
    id: i64,
    new: &NewSubmission,
    form: &FormLead,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE leads SET name = COALESCE(name, $1), email = COALESCE(email, $2), phone = COALESCE(phone, $3),
             company = COALESCE(company, $4), visitor_key = COALESCE(visitor_key, $5),
             source = COALESCE(source, $6), site_id = COALESCE(site_id, $7), updated_at = $8
         WHERE id = $9",
    )
    .bind(form.name.as_deref())
    .bind(new.contact.email.as_ref().map(|e| e.as_str()))
    .bind(new.contact.phone.as_ref().map(|p| p.as_str()))
    .bind(form.company.as_deref())
    .bind(form.visitor_key.as_deref())
    .bind(form.source.as_deref())
    .bind(new.site_id.0)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// A new lead with the business's next ref.
async fn insert_lead(conn: &mut AnyConnection, new: &NewSubmission, form: &FormLead, now: i64) -> StoreResult<i64> {
    let record_ref = next_ref(conn, new.business_id).await?;
    sqlx::query_scalar(
        "INSERT INTO leads (business_id, record_ref, site_id, name, email, phone, company, visitor_key, source,
             status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', $10, $10) RETURNING id",
    )
    .bind(new.business_id.0)
    .bind(record_ref)
    .bind(new.site_id.0)
    .bind(form.name.as_deref())
    .bind(new.contact.email.as_ref().map(|e| e.as_str()))
    .bind(new.contact.phone.as_ref().map(|p| p.as_str()))
    .bind(form.company.as_deref())
    .bind(form.visitor_key.as_deref())
    .bind(form.source.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

async fn insert_submission(
    conn: &mut AnyConnection,
    new: &NewSubmission,
    lead: i64,
    visit: Option<i64>,
    matched: LeadMatch,
    now: i64,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO submissions (message_id, business_id, site_id, lead_id, visit_id, via, matched_by, identity,
             fields, page_url, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(new.message_id.as_str())
    .bind(new.business_id.0)
    .bind(new.site_id.0)
    .bind(lead)
    .bind(visit)
    .bind(new.via.as_str())
    .bind(rows::match_name(matched))
    .bind(rows::identity_json(&new.identity))
    .bind(serde_json::to_string(&new.fields).unwrap_or_else(|_| "[]".into()))
    .bind(new.page_url.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        classify(e, || {
            format!(
                "a submission with message id {} exists already",
                new.message_id.as_str()
            )
        })
    })
}

async fn insert_attachments(conn: &mut AnyConnection, new: &NewSubmission, submission: i64) -> StoreResult<()> {
    for a in &new.attachments {
        let size = i64::try_from(a.size_bytes)
            .map_err(|_| leadline_core::Invalid::new("attachment", format!("'{}' is too large", a.original_name)))?;
        sqlx::query(
            "INSERT INTO attachments (submission_id, stored_name, original_name, content_type, size_bytes)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(submission)
        .bind(a.stored_name.as_str())
        .bind(a.original_name.as_str())
        .bind(a.content_type.as_str())
        .bind(size)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            classify(e, || {
                format!("an attachment named {} exists already", a.stored_name.as_str())
            })
        })?;
    }
    Ok(())
}

/// The attachments of a submission, in the order they were recorded.
async fn attachments_of(conn: &mut AnyConnection, submission: i64) -> StoreResult<Vec<Attachment>> {
    sqlx::query(&format!("{ATTACHMENT_SELECT} WHERE a.submission_id = $1 ORDER BY a.id"))
        .bind(submission)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .iter()
        .map(rows::attachment)
        .collect()
}

/// The submission with this row id.
pub(crate) async fn by_id(conn: &mut AnyConnection, id: i64) -> StoreResult<Submission> {
    let row = sqlx::query(&format!("{SUBMISSION_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    rows::submission(&row, attachments_of(conn, id).await?)
}

/// The business's submission with this message id.
pub(crate) async fn by_message(
    conn: &mut AnyConnection,
    business: BusinessId,
    message: &MessageId,
) -> StoreResult<Submission> {
    let id: i64 = sqlx::query_scalar("SELECT id FROM submissions WHERE message_id = $1 AND business_id = $2")
        .bind(message.as_str())
        .bind(business.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    by_id(conn, id).await
}

/// The lead's submissions, oldest first (the lead is known to be the business's).
pub(crate) async fn of_lead(
    conn: &mut AnyConnection,
    business: BusinessId,
    lead: LeadId,
) -> StoreResult<Vec<Submission>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM submissions WHERE business_id = $1 AND lead_id = $2 ORDER BY id")
            .bind(business.0)
            .bind(lead.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.push(by_id(conn, id).await?);
    }
    Ok(found)
}

/// The attachment stored under this name.
pub(crate) async fn attachment(conn: &mut AnyConnection, stored: &StoredName) -> StoreResult<Attachment> {
    let row = sqlx::query(&format!("{ATTACHMENT_SELECT} WHERE a.stored_name = $1"))
        .bind(stored.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found_or_backend)?;
    rows::attachment(&row)
}
