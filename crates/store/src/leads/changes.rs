//! Changing a lead: each change is applied and recorded as one activity, in one transaction.
//! A change that changes nothing (the current status, tags it has, the values it holds) is
//! rolled back and leaves no activity.

use super::events::Detail;
use super::{fields, queries};
use crate::errors::backend;
use crate::reports::marks::StaleMarks;
use crate::rows::now_millis;
use leadline_core::event::{FieldChange, LeadUpdate, Note, Sale, StatusChange};
use leadline_core::fields::apply_custom;
use leadline_core::form::MessageId;
use leadline_core::lead::{Author, FieldsPatch, Lead, LeadChange, LeadStatus, NewSale, contact_text};
use leadline_core::site::Currency;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::{BusinessId, Invalid, LeadId};
use serde_json::Value;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{BTreeMap, BTreeSet};

/// What applying a change did, to be recorded.
struct Applied {
    detail: Detail,
    /// A sale to record with the activity: what it is for, and its currency.
    sale: Option<(SaleFor, String)>,
}

/// The row ids of the call or form a sale is for.
#[derive(Default, Clone, Copy)]
struct SaleFor {
    call: Option<i64>,
    submission: Option<i64>,
}

/// Applies `change` to the business's lead and records it as an activity by `author`.
pub(crate) async fn change(
    pool: &AnyPool,
    business: BusinessId,
    lead: LeadId,
    author: &Author,
    change: &LeadChange,
    marks_on: bool,
) -> StoreResult<()> {
    change.validate()?;
    let now = now_millis();
    let mut tx = pool.begin().await.map_err(backend)?;
    // The first statement writes, as SQLite needs; no row means no such lead here.
    let touched = sqlx::query("UPDATE leads SET updated_at = $1 WHERE id = $2 AND business_id = $3")
        .bind(now)
        .bind(lead.0)
        .bind(business.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    if touched.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let current = queries::by_id(&mut tx, business, lead).await?;
    let Some(applied) = apply(&mut tx, &current, change).await? else {
        // Nothing changed: the dropped transaction rolls the timestamp back too.
        return Ok(());
    };
    let activity = insert_activity(&mut tx, &current, author, change, &applied.detail.to_json(), now).await?;
    if let (LeadChange::Sale(sale), Some((sale_for, currency))) = (change, &applied.sale) {
        insert_sale(&mut tx, &current, activity, *sale_for, currency, sale, now).await?;
    }
    super::events::changed(&mut tx, &current, author, applied.detail, now).await?;
    // A status or a sale counts in reports on the day the lead arrived.
    if matches!(change, LeadChange::Status(_) | LeadChange::Sale(_)) {
        StaleMarks::default()
            .lead(&mut tx, lead.0)
            .await?
            .write(&mut tx, marks_on)
            .await?;
    }
    tx.commit().await.map_err(backend)
}

/// Writes the change to the lead's row; `None` when it changes nothing.
async fn apply(conn: &mut AnyConnection, current: &Lead, change: &LeadChange) -> StoreResult<Option<Applied>> {
    let detail = match change {
        LeadChange::Fields(patch) => apply_fields(conn, current, patch).await?,
        LeadChange::Status(status) => apply_status(conn, current, *status).await?,
        LeadChange::Tags { add, remove } => apply_tags(conn, current, add, remove).await?,
        LeadChange::Note(text) => Some(Detail::Note(Note {
            text: text.trim().to_owned(),
        })),
        LeadChange::Sale(sale) => return sale_detail(conn, current, sale).await.map(Some),
    };
    Ok(detail.map(|detail| Applied { detail, sale: None }))
}

/// A contact field's patch, checked: `Some(None)` clears it.
fn text_patch(what: &'static str, patch: &Option<Option<String>>) -> Result<Option<Option<String>>, Invalid> {
    match patch {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(text)) => contact_text(what, text).map(Some),
    }
}

/// Records the value before and after under `field` when it changes; returns the new value.
fn diff(
    changed: &mut BTreeMap<String, FieldChange>,
    field: String,
    from: Option<String>,
    to: Option<Option<String>>,
) -> Option<String> {
    match to {
        Some(to) if to != from => {
            let change = FieldChange {
                from: from.map(Value::String),
                to: to.clone().map(Value::String),
            };
            changed.insert(field, change);
            to
        }
        _ => from,
    }
}

