//! Offline and foreign-domain sources.

use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, parsed_opt, time};
use crate::visits::{allocation, codes};
use async_trait::async_trait;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::source::{NewSource, Source, SourceEdit, SourceKey, SourceUtm};
use leadline_core::store::{SourceStore, StoreError, StoreResult};
use leadline_core::visit::PoolKey;
use leadline_core::{BusinessId, SiteId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "business_id, site_id, public_key, name, domain, utm_source, utm_medium, utm_campaign, utm_term,
    utm_content, reserved_code, created_at";

fn source(row: &AnyRow) -> StoreResult<Source> {
    Ok(Source {
        business_id: BusinessId(col(row, "business_id")?),
        site_id: SiteId(col(row, "site_id")?),
        key: parsed(row, "public_key", SourceKey::parse)?,
        name: parsed(row, "name", |s| Name::parse_as("source name", s))?,
        domain: parsed_opt(row, "domain", DomainName::parse)?,
        utm: SourceUtm {
            source: col(row, "utm_source")?,
            medium: col(row, "utm_medium")?,
            campaign: col(row, "utm_campaign")?,
            term: col(row, "utm_term")?,
            content: col(row, "utm_content")?,
        },
        reserved_code: col::<Option<i64>>(row, "reserved_code")?.and_then(|c| u64::try_from(c).ok()),
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl SourceStore for SqlStore {
    async fn create_source(&self, new: &NewSource, pool: Option<PoolKey>) -> StoreResult<Source> {
        new.utm.validate()?;
        // A reserved code can be keyed: the voice webhook's cached code spans are forgotten.
        self.tenant_write(self.insert_source(new, pool)).await
    }

    async fn source_by_key(&self, key: &SourceKey) -> StoreResult<Source> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sources WHERE public_key = $1 AND removed_at IS NULL"
        ))
        .bind(key.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        source(&row)
    }

    async fn list_sources(&self, business: BusinessId) -> StoreResult<Vec<Source>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sources WHERE business_id = $1 AND removed_at IS NULL ORDER BY id"
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(source)
        .collect()
    }

    async fn edit_source(&self, business: BusinessId, key: &SourceKey, edit: &SourceEdit) -> StoreResult<Source> {
        edit.utm.validate()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The first statement writes, so that SQLite takes its lock before reading.
        let before = sqlx::query(&format!(
            "UPDATE sources SET name = name WHERE business_id = $1 AND public_key = $2 AND removed_at IS NULL
             RETURNING {COLUMNS}"
        ))
        .bind(business.0)
        .bind(key.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let before = source(&before)?;
        let row = sqlx::query(&format!(
            "UPDATE sources SET name = $3, domain = $4, utm_source = $5, utm_medium = $6, utm_campaign = $7,
                 utm_term = $8, utm_content = $9
             WHERE business_id = $1 AND public_key = $2 RETURNING {COLUMNS}"
        ))
        .bind(business.0)
        .bind(key.as_str())
        .bind(edit.name.as_str())
        .bind(edit.domain.as_ref().map(|d| d.as_str().to_owned()))
        .bind(edit.utm.source.as_str())
        .bind(edit.utm.medium.as_str())
        .bind(edit.utm.campaign.as_deref())
        .bind(edit.utm.term.as_deref())
        .bind(edit.utm.content.as_deref())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let edited = source(&row)?;
        if let Some(code) = before.reserved_code.and_then(|c| i64::try_from(c).ok()) {
            for pool in reservation_pools(&mut tx, &before, code).await? {
                sqlx::query("UPDATE reserved_codes SET label = $3 WHERE pool_id = $1 AND code = $2")
                    .bind(pool)
                    .bind(code)
                    .bind(edited.name.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(edited)
    }

    async fn remove_source(&self, business: BusinessId, key: &SourceKey) -> StoreResult<()> {
        // Its reserved code, if any, can no longer be keyed: cached code spans are forgotten.
        self.tenant_write(self.retire_source(business, key)).await
    }
}

impl SqlStore {
    async fn insert_source(&self, new: &NewSource, pool: Option<PoolKey>) -> StoreResult<Source> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if let (Some(code), Some(pool)) = (new.reserved_code, pool) {
            let locked = allocation::lock_pool(&mut tx, pool).await?;
            let code = i64::try_from(code).map_err(|_| StoreError::Conflict("the code is too large".into()))?;
            codes::reserve(&mut tx, &locked, code, new.name.as_str()).await?;
        }
        let row = sqlx::query(&format!(
            "INSERT INTO sources ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
        ))
        .bind(new.business_id.0)
        .bind(new.site_id.0)
        .bind(new.key.as_str())
        .bind(new.name.as_str())
        .bind(new.domain.as_ref().map(|d| d.as_str().to_owned()))
        .bind(new.utm.source.as_str())
        .bind(new.utm.medium.as_str())
        .bind(new.utm.campaign.as_deref())
        .bind(new.utm.term.as_deref())
        .bind(new.utm.content.as_deref())
        .bind(new.reserved_code.and_then(|c| i64::try_from(c).ok()))
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| classify(e, || "a source with this key exists; try again".to_owned()))?;
        let created = source(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn retire_source(&self, business: BusinessId, key: &SourceKey) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let now = now_millis();
        let row = sqlx::query(&format!(
            "UPDATE sources SET removed_at = $3 WHERE business_id = $1 AND public_key = $2 AND removed_at IS NULL
             RETURNING {COLUMNS}"
        ))
        .bind(business.0)
        .bind(key.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let removed = source(&row)?;
        if let Some(code) = removed.reserved_code.and_then(|c| i64::try_from(c).ok()) {
            for pool in reservation_pools(&mut tx, &removed, code).await? {
                let locked = allocation::lock_pool_by_id(&mut tx, pool).await?;
                codes::unreserve(&mut tx, &locked, code, now).await?;
            }
        }
        tx.commit().await.map_err(backend)
    }
}

/// The pools where the source's code is reserved: the plain pools of the numbers serving its
/// site, whose reservation of the code carries the source's name (the reservation does not
/// name its source otherwise).
async fn reservation_pools(conn: &mut AnyConnection, source: &Source, code: i64) -> StoreResult<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT r.pool_id FROM reserved_codes r
         JOIN pools p ON p.id = r.pool_id
         JOIN number_sites ns ON ns.number_id = p.number_id
         WHERE ns.site_id = $1 AND p.selector = '' AND r.code = $2 AND r.label = $3",
    )
    .bind(source.site_id.0)
    .bind(code)
    .bind(source.name.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)
}
