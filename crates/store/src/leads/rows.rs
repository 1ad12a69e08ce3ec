//! Rows of leads, submissions, attachments and activities as domain values, and the JSON
//! kept in their text columns.

use crate::calls::stored_json;
use crate::errors::{backend, corrupt};
use crate::rows::{col, parsed, parsed_opt, time};
use leadline_core::channel::ClickIds;
use leadline_core::form::{Attachment, FormIdentity, MessageId, StoredName, Submission, SubmissionVia, TempId};
use leadline_core::lead::{Activity, ActivityKind, Author, Contact, Lead, LeadMatch, LeadStatus, Totals};
use leadline_core::net::Email;
use leadline_core::store::StoreResult;
use leadline_core::visit::VisitRef;
use leadline_core::{BusinessId, E164, Invalid, LeadId, SiteId};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// The columns of a lead, from `leads l`; [`lead`] reads a row of them.
pub(crate) const LEAD_COLUMNS: &str = "l.id, l.business_id, l.record_ref, l.site_id, l.name, l.email, l.phone, \
     l.company, l.status, l.tags, l.custom, l.source, l.visitor_key, l.created_at, l.updated_at";

/// The columns of a submission, from `submissions s LEFT JOIN visits v`; [`submission`]
/// reads a row of them.
pub(crate) const SUBMISSION_SELECT: &str = "SELECT s.id, s.message_id, s.business_id, s.site_id, s.lead_id, s.via,
         s.matched_by, s.identity, s.fields, s.page_url, s.created_at, v.public_id AS visit_public_id
     FROM submissions s LEFT JOIN visits v ON v.id = s.visit_id";

/// The columns of an attachment with its submission's owners, from `attachments a JOIN
/// submissions s`; [`attachment`] reads a row of them.
pub(crate) const ATTACHMENT_SELECT: &str = "SELECT a.stored_name, a.original_name, a.content_type, a.size_bytes,
         s.business_id, s.site_id, s.lead_id, s.message_id
     FROM attachments a JOIN submissions s ON s.id = a.submission_id";

/// The columns of an activity.
pub(crate) const ACTIVITY_COLUMNS: &str = "id, lead_id, kind, author, detail, created_at";

