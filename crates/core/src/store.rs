//! The Store traits (ports): what the domain needs from storage, one trait per aggregate.
//! Implementations live in `leadline-store`; every behaviour here is pinned down by its
//! conformance suite, run on each engine.

use crate::call::{Call, CallKey, CallReport, NewCall};
use crate::fields::FieldDef;
use crate::form::{Attachment, NewSubmission, StoredName, Submission, TempId};
use crate::lead::{Activity, Author, Lead, LeadChange, LeadFilter, LeadPage, LeadSummary};
use crate::names::Name;
use crate::names::Slug;
use crate::net::{DomainName, Email};
use crate::routing::Rule;
use crate::site::{SiteKey, SiteSettings};
use crate::source::{NewSource, Source, SourceEdit, SourceKey};
use crate::tenant::{
    ApiKey, Business, Destination, NewApiKey, NewBusiness, NewDestination, NewSite, NewTrackingNumber, NewUser,
    NumberEdit, Site, SiteEdit, StoredApiKey, TrackingNumber, User, UserCredentials,
};
use crate::visit::{CallIntent, CodePlan, LiveCode, NewVisit, PageView, PoolKey, Touch, Visit, VisitRef, VisitState};
use crate::{ApiKeyId, BusinessId, DestinationId, E164, LeadId, NumberId, SiteId, UserId};
use async_trait::async_trait;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or it belongs to another business (the two are never told apart).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule would be broken; the message says which, in words for a person.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule of the domain (checked again here, whoever called).
    #[error(transparent)]
    Invalid(#[from] crate::Invalid),
    /// The database failed or holds something unreadable.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Businesses (tenants).
#[async_trait]
pub trait BusinessStore {
    /// Creates a business; `Conflict` when the slug is taken.
    async fn create_business(&self, new: &NewBusiness) -> StoreResult<Business>;
    /// The business with this slug.
    async fn business_by_slug(&self, slug: &Slug) -> StoreResult<Business>;
    /// The business with this id.
    async fn business(&self, id: BusinessId) -> StoreResult<Business>;
    /// All businesses, oldest first.
    async fn list_businesses(&self) -> StoreResult<Vec<Business>>;
    /// Sets where the business's attachments are stored (the business's own hosting), as the
    /// server's JSON description (which may hold a bucket's secret key, kept like provider
    /// auth tokens are); `None` returns it to the server's default storage. `NotFound` for an
    /// unknown business.
    async fn set_attachment_storage(&self, business: BusinessId, storage: Option<&str>) -> StoreResult<()>;
    /// The business's own attachment storage as set, or `None` for the server's default.
    /// `NotFound` for an unknown business.
    async fn attachment_storage(&self, business: BusinessId) -> StoreResult<Option<String>>;
}

/// Owners and operators.
#[async_trait]
pub trait UserStore {
    /// Creates a user; `NotFound` for an unknown business, `Conflict` when the e-mail is
    /// taken (by any business: e-mail is the login).
    async fn create_user(&self, new: &NewUser) -> StoreResult<User>;
    /// The user with this e-mail and the stored password hash, for logging in.
    async fn user_credentials(&self, email: &Email) -> StoreResult<UserCredentials>;
    /// The members of a business, oldest first, each with their role there (and
    /// `business_id` that business).
    async fn list_users(&self, business: BusinessId) -> StoreResult<Vec<User>>;
    /// Starts a login session working in `business`: `token_hash` is the SHA-256 of the
    /// cookie's value. `NotFound` unless the user is a member of `business`.
    async fn create_session(
        &self,
        user: UserId,
        business: BusinessId,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// The user, business and role of an unexpired session whose membership still exists;
    /// `NotFound` otherwise.
    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<crate::access::SessionOf>;
    /// Ends a session (logging out); ending an unknown one is not an error.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// Sites and their domains.
#[async_trait]
pub trait SiteStore {
    /// Creates a site with its domains in one transaction; `NotFound` for an unknown
    /// business, `Conflict` naming the domain when one is already some site's.
    async fn create_site(&self, new: &NewSite) -> StoreResult<Site>;
    /// The site with this snippet key (public lookup); a removed site is `NotFound`, a
    /// disabled one is answered (with `disabled` set) for its owners to change.
    async fn site_by_key(&self, key: &SiteKey) -> StoreResult<Site>;
    /// The site that serves this domain (public lookup); a removed site has no domains.
    async fn site_by_domain(&self, domain: &DomainName) -> StoreResult<Site>;
    /// A site by id, for server-internal lookups that follow an authenticated request (a
    /// signed provider request names a number, the number its sites). Removed sites too.
    async fn site_by_id(&self, id: SiteId) -> StoreResult<Site>;
    /// A site of this business, removed ones too (their calls are still shown);
    /// `NotFound` when it is another business's.
    async fn site(&self, business: BusinessId, id: SiteId) -> StoreResult<Site>;
    /// The sites of a business that are not removed, oldest first.
    async fn list_sites(&self, business: BusinessId) -> StoreResult<Vec<Site>>;
    /// Changes a site of this business (name, domains, time zone, currency, settings) in one
    /// transaction; `NotFound` when it is another business's or removed, `Conflict` naming
    /// a domain that is another site's.
    async fn edit_site(&self, business: BusinessId, id: SiteId, edit: &SiteEdit) -> StoreResult<Site>;
    /// Disables (no visits registered) or enables again a site of this business; `NotFound`
    /// when it is another business's or removed.
    async fn set_site_disabled(&self, business: BusinessId, id: SiteId, disabled: bool) -> StoreResult<Site>;
    /// Removes a site of this business: it is kept for its calls, leads and submissions, but
    /// hidden from lists, its domains freed and its snippet key unknown. `Conflict` while a
    /// number serves it and no other site (remove the number or point it elsewhere first);
    /// a number that serves other sites too stops serving this one. `NotFound` when it is
    /// another business's or already removed.
    async fn remove_site(&self, business: BusinessId, id: SiteId) -> StoreResult<()>;
    /// Sets the hash of the site's secret (for the returning-visitor lookup), replacing any
    /// earlier one; `NotFound` when the site is another business's.
    async fn set_site_secret(&self, business: BusinessId, id: SiteId, secret_hash: &str) -> StoreResult<()>;
    /// The hash of the site's secret; `NotFound` when none was issued.
    async fn site_secret_hash(&self, id: SiteId) -> StoreResult<String>;
    /// Replaces the settings of a site of this business; `NotFound` when it is another's.
    async fn update_site_settings(
        &self,
        business: BusinessId,
        id: SiteId,
        settings: &SiteSettings,
    ) -> StoreResult<Site>;
}

/// Tracking numbers and the sites they serve.
#[async_trait]
pub trait NumberStore {
    /// Creates a number serving the given sites; `Conflict` when the number exists,
    /// `NotFound` when a site does not (or is removed). A removed number with the same E.164
    /// text is set up again (same row, so its old calls stay with it) with the new account,
    /// token and sites.
    async fn create_number(&self, new: &NewTrackingNumber) -> StoreResult<TrackingNumber>;
    /// The number with this E.164 text (the provider's `To`); a removed one is `NotFound`.
    async fn number_by_e164(&self, number: &E164) -> StoreResult<TrackingNumber>;
    /// The numbers (not removed) serving at least one site of this business.
    async fn list_numbers(&self, business: BusinessId) -> StoreResult<Vec<TrackingNumber>>;
    /// The number a site shows its visitors (its main number): the oldest one (not removed)
    /// serving it that is not in its number pool, if any.
    async fn number_for_site(&self, site: SiteId) -> StoreResult<Option<TrackingNumber>>;
    /// A number (not removed) serving a site of this business; `NotFound` otherwise.
    async fn number(&self, business: BusinessId, id: NumberId) -> StoreResult<TrackingNumber>;
    /// Changes a number of this business in one transaction: its account, its token when a
    /// new one is given, and which of the business's sites it serves (sites of other
    /// businesses stay). `NotFound` when it is not the business's or a site is not.
    async fn edit_number(&self, business: BusinessId, id: NumberId, edit: &NumberEdit) -> StoreResult<TrackingNumber>;
    /// Removes a number from this business: when it serves only this business's sites it is
    /// archived (its webhooks then answer as for an unknown number; its calls are kept),
    /// else it stops serving this business's sites. `NotFound` when it is not the business's.
    async fn remove_number(&self, business: BusinessId, id: NumberId) -> StoreResult<()>;
}

/// Visits and the extension codes they hold. Allocation is atomic per pool on every engine:
/// no two live holders ever share a code of one pool.
#[async_trait]
pub trait VisitStore {
    /// Records a new visit and its landing page; per `plan`, moves a returning visitor's live
    /// code to it or allocates the smallest free code.
    async fn register_visit(&self, new: &NewVisit, plan: CodePlan) -> StoreResult<VisitState>;
    /// Records a page view, heartbeat, variables or click on a visit of `site`, and
    /// refreshes or allocates its code per `plan`. `NotFound` for an unknown visit.
    async fn touch_visit(
        &self,
        site: SiteId,
        visit: &VisitRef,
        touch: &Touch,
        plan: CodePlan,
    ) -> StoreResult<VisitState>;
    /// A visit of `site`.
    async fn visit(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Visit>;
    /// The pages of a visit of `site`, in order.
    async fn visit_pages(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<PageView>>;
    /// The call clicks of a visit of `site`, in order.
    async fn visit_clicks(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<CallIntent>>;
    /// Who holds a live code of a pool.
    async fn live_code(&self, pool: PoolKey, code: u64) -> StoreResult<LiveCode>;
    /// Frees a live code (its call ended); `false` when it was not live.
    async fn free_code(&self, pool: PoolKey, code: u64) -> StoreResult<bool>;
    /// Writes the activity a store keeps in memory (heartbeats answered without a write);
    /// the server calls it at least every second and before it stops. Returns how many
    /// visits were written.
    async fn flush_activity(&self) -> StoreResult<u32>;
    /// Frees up to `limit` codes whose idle time had passed at `now_ms`; returns how many.
    async fn sweep_expired(&self, now_ms: i64, limit: u32) -> StoreResult<u32>;
    /// Reserves a code for an offline source, so that it is never handed to a visit.
    /// `Conflict` when the code is live or already reserved.
    async fn reserve_code(&self, pool: PoolKey, code: u64, label: &Name) -> StoreResult<()>;
    /// How many codes of `site` are live.
    async fn live_codes_of_site(&self, site: SiteId) -> StoreResult<u64>;
    /// Frees a live code only if `visit` still holds it (its call ended; meanwhile the code
    /// may have idled out and gone to someone else).
    async fn free_code_of_visit(&self, pool: PoolKey, code: u64, visit: &VisitRef) -> StoreResult<bool>;
    /// The visit a page registered with this temporary id, if any.
    async fn visit_by_temp_id(&self, site: SiteId, temp: &TempId) -> StoreResult<Option<VisitRef>>;
}

/// Operators' and departments' numbers.
#[async_trait]
pub trait DestinationStore {
    /// Creates a destination; `NotFound` for an unknown business or a user of another
    /// business, `Conflict` when the business already has this number. A removed
    /// destination with the same number is brought back with the new values, enabled.
    async fn create_destination(&self, new: &NewDestination) -> StoreResult<Destination>;
    /// The destinations of a business that are not removed (disabled ones too), oldest first.
    async fn list_destinations(&self, business: BusinessId) -> StoreResult<Vec<Destination>>;
    /// Changes a destination of `edit.business_id` (name, number, department, user);
    /// `NotFound` when it is another business's or removed, or the user is another
    /// business's; `Conflict` when another of its destinations has the number.
    async fn edit_destination(&self, id: DestinationId, edit: &NewDestination) -> StoreResult<Destination>;
    /// Disables (never rung) or enables again a destination of this business; `NotFound`
    /// when it is another business's or removed.
    async fn set_destination_disabled(
        &self,
        business: BusinessId,
        id: DestinationId,
        disabled: bool,
    ) -> StoreResult<Destination>;
    /// Removes a destination of this business: never rung, hidden from lists, kept for the
    /// calls it answered. `NotFound` when it is another business's or already removed.
    async fn remove_destination(&self, business: BusinessId, id: DestinationId) -> StoreResult<()>;
}

/// API keys, stored hashed.
#[async_trait]
pub trait ApiKeyStore {
    /// Stores a new key's hash; `NotFound` for an unknown business.
    async fn create_api_key(&self, new: &NewApiKey) -> StoreResult<ApiKey>;
    /// The live (not revoked) key with this prefix and its hash.
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<StoredApiKey>;
    /// The keys of a business, revoked ones included.
    async fn list_api_keys(&self, business: BusinessId) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key of this business; `NotFound` when it is another business's.
    async fn revoke_api_key(&self, business: BusinessId, id: ApiKeyId) -> StoreResult<()>;
}

/// Calls and the leads they belong to.
#[async_trait]
pub trait CallStore {
    /// Records a call, finding its lead (by the visit's visitor key, else the caller's number)
    /// or creating one, and giving it the business's next record ref. A retried request with
    /// the same provider call id answers the call already recorded.
    async fn open_call(&self, new: &NewCall) -> StoreResult<Call>;
    /// The call `key` names; `NotFound` also when it belongs to another number or business.
    async fn call(&self, key: CallKey<'_>) -> StoreResult<Call>;
    /// The call of this business with this record ref.
    async fn call_by_ref(&self, business: BusinessId, record_ref: u64) -> StoreResult<Call> {
        self.call(CallKey::Ref { business, record_ref }).await
    }
    /// Merges a report into the call `key` names: known values are kept, never erased, and an
    /// ended call never becomes live again. `NotFound`, and nothing changed, for a call of
    /// another number or business.
    async fn report_call(&self, key: CallKey<'_>, report: &CallReport) -> StoreResult<Call>;
    /// The business's most recent calls, newest first.
    async fn recent_calls(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<Call>>;
    /// The visit of this caller's most recent call with a visit on the site since `since_ms`.
    async fn recent_visit_of_caller(&self, site: SiteId, caller: &str, since_ms: i64) -> StoreResult<Option<VisitRef>>;
    /// The visit of this caller's latest call on the site since `since_ms` keying `code` in `pool`.
    async fn redial_visit(
        &self,
        site: SiteId,
        caller: &str,
        pool: PoolKey,
        code: u64,
        since_ms: i64,
    ) -> StoreResult<Option<VisitRef>>;
    /// The site and last visit of `code` in `pool` if freed since `since_ms` and unheld since.
    async fn rested_code(&self, pool: PoolKey, code: u64, since_ms: i64) -> StoreResult<Option<(SiteId, VisitRef)>>;
    /// The visitors of the number's sites who clicked a call element or `tel:` link at or after
    /// `since_ms` and have not called since, latest click first; two at most.
    async fn pending_clicks(&self, number: NumberId, since_ms: i64) -> StoreResult<Vec<crate::matching::PendingClick>>;
    /// The label of a reserved code, if the code is reserved.
    async fn reserved_label(&self, pool: PoolKey, code: u64) -> StoreResult<Option<String>>;
    /// The smallest and largest code (live or reserved) of the number's plain and star pools.
    async fn keyable_code_spans(&self, number: NumberId) -> StoreResult<CodeSpans>;
    /// Takes one call-me call from the visit's and the site's daily allowance, atomically:
    /// `Granted` (and counted), or which cap is reached (and nothing counted).
    async fn claim_call_me(&self, claim: &CallMeClaim<'_>) -> StoreResult<CallMeGrant>;
}

/// The code spans of a number's two pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeSpans {
    pub plain: Option<crate::keypad::CodeSpan>,
    pub star: Option<crate::keypad::CodeSpan>,
}

/// A call-me request counted against its caps.
#[derive(Debug, Clone, Copy)]
pub struct CallMeClaim<'a> {
    pub site: SiteId,
    pub visit: &'a VisitRef,
    /// The site's local date, `YYYY-MM-DD`.
    pub day: &'a str,
    pub per_visit: u32,
    pub per_day: u32,
}

/// The answer to a [`CallMeClaim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMeGrant {
    Granted,
    VisitCapReached,
    DayCapReached,
}

/// Offline and foreign-domain sources.
#[async_trait]
pub trait SourceStore {
    /// Creates a source; with a reserved code, reserves it in `pool` in the same transaction
    /// (`Conflict` when the code is live or already reserved).
    async fn create_source(&self, new: &NewSource, pool: Option<PoolKey>) -> StoreResult<Source>;
    /// The source with this public key; a removed one is `NotFound`.
    async fn source_by_key(&self, key: &SourceKey) -> StoreResult<Source>;
    /// The sources of a business that are not removed, oldest first.
    async fn list_sources(&self, business: BusinessId) -> StoreResult<Vec<Source>>;
    /// Changes a source of this business (name, domain, UTM fields); its key, site and
    /// reserved code stay, and the reserved code's label follows the new name. `NotFound` when
    /// it is another business's or removed.
    async fn edit_source(&self, business: BusinessId, key: &SourceKey, edit: &SourceEdit) -> StoreResult<Source>;
    /// Removes a source of this business: hidden from lists, its link unknown, its reserved
    /// code given back to its pool (free again after the pool's quarantine); the calls and
    /// visits it brought keep their attribution. `NotFound` when it is another business's or
    /// already removed.
    async fn remove_source(&self, business: BusinessId, key: &SourceKey) -> StoreResult<()>;
}

/// Per-site routing rules.
#[async_trait]
pub trait RoutingStore {
    /// Appends a rule to the site's list; `NotFound` when the site is another business's.
    async fn add_routing_rule(&self, business: BusinessId, site: SiteId, rule: &Rule) -> StoreResult<()>;
    /// The site's rules, in the order they are tried.
    async fn routing_rules(&self, site: SiteId) -> StoreResult<Vec<Rule>>;
    /// The rules of a site of the business, in order, with their ids; `NotFound` when the
    /// site is another business's.
    async fn site_routing_rules(
        &self,
        business: BusinessId,
        site: SiteId,
    ) -> StoreResult<Vec<crate::routing::StoredRule>>;
    /// A rule of the business, with its site; `NotFound` for another business's.
    async fn routing_rule(&self, business: BusinessId, id: i64) -> StoreResult<crate::routing::StoredRule>;
    /// Replaces a rule of the business (conditions, destinations, in turn or at once) where it
    /// stands in its site's order; `NotFound` for another business's.
    async fn edit_routing_rule(&self, business: BusinessId, id: i64, rule: &Rule) -> StoreResult<()>;
    /// Removes a rule of the business; `NotFound` for another business's.
    async fn remove_routing_rule(&self, business: BusinessId, id: i64) -> StoreResult<()>;
    /// Swaps a rule of the business with its neighbour in the site's order (nothing at either
    /// end); `NotFound` for another business's.
    async fn move_routing_rule(
        &self,
        business: BusinessId,
        id: i64,
        direction: crate::routing::Move,
    ) -> StoreResult<()>;
}

/// Leads, their submissions, activities and sales. Every lookup is scoped to a business:
/// another business's lead is `NotFound`, exactly like a missing one.
#[async_trait]
pub trait LeadStore {
    /// Records a submission on its lead in one transaction. The lead is the one of the
    /// visit's visitor key (or the key the form carried when the visit is unknown), else of
    /// the e-mail, else of the phone, else a new one; contact details it lacks are filled in.
    async fn add_submission(&self, new: &NewSubmission) -> StoreResult<Submission>;
    /// The submission with this message id.
    async fn submission(&self, business: BusinessId, message: &crate::form::MessageId) -> StoreResult<Submission>;
    /// The lead with this record ref, or the lead of the call with this ref.
    async fn lead(&self, business: BusinessId, record_ref: u64) -> StoreResult<Lead>;
    /// A lead by id.
    async fn lead_by_id(&self, business: BusinessId, id: LeadId) -> StoreResult<Lead>;
    /// The lead of a visitor key among the leads of the site's business.
    async fn lead_by_visitor(&self, site: SiteId, visitor_key: &str) -> StoreResult<Lead>;
    /// One page of the business's leads, newest first.
    async fn list_leads(&self, business: BusinessId, filter: &LeadFilter) -> StoreResult<LeadPage>;
    /// The count and the per-currency sales totals of every lead the filter finds (all its
    /// pages: the cursor and the limit are ignored).
    async fn lead_summary(&self, business: BusinessId, filter: &LeadFilter) -> StoreResult<LeadSummary>;
    /// Applies a change and records it as an activity by `author`, in one transaction.
    /// Custom fields are checked against the business's definitions; a sale's `call_ref`
    /// must name a call of this lead. Returns the lead as changed.
    async fn change_lead(
        &self,
        business: BusinessId,
        lead: LeadId,
        author: &Author,
        change: &LeadChange,
    ) -> StoreResult<Lead>;
    /// The lead's activities, oldest first.
    async fn lead_activities(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Activity>>;
    /// The lead's submissions with their attachments, oldest first.
    async fn lead_submissions(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Submission>>;
    /// The lead's calls, oldest first.
    async fn lead_calls(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<Call>>;
    /// The visits of the lead (its visitor key's, and those its calls and submissions came
    /// from), oldest first, at most `limit`.
    async fn lead_visits(&self, business: BusinessId, lead: LeadId, limit: u32) -> StoreResult<Vec<Visit>>;
    /// The attachment stored under this name, whichever business it belongs to (the caller
    /// has proved the right to it with a signed link or checks `business_id` itself).
    async fn attachment(&self, stored: &StoredName) -> StoreResult<Attachment>;
    /// Defines a custom field; `Conflict` when the name is taken.
    async fn define_field(&self, business: BusinessId, def: &FieldDef) -> StoreResult<()>;
    /// The business's custom fields, in the order they were defined.
    async fn fields(&self, business: BusinessId) -> StoreResult<Vec<FieldDef>>;
}

/// The outbox: integrations, and the deliveries of events to them. Events are recorded by
/// the other stores inside the transaction of the change that causes them; one delivery per
/// subscribed, enabled integration of the business (and site) is written with the event.
#[async_trait]
pub trait OutboxStore {
    /// Creates an integration; `NotFound` when the site is not the business's.
    async fn add_integration(&self, new: &crate::outbox::NewIntegration) -> StoreResult<crate::outbox::Integration>;
    /// The business's integrations, oldest first.
    async fn integrations(&self, business: BusinessId) -> StoreResult<Vec<crate::outbox::Integration>>;
    /// Changes an integration of the business (its name, site and settings; its kind stays):
    /// the deliveries queued go out with the new settings. `NotFound` for another business's
    /// integration or site.
    async fn edit_integration(
        &self,
        id: crate::outbox::IntegrationId,
        changed: &crate::outbox::NewIntegration,
    ) -> StoreResult<crate::outbox::Integration>;
    /// Removes an integration of the business with its deliveries, CRM ids and pull cursor
    /// (its secrets go with it; the events stay). `NotFound` for another business's.
    async fn remove_integration(&self, business: BusinessId, id: crate::outbox::IntegrationId) -> StoreResult<()>;
    /// Turns an integration on or off (off: no new deliveries; pending ones wait).
    async fn set_integration_enabled(
        &self,
        business: BusinessId,
        id: crate::outbox::IntegrationId,
        enabled: bool,
    ) -> StoreResult<()>;
    /// Claims up to `limit` due deliveries (pending, or in flight with an expired lease) for
    /// `lease_ms`, counting the attempt; several workers never claim the same row
    /// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite). Each comes with
    /// its event assembled from the current rows.
    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<crate::outbox::ClaimedDelivery>>;
    /// Records an attempt's outcome; ignored (`Ok(false)`) when the lease token is no longer
    /// the row's (another worker took it over after the lease ran out).
    async fn finish_delivery(
        &self,
        id: i64,
        lease_token: &str,
        outcome: &crate::outbox::DeliveryOutcome,
    ) -> StoreResult<bool>;
    /// Deliveries, newest first: of one business (or all, for operators of the install),
    /// optionally only in one status.
    async fn list_deliveries(
        &self,
        business: Option<BusinessId>,
        status: Option<crate::outbox::DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<crate::outbox::Delivery>>;
    /// The deliveries of a lead's events, oldest first.
    async fn lead_deliveries(&self, business: BusinessId, lead: LeadId) -> StoreResult<Vec<crate::outbox::Delivery>>;
    /// Makes a dead (or pending) delivery due now with its attempts reset; `NotFound` when it
    /// is not the business's (any business's when `None`).
    async fn retry_delivery(&self, business: Option<BusinessId>, id: i64, now_ms: i64) -> StoreResult<()>;
    /// How many deliveries are in each status, for `/metrics`.
    async fn delivery_counts(&self) -> StoreResult<Vec<(crate::outbox::DeliveryStatus, u64)>>;
    /// The id a lead has in an integration's system (a Salesforce Lead id, a HubSpot contact id).
    async fn external_id(&self, integration: crate::outbox::IntegrationId, lead: LeadId)
    -> StoreResult<Option<String>>;
    /// Remembers the id a lead has in an integration's system.
    async fn set_external_id(
        &self,
        integration: crate::outbox::IntegrationId,
        lead: LeadId,
        external_id: &str,
    ) -> StoreResult<()>;
    /// The lead with this id in an integration's system.
    async fn lead_by_external_id(
        &self,
        integration: crate::outbox::IntegrationId,
        external_id: &str,
    ) -> StoreResult<LeadId>;
    /// Where the last pull from an integration's system stopped.
    async fn pull_cursor(&self, integration: crate::outbox::IntegrationId) -> StoreResult<Option<String>>;
    /// Remembers where a pull stopped.
    async fn set_pull_cursor(&self, integration: crate::outbox::IntegrationId, cursor: &str) -> StoreResult<()>;
    /// Every enabled integration of every business, for the pullers.
    async fn all_integrations(&self) -> StoreResult<Vec<crate::outbox::Integration>>;
}

/// Connection pool figures for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The pool's upper bound.
    pub max: u32,
}

/// Liveness of the storage itself.
#[async_trait]
pub trait HealthStore {
    /// Runs a trivial query; fails when the database does not answer.
    async fn ping(&self) -> StoreResult<()>;
    /// The pool's current figures.
    fn pool_stats(&self) -> PoolStats;
    /// The engine's name (`sqlite` or `postgres`).
    fn engine(&self) -> &'static str;
}

/// Everything the server needs from storage.
pub trait Store:
    BusinessStore
    + UserStore
    + SiteStore
    + NumberStore
    + DestinationStore
    + ApiKeyStore
    + VisitStore
    + CallStore
    + SourceStore
    + RoutingStore
    + LeadStore
    + OutboxStore
    + crate::conversion::ConversionStore
    + crate::interaction::InteractionStore
    + crate::access::AccessStore
    + crate::provider_account::ProviderAccountStore
    + crate::report::ReportStore
    + crate::heatmap::HeatmapStore
    + crate::capacity::CapacityStore
    + crate::adgroup::AdGroupStore
    + crate::retention::RetentionStore
    + crate::erasure::ErasureStore
    + crate::sender_auth::SenderAuthStore
    + crate::spam::SpamStore
    + crate::web_push::WebPushStore
    + crate::audit::AuditStore
    + crate::alerts::AlertStore
    + crate::transcript::TranscriptStore
    + crate::speech_rules::SpeechRuleStore
    + crate::number_pool::NumberPoolStore
    + HealthStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: BusinessStore
        + UserStore
        + SiteStore
        + NumberStore
        + DestinationStore
        + ApiKeyStore
        + VisitStore
        + CallStore
        + SourceStore
        + RoutingStore
        + LeadStore
        + OutboxStore
        + crate::conversion::ConversionStore
        + crate::interaction::InteractionStore
        + crate::access::AccessStore
        + crate::provider_account::ProviderAccountStore
        + crate::report::ReportStore
        + crate::heatmap::HeatmapStore
        + crate::capacity::CapacityStore
        + crate::adgroup::AdGroupStore
        + crate::retention::RetentionStore
        + crate::erasure::ErasureStore
        + crate::sender_auth::SenderAuthStore
        + crate::spam::SpamStore
        + crate::web_push::WebPushStore
        + crate::audit::AuditStore
        + crate::alerts::AlertStore
        + crate::transcript::TranscriptStore
        + crate::speech_rules::SpeechRuleStore
        + crate::number_pool::NumberPoolStore
        + HealthStore
        + Send
        + Sync
        + 'static
{
}
