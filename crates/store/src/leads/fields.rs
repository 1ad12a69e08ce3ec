//! The custom fields a business defines for its leads.

use crate::errors::{backend, classify};
use crate::rows::{col, parsed};
use leadline_core::BusinessId;
use leadline_core::fields::{FieldDef, FieldKind, FieldName};
use leadline_core::store::StoreResult;
use sqlx::AnyConnection;

/// Defines a field; `Conflict` when the business has one of that name, `NotFound` for an
/// unknown business.
pub(crate) async fn define(conn: &mut AnyConnection, business: BusinessId, def: &FieldDef) -> StoreResult<()> {
    sqlx::query("INSERT INTO custom_fields (business_id, name, kind, required) VALUES ($1, $2, $3, $4)")
        .bind(business.0)
        .bind(def.name.as_str())
        .bind(def.kind.as_str())
        .bind(i64::from(def.required))
        .execute(&mut *conn)
        .await
        .map_err(|e| classify(e, || format!("a field named {} exists already", def.name.as_str())))?;
    Ok(())
}

/// The business's fields, in the order they were defined.
pub(crate) async fn of_business(conn: &mut AnyConnection, business: BusinessId) -> StoreResult<Vec<FieldDef>> {
    sqlx::query("SELECT name, kind, required FROM custom_fields WHERE business_id = $1 ORDER BY id")
        .bind(business.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| {
            Ok(FieldDef {
                name: parsed(row, "name", FieldName::parse)?,
                kind: parsed(row, "kind", FieldKind::parse)?,
                required: col::<i64>(row, "required")? != 0,
            })
        })
        .collect()
}
