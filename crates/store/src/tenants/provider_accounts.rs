//! Businesses' provider accounts: one per business, replaced when connected again.

use crate::SqlStore;
use crate::errors::{backend, classify};
use crate::rows::{col, now_millis, parsed, time};
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::provider_account::{NewProviderAccount, ProviderAccount, ProviderAccountStore};
use leadline_core::sealing::Column;
use leadline_core::secret::Secret;
use leadline_core::store::StoreResult;
use leadline_core::tenant::{AccountSid, Provider};
use sqlx::any::AnyRow;

const COLUMNS: &str = "business_id, provider, account_sid, auth_token, connected_at";

impl SqlStore {
    fn account(&self, row: &AnyRow) -> StoreResult<ProviderAccount> {
        let auth_token = self.unseal(Column::ProviderAuthToken, &col::<String>(row, "auth_token")?)?;
        Ok(ProviderAccount {
            business_id: BusinessId(col(row, "business_id")?),
            provider: parsed(row, "provider", Provider::parse)?,
            account_sid: parsed(row, "account_sid", AccountSid::parse)?,
            auth_token: Secret::new(auth_token),
            connected_at: time(row, "connected_at")?,
        })
    }
}

#[async_trait]
impl ProviderAccountStore for SqlStore {
    async fn connect_provider_account(&self, new: &NewProviderAccount) -> StoreResult<ProviderAccount> {
        let row = sqlx::query(&format!(
            "INSERT INTO provider_accounts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (business_id) DO UPDATE SET provider = excluded.provider,
                 account_sid = excluded.account_sid, auth_token = excluded.auth_token,
                 connected_at = excluded.connected_at
             RETURNING {COLUMNS}"
        ))
        .bind(new.business_id.0)
        .bind(new.provider.as_str())
        .bind(new.account_sid.as_str())
        .bind(self.seal(Column::ProviderAuthToken, new.auth_token.expose())?)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| classify(e, || "the business's provider account clashes".to_owned()))?;
        self.account(&row)
    }

    async fn provider_account(&self, business: BusinessId) -> StoreResult<Option<ProviderAccount>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM provider_accounts WHERE business_id = $1"
        ))
        .bind(business.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(|row| self.account(row)).transpose()
    }
}
