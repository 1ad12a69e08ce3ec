//! Call-me: a visitor leaves their number on the page, and Leadline has the provider call
//! them. It costs the business a call to a number a stranger typed, so it is guarded against
//! toll fraud before anything is placed.

use super::error::{AppError, AppResult};
use crate::app::AppState;
use crate::provider_api::OutboundCall;
use leadline_core::E164;
use leadline_core::call::{Call, CallOrigin, MatchedBy, NewCall};
use leadline_core::callme::{Refusal, check_destination};
use leadline_core::provider::{CallSid, Caller};
use leadline_core::store::{CallMeClaim, CallMeGrant, Store};
use leadline_core::tenant::{Site, TrackingNumber};
use leadline_core::visit::{Selector, VisitRef};

/// Where the provider asks for instructions when the visitor answers, and reports the end.
pub struct Callbacks {
    pub answer: String,
    pub status: String,
}

/// Calls the visitor of `visit` on `site` at `phone`, once the toll-fraud rules allow it, and
/// records the call under a new ref on the visit's lead. `callbacks` makes the provider's
/// callback URLs for the site's tracking number.
pub async fn call_visitor(
    state: &AppState,
    site: &Site,
    visit: &VisitRef,
    phone: E164,
    callbacks: impl FnOnce(&TrackingNumber) -> Callbacks,
) -> AppResult<Call> {
    state.store.visit(site.id, visit).await?;
    let number = state.store.number_for_site(site.id).await?.ok_or(AppError::NotFound)?;
    allow(state, site, visit, &phone, &number).await?;
    let urls = callbacks(&number);
    let outbound = OutboundCall {
        to: phone.as_str(),
        answer_url: &urls.answer,
        status_callback: &urls.status,
    };
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "call-me: the provider did not place the call");
        AppError::Unavailable("the call could not be placed right now: please call us instead".into())
    };
    let placed = state
        .provider_api
        .place_call(&number, &outbound)
        .await
        .map_err(|e| unavailable(&e))?;
    let sid = CallSid::parse(&placed).map_err(|e| unavailable(&e))?;
    open(state.store.as_ref(), &number, site, visit, sid, Caller::Number(phone)).await
}

/// The toll-fraud rules: the number must be a landline or mobile in a country the site calls,
/// and the visit and the site's day must have call-me calls left (taken here, atomically).
/// Each refusal is counted in `leadline_call_me_refusals`.
async fn allow(
    state: &AppState,
    site: &Site,
    visit: &VisitRef,
    phone: &E164,
    number: &TrackingNumber,
) -> AppResult<()> {
    let refused = |refusal: Refusal| {
        state.metrics.call_me_refused(refusal.reason());
        tracing::info!(reason = refusal.reason(), site = %site.key, "call-me refused");
        refusal
    };
    check_destination(phone, &site.settings.call_me_countries, &number.number)
        .map_err(|r| AppError::Invalid(refused(r).message()))?;
    let day = leadline_core::clock::now()
        .with_timezone(&site.timezone.tz())
        .format("%Y-%m-%d")
        .to_string();
    let claim = CallMeClaim {
        site: site.id,
        visit,
        day: &day,
        per_visit: site.settings.call_me_per_visit,
        per_day: site.settings.call_me_per_day,
    };
    let refusal = match state.store.claim_call_me(&claim).await? {
        CallMeGrant::Granted => return Ok(()),
        CallMeGrant::VisitCapReached => Refusal::VisitCap(claim.per_visit),
        CallMeGrant::DayCapReached => Refusal::DayCap(claim.per_day),
    };
    Err(AppError::Refused(refused(refusal).message()))
}

/// Records the call-me call (once per provider call id), on the visit's lead.
pub async fn open(
    store: &dyn Store,
    number: &TrackingNumber,
    site: &Site,
    visit: &VisitRef,
    sid: CallSid,
    phone: Caller,
) -> AppResult<Call> {
    let call = store
        .open_call(&NewCall {
            business_id: site.business_id,
            site_id: site.id,
            number_id: number.id,
            provider_call_sid: sid,
            caller: phone,
            keyed: String::new(),
            code: None,
            selector: Selector::Plain,
            extension: None,
            origin: CallOrigin {
                matched_by: MatchedBy::CallMe,
                visit: Some(visit.clone()),
                intent: None,
                source_label: None,
                confidence: None,
            },
            place: Default::default(),
        })
        .await?;
    Ok(call)
}
