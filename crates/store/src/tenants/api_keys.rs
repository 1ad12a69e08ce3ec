use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time, time_opt};
use async_trait::async_trait;
use leadline_core::names::Name;
use leadline_core::store::{ApiKeyStore, StoreError, StoreResult};
use leadline_core::tenant::{ApiKey, NewApiKey, StoredApiKey};
use leadline_core::{ApiKeyId, BusinessId};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, business_id, name, prefix, created_at, revoked_at";

fn api_key(row: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(col(row, "id")?),
        business_id: BusinessId(col(row, "business_id")?),
        name: parsed(row, "name", |s| Name::parse_as("API key name", s))?,
        prefix: col(row, "prefix")?,
        created_at: time(row, "created_at")?,
        revoked_at: time_opt(row, "revoked_at")?,
    })
}

#[async_trait]
impl ApiKeyStore for SqlStore {
    async fn create_api_key(&self, new: &NewApiKey) -> StoreResult<ApiKey> {
        let row = sqlx::query(&format!(
            "INSERT INTO api_keys (business_id, name, prefix, hash, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        ))
        .bind(new.business_id.0)
        .bind(new.name.as_str())
        .bind(new.prefix.as_str())
        .bind(new.hash.as_str())
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            classify(e, || {
                "an API key with this prefix exists; issue the key again".to_owned()
            })
        })?;
        api_key(&row)
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<StoredApiKey> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
        ))
        .bind(prefix)
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        Ok(StoredApiKey {
            key: api_key(&row)?,
            hash: col(&row, "hash")?,
        })
    }

    async fn list_api_keys(&self, business: BusinessId) -> StoreResult<Vec<ApiKey>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE business_id = $1 ORDER BY id"
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(api_key)
        .collect()
    }

    async fn revoke_api_key(&self, business: BusinessId, id: ApiKeyId) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND business_id = $2")
                .bind(id.0)
                .bind(business.0)
                .bind(now_millis())
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
