//! The outbox in SQL: integrations, claiming due deliveries under a lease, recording their
//! outcomes, and the ids leads have in other systems.

mod assemble;
pub(crate) mod enqueue;
mod rows;

use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::now_millis;
use crate::{Engine, SqlStore};
use async_trait::async_trait;
use leadline_core::outbox::{
    ClaimedDelivery, Delivery, DeliveryOutcome, DeliveryStatus, Integration, IntegrationId, NewIntegration,
};
use leadline_core::sealing::Column;
use leadline_core::secret::random_token;
use leadline_core::store::{OutboxStore, StoreError, StoreResult};
use leadline_core::{BusinessId, LeadId};
use rows::{DELIVERY, INTEGRATION, delivery};

/// The kinds an integration subscribes to, as stored: `,call.dialed,call.completed,`.
fn subscriptions(new: &NewIntegration) -> String {
    let kinds: Vec<&str> = new.config.subscribes_to().iter().map(|k| k.as_str()).collect();
    format!(",{},", kinds.join(","))
}

impl SqlStore {
    /// Due rows, locked for this claim where the engine can skip rows others hold.
    fn claim_sql(&self) -> String {
        let skip_locked = match self.engine_kind() {
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        format!(
            "UPDATE deliveries SET status = 'in_flight', attempts = attempts + 1, lease_until = $1, lease_token = $2
             WHERE id IN (
                 SELECT id FROM deliveries WHERE {DUE}
                 ORDER BY next_attempt_at, id LIMIT $4{skip_locked})
             RETURNING id, attempts, event_id, integration_id"
        )
    }

    /// Whether any delivery is due: a read, so that an idle outbox polled several times a
    /// second never takes SQLite's write lock away from calls and visits.
    async fn any_due(&self, now_ms: i64) -> StoreResult<bool> {
        let due: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM deliveries WHERE {} LIMIT 1",
            DUE.replace("$3", "$1")
        ))
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(due.is_some())
    }
}

/// A delivery that is due at `$3`: pending and its time has come, or in flight with an
/// expired lease; and its integration is enabled.
const DUE: &str = "((status = 'pending' AND next_attempt_at <= $3) OR (status = 'in_flight' AND lease_until < $3))
                   AND integration_id IN (SELECT id FROM integrations WHERE enabled = 1)";

