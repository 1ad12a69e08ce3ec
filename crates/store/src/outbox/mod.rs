//! The outbox in SQL. PLACEHOLDER (issue 6): the bodies are being written.

use crate::SqlStore;
use async_trait::async_trait;
use leadline_core::outbox::{
    ClaimedDelivery, Delivery, DeliveryOutcome, DeliveryStatus, Integration, IntegrationId, NewIntegration,
};
use leadline_core::store::{OutboxStore, StoreResult};
use leadline_core::{BusinessId, LeadId};

#[async_trait]
impl OutboxStore for SqlStore {
    async fn add_integration(&self, _new: &NewIntegration) -> StoreResult<Integration> {
        todo!()
    }
    async fn integrations(&self, _business: BusinessId) -> StoreResult<Vec<Integration>> {
        todo!()
    }
    async fn set_integration_enabled(
        &self,
        _business: BusinessId,
        _id: IntegrationId,
        _enabled: bool,
    ) -> StoreResult<()> {
        todo!()
    }
    async fn claim_deliveries(&self, _now_ms: i64, _lease_ms: i64, _limit: u32) -> StoreResult<Vec<ClaimedDelivery>> {
        todo!()
    }
    async fn finish_delivery(&self, _id: i64, _lease_token: &str, _outcome: &DeliveryOutcome) -> StoreResult<bool> {
        todo!()
    }
    async fn list_deliveries(
        &self,
        _business: Option<BusinessId>,
        _status: Option<DeliveryStatus>,
        _limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        todo!()
    }
    async fn lead_deliveries(&self, _business: BusinessId, _lead: LeadId) -> StoreResult<Vec<Delivery>> {
        todo!()
    }
    async fn retry_delivery(&self, _business: Option<BusinessId>, _id: i64, _now_ms: i64) -> StoreResult<()> {
        todo!()
    }
    async fn delivery_counts(&self) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        todo!()
    }
    async fn external_id(&self, _integration: IntegrationId, _lead: LeadId) -> StoreResult<Option<String>> {
        todo!()
    }
    async fn set_external_id(&self, _integration: IntegrationId, _lead: LeadId, _external_id: &str) -> StoreResult<()> {
        todo!()
    }
    async fn lead_by_external_id(&self, _integration: IntegrationId, _external_id: &str) -> StoreResult<LeadId> {
        todo!()
    }
    async fn pull_cursor(&self, _integration: IntegrationId) -> StoreResult<Option<String>> {
        todo!()
    }
    async fn set_pull_cursor(&self, _integration: IntegrationId, _cursor: &str) -> StoreResult<()> {
        todo!()
    }
    async fn all_integrations(&self) -> StoreResult<Vec<Integration>> {
        todo!()
    }
}
