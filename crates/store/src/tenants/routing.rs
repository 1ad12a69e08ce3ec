use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::now_millis;
use async_trait::async_trait;
use leadline_core::routing::Rule;
use leadline_core::store::{RoutingStore, StoreError, StoreResult};
use leadline_core::{BusinessId, Invalid, SiteId};

#[async_trait]
impl RoutingStore for SqlStore {
    async fn add_routing_rule(&self, business: BusinessId, site: SiteId, rule: &Rule) -> StoreResult<()> {
        rule.validate()?;
        let json = serde_json::to_string(rule).map_err(|e| corrupt(Invalid::new("routing rule", e.to_string())))?;
        let added = sqlx::query(
            "INSERT INTO routing_rules (site_id, rule, created_at)
             SELECT id, $1, $2 FROM sites WHERE id = $3 AND business_id = $4",
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
    }

    async fn routing_rules(&self, site: SiteId) -> StoreResult<Vec<Rule>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT rule FROM routing_rules WHERE site_id = $1 ORDER BY id")
            .bind(site.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|json| {
                serde_json::from_str(json).map_err(|e| corrupt(Invalid::new("stored routing rule", e.to_string())))
            })
            .collect()
    }
}
