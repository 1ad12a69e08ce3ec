//! What ad platform integrations read and remember: the record a change concerns, as the
//! exports read it (whether or not it is marked), and what each integration last sent for it.

use crate::conversion_rows::{Found, Only, calls, fill_default_values, submissions};
use crate::errors::{backend, corrupt};
use crate::rows::{col, parsed, time};
use leadline_core::ad_upload::{AdFacts, AdTarget, Uploaded};
use leadline_core::conversion::{ConversionKind, ConversionQuery, ConversionRecord, ConversionValue};
use leadline_core::lead::LeadStatus;
use leadline_core::outbox::IntegrationId;
use leadline_core::site::{Currency, SiteSettings};
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::{AnyConnection, AnyPool};

/// The record `target` names, with a value from the lead's sales when no mark gives one.
pub(crate) async fn facts(pool: &AnyPool, business: BusinessId, target: &AdTarget) -> StoreResult<Option<AdFacts>> {
    let mut conn = pool.acquire().await.map_err(backend)?;
    let query = ConversionQuery {
        business,
        site: None,
        kind: ConversionKind::Click,
        from: None,
        to: None,
        include_unmarked: true,
    };
    let mut found = match target {
        AdTarget::Record(ConversionRecord::Call { record_ref }) => {
            let record_ref = i64::try_from(*record_ref).unwrap_or(i64::MAX);
            let sql = "SELECT id FROM calls WHERE business_id = $1 AND record_ref = $2";
            let id: Option<i64> = sqlx::query_scalar(sql)
                .bind(business.0)
                .bind(record_ref)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
            match id {
                Some(id) => calls(&mut conn, &query, Some(Only::Row(id))).await?,
                None => Vec::new(),
            }
        }
        AdTarget::Record(ConversionRecord::Submission { message_id }) => {
            let sql = "SELECT id FROM submissions WHERE business_id = $1 AND message_id = $2";
            let id: Option<i64> = sqlx::query_scalar(sql)
                .bind(business.0)
                .bind(message_id.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
            match id {
                Some(id) => submissions(&mut conn, &query, Some(Only::Row(id))).await?,
                None => Vec::new(),
            }
        }
        AdTarget::FirstOf(lead) => {
            let mut of_lead = calls(&mut conn, &query, Some(Only::Lead(lead.0))).await?;
            of_lead.extend(submissions(&mut conn, &query, Some(Only::Lead(lead.0))).await?);
            of_lead.sort_by_key(|f| f.row.conversion_time);
            of_lead.truncate(1);
            of_lead
        }
    };
    let Some(first) = found.first_mut() else {
        return Ok(None);
    };
    // Every record an ad integration sends takes the lead's sales as its value when no mark
    // gives one, whatever the rule that sends it.
    first.needs_value = first.row.value.is_none();
    fill_default_values(&mut conn, business, &mut found[..1]).await?;
    let found: Found = found.swap_remove(0);
    let lead_status: LeadStatus = sqlx::query("SELECT status FROM leads WHERE id = $1 AND business_id = $2")
        .bind(found.lead_id)
        .bind(business.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)
        .and_then(|row| parsed(&row, "status", LeadStatus::parse))?;
    let ads_policy = site_settings(&mut conn, business, found.row.site_id)
        .await?
        .ad_platforms;
    Ok(Some(AdFacts {
        lead_id: LeadId(found.lead_id),
        lead_status,
        call_seconds: found.call_seconds,
        first_time_caller: found.first_time_caller,
        spam: found.spam,
        clicked_at: found.clicked_at,
        ads_consent: found.ads_consent,
        ads_policy,
        row: found.row,
    }))
}

/// The settings of the record's site (its *Ad platforms* choice is one of them).
async fn site_settings(conn: &mut AnyConnection, business: BusinessId, site: SiteId) -> StoreResult<SiteSettings> {
    sqlx::query("SELECT settings FROM sites WHERE id = $1 AND business_id = $2")
        .bind(site.0)
        .bind(business.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)
        .and_then(|row| parsed(&row, "settings", SiteSettings::from_json))
}

/// What `integration` last sent for `order_id`.
pub(crate) async fn last(pool: &AnyPool, integration: IntegrationId, order_id: &str) -> StoreResult<Option<Uploaded>> {
    let row = sqlx::query(
        "SELECT order_id, conversion_time, value_minor, currency, retracted, updated_at
         FROM ad_uploads WHERE integration_id = $1 AND order_id = $2",
    )
    .bind(integration.0)
    .bind(order_id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    let Some(row) = row else { return Ok(None) };
    let value = match (
        col::<Option<i64>>(&row, "value_minor")?,
        col::<Option<String>>(&row, "currency")?,
    ) {
        (Some(minor), Some(code)) => {
            let currency = Currency::parse(&code).map_err(corrupt)?;
            Some(ConversionValue::new(minor, currency).map_err(corrupt)?)
        }
        _ => None,
    };
    Ok(Some(Uploaded {
        order_id: col(&row, "order_id")?,
        conversion_time: time(&row, "conversion_time")?,
        value,
        retracted: col::<i64>(&row, "retracted")? == 1,
        updated_at: time(&row, "updated_at")?,
    }))
}

/// Records what `integration` just did for `uploaded.order_id`.
pub(crate) async fn record(
    pool: &AnyPool,
    business: BusinessId,
    integration: IntegrationId,
    uploaded: &Uploaded,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ad_uploads (integration_id, order_id, business_id, conversion_time, value_minor, currency,
             retracted, updated_at)
         SELECT i.id, $2, i.business_id, $4, $5, $6, $7, $8 FROM integrations i WHERE i.id = $1 AND i.business_id = $3
         ON CONFLICT (integration_id, order_id) DO UPDATE SET conversion_time = excluded.conversion_time,
             value_minor = excluded.value_minor, currency = excluded.currency, retracted = excluded.retracted,
             updated_at = excluded.updated_at",
    )
    .bind(integration.0)
    .bind(&uploaded.order_id)
    .bind(business.0)
    .bind(uploaded.conversion_time.timestamp_millis())
    .bind(uploaded.value.map(|v| v.minor))
    .bind(uploaded.value.map(|v| v.currency.code()))
    .bind(i64::from(uploaded.retracted))
    .bind(uploaded.updated_at.timestamp_millis())
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}
