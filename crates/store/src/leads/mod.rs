//! Leads, submissions, activities, sales and custom fields.

use crate::SqlStore;
use async_trait::async_trait;
use leadline_core::call::Call;
use leadline_core::fields::FieldDef;
use leadline_core::form::{Attachment, MessageId, NewSubmission, StoredName, Submission};
use leadline_core::lead::{Activity, Author, Lead, LeadChange, LeadFilter, LeadPage};
use leadline_core::store::{LeadStore, StoreResult};
use leadline_core::visit::Visit;
use leadline_core::{BusinessId, LeadId, SiteId};

// PLACEHOLDER: being implemented (issue 5); every method is replaced before this lands.
#[async_trait]
impl LeadStore for SqlStore {
    async fn add_submission(&self, _new: &NewSubmission) -> StoreResult<Submission> {
        todo!()
    }
    async fn submission(&self, _business: BusinessId, _message: &MessageId) -> StoreResult<Submission> {
        todo!()
    }
    async fn lead(&self, _business: BusinessId, _record_ref: u64) -> StoreResult<Lead> {
        todo!()
    }
    async fn lead_by_id(&self, _business: BusinessId, _id: LeadId) -> StoreResult<Lead> {
        todo!()
    }
    async fn lead_by_visitor(&self, _site: SiteId, _visitor_key: &str) -> StoreResult<Lead> {
        todo!()
    }
    async fn list_leads(&self, _business: BusinessId, _filter: &LeadFilter) -> StoreResult<LeadPage> {
        todo!()
    }
    async fn change_lead(
        &self,
        _business: BusinessId,
        _lead: LeadId,
        _author: &Author,
        _change: &LeadChange,
    ) -> StoreResult<Lead> {
        todo!()
    }
    async fn lead_activities(&self, _business: BusinessId, _lead: LeadId) -> StoreResult<Vec<Activity>> {
        todo!()
    }
    async fn lead_submissions(&self, _business: BusinessId, _lead: LeadId) -> StoreResult<Vec<Submission>> {
        todo!()
    }
    async fn lead_calls(&self, _business: BusinessId, _lead: LeadId) -> StoreResult<Vec<Call>> {
        todo!()
    }
    async fn lead_visits(&self, _business: BusinessId, _lead: LeadId, _limit: u32) -> StoreResult<Vec<Visit>> {
        todo!()
    }
    async fn attachment(&self, _stored: &StoredName) -> StoreResult<Attachment> {
        todo!()
    }
    async fn define_field(&self, _business: BusinessId, _def: &FieldDef) -> StoreResult<()> {
        todo!()
    }
    async fn fields(&self, _business: BusinessId) -> StoreResult<Vec<FieldDef>> {
        todo!()
    }
}
