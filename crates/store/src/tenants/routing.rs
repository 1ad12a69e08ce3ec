use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::now_millis;
use async_trait::async_trait;
use leadline_core::routing::{Move, Rule, StoredRule};
use leadline_core::store::{RoutingStore, StoreError, StoreResult};
use leadline_core::{BusinessId, Invalid, SiteId};

#[async_trait]
impl RoutingStore for SqlStore {
    async fn add_routing_rule(&self, business: BusinessId, site: SiteId, rule: &Rule) -> StoreResult<()> {
        self.tenant_write(async {
            rule.validate()?;
            let json = serde_json::to_string(rule).map_err(|e| corrupt(Invalid::new("routing rule", e.to_string())))?;
            let added = sqlx::query(
                "INSERT INTO routing_rules (site_id, rule, created_at, position)
             SELECT id, $1, $2,
                 (SELECT COALESCE(MAX(position), 0) + 1 FROM routing_rules WHERE site_id = $3)
             FROM sites WHERE id = $3 AND business_id = $4",
            )
            .bind(json)
            .bind(now_millis())
            .bind(site.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if added.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn routing_rules(&self, site: SiteId) -> StoreResult<Vec<Rule>> {
        let load = async {
            let rows: Vec<String> =
                sqlx::query_scalar("SELECT rule FROM routing_rules WHERE site_id = $1 ORDER BY position, id")
                    .bind(site.0)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
            rows.iter().map(|json| stored_rule(json)).collect()
        };
        self.cached(|c| &c.rules_of_site, site.0, load).await
    }

    async fn site_routing_rules(&self, business: BusinessId, site: SiteId) -> StoreResult<Vec<StoredRule>> {
        let owned: Option<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE id = $1 AND business_id = $2")
            .bind(site.0)
            .bind(business.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, rule FROM routing_rules WHERE site_id = $1 ORDER BY position, id")
                .bind(site.0)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.into_iter()
            .map(|(id, json)| {
                Ok(StoredRule {
                    id,
                    site_id: site,
                    rule: stored_rule(&json)?,
                })
            })
            .collect()
    }

    async fn routing_rule(&self, business: BusinessId, id: i64) -> StoreResult<StoredRule> {
        let found: Option<(i64, String)> = sqlx::query_as(
            "SELECT site_id, rule FROM routing_rules WHERE id = $1
             AND site_id IN (SELECT id FROM sites WHERE business_id = $2)",
        )
        .bind(id)
        .bind(business.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let (site, json) = found.ok_or(StoreError::NotFound)?;
        Ok(StoredRule {
            id,
            site_id: SiteId(site),
            rule: stored_rule(&json)?,
        })
    }

    async fn edit_routing_rule(&self, business: BusinessId, id: i64, rule: &Rule) -> StoreResult<()> {
        self.tenant_write(async {
            rule.validate()?;
            let json = serde_json::to_string(rule).map_err(|e| corrupt(Invalid::new("routing rule", e.to_string())))?;
            let changed = sqlx::query(
                "UPDATE routing_rules SET rule = $1 WHERE id = $2
             AND site_id IN (SELECT id FROM sites WHERE business_id = $3)",
            )
            .bind(json)
            .bind(id)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if changed.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn remove_routing_rule(&self, business: BusinessId, id: i64) -> StoreResult<()> {
        self.tenant_write(async {
            let removed = sqlx::query(
                "DELETE FROM routing_rules WHERE id = $1
             AND site_id IN (SELECT id FROM sites WHERE business_id = $2)",
            )
            .bind(id)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if removed.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn move_routing_rule(&self, business: BusinessId, id: i64, direction: Move) -> StoreResult<()> {
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            // The first statement writes, so that SQLite takes its lock before reading the order.
            let found: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE routing_rules SET position = position WHERE id = $1
             AND site_id IN (SELECT id FROM sites WHERE business_id = $2)
             RETURNING site_id, position",
            )
            .bind(id)
            .bind(business.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((site, position)) = found else {
                return Err(StoreError::NotFound);
            };
            let neighbour = match direction {
                Move::Earlier => {
                    "SELECT id, position FROM routing_rules WHERE site_id = $1 AND position < $2
                 ORDER BY position DESC, id DESC LIMIT 1"
                }
                Move::Later => {
                    "SELECT id, position FROM routing_rules WHERE site_id = $1 AND position > $2
                 ORDER BY position, id LIMIT 1"
                }
            };
            let other: Option<(i64, i64)> = sqlx::query_as(neighbour)
                .bind(site)
                .bind(position)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if let Some((other_id, other_position)) = other {
                for (rule, at) in [(id, other_position), (other_id, position)] {
                    sqlx::query("UPDATE routing_rules SET position = $1 WHERE id = $2")
                        .bind(at)
                        .bind(rule)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
            }
            tx.commit().await.map_err(backend)
        })
        .await
    }
}

fn stored_rule(json: &str) -> StoreResult<Rule> {
    serde_json::from_str(json).map_err(|e| corrupt(Invalid::new("stored routing rule", e.to_string())))
}
