use crate::errors::{backend, classify, corrupt, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time};
use crate::{JOIN_TEXTS, SqlStore};
use async_trait::async_trait;
use leadline_core::sealing::Column;
use leadline_core::secret::Secret;
use leadline_core::store::{NumberStore, StoreError, StoreResult};
use leadline_core::tenant::{AccountSid, NewTrackingNumber, NumberEdit, Provider, TrackingNumber};
use leadline_core::{BusinessId, E164, NumberId, SiteId};
use sqlx::any::AnyRow;
use std::sync::LazyLock;

const COLUMNS: &str = "n.id, n.number, n.provider, n.account_sid, n.auth_token, n.created_at,
     (SELECT p.site_id FROM pool_numbers p WHERE p.number_id = n.id) AS pool_site";

/// The sites a number serves, space-separated, read with the number's row.
const SITES: &str =
    "(SELECT {join}(CAST(ls.site_id AS TEXT), ' ') FROM number_sites ls WHERE ls.number_id = n.id) AS site_ids";

/// [`COLUMNS`] and [`SITES`] for each engine, built once.
static NUMBER_COLUMNS: LazyLock<[String; 2]> =
    LazyLock::new(|| JOIN_TEXTS.map(|join| format!("{COLUMNS}, {}", SITES.replace("{join}", join))));

