use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time};
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::names::{Name, Slug};
use leadline_core::sealing::Column;
use leadline_core::store::{BusinessStore, StoreError, StoreResult};
use leadline_core::tenant::{Business, NewBusiness};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, slug, name, created_at";

fn business(row: &AnyRow) -> StoreResult<Business> {
    Ok(Business {
        id: BusinessId(col(row, "id")?),
        slug: parsed(row, "slug", Slug::parse)?,
        name: parsed(row, "name", |s| Name::parse_as("business name", s))?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl BusinessStore for SqlStore {
    async fn create_business(&self, new: &NewBusiness) -> StoreResult<Business> {
        let row = sqlx::query(&format!(
            "INSERT INTO businesses (slug, name, created_at) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        ))
        .bind(new.slug.as_str())
        .bind(new.name.as_str())
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| classify(e, || format!("a business with slug '{}' already exists", new.slug)))?;
        business(&row)
    }

    async fn business_by_slug(&self, slug: &Slug) -> StoreResult<Business> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM businesses WHERE slug = $1"))
            .bind(slug.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        business(&row)
    }

    async fn business(&self, id: BusinessId) -> StoreResult<Business> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM businesses WHERE id = $1"))
            .bind(id.0)
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        business(&row)
    }

    async fn list_businesses(&self) -> StoreResult<Vec<Business>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM businesses ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(business)
            .collect()
    }

    async fn set_attachment_storage(&self, business: BusinessId, storage: Option<&str>) -> StoreResult<()> {
        let sealed = storage.map(|s| self.seal(Column::AttachmentStorage, s)).transpose()?;
        let updated = sqlx::query("UPDATE businesses SET attachment_storage = $1 WHERE id = $2")
            .bind(sealed)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn attachment_storage(&self, business: BusinessId) -> StoreResult<Option<String>> {
        let stored: Option<String> = sqlx::query_scalar("SELECT attachment_storage FROM businesses WHERE id = $1")
            .bind(business.0)
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        stored.map(|s| self.unseal(Column::AttachmentStorage, &s)).transpose()
    }
}
