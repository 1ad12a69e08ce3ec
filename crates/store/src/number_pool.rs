//! Number pools (DNI): the numbers of a pool site and the visits holding them. A visit takes
//! the number `core::number_pool::choose` names, holds it while active (each touch refreshes
//! the hold), and the sweep releases it after the site's idle time. Every change to a site's
//! pool first locks all of its rows ([`lock_site`]), so two writers never give one number to
//! two visits.

use crate::SqlStore;
use crate::errors::{backend, corrupt};
use async_trait::async_trait;
use leadline_core::number_pool::{Choice, NumberPoolStore, PoolNumber, Slot, choose};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visit::VisitRef;
use leadline_core::{E164, NumberId, SiteId};
use sqlx::AnyConnection;

/// A pool row as read for a choice: number, holder, held until, last activity, released at.
type SlotRow = (i64, Option<i64>, Option<i64>, Option<i64>, i64);

/// The number a visit holds after a request.
pub(crate) struct PoolHold {
    pub number: E164,
    /// The visit already held it (refreshed).
    pub kept: bool,
    /// It was taken from another visit still holding it (the pool was exhausted).
    pub overwrote: bool,
}

/// Locks the site's pool rows for the rest of the transaction (a write: SQLite's write lock,
/// PostgreSQL's row locks).
pub(crate) async fn lock_site(conn: &mut AnyConnection, site_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE pool_numbers SET site_id = site_id WHERE site_id = $1")
        .bind(site_id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The visit's number, its hold refreshed, if it still holds one; else a number taken as
/// core chooses (`None`: the site's pool is empty).
pub(crate) async fn hold(
    conn: &mut AnyConnection,
    site_id: i64,
    visit_id: i64,
    now: i64,
    idle_ms: i64,
) -> StoreResult<Option<PoolHold>> {
    let kept: Option<i64> = sqlx::query_scalar(
        "UPDATE pool_numbers SET last_activity_at = $1, held_until = $2
         WHERE site_id = $3 AND visit_id = $4 AND held_until > $1 RETURNING number_id",
    )
    .bind(now)
    .bind(now + idle_ms)
    .bind(site_id)
    .bind(visit_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if let Some(number_id) = kept {
        return Ok(Some(PoolHold {
            number: number_text(conn, number_id).await?,
            kept: true,
            overwrote: false,
        }));
    }
    lock_site(conn, site_id).await?;
    let rows: Vec<SlotRow> = sqlx::query_as(
        "SELECT number_id, visit_id, held_until, last_activity_at, released_at FROM pool_numbers WHERE site_id = $1",
    )
    .bind(site_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let slots: Vec<Slot> = rows
        .into_iter()
        .map(|(number, visit, held_until, last_activity, released_at)| Slot {
            number: NumberId(number),
            held: visit.is_some() && held_until.is_some(),
            held_until_ms: held_until.unwrap_or(0),
            last_activity_ms: last_activity.unwrap_or(0),
            released_at_ms: released_at,
        })
        .collect();
    let Some(choice) = choose(&slots, now) else {
        return Ok(None);
    };
    sqlx::query("UPDATE pool_numbers SET visit_id = $1, last_activity_at = $2, held_until = $3 WHERE number_id = $4")
        .bind(visit_id)
        .bind(now)
        .bind(now + idle_ms)
        .bind(choice.number().0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let overwrote = matches!(choice, Choice::Overwrite(_));
    if overwrote {
        sqlx::query(
            "INSERT INTO pool_overwrites (site_id, overwrites) VALUES ($1, 1)
             ON CONFLICT (site_id) DO UPDATE SET overwrites = pool_overwrites.overwrites + 1",
        )
        .bind(site_id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(Some(PoolHold {
        number: number_text(conn, choice.number().0).await?,
        kept: false,
        overwrote,
    }))
}

async fn number_text(conn: &mut AnyConnection, number_id: i64) -> StoreResult<E164> {
    let text: String = sqlx::query_scalar("SELECT number FROM tracking_numbers WHERE id = $1")
        .bind(number_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    E164::from_stored(&text).map_err(corrupt)
}

/// Releases every hold whose idle time had passed by `now_ms` (the sweep); answers how many.
pub(crate) async fn release_idle(conn: &mut AnyConnection, now_ms: i64) -> StoreResult<u32> {
    let released = sqlx::query(
        "UPDATE pool_numbers SET visit_id = NULL, released_at = held_until, last_activity_at = NULL,
         held_until = NULL WHERE held_until <= $1",
    )
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(u32::try_from(released.rows_affected()).unwrap_or(u32::MAX))
}

#[async_trait]
impl NumberPoolStore for SqlStore {
    async fn add_pool_number(&self, site: SiteId, number: NumberId) -> StoreResult<()> {
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            lock_site(&mut tx, site.0).await?;
            let live: Option<i64> =
                sqlx::query_scalar("SELECT id FROM tracking_numbers WHERE id = $1 AND removed_at IS NULL")
                    .bind(number.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            if live.is_none() {
                return Err(StoreError::NotFound);
            }
            let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM number_sites WHERE number_id = $1 AND site_id <> $2")
                .bind(number.0)
                .bind(site.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if others > 0 {
                return Err(StoreError::Conflict(
                    "the number serves another site; a pool number serves its one site only".into(),
                ));
            }
            let pooled: Option<i64> = sqlx::query_scalar("SELECT site_id FROM pool_numbers WHERE number_id = $1")
                .bind(number.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            match pooled {
                Some(id) if id == site.0 => return Ok(()),
                Some(_) => return Err(StoreError::Conflict("the number is in another site's pool".into())),
                None => {}
            }
            let site_exists: Option<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE id = $1 AND removed_at IS NULL")
                .bind(site.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if site_exists.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO number_sites (number_id, site_id) VALUES ($1, $2) ON CONFLICT (number_id, site_id) DO NOTHING",
            )
            .bind(number.0)
            .bind(site.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query("INSERT INTO pool_numbers (number_id, site_id) VALUES ($1, $2)")
                .bind(number.0)
                .bind(site.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn remove_pool_number(&self, site: SiteId, number: NumberId) -> StoreResult<()> {
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let removed = sqlx::query("DELETE FROM pool_numbers WHERE number_id = $1 AND site_id = $2")
                .bind(number.0)
                .bind(site.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if removed.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            // Left linked, it would become the site's main number.
            sqlx::query("DELETE FROM number_sites WHERE number_id = $1 AND site_id = $2")
                .bind(number.0)
                .bind(site.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn pool_numbers(&self, site: SiteId, now_ms: i64) -> StoreResult<Vec<PoolNumber>> {
        let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT p.number_id, t.number, v.public_id FROM pool_numbers p
             JOIN tracking_numbers t ON t.id = p.number_id
             LEFT JOIN visits v ON v.id = p.visit_id AND p.held_until > $2
             WHERE p.site_id = $1 ORDER BY p.number_id",
        )
        .bind(site.0)
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(id, number, holder)| {
                Ok(PoolNumber {
                    number_id: NumberId(id),
                    number: E164::from_stored(&number).map_err(corrupt)?,
                    holder: holder.as_deref().map(VisitRef::parse).transpose().map_err(corrupt)?,
                })
            })
            .collect()
    }

    async fn pool_overwrites(&self, site: SiteId) -> StoreResult<u64> {
        let count: Option<i64> = sqlx::query_scalar("SELECT overwrites FROM pool_overwrites WHERE site_id = $1")
            .bind(site.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(count.unwrap_or(0)).unwrap_or(0))
    }

    async fn pool_holder(&self, site: SiteId, number: NumberId, now_ms: i64) -> StoreResult<Option<VisitRef>> {
        let holder: Option<String> = sqlx::query_scalar(
            "SELECT v.public_id FROM pool_numbers p JOIN visits v ON v.id = p.visit_id
             WHERE p.number_id = $1 AND p.site_id = $2 AND v.site_id = $2 AND p.held_until > $3",
        )
        .bind(number.0)
        .bind(site.0)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        holder.as_deref().map(VisitRef::parse).transpose().map_err(corrupt)
    }
}