/// A row of [`LEAD_COLUMNS`] as a lead with the given totals.
pub(crate) fn lead(row: &AnyRow, totals: Vec<Totals>) -> StoreResult<Lead> {
    let record_ref: Option<i64> = col(row, "record_ref")?;
    let record_ref = record_ref
        .and_then(|r| u64::try_from(r).ok())
        .ok_or_else(|| corrupt(Invalid::new("stored lead", "has no record ref")))?;
    Ok(Lead {
        id: LeadId(col(row, "id")?),
        business_id: BusinessId(col(row, "business_id")?),
        record_ref,
        site_id: col::<Option<i64>>(row, "site_id")?.map(SiteId),
        contact: Contact {
            name: col(row, "name")?,
            email: parsed_opt(row, "email", Email::parse)?,
            phone: parsed_opt(row, "phone", E164::from_stored)?,
            company: col(row, "company")?,
        },
        status: parsed(row, "status", LeadStatus::parse)?,
        tags: stored_json(&col::<String>(row, "tags")?)?,
        custom: stored_json(&col::<String>(row, "custom")?)?,
        source: col(row, "source")?,
        visitor_key: col(row, "visitor_key")?,
        totals,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// The sums of the sales of each lead, one entry per currency, sorted by currency.
pub(crate) async fn totals(conn: &mut AnyConnection, leads: &[i64]) -> StoreResult<BTreeMap<i64, Vec<Totals>>> {
    let mut by_lead: BTreeMap<i64, Vec<Totals>> = BTreeMap::new();
    if leads.is_empty() {
        return Ok(by_lead);
    }
    let params: Vec<String> = (1..=leads.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT lead_id, currency, CAST(SUM(revenue_minor) AS BIGINT) AS revenue,
             CAST(SUM(cost_minor) AS BIGINT) AS cost, CAST(SUM(profit_minor) AS BIGINT) AS profit
         FROM sales WHERE lead_id IN ({}) GROUP BY lead_id, currency",
        params.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in leads {
        query = query.bind(*id);
    }
    for row in query.fetch_all(&mut *conn).await.map_err(backend)? {
        by_lead.entry(col(&row, "lead_id")?).or_default().push(Totals {
            currency: col(&row, "currency")?,
            revenue_minor: col(&row, "revenue")?,
            cost_minor: col(&row, "cost")?,
            profit_minor: col(&row, "profit")?,
        });
    }
    for list in by_lead.values_mut() {
        list.sort_by(|a, b| a.currency.cmp(&b.currency));
    }
    Ok(by_lead)
}

/// Rows of [`LEAD_COLUMNS`] as leads, each with its totals.
pub(crate) async fn leads_with_totals(conn: &mut AnyConnection, rows: &[AnyRow]) -> StoreResult<Vec<Lead>> {
    let ids = rows
        .iter()
        .map(|row| col(row, "id"))
        .collect::<StoreResult<Vec<i64>>>()?;
    let mut sums = totals(conn, &ids).await?;
    rows.iter()
        .zip(ids)
        .map(|(row, id)| lead(row, sums.remove(&id).unwrap_or_default()))
        .collect()
}

/// The snippet's identifiers as kept in `submissions.identity`.
#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    visit: Option<VisitRef>,
    temp_id: Option<String>,
    visitor_key: Option<String>,
    #[serde(default)]
    click_ids: ClickIds,
    ga_client_id: Option<String>,
}

/// The JSON text kept for a submission's identity.
pub(crate) fn identity_json(identity: &FormIdentity) -> String {
    let stored = StoredIdentity {
        visit: identity.visit.clone(),
        temp_id: identity.temp_id.as_ref().map(|t| t.as_str().to_owned()),
        visitor_key: identity.visitor_key.clone(),
        click_ids: identity.click_ids.clone(),
        ga_client_id: identity.ga_client_id.clone(),
    };
    serde_json::to_string(&stored).unwrap_or_else(|_| "{}".into())
}

fn identity(text: &str) -> StoreResult<FormIdentity> {
    let stored: StoredIdentity = stored_json(text)?;
    Ok(FormIdentity {
        visit: stored.visit,
        temp_id: stored
            .temp_id
            .as_deref()
            .map(TempId::parse)
            .transpose()
            .map_err(corrupt)?,
        visitor_key: stored.visitor_key,
        click_ids: stored.click_ids,
        ga_client_id: stored.ga_client_id,
    })
}

/// The stored name of how a submission found its lead.
pub(crate) fn match_name(matched: LeadMatch) -> &'static str {
    match matched {
        LeadMatch::VisitorKey => "visitor_key",
        LeadMatch::Email => "email",
        LeadMatch::Phone => "phone",
        LeadMatch::New => "new",
    }
}

fn parse_match(text: &str) -> Result<LeadMatch, Invalid> {
    [
        LeadMatch::VisitorKey,
        LeadMatch::Email,
        LeadMatch::Phone,
        LeadMatch::New,
    ]
    .into_iter()
    .find(|m| match_name(*m) == text)
    .ok_or_else(|| Invalid::new("lead match", format!("'{text}' is unknown")))
}

/// A row of [`SUBMISSION_SELECT`] as a submission with the given attachments.
pub(crate) fn submission(row: &AnyRow, attachments: Vec<Attachment>) -> StoreResult<Submission> {
    Ok(Submission {
        message_id: parsed(row, "message_id", MessageId::parse)?,
        business_id: BusinessId(col(row, "business_id")?),
        site_id: SiteId(col(row, "site_id")?),
        lead_id: LeadId(col(row, "lead_id")?),
        via: parsed(row, "via", SubmissionVia::parse)?,
        visit: parsed_opt(row, "visit_public_id", VisitRef::parse)?,
        identity: identity(&col::<String>(row, "identity")?)?,
        fields: stored_json(&col::<String>(row, "fields")?)?,
        page_url: col(row, "page_url")?,
        attachments,
        matched_by: parsed(row, "matched_by", parse_match)?,
        created_at: time(row, "created_at")?,
    })
}

/// A row of [`ATTACHMENT_SELECT`] as an attachment.
pub(crate) fn attachment(row: &AnyRow) -> StoreResult<Attachment> {
    let size: i64 = col(row, "size_bytes")?;
    Ok(Attachment {
        business_id: BusinessId(col(row, "business_id")?),
        site_id: SiteId(col(row, "site_id")?),
        lead_id: LeadId(col(row, "lead_id")?),
        message_id: parsed(row, "message_id", MessageId::parse)?,
        original_name: col(row, "original_name")?,
        stored_name: parsed(row, "stored_name", StoredName::parse)?,
        content_type: col(row, "content_type")?,
        size_bytes: u64::try_from(size)
            .map_err(|_| corrupt(Invalid::new("stored attachment", format!("size {size} is negative"))))?,
    })
}

/// A row of [`ACTIVITY_COLUMNS`] as an activity.
pub(crate) fn activity(row: &AnyRow) -> StoreResult<Activity> {
    Ok(Activity {
        id: col(row, "id")?,
        lead_id: LeadId(col(row, "lead_id")?),
        kind: parsed(row, "kind", ActivityKind::parse)?,
        author: Author::from_stored(&col::<String>(row, "author")?),
        detail: stored_json(&col::<String>(row, "detail")?)?,
        at: time(row, "created_at")?,
    })
}
