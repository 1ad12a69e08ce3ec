//! Retention: a business's periods, the frozen report days, and the bounded deletes the sweep
//! makes. Each delete takes at most `limit` rows by id in one short statement, so SQLite's
//! one writer is never held long; the children of a deleted row go by their foreign keys
//! (page views, clicks and codes with a visit; conversions with a call; files' rows with a
//! form; deliveries with an event) or keep the row with the reference cleared.

use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::col;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::retention::{ExpiredForm, ExpiredRecording, Pruned, Retention, RetentionStore};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::{BusinessId, Invalid, NumberId};

/// The deletes by kind: `$1` the business, `$2` the cut-off (ms), `$3` the limit. A visit a
/// kept call or form came from stays with it (it is where their source is read from), and
/// goes once they have.
fn prune_statement(kind: Pruned) -> Option<&'static str> {
    Some(match kind {
        Pruned::Visits => {
            "DELETE FROM visits WHERE id IN (
                 SELECT v.id FROM visits v JOIN sites s ON s.id = v.site_id
                 WHERE s.business_id = $1 AND v.started_at < $2 AND v.last_seen_at < $2
                 AND NOT EXISTS (SELECT 1 FROM live_codes lc WHERE lc.visit_id = v.id)
                 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.visit_id = v.id)
                 AND NOT EXISTS (SELECT 1 FROM submissions f WHERE f.visit_id = v.id)
                 ORDER BY v.id LIMIT $3)"
        }
        Pruned::Calls => {
            "DELETE FROM calls WHERE id IN (
                 SELECT id FROM calls WHERE business_id = $1 AND started_at < $2 ORDER BY id LIMIT $3)"
        }
        // An event goes once every delivery of it is delivered; a dead one stays to be seen
        // and sent again. An erasure's event stays: its deliveries are the proof of which
        // systems confirmed the erasure, and it names no one.
        Pruned::Events => {
            "DELETE FROM events WHERE id IN (
                 SELECT e.id FROM events e WHERE e.business_id = $1 AND e.occurred_at < $2 AND e.kind <> 'lead.erased'
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status <> 'delivered')
                 ORDER BY e.id LIMIT $3)"
        }
        Pruned::Audit => {
            "DELETE FROM audit_log WHERE id IN (
                 SELECT id FROM audit_log WHERE business_id = $1 AND at < $2 ORDER BY id LIMIT $3)"
        }
        Pruned::Recordings | Pruned::Forms => return None,
    })
}

impl SqlStore {
    /// Runs one of the bounded deletes (`$1` the business, `$2` the cut-off, `$3` the limit);
    /// answers how many rows went.
    async fn delete_bounded(
        &self,
        statement: &str,
        business: BusinessId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64> {
        let deleted = sqlx::query(statement)
            .bind(business.0)
            .bind(before.timestamp_millis())
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(deleted.rows_affected())
    }
}

#[async_trait]
impl RetentionStore for SqlStore {
    async fn retention(&self, business: BusinessId) -> StoreResult<Retention> {
        let stored: Option<Option<String>> = sqlx::query_scalar("SELECT retention FROM businesses WHERE id = $1")
            .bind(business.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match stored.ok_or(StoreError::NotFound)? {
            None => Ok(Retention::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(Invalid::new("retention", e.to_string()))),
        }
    }

    async fn set_retention(&self, business: BusinessId, retention: &Retention) -> StoreResult<()> {
        retention.validate()?;
        let json = serde_json::to_string(retention).expect("retention serialises");
        let updated = sqlx::query("UPDATE businesses SET retention = $1 WHERE id = $2")
            .bind(json)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn freeze_reports(&self, business: BusinessId, utc_day: i64) -> StoreResult<bool> {
        // Marks up to the frozen day itself: their rebuild may count local days after it.
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM report_dirty d JOIN sites s ON s.id = d.site_id
             WHERE s.business_id = $1 AND d.utc_day <= $2",
        )
        .bind(business.0)
        .bind(utc_day)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        if waiting > 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE businesses SET reports_frozen_before = $1 WHERE id = $2 AND reports_frozen_before < $1")
            .bind(utc_day)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(true)
    }

    async fn prune(&self, business: BusinessId, kind: Pruned, before: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        let Some(statement) = prune_statement(kind) else {
            return Err(StoreError::Invalid(Invalid::new(
                "retention",
                format!("{} are pruned through their own steps", kind.as_str()),
            )));
        };
        self.delete_bounded(statement, business, before, limit).await
    }

    async fn prune_empty_leads(&self, business: BusinessId, before: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        let statement = "DELETE FROM leads WHERE id IN (
                 SELECT l.id FROM leads l WHERE l.business_id = $1 AND l.created_at < $2
                 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = l.id)
                 AND NOT EXISTS (SELECT 1 FROM submissions f WHERE f.lead_id = l.id)
                 AND NOT EXISTS (SELECT 1 FROM sales x WHERE x.lead_id = l.id)
                 ORDER BY l.id LIMIT $3)";
        self.delete_bounded(statement, business, before, limit).await
    }

    async fn expired_recordings(
        &self,
        business: BusinessId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ExpiredRecording>> {
        let rows = sqlx::query(
            "SELECT id, number_id, recording_url FROM calls
             WHERE business_id = $1 AND started_at < $2 AND recording_url IS NOT NULL
             ORDER BY id LIMIT $3",
        )
        .bind(business.0)
        .bind(before.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(ExpiredRecording {
                    call_id: col(row, "id")?,
                    number_id: NumberId(col(row, "number_id")?),
                    url: col(row, "recording_url")?,
                })
            })
            .collect()
    }

    async fn forget_recording(&self, business: BusinessId, call_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE calls SET recording_url = NULL WHERE id = $1 AND business_id = $2")
            .bind(call_id)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        // The transcript is what the recording said: it goes with it.
        sqlx::query("DELETE FROM transcripts WHERE call_id = $1 AND business_id = $2")
            .bind(call_id)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn expired_forms(
        &self,
        business: BusinessId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ExpiredForm>> {
        // The submissions and their files in one statement: a form without files has one row
        // with no name.
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT f.id, a.stored_name FROM (
                 SELECT id FROM submissions WHERE business_id = $1 AND created_at < $2 ORDER BY id LIMIT $3
             ) f LEFT JOIN attachments a ON a.submission_id = f.id ORDER BY f.id, a.id",
        )
        .bind(business.0)
        .bind(before.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut forms: Vec<ExpiredForm> = Vec::new();
        for (submission_id, file) in rows {
            if forms.last().is_none_or(|f| f.submission_id != submission_id) {
                forms.push(ExpiredForm {
                    submission_id,
                    files: Vec::new(),
                });
            }
            let form = forms.last_mut().expect("pushed above");
            form.files.extend(file);
        }
        Ok(forms)
    }

    async fn delete_forms(&self, business: BusinessId, submissions: &[i64]) -> StoreResult<u64> {
        let mut deleted = 0;
        for id in submissions {
            deleted += sqlx::query("DELETE FROM submissions WHERE id = $1 AND business_id = $2")
                .bind(id)
                .bind(business.0)
                .execute(&self.pool)
                .await
                .map_err(backend)?
                .rows_affected();
        }
        Ok(deleted)
    }

    async fn prune_sessions(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        let deleted = sqlx::query(
            "DELETE FROM sessions WHERE token_hash IN (
                 SELECT token_hash FROM sessions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
        )
        .bind(now.timestamp_millis())
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(deleted.rows_affected())
    }
}