impl SqlStore {
    /// The number columns and its sites, for `SELECT … FROM tracking_numbers n`.
    fn number_columns(&self) -> &'static str {
        self.for_engine(&NUMBER_COLUMNS)
    }

    /// Builds a number from its row (read with [`SqlStore::number_columns`]).
    fn number_with_sites(&self, row: &AnyRow) -> StoreResult<TrackingNumber> {
        let id = NumberId(col(row, "id")?);
        let joined: Option<String> = col(row, "site_ids")?;
        let mut site_ids = joined
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(|s| {
                s.parse()
                    .map(SiteId)
                    .map_err(|_| corrupt(leadline_core::Invalid::new("site id", format!("'{s}' is not a number"))))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        site_ids.sort_unstable();
        Ok(TrackingNumber {
            id,
            number: parsed(row, "number", E164::from_stored)?,
            provider: parsed(row, "provider", Provider::parse)?,
            account_sid: parsed(row, "account_sid", AccountSid::parse)?,
            auth_token: Secret::new(self.unseal(Column::NumberAuthToken, &col::<String>(row, "auth_token")?)?),
            site_ids,
            pool_of: col::<Option<i64>>(row, "pool_site")?.map(SiteId),
            created_at: time(row, "created_at")?,
        })
    }
}

#[async_trait]
impl NumberStore for SqlStore {
    async fn create_number(&self, new: &NewTrackingNumber) -> StoreResult<TrackingNumber> {
        self.tenant_write(async {
            new.validate()?;
            let auth_token = self.seal(Column::NumberAuthToken, new.auth_token.expose())?;
            let mut tx = self.pool.begin().await.map_err(backend)?;
            // A removed number set up again keeps its row, and so its calls.
            let revived: Option<i64> = sqlx::query_scalar(
                "UPDATE tracking_numbers SET provider = $1, account_sid = $2, auth_token = $3, removed_at = NULL
             WHERE number = $4 AND removed_at IS NOT NULL RETURNING id",
            )
            .bind(new.provider.as_str())
            .bind(new.account_sid.as_str())
            .bind(&auth_token)
            .bind(new.number.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let id = match revived {
                Some(id) => {
                    sqlx::query("DELETE FROM number_sites WHERE number_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    id
                }
                None => sqlx::query_scalar(
                    "INSERT INTO tracking_numbers (number, provider, account_sid, auth_token, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(new.number.as_str())
                .bind(new.provider.as_str())
                .bind(new.account_sid.as_str())
                .bind(&auth_token)
                .bind(now_millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| classify(e, || format!("the number {} is already set up", new.number)))?,
            };
            link_sites(&mut tx, id, &new.site_ids, None).await?;
            tx.commit().await.map_err(backend)?;
            self.number_by_e164(&new.number).await
        })
        .await
    }

    async fn number_by_e164(&self, number: &E164) -> StoreResult<TrackingNumber> {
        let load = async {
            let row = sqlx::query(&format!(
                "SELECT {} FROM tracking_numbers n WHERE n.number = $1 AND n.removed_at IS NULL",
                self.number_columns()
            ))
            .bind(number.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
            self.number_with_sites(&row)
        };
        self.cached(|c| &c.numbers_by_e164, number.as_str().to_owned(), load)
            .await
    }

    async fn list_numbers(&self, business: BusinessId) -> StoreResult<Vec<TrackingNumber>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM tracking_numbers n WHERE n.removed_at IS NULL AND EXISTS (
                 SELECT 1 FROM number_sites ns JOIN sites s ON s.id = ns.site_id
                 WHERE ns.number_id = n.id AND s.business_id = $1)
             ORDER BY n.id",
            self.number_columns()
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut numbers = Vec::with_capacity(rows.len());
        for row in &rows {
            numbers.push(self.number_with_sites(row)?);
        }
        Ok(numbers)
    }

    async fn number_for_site(&self, site: SiteId) -> StoreResult<Option<TrackingNumber>> {
        let load = async {
            let row = sqlx::query(&format!(
                "SELECT {} FROM tracking_numbers n JOIN number_sites ns ON ns.number_id = n.id
                 WHERE ns.site_id = $1 AND n.removed_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM pool_numbers p WHERE p.number_id = n.id) ORDER BY n.id LIMIT 1",
                self.number_columns()
            ))
            .bind(site.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            row.map(|row| self.number_with_sites(&row)).transpose()
        };
        self.cached(|c| &c.number_of_site, site.0, load).await
    }

    async fn number(&self, business: BusinessId, id: NumberId) -> StoreResult<TrackingNumber> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM tracking_numbers n WHERE n.id = $1 AND n.removed_at IS NULL AND EXISTS (
                 SELECT 1 FROM number_sites ns JOIN sites s ON s.id = ns.site_id
                 WHERE ns.number_id = n.id AND s.business_id = $2)",
            self.number_columns()
        ))
        .bind(id.0)
        .bind(business.0)
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        self.number_with_sites(&row)
    }

    async fn edit_number(&self, business: BusinessId, id: NumberId, edit: &NumberEdit) -> StoreResult<TrackingNumber> {
        self.tenant_write(async {
            edit.validate()?;
            self.number(business, id).await?;
            let auth_token = edit
                .auth_token
                .as_ref()
                .map(|t| self.seal(Column::NumberAuthToken, t.expose()))
                .transpose()?;
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let updated = sqlx::query(
                "UPDATE tracking_numbers SET account_sid = $1, auth_token = COALESCE($2, auth_token)
             WHERE id = $3 AND removed_at IS NULL",
            )
            .bind(edit.account_sid.as_str())
            .bind(auth_token)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            unlink_business(&mut tx, id.0, business).await?;
            link_sites(&mut tx, id.0, &edit.site_ids, Some(business)).await?;
            tx.commit().await.map_err(backend)?;
            self.number(business, id).await
        })
        .await
    }

    async fn remove_number(&self, business: BusinessId, id: NumberId) -> StoreResult<()> {
        self.tenant_write(async {
            self.number(business, id).await?;
            let mut tx = self.pool.begin().await.map_err(backend)?;
            unlink_business(&mut tx, id.0, business).await?;
            // Archived only when no other business's site is left on it; the links to this
            // business's sites of an archived number stay, so its history reads as before.
            let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM number_sites WHERE number_id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if others == 0 {
                tx.rollback().await.map_err(backend)?;
                sqlx::query("UPDATE tracking_numbers SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
                    .bind(now_millis())
                    .bind(id.0)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
            } else {
                tx.commit().await.map_err(backend)?;
            }
            // A removed number leaves its site's pool (after the unlinking's commit or rollback):
            // no visit is shown it again.
            sqlx::query(
                "DELETE FROM pool_numbers WHERE number_id = $1
                 AND site_id IN (SELECT id FROM sites WHERE business_id = $2)",
            )
            .bind(id.0)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// Stops the number serving the business's sites.
async fn unlink_business(tx: &mut Tx<'_>, number: i64, business: BusinessId) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM number_sites WHERE number_id = $1
         AND site_id IN (SELECT id FROM sites WHERE business_id = $2)",
    )
    .bind(number)
    .bind(business.0)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Makes the number serve `sites`, each of which must exist, not be removed and (when
/// `business` is given) be that business's: `NotFound` otherwise.
async fn link_sites(tx: &mut Tx<'_>, number: i64, sites: &[SiteId], business: Option<BusinessId>) -> StoreResult<()> {
    for site in sites {
        let linked = sqlx::query(
            "INSERT INTO number_sites (number_id, site_id)
             SELECT $1, id FROM sites WHERE id = $2 AND removed_at IS NULL AND ($3 IS NULL OR business_id = $3)",
        )
        .bind(number)
        .bind(site.0)
        .bind(business.map(|b| b.0))
        .execute(&mut **tx)
        .await
        .map_err(|e| classify(e, || format!("site {site} is given twice")))?;
        if linked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}
