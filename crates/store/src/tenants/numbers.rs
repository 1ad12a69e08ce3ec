use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time};
use async_trait::async_trait;
use leadline_core::secret::Secret;
use leadline_core::store::{NumberStore, StoreResult};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider, TrackingNumber};
use leadline_core::{BusinessId, E164, NumberId, SiteId};
use sqlx::any::AnyRow;

const COLUMNS: &str = "n.id, n.number, n.provider, n.account_sid, n.auth_token, n.created_at";

impl SqlStore {
    async fn number_with_sites(&self, row: &AnyRow) -> StoreResult<TrackingNumber> {
        let id = NumberId(col(row, "id")?);
        let site_ids =
            sqlx::query_scalar::<_, i64>("SELECT site_id FROM number_sites WHERE number_id = $1 ORDER BY site_id")
                .bind(id.0)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?
                .into_iter()
                .map(SiteId)
                .collect();
        Ok(TrackingNumber {
            id,
            number: parsed(row, "number", E164::from_stored)?,
            provider: parsed(row, "provider", Provider::parse)?,
            account_sid: parsed(row, "account_sid", AccountSid::parse)?,
            auth_token: Secret::new(col::<String>(row, "auth_token")?),
            site_ids,
            created_at: time(row, "created_at")?,
        })
    }
}

#[async_trait]
impl NumberStore for SqlStore {
    async fn create_number(&self, new: &NewTrackingNumber) -> StoreResult<TrackingNumber> {
        new.validate()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tracking_numbers (number, provider, account_sid, auth_token, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.number.as_str())
        .bind(new.provider.as_str())
        .bind(new.account_sid.as_str())
        .bind(new.auth_token.expose())
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| classify(e, || format!("the number {} is already set up", new.number)))?;
        for site in &new.site_ids {
            sqlx::query("INSERT INTO number_sites (number_id, site_id) VALUES ($1, $2)")
                .bind(id)
                .bind(site.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| classify(e, || format!("site {site} is given twice")))?;
        }
        tx.commit().await.map_err(backend)?;
        self.number_by_e164(&new.number).await
    }

    async fn number_by_e164(&self, number: &E164) -> StoreResult<TrackingNumber> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tracking_numbers n WHERE n.number = $1"))
            .bind(number.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        self.number_with_sites(&row).await
    }

    async fn list_numbers(&self, business: BusinessId) -> StoreResult<Vec<TrackingNumber>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tracking_numbers n WHERE EXISTS (
                 SELECT 1 FROM number_sites ns JOIN sites s ON s.id = ns.site_id
                 WHERE ns.number_id = n.id AND s.business_id = $1)
             ORDER BY n.id"
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut numbers = Vec::with_capacity(rows.len());
        for row in &rows {
            numbers.push(self.number_with_sites(row).await?);
        }
        Ok(numbers)
    }

    async fn number_for_site(&self, site: SiteId) -> StoreResult<Option<TrackingNumber>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tracking_numbers n JOIN number_sites ns ON ns.number_id = n.id
             WHERE ns.site_id = $1 ORDER BY n.id LIMIT 1"
        ))
        .bind(site.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(row) => Ok(Some(self.number_with_sites(&row).await?)),
            None => Ok(None),
        }
    }
}