async fn apply_fields(conn: &mut AnyConnection, current: &Lead, patch: &FieldsPatch) -> StoreResult<Option<Detail>> {
    let mut changed = BTreeMap::new();
    let c = &current.contact;
    let email = |e: &Option<leadline_core::net::Email>| e.as_ref().map(|e| e.as_str().to_owned());
    let phone = |p: &Option<leadline_core::E164>| p.as_ref().map(|p| p.as_str().to_owned());
    let name = diff(
        &mut changed,
        "name".into(),
        c.name.clone(),
        text_patch("name", &patch.name)?,
    );
    let email = diff(
        &mut changed,
        "email".into(),
        email(&c.email),
        patch.email.as_ref().map(email),
    );
    let phone = diff(
        &mut changed,
        "phone".into(),
        phone(&c.phone),
        patch.phone.as_ref().map(phone),
    );
    let company = diff(
        &mut changed,
        "company".into(),
        c.company.clone(),
        text_patch("company", &patch.company)?,
    );
    let custom = if patch.custom.is_empty() {
        current.custom.clone()
    } else {
        let defs = fields::of_business(conn, current.business_id).await?;
        apply_custom(&defs, &current.custom, &patch.custom)?
    };
    let names: BTreeSet<&String> = current.custom.keys().chain(custom.keys()).collect();
    for name in names {
        let (from, to) = (current.custom.get(name), custom.get(name));
        if from != to {
            let change = FieldChange {
                from: from.cloned(),
                to: to.cloned(),
            };
            changed.insert(format!("custom.{name}"), change);
        }
    }
    if changed.is_empty() {
        return Ok(None);
    }
    sqlx::query("UPDATE leads SET name = $1, email = $2, phone = $3, company = $4, custom = $5 WHERE id = $6")
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(company)
        .bind(serde_json::to_string(&custom).unwrap_or_else(|_| "{}".into()))
        .bind(current.id.0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(Some(Detail::Updated(LeadUpdate::Fields { changed })))
}

async fn apply_status(conn: &mut AnyConnection, current: &Lead, status: LeadStatus) -> StoreResult<Option<Detail>> {
    if status == current.status {
        return Ok(None);
    }
    sqlx::query("UPDATE leads SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(current.id.0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(Some(Detail::Status(StatusChange {
        from: current.status,
        to: status,
    })))
}

async fn apply_tags(
    conn: &mut AnyConnection,
    current: &Lead,
    add: &[String],
    remove: &[String],
) -> StoreResult<Option<Detail>> {
    let before: BTreeSet<String> = current.tags.iter().cloned().collect();
    let mut after = before.clone();
    after.extend(add.iter().map(|t| t.trim().to_owned()));
    for tag in remove {
        after.remove(tag.trim());
    }
    let added: Vec<String> = after.difference(&before).cloned().collect();
    let removed: Vec<String> = before.difference(&after).cloned().collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(None);
    }
    sqlx::query("UPDATE leads SET tags = $1 WHERE id = $2")
        .bind(serde_json::to_string(&after).unwrap_or_else(|_| "[]".into()))
        .bind(current.id.0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(Some(Detail::Updated(LeadUpdate::Tags { added, removed })))
}

/// Checks a sale (its currency, and that its call or form is the lead's) and says what it
/// records.
async fn sale_detail(conn: &mut AnyConnection, current: &Lead, sale: &NewSale) -> StoreResult<Applied> {
    let currency = Currency::parse(&sale.currency)?;
    let call = match sale.call_ref {
        Some(record_ref) => Some(call_of_lead(conn, current, record_ref).await?),
        None => None,
    };
    let submission = match &sale.form {
        Some(message) => Some(form_of_lead(conn, current, message).await?),
        None => None,
    };
    Ok(Applied {
        detail: Detail::Sale(Sale {
            call_ref: sale.call_ref,
            cost_basis: sale.cost_basis.clone(),
            cost_minor: sale.cost_minor,
            currency,
            form: sale.form.clone(),
            profit_minor: sale.profit_minor,
            revenue_minor: sale.revenue_minor,
        }),
        sale: Some((SaleFor { call, submission }, currency.code().to_owned())),
    })
}

/// The row id of the lead's submission with this message id; `Invalid` naming it otherwise.
async fn form_of_lead(conn: &mut AnyConnection, current: &Lead, message: &MessageId) -> StoreResult<i64> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM submissions WHERE business_id = $1 AND message_id = $2 AND lead_id = $3")
            .bind(current.business_id.0)
            .bind(message.as_str())
            .bind(current.id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    found.ok_or_else(|| Invalid::new("sale", format!("form {} is not a form of this lead", message.as_str())).into())
}

/// The row id of the lead's call with this ref; `Invalid` naming the ref otherwise.
async fn call_of_lead(conn: &mut AnyConnection, current: &Lead, record_ref: u64) -> StoreResult<i64> {
    let not_ours = || Invalid::new("sale", format!("call {record_ref} is not a call of this lead"));
    let as_i64 = i64::try_from(record_ref).map_err(|_| not_ours())?;
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM calls WHERE business_id = $1 AND record_ref = $2 AND lead_id = $3")
            .bind(current.business_id.0)
            .bind(as_i64)
            .bind(current.id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    found.ok_or_else(|| not_ours().into())
}

async fn insert_activity(
    conn: &mut AnyConnection,
    current: &Lead,
    author: &Author,
    change: &LeadChange,
    detail: &Value,
    now: i64,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO activities (business_id, lead_id, kind, author, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(current.business_id.0)
    .bind(current.id.0)
    .bind(change.kind().as_str())
    .bind(author.as_str())
    .bind(detail.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

async fn insert_sale(
    conn: &mut AnyConnection,
    current: &Lead,
    activity: i64,
    sale_for: SaleFor,
    currency: &str,
    sale: &NewSale,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sales (business_id, lead_id, call_id, submission_id, activity_id, currency, revenue_minor,
             cost_minor, profit_minor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(current.business_id.0)
    .bind(current.id.0)
    .bind(sale_for.call)
    .bind(sale_for.submission)
    .bind(activity)
    .bind(currency)
    .bind(sale.revenue_minor)
    .bind(sale.cost_minor)
    .bind(sale.profit_minor)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
