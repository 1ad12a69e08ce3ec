//! A business's switch for refusing e-mailed replies that do not pass DMARC.

use crate::SqlStore;
use crate::errors::backend;
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::sender_auth::SenderAuthStore;
use leadline_core::store::{StoreError, StoreResult};

#[async_trait]
impl SenderAuthStore for SqlStore {
    async fn sender_auth_required(&self, business: BusinessId) -> StoreResult<bool> {
        let stored: Option<i64> = sqlx::query_scalar("SELECT sender_auth_required FROM businesses WHERE id = $1")
            .bind(business.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(stored.ok_or(StoreError::NotFound)? != 0)
    }

    async fn set_sender_auth_required(&self, business: BusinessId, required: bool) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE businesses SET sender_auth_required = $1 WHERE id = $2")
            .bind(i64::from(required))
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
