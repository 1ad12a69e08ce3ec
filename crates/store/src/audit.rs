//! The audit log: appended by the use cases, read newest first by id with a cursor, pruned
//! by the retention sweep (`retention.rs`, `Pruned::Audit`). Every statement names the
//! business.

use crate::SqlStore;
use crate::errors::{backend, classify, corrupt};
use crate::rows::{col, parsed, time};
use async_trait::async_trait;
use leadline_core::audit::{
    AuditAction, AuditDetail, AuditEntry, AuditPage, AuditQuery, AuditStore, AuditSubject, MAX_PAGE, NewAuditEntry,
};
use leadline_core::lead::Author;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, Invalid};
use sqlx::any::AnyRow;
use std::net::IpAddr;

fn entry(row: &AnyRow) -> StoreResult<AuditEntry> {
    let address: Option<String> = col(row, "address")?;
    let address = address
        .map(|a| {
            a.parse::<IpAddr>()
                .map_err(|e| corrupt(Invalid::new("address", e.to_string())))
        })
        .transpose()?;
    Ok(AuditEntry {
        id: col(row, "id")?,
        at: time(row, "at")?,
        actor: Author::from_stored(&col::<String>(row, "actor")?),
        address,
        action: parsed(row, "action", AuditAction::parse)?,
        subject: AuditSubject::from_stored(&col::<String>(row, "subject")?),
        detail: AuditDetail::new(col::<String>(row, "detail")?),
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, business: BusinessId, new: &NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (business_id, at, actor, address, action, subject, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(business.0)
        .bind(new.at.timestamp_millis())
        .bind(new.actor.as_str())
        .bind(new.address.map(|a| a.to_string()))
        .bind(new.action.as_str())
        .bind(new.subject.as_str())
        .bind(new.detail.as_str())
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || "the audit entry exists".into()))?;
        Ok(())
    }

    async fn audit_log(&self, business: BusinessId, query: &AuditQuery) -> StoreResult<AuditPage> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        // The optional filters are added to the text rather than `$n IS NULL OR …`:
        // PostgreSQL cannot type a parameter that is only compared with NULL.
        let mut sql = String::from(
            "SELECT id, at, actor, address, action, subject, detail FROM audit_log WHERE business_id = $1",
        );
        let mut n = 1;
        let mut next_param = |sql: &mut String, condition: &str| {
            n += 1;
            sql.push_str(&format!(" AND {condition} ${n}"));
        };
        if query.before.is_some() {
            next_param(&mut sql, "id <");
        }
        if query.action.is_some() {
            next_param(&mut sql, "action =");
        }
        if query.actor.is_some() {
            next_param(&mut sql, "actor =");
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${n}"));
        let mut statement = sqlx::query(&sql).bind(business.0);
        if let Some(before) = query.before {
            statement = statement.bind(before);
        }
        if let Some(action) = query.action {
            statement = statement.bind(action.as_str());
        }
        if let Some(actor) = &query.actor {
            statement = statement.bind(actor.as_str());
        }
        // One more than the page: whether an older page exists, without counting.
        let rows = statement
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut entries = rows.iter().map(entry).collect::<StoreResult<Vec<_>>>()?;
        let next = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }
}
