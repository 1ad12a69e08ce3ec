//! Members' browsers subscribed to their alerts (Web Push).

use crate::SqlStore;
use crate::errors::{backend, classify, corrupt};
use crate::rows::{col, now_millis};
use async_trait::async_trait;
use leadline_core::store::StoreResult;
use leadline_core::web_push::{PushSubscription, WebPushStore};
use leadline_core::{BusinessId, UserId};

#[async_trait]
impl WebPushStore for SqlStore {
    async fn add_push_subscription(
        &self,
        business: BusinessId,
        user: UserId,
        subscription: &PushSubscription,
    ) -> StoreResult<()> {
        crate::alerts::check_member(&self.pool, business, user).await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (business_id, user_id, endpoint, p256dh, auth, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (business_id, user_id, endpoint) DO UPDATE SET
                 p256dh = excluded.p256dh, auth = excluded.auth",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(subscription.endpoint())
        .bind(subscription.p256dh())
        .bind(subscription.auth())
        .bind(now_millis())
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || "the member is gone".into()))?;
        Ok(())
    }

    async fn push_subscriptions(&self, business: BusinessId, user: UserId) -> StoreResult<Vec<PushSubscription>> {
        let rows = sqlx::query(
            "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE business_id = $1 AND user_id = $2
             ORDER BY created_at, endpoint",
        )
        .bind(business.0)
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let (endpoint, p256dh, auth): (String, String, String) =
                    (col(row, "endpoint")?, col(row, "p256dh")?, col(row, "auth")?);
                PushSubscription::parse(&endpoint, &p256dh, &auth).map_err(corrupt)
            })
            .collect()
    }

    async fn remove_push_subscription(&self, business: BusinessId, user: UserId, endpoint: &str) -> StoreResult<bool> {
        let removed =
            sqlx::query("DELETE FROM push_subscriptions WHERE business_id = $1 AND user_id = $2 AND endpoint = $3")
                .bind(business.0)
                .bind(user.0)
                .bind(endpoint)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        Ok(removed.rows_affected() > 0)
    }
}
