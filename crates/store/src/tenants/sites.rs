use crate::errors::{backend, classify, corrupt, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time};
use crate::{JOIN_TEXTS, SqlStore};
use async_trait::async_trait;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{SiteStore, StoreError, StoreResult};
use leadline_core::tenant::{NewSite, Site, SiteEdit};
use leadline_core::{BusinessId, SiteId};
use sqlx::any::AnyRow;
use std::sync::LazyLock;

const COLUMNS: &str =
    "id, business_id, name, site_key, timezone, currency, settings, disabled_at, removed_at, created_at";

/// A site's domains, space-separated (a domain has no spaces), read with the site's row.
const DOMAINS: &str = "(SELECT {join}(d.domain, ' ') FROM site_domains d WHERE d.site_id = sites.id) AS domains";

/// [`COLUMNS`] and [`DOMAINS`] for each engine, built once.
static SITE_COLUMNS: LazyLock<[String; 2]> =
    LazyLock::new(|| JOIN_TEXTS.map(|join| format!("{COLUMNS}, {}", DOMAINS.replace("{join}", join))));

impl SqlStore {
    /// The site columns and its domains, for `SELECT … FROM sites`.
    fn site_columns(&self) -> &'static str {
        self.for_engine(&SITE_COLUMNS)
    }

    /// Builds a site from its row (read with [`SqlStore::site_columns`]).
    fn site_with_domains(&self, row: &AnyRow) -> StoreResult<Site> {
        let id = SiteId(col(row, "id")?);
        let joined: Option<String> = col(row, "domains")?;
        let mut domains = joined
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(|d| DomainName::parse(d).map_err(corrupt))
            .collect::<StoreResult<Vec<_>>>()?;
        domains.sort();
        Ok(Site {
            id,
            business_id: BusinessId(col(row, "business_id")?),
            name: parsed(row, "name", |s| Name::parse_as("site name", s))?,
            key: parsed(row, "site_key", SiteKey::parse)?,
            domains,
            timezone: parsed(row, "timezone", Timezone::parse)?,
            currency: parsed(row, "currency", Currency::parse)?,
            settings: parsed(row, "settings", SiteSettings::from_json)?,
            disabled: col::<Option<i64>>(row, "disabled_at")?.is_some(),
            removed: col::<Option<i64>>(row, "removed_at")?.is_some(),
            created_at: time(row, "created_at")?,
        })
    }

    async fn one_site<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> StoreResult<Site> {
        let row = query.fetch_one(&self.pool).await.map_err(not_found_or_backend)?;
        self.site_with_domains(&row)
    }
}

#[async_trait]
impl SiteStore for SqlStore {
    async fn create_site(&self, new: &NewSite) -> StoreResult<Site> {
        self.tenant_write(async {
            new.validate()?;
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sites (business_id, name, site_key, timezone, currency, settings, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(new.business_id.0)
            .bind(new.name.as_str())
            .bind(new.key.as_str())
            .bind(new.timezone.name())
            .bind(new.currency.code())
            .bind(new.settings.to_json())
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| classify(e, || "a site with this key already exists".to_owned()))?;
            for domain in &new.domains {
                sqlx::query("INSERT INTO site_domains (domain, site_id) VALUES ($1, $2)")
                    .bind(domain.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify(e, || format!("the domain {domain} is already taken by another site")))?;
            }
            tx.commit().await.map_err(backend)?;
            self.site(new.business_id, SiteId(id)).await
        })
        .await
    }

    async fn site_by_key(&self, key: &SiteKey) -> StoreResult<Site> {
        let load = async {
            let sql = format!(
                "SELECT {} FROM sites WHERE site_key = $1 AND removed_at IS NULL",
                self.site_columns()
            );
            self.one_site(sqlx::query(&sql).bind(key.as_str())).await
        };
        self.cached(|c| &c.sites_by_key, key.to_string(), load).await
    }

    async fn site_by_domain(&self, domain: &DomainName) -> StoreResult<Site> {
        let sql = format!(
            "SELECT {} FROM sites WHERE id = (SELECT site_id FROM site_domains WHERE domain = $1)",
            self.site_columns()
        );
        self.one_site(sqlx::query(&sql).bind(domain.as_str())).await
    }

    async fn site_by_id(&self, id: SiteId) -> StoreResult<Site> {
        let load = async {
            let sql = format!("SELECT {} FROM sites WHERE id = $1", self.site_columns());
            self.one_site(sqlx::query(&sql).bind(id.0)).await
        };
        self.cached(|c| &c.sites_by_id, id.0, load).await
    }

    async fn site(&self, business: BusinessId, id: SiteId) -> StoreResult<Site> {
        let sql = format!(
            "SELECT {} FROM sites WHERE id = $1 AND business_id = $2",
            self.site_columns()
        );
        self.one_site(sqlx::query(&sql).bind(id.0).bind(business.0)).await
    }

