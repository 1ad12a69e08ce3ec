//! Leads, submissions, activities, sales and custom fields.

mod changes;
mod events;
mod fields;
pub(crate) mod person;
mod queries;
pub(crate) mod rows;
mod submissions;

use crate::SqlStore;
use crate::errors::backend;
use async_trait::async_trait;
use leadline_core::call::Call;
use leadline_core::fields::FieldDef;
use leadline_core::form::{Attachment, MessageId, NewSubmission, StoredName, Submission};
use leadline_core::lead::{Activity, Author, Lead, LeadChange, LeadFilter, LeadPage, LeadSummary};
use leadline_core::store::{LeadStore, StoreResult};
use leadline_core::visit::Visit;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::pool::PoolConnection;

impl SqlStore {
    /// A connection of the pool, for reads that take several statements.
    async fn conn(&self) -> StoreResult<PoolConnection<sqlx::Any>> {
        self.pool.acquire().await.map_err(backend)
    }
}

#[async_trait]
impl LeadStore for SqlStore {
    async fn add_submission(&self, new: &NewSubmission) -> StoreResult<Submission> {
        let id = submissions::add(&self.pool, new, self.report_marks()).await?;
        let mut conn = self.conn().await?;
        submissions::by_id(&mut conn, id).await
    }

    async fn submission(&self, business: BusinessId, message: &MessageId) -> StoreResult<Submission> {
        let mut conn = self.conn().await?;
        submissions::by_message(&mut conn, business, message).await
    }

    async fn lead(&self, business: BusinessId, record_ref: u64) -> StoreResult<Lead> {
        let mut conn = self.conn().await?;
        queries::by_ref(&mut conn, business, record_ref).await
    }

    async fn lead_by_id(&self, business: BusinessId, id: LeadId) -> StoreResult<Lead> {
        let mut conn = self.conn().await?;
        queries::by_id(&mut conn, business, id).await
    }

    async fn lead_by_visitor(&self, site: SiteId, visitor_key: &str) -> StoreResult<Lead> {
        let mut conn = self.conn().await?;
        queries::by_visitor(&mut conn, site, visitor_key).await
    }

    async fn list_leads(&self, business: BusinessId, filter: &LeadFilter) -> StoreResult<LeadPage> {
        let mut conn = self.conn().await?;
        queries::list(&mut conn, business, filter).await
    }

    async fn lead_summary(&self, business: BusinessId, filter: &LeadFilter) -> StoreResult<LeadSummary> {
        let mut conn = self.conn().await?;
        queries::summary(&mut conn, business, filter).await
    }

    async fn change_lead(
        &self,
        business: BusinessId,
        lead: LeadId,
        author: &Author,
        change: &LeadChange,
    ) -> StoreResult<Lead> {
        changes::change(&self.pool, business, lead, author, change, self.report_marks()).await?;
        self.lead_by_id(business, lead).await
    }

    async fn lead_activities(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Activity>> {
        let mut conn = self.conn().await?;
        queries::activities(&mut conn, business, lead).await
    }

    async fn lead_submissions(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Submission>> {
        let mut conn = self.conn().await?;
        queries::check_lead(&mut conn, business, lead).await?;
        submissions::of_lead(&mut conn, business, lead).await
    }

    async fn lead_calls(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Call>> {
        let mut conn = self.conn().await?;
        queries::lead_calls(&mut conn, business, lead).await
    }

    async fn lead_visits(&self, business: BusinessId, lead: LeadId, limit: u32) -> StoreResult<Vec<Visit>> {
        let mut conn = self.conn().await?;
        queries::lead_visits(&mut conn, business, lead, limit).await
    }

    async fn attachment(&self, stored: &StoredName) -> StoreResult<Attachment> {
        let mut conn = self.conn().await?;
        submissions::attachment(&mut conn, stored).await
    }

    async fn define_field(&self, business: BusinessId, def: &FieldDef) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        fields::define(&mut conn, business, def).await
    }

    async fn fields(&self, business: BusinessId) -> StoreResult<Vec<FieldDef>> {
        let mut conn = self.conn().await?;
        fields::of_business(&mut conn, business).await
    }
}
