//! Rows of the outbox tables, read into domain types.

use crate::SqlStore;
use crate::errors::corrupt;
use crate::rows::{col, parsed, time, time_opt};
use leadline_core::event::EventKind;
use leadline_core::outbox::{Delivery, DeliveryStatus, Integration, IntegrationConfig, IntegrationId};
use leadline_core::sealing::Column;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::any::AnyRow;

/// Columns of an integration row.
pub(crate) const INTEGRATION: &str = "id, business_id, site_id, name, config, enabled, created_at";

impl SqlStore {
    /// An integration from its row, its settings opened (they hold its secrets).
    pub(crate) fn integration(&self, row: &AnyRow) -> StoreResult<Integration> {
        let config = self.unseal(Column::IntegrationConfig, &col::<String>(row, "config")?)?;
        Ok(Integration {
            id: IntegrationId(col(row, "id")?),
            business_id: BusinessId(col(row, "business_id")?),
            site_id: col::<Option<i64>>(row, "site_id")?.map(SiteId),
            name: col(row, "name")?,
            config: IntegrationConfig::from_json(&config).map_err(corrupt)?,
            enabled: col::<i64>(row, "enabled")? != 0,
            created_at: time(row, "created_at")?,
        })
    }
}

/// The delivery columns with the event's and the integration's that a listing shows.
pub(crate) const DELIVERY: &str =
    "SELECT d.*, e.public_id AS event_public_id, e.kind AS event_kind, i.kind AS integration_kind
    FROM deliveries d JOIN events e ON e.id = d.event_id JOIN integrations i ON i.id = d.integration_id";

pub(crate) fn delivery(row: &AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: col(row, "id")?,
        business_id: BusinessId(col(row, "business_id")?),
        lead_id: col::<Option<i64>>(row, "lead_id")?.map(LeadId),
        integration_id: IntegrationId(col(row, "integration_id")?),
        integration_kind: col(row, "integration_kind")?,
        event_id: col(row, "event_public_id")?,
        event_kind: parsed(row, "event_kind", EventKind::parse)?,
        status: parsed(row, "status", DeliveryStatus::parse)?,
        attempts: u32::try_from(col::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: time(row, "next_attempt_at")?,
        last_error: col(row, "last_error")?,
        response: col(row, "response")?,
        created_at: time(row, "created_at")?,
        delivered_at: time_opt(row, "delivered_at")?,
    })
}