    async fn list_sites(&self, business: BusinessId) -> StoreResult<Vec<Site>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM sites WHERE business_id = $1 AND removed_at IS NULL ORDER BY id",
            self.site_columns()
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut sites = Vec::with_capacity(rows.len());
        for row in &rows {
            sites.push(self.site_with_domains(row)?);
        }
        Ok(sites)
    }

    async fn update_site_settings(
        &self,
        business: BusinessId,
        id: SiteId,
        settings: &SiteSettings,
    ) -> StoreResult<Site> {
        self.tenant_write(async {
            let updated = sqlx::query("UPDATE sites SET settings = $1 WHERE id = $2 AND business_id = $3")
                .bind(settings.to_json())
                .bind(id.0)
                .bind(business.0)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(leadline_core::store::StoreError::NotFound);
            }
            self.site(business, id).await
        })
        .await
    }

    async fn set_site_secret(&self, business: BusinessId, id: SiteId, secret_hash: &str) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE sites SET secret_hash = $1 WHERE id = $2 AND business_id = $3")
            .bind(secret_hash)
            .bind(id.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(leadline_core::store::StoreError::NotFound);
        }
        Ok(())
    }

    async fn edit_site(&self, business: BusinessId, id: SiteId, edit: &SiteEdit) -> StoreResult<Site> {
        self.tenant_write(async {
            edit.validate()?;
            let mut tx = self.pool.begin().await.map_err(backend)?;
            // The first statement writes (SQLite) and reads what the site was: a new zone or
            // currency restates every day of its reports.
            let before: Option<(String, String)> = sqlx::query_as(
                "UPDATE sites SET name = name WHERE id = $1 AND business_id = $2 AND removed_at IS NULL
             RETURNING timezone, currency",
            )
            .bind(id.0)
            .bind(business.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((zone, currency)) = before else {
                return Err(StoreError::NotFound);
            };
            if zone != edit.timezone.name() || currency != edit.currency.code() {
                crate::reports::marks::restate_site(&mut tx, id.0).await?;
            }
            let updated = sqlx::query(
                "UPDATE sites SET name = $1, timezone = $2, currency = $3, settings = $4
             WHERE id = $5 AND business_id = $6 AND removed_at IS NULL",
            )
            .bind(edit.name.as_str())
            .bind(edit.timezone.name())
            .bind(edit.currency.code())
            .bind(edit.settings.to_json())
            .bind(id.0)
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM site_domains WHERE site_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            for domain in &edit.domains {
                sqlx::query("INSERT INTO site_domains (domain, site_id) VALUES ($1, $2)")
                    .bind(domain.as_str())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify(e, || format!("the domain {domain} is already taken by another site")))?;
            }
            tx.commit().await.map_err(backend)?;
            self.site(business, id).await
        })
        .await
    }

    async fn set_site_disabled(&self, business: BusinessId, id: SiteId, disabled: bool) -> StoreResult<Site> {
        self.tenant_write(async {
            let updated = sqlx::query(
                "UPDATE sites SET disabled_at = $1 WHERE id = $2 AND business_id = $3 AND removed_at IS NULL",
            )
            .bind(disabled.then(now_millis))
            .bind(id.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            self.site(business, id).await
        })
        .await
    }

    async fn remove_site(&self, business: BusinessId, id: SiteId) -> StoreResult<()> {
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let updated = sqlx::query(
                "UPDATE sites SET removed_at = $1 WHERE id = $2 AND business_id = $3 AND removed_at IS NULL",
            )
            .bind(now_millis())
            .bind(id.0)
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            // A number that would be left serving no site must be removed (or moved) first.
            let alone: Option<String> = sqlx::query_scalar(
                "SELECT n.number FROM tracking_numbers n JOIN number_sites ns ON ns.number_id = n.id
             WHERE ns.site_id = $1 AND n.removed_at IS NULL AND NOT EXISTS (
                 SELECT 1 FROM number_sites o JOIN sites s ON s.id = o.site_id
                 WHERE o.number_id = n.id AND o.site_id <> $1 AND s.removed_at IS NULL)
             ORDER BY n.id LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(number) = alone {
                return Err(StoreError::Conflict(format!(
                    "the number {number} serves only this site: remove it or let it serve another site first"
                )));
            }
            for statement in [
                "DELETE FROM number_sites WHERE site_id = $1",
                "DELETE FROM site_domains WHERE site_id = $1",
            ] {
                sqlx::query(statement)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            tx.commit().await.map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn site_secret_hash(&self, id: SiteId) -> StoreResult<String> {
        let hash: Option<String> = sqlx::query_scalar("SELECT secret_hash FROM sites WHERE id = $1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await
            .map_err(crate::errors::not_found_or_backend)?;
        hash.ok_or(leadline_core::store::StoreError::NotFound)
    }
}