#[async_trait]
impl OutboxStore for SqlStore {
    async fn add_integration(&self, new: &NewIntegration) -> StoreResult<Integration> {
        if let Some(site) = new.site_id {
            leadline_core::store::SiteStore::site(self, new.business_id, site).await?;
        }
        let row = sqlx::query(&format!(
            "INSERT INTO integrations (business_id, site_id, name, kind, events, config, enabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING {INTEGRATION}"
        ))
        .bind(new.business_id.0)
        .bind(new.site_id.map(|s| s.0))
        .bind(new.name.as_str())
        .bind(new.config.kind())
        .bind(subscriptions(new))
        .bind(self.seal(Column::IntegrationConfig, &new.config.to_json())?)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| classify(e, || "that integration exists already".to_owned()))?;
        self.integration(&row)
    }

    async fn integrations(&self, business: BusinessId) -> StoreResult<Vec<Integration>> {
        sqlx::query(&format!(
            "SELECT {INTEGRATION} FROM integrations WHERE business_id = $1 ORDER BY id"
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| self.integration(row))
        .collect()
    }

    async fn set_integration_enabled(&self, business: BusinessId, id: IntegrationId, enabled: bool) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE integrations SET enabled = $1 WHERE id = $2 AND business_id = $3")
            .bind(i64::from(enabled))
            .bind(id.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn edit_integration(&self, id: IntegrationId, changed: &NewIntegration) -> StoreResult<Integration> {
        if let Some(site) = changed.site_id {
            leadline_core::store::SiteStore::site(self, changed.business_id, site).await?;
        }
        let row = sqlx::query(&format!(
            "UPDATE integrations SET site_id = $1, name = $2, events = $3, config = $4
             WHERE id = $5 AND business_id = $6 AND kind = $7 RETURNING {INTEGRATION}"
        ))
        .bind(changed.site_id.map(|s| s.0))
        .bind(changed.name.as_str())
        .bind(subscriptions(changed))
        .bind(self.seal(Column::IntegrationConfig, &changed.config.to_json())?)
        .bind(id.0)
        .bind(changed.business_id.0)
        .bind(changed.config.kind())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| classify(e, || "that integration exists already".to_owned()))?
        .ok_or(StoreError::NotFound)?;
        self.integration(&row)
    }

    async fn remove_integration(&self, business: BusinessId, id: IntegrationId) -> StoreResult<()> {
        // Deliveries, CRM ids and the pull cursor go by ON DELETE CASCADE.
        let removed = sqlx::query("DELETE FROM integrations WHERE id = $1 AND business_id = $2")
            .bind(id.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: u32) -> StoreResult<Vec<ClaimedDelivery>> {
        if !self.any_due(now_ms).await? {
            return Ok(Vec::new());
        }
        let token = random_token(24);
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let claimed: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&self.claim_sql())
            .bind(now_ms.saturating_add(lease_ms))
            .bind(token.as_str())
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        for (id, attempts, event_id, integration_id) in claimed {
            let row = sqlx::query(&format!("SELECT {INTEGRATION} FROM integrations WHERE id = $1"))
                .bind(integration_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            deliveries.push(ClaimedDelivery {
                id,
                lease_token: token.clone(),
                attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                integration: self.integration(&row)?,
                event: assemble::delivered_event(&mut tx, event_id, id).await?,
            });
        }
        tx.commit().await.map_err(backend)?;
        Ok(deliveries)
    }

    async fn finish_delivery(&self, id: i64, lease_token: &str, outcome: &DeliveryOutcome) -> StoreResult<bool> {
        let now = now_millis();
        let (status, next, error, response, delivered) = match outcome {
            DeliveryOutcome::Delivered { response } => ("delivered", now, None, response.as_deref(), Some(now)),
            DeliveryOutcome::Retry { at, error } => {
                ("pending", at.timestamp_millis(), Some(error.as_str()), None, None)
            }
            DeliveryOutcome::Dead { error } => ("dead", now, Some(error.as_str()), None, None),
        };
        let updated = sqlx::query(
            "UPDATE deliveries SET status = $1, next_attempt_at = $2, last_error = COALESCE($3, last_error),
                 response = COALESCE($4, response), delivered_at = $5, lease_until = NULL, lease_token = NULL,
                 subjects = CASE WHEN $1 = 'delivered' THEN NULL ELSE subjects END
             WHERE id = $6 AND lease_token = $7 AND status = 'in_flight'",
        )
        .bind(status)
        .bind(next)
        .bind(error)
        .bind(response)
        .bind(delivered)
        .bind(id)
        .bind(lease_token)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn list_deliveries(
        &self,
        business: Option<BusinessId>,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        sqlx::query(&format!(
            "{DELIVERY} WHERE ($1 IS NULL OR d.business_id = $1) AND ($2 IS NULL OR d.status = $2)
             ORDER BY d.id DESC LIMIT $3"
        ))
        .bind(business.map(|b| b.0))
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(delivery)
        .collect()
    }

    async fn lead_deliveries(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Delivery>> {
        sqlx::query(&format!(
            "{DELIVERY} WHERE d.business_id = $1 AND d.lead_id = $2 ORDER BY d.id"
        ))
        .bind(business.0)
        .bind(lead.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(delivery)
        .collect()
    }

    async fn retry_delivery(&self, business: Option<BusinessId>, id: i64, now_ms: i64) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL,
                 lease_token = NULL
             WHERE id = $2 AND ($3 IS NULL OR business_id = $3) AND status IN ('dead', 'pending')",
        )
        .bind(now_ms)
        .bind(id)
        .bind(business.map(|b| b.0))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delivery_counts(&self) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut counts: Vec<(DeliveryStatus, u64)> = DeliveryStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for (status, count) in rows {
            let status = DeliveryStatus::parse(&status).map_err(crate::errors::corrupt)?;
            if let Some(entry) = counts.iter_mut().find(|(s, _)| *s == status) {
                entry.1 = u64::try_from(count).unwrap_or(0);
            }
        }
        Ok(counts)
    }

    async fn external_id(&self, integration: IntegrationId, lead: LeadId) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT external_id FROM external_ids WHERE integration_id = $1 AND lead_id = $2")
            .bind(integration.0)
            .bind(lead.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_external_id(&self, integration: IntegrationId, lead: LeadId, external_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO external_ids (integration_id, lead_id, external_id) VALUES ($1, $2, $3)
             ON CONFLICT (integration_id, lead_id) DO UPDATE SET external_id = excluded.external_id",
        )
        .bind(integration.0)
        .bind(lead.0)
        .bind(external_id)
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || format!("another lead has the external id {external_id}")))?;
        Ok(())
    }

    async fn lead_by_external_id(&self, integration: IntegrationId, external_id: &str) -> StoreResult<LeadId> {
        sqlx::query_scalar("SELECT lead_id FROM external_ids WHERE integration_id = $1 AND external_id = $2")
            .bind(integration.0)
            .bind(external_id)
            .fetch_one(&self.pool)
            .await
            .map(LeadId)
            .map_err(not_found_or_backend)
    }

    async fn pull_cursor(&self, integration: IntegrationId) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT cursor FROM pull_cursors WHERE integration_id = $1")
            .bind(integration.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_pull_cursor(&self, integration: IntegrationId, cursor: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pull_cursors (integration_id, cursor, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (integration_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        )
        .bind(integration.0)
        .bind(cursor)
        .bind(now_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn all_integrations(&self) -> StoreResult<Vec<Integration>> {
        sqlx::query(&format!(
            "SELECT {INTEGRATION} FROM integrations WHERE enabled = 1 ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| self.integration(row))
        .collect()
    }
}
