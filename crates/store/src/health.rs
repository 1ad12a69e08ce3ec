//! Liveness of the database and the pool's figures.

use crate::SqlStore;
use crate::errors::backend;
use async_trait::async_trait;
use leadline_core::store::{HealthStore, PoolStats, StoreResult};

#[async_trait]
impl HealthStore for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.max_connections,
        }
    }

    fn engine(&self) -> &'static str {
        self.engine.name()
    }
}
