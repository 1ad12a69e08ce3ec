use crate::SqlStore;
use crate::errors::{backend, classify};
use crate::rows::{col, now_millis, parsed, parsed_opt, time};
use async_trait::async_trait;
use leadline_core::names::Name;
use leadline_core::store::{DestinationStore, StoreError, StoreResult};
use leadline_core::tenant::{Destination, NewDestination};
use leadline_core::{BusinessId, DestinationId, E164, UserId};
use sqlx::any::AnyRow;

pub(crate) const COLUMNS: &str = "id, business_id, name, number, department, user_id, disabled_at, created_at";

pub(crate) fn destination(row: &AnyRow) -> StoreResult<Destination> {
    Ok(Destination {
        id: DestinationId(col(row, "id")?),
        business_id: BusinessId(col(row, "business_id")?),
        name: parsed(row, "name", |s| Name::parse_as("destination name", s))?,
        number: parsed(row, "number", E164::from_stored)?,
        department: parsed_opt(row, "department", |s| Name::parse_as("department", s))?,
        user_id: col::<Option<i64>>(row, "user_id")?.map(UserId),
        disabled: col::<Option<i64>>(row, "disabled_at")?.is_some(),
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl DestinationStore for SqlStore {
    async fn create_destination(&self, new: &NewDestination) -> StoreResult<Destination> {
        self.tenant_write(async {
            // A removed destination with this number comes back (its calls stay with it).
            let revived = sqlx::query(&format!(
                "UPDATE destinations SET name = $2, department = $4, user_id = $5, disabled_at = NULL,
                 removed_at = NULL
             WHERE business_id = $1 AND number = $3 AND removed_at IS NOT NULL
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM memberships WHERE user_id = $5 AND business_id = $1))
             RETURNING {COLUMNS}"
            ))
            .bind(new.business_id.0)
            .bind(new.name.as_str())
            .bind(new.number.as_str())
            .bind(new.department.as_ref().map(|d| d.as_str().to_owned()))
            .bind(new.user_id.map(|u| u.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            if let Some(row) = revived {
                return destination(&row);
            }
            // One statement: the row is written only when the user (if any) is of the same
            // business, so no read can race the write.
            let row = sqlx::query(&format!(
                "INSERT INTO destinations (business_id, name, number, department, user_id, created_at)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE $5 IS NULL OR EXISTS (SELECT 1 FROM memberships WHERE user_id = $5 AND business_id = $1)
             RETURNING {COLUMNS}"
            ))
            .bind(new.business_id.0)
            .bind(new.name.as_str())
            .bind(new.number.as_str())
            .bind(new.department.as_ref().map(|d| d.as_str().to_owned()))
            .bind(new.user_id.map(|u| u.0))
            .bind(now_millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| classify(e, || format!("the business already has a destination {}", new.number)))?
            .ok_or(StoreError::NotFound)?;
            destination(&row)
        })
        .await
    }

    async fn list_destinations(&self, business: BusinessId) -> StoreResult<Vec<Destination>> {
        let load = async {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM destinations WHERE business_id = $1 AND removed_at IS NULL ORDER BY id"
            ))
            .bind(business.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(destination)
            .collect()
        };
        self.cached(|c| &c.destinations_of_business, business.0, load).await
    }

    async fn edit_destination(&self, id: DestinationId, edit: &NewDestination) -> StoreResult<Destination> {
        self.tenant_write(async {
            let row = sqlx::query(&format!(
                "UPDATE destinations SET name = $3, number = $4, department = $5, user_id = $6
             WHERE id = $1 AND business_id = $2 AND removed_at IS NULL
             AND ($6 IS NULL OR EXISTS (SELECT 1 FROM memberships WHERE user_id = $6 AND business_id = $2))
             RETURNING {COLUMNS}"
            ))
            .bind(id.0)
            .bind(edit.business_id.0)
            .bind(edit.name.as_str())
            .bind(edit.number.as_str())
            .bind(edit.department.as_ref().map(|d| d.as_str().to_owned()))
            .bind(edit.user_id.map(|u| u.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| classify(e, || format!("the business already has a destination {}", edit.number)))?
            .ok_or(StoreError::NotFound)?;
            destination(&row)
        })
        .await
    }

    async fn set_destination_disabled(
        &self,
        business: BusinessId,
        id: DestinationId,
        disabled: bool,
    ) -> StoreResult<Destination> {
        self.tenant_write(async {
            let row = sqlx::query(&format!(
                "UPDATE destinations SET disabled_at = $3
             WHERE id = $1 AND business_id = $2 AND removed_at IS NULL RETURNING {COLUMNS}"
            ))
            .bind(id.0)
            .bind(business.0)
            .bind(disabled.then(now_millis))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
            destination(&row)
        })
        .await
    }

    async fn remove_destination(&self, business: BusinessId, id: DestinationId) -> StoreResult<()> {
        self.tenant_write(async {
            let updated = sqlx::query(
                "UPDATE destinations SET removed_at = $3 WHERE id = $1 AND business_id = $2 AND removed_at IS NULL",
            )
            .bind(id.0)
            .bind(business.0)
            .bind(now_millis())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
}
