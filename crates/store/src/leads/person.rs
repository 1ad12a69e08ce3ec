//! Finding the lead of a person, for calls and forms alike, in the one order core decides
//! (`leadline_core::matching::lead_lookups`).

use crate::errors::backend;
use leadline_core::BusinessId;
use leadline_core::lead::LeadMatch;
use leadline_core::matching::LeadLookup;
use leadline_core::store::StoreResult;
use sqlx::AnyConnection;

/// The business's lead that the first of `lookups` finds (the oldest, where several match),
/// and how it was matched; `None` when no lookup finds one.
pub(crate) async fn find(
    conn: &mut AnyConnection,
    business: BusinessId,
    lookups: &[LeadLookup],
) -> StoreResult<Option<(i64, LeadMatch)>> {
    for lookup in lookups {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM leads WHERE business_id = $1 AND {} = $2 ORDER BY id LIMIT 1",
            lookup.key.column()
        ))
        .bind(business.0)
        .bind(lookup.value.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        if let Some(id) = found {
            return Ok(Some((id, lookup.matched)));
        }
    }
    Ok(None)
}
