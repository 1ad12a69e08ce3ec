//! The operator's pages: a lead with its timeline, where a note, a status
//! change or a sale is recorded as an activity by the logged-in user.

use super::lead_form::Edit;
use super::session::{Operator, Owner};
use super::shell::{Header, Section, local_time};
use super::view::{self, Entry, render};
use crate::app::AppError;
use crate::app::AppState;
use crate::app::conversions::{self, MarkInput};
use crate::app::leads;
use crate::app::sales::{Cost, SaleRequest, new_sale};
use crate::web::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::conversion::ConversionRecord;
use leadline_core::form::MessageId;
use leadline_core::lead::{Author, Lead, LeadChange, LeadStatus};
use leadline_core::tenant::Site;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    lead_ref: u64,
    header: Header,
    /// The lead's site, whose time zone every time is shown in.
    site: Option<Site>,
    name: Option<String>,
    status: &'static str,
    /// (status, whether it is the lead's).
    statuses: Vec<(&'static str, bool)>,
    details: Vec<(&'static str, String)>,
    totals: Vec<String>,
    currency: String,
    csrf: String,
    error: Option<String>,
    /// What the last action did ("Call 1042 marked as an ad conversion").
    notice: Option<String>,
    timeline: Vec<Entry>,
    /// The lead's calls and forms: (value of the sale's "for", label, timeline anchor).
    records: Vec<(String, String, String)>,
    /// The contact, custom field and tag forms.
    edit: Edit,
    /// (target, event, status, attempts, last error) of each delivery of the lead's events.
    deliveries: Vec<(String, &'static str, &'static str, u32, String)>,
    /// The user is an owner: the person's data export and erasure are offered.
    owner: bool,
    /// The person's erasure, when they were erased.
    erasure: Option<super::erasure_view::ErasureView>,
}

/// What the page shows besides the lead: the reason a change was refused, what the last
/// action did, and the edit forms as typed when an edit was refused.
#[derive(Default)]
pub struct View {
    error: Option<String>,
    notice: Option<String>,
    edit: Option<Edit>,
}

impl View {
    /// The page after an edit was refused: the forms as typed, the reason next to the field.
    pub fn refused_edit(edit: Edit) -> Self {
        Self {
            edit: Some(edit),
            ..Self::default()
        }
    }
}

/// The business's lead with this ref (or the lead of its call with it); 404 for any other.
pub async fn lead_of(state: &AppState, operator: &Operator, record_ref: &str) -> Result<Lead, ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    Ok(state.store.lead(operator.business, record_ref).await?)
}

/// The site whose currency and call rate a lead's money uses: its own, else the business's first.
async fn site_of(state: &AppState, lead: &Lead) -> Result<Option<Site>, ApiError> {
    if let Some(site) = lead.site_id {
        return Ok(Some(state.store.site(lead.business_id, site).await?));
    }
    Ok(state.store.list_sites(lead.business_id).await?.into_iter().next())
}

pub(super) async fn render_lead(
    state: &AppState,
    operator: &Operator,
    lead: &Lead,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let view = View {
        error,
        ..View::default()
    };
    render_page(state, operator, lead, view).await
}

/// The lead's page; 400 when it shows a refusal.
pub async fn render_page(state: &AppState, operator: &Operator, lead: &Lead, view: View) -> Result<Response, ApiError> {
    let View { error, notice, edit } = view;
    let refused = error.is_some() || edit.as_ref().is_some_and(|e| e.problem.is_some());
    let edit = match edit {
        Some(edit) => edit,
        None => Edit::of(lead, &state.store.fields(lead.business_id).await?),
    };
    let timeline = view::timeline(state, lead).await?;
    let site = site_of(state, lead).await?;
    let c = &lead.contact;
    let mut details = Vec::new();
    details.extend(c.email.as_ref().map(|e| ("E-mail", e.as_str().to_owned())));
    details.extend(c.phone.as_ref().map(|p| ("Phone", p.as_str().to_owned())));
    details.extend(c.company.clone().map(|co| ("Company", co)));
    details.extend(lead.source.clone().map(|s| ("Source", s)));
    if !lead.tags.is_empty() {
        details.push(("Tags", lead.tags.join(", ")));
    }
    details.push(("First seen", local_time(lead.created_at, site.as_ref())));
    let erasure = state
        .store
        .erasure_of(lead.business_id, lead.record_ref)
        .await?
        .map(|e| super::erasure_view::ErasureView::of(&e, site.as_ref()));
    let page = LeadPage {
        erasure,
        lead_ref: lead.record_ref,
        header: Header::of(state, operator, Section::Leads).await?,
        name: c.name.clone(),
        status: lead.status.as_str(),
        statuses: leads::choosable_statuses()
            .map(|s| (s.as_str(), s == lead.status))
            .collect(),
        details,
        totals: view::totals(lead),
        currency: site
            .as_ref()
            .map(|s| s.currency.code().to_owned())
            .unwrap_or_else(|| "USD".into()),
        csrf: operator.csrf.clone(),
        owner: operator.role == leadline_core::tenant::Role::Owner,
        records: view::records(&timeline, site.as_ref()),
        timeline,
        edit,
        site,
        deliveries: state
            .store
            .lead_deliveries(lead.business_id, lead.id)
            .await?
            .into_iter()
            .map(|d| {
                (
                    d.integration_kind,
                    d.event_kind.as_str(),
                    d.status.as_str(),
                    d.attempts,
                    d.last_error.unwrap_or_default(),
                )
            })
            .collect(),
        error,
        notice,
    };
    let status = if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /app/leads/{ref}`: a lead of the operator's business (404 for any other).
pub async fn show_lead(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
) -> Result<Response, ApiError> {
    let lead = lead_of(&state, &operator, &record_ref).await?;
    render_lead(&state, &operator, &lead, None).await
}

/// A note's form.
#[derive(Deserialize)]
pub struct NoteForm {
    csrf: String,
    text: String,
}

/// A status change's form.
#[derive(Deserialize)]
pub struct StatusForm {
    csrf: String,
    status: String,
}

/// A sale's form: amounts as people write them.
#[derive(Deserialize)]
pub struct SaleForm {
    csrf: String,
    revenue: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    cost_from_calls: Option<String>,
    #[serde(default)]
    profit: String,
    /// `call:REF` or `form:MESSAGE_ID`: the call or form the sale came from; blank for none.
    #[serde(default, rename = "for")]
    sale_for: String,
}

/// Shows the lead again after a change was made, or the page with the reason it was refused
/// (nothing changed); other failures are the page's error.
pub(super) async fn after(
    state: &AppState,
    operator: &Operator,
    lead: &Lead,
    outcome: Result<Option<String>, AppError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(None) => Ok(Redirect::to(&format!("/app/leads/{}", lead.record_ref)).into_response()),
        Ok(Some(notice)) => {
            let view = View {
                notice: Some(notice),
                ..View::default()
            };
            render_page(state, operator, lead, view).await
        }
        Err(AppError::Invalid(reason) | AppError::Conflict(reason) | AppError::Refused(reason)) => {
            render_lead(state, operator, lead, Some(reason)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Applies an operator's change through the one lead use case.
async fn apply(state: &AppState, operator: &Operator, lead: &Lead, change: LeadChange) -> Result<Response, ApiError> {
    let author = Author::user(&operator.user.email);
    let outcome = leads::change_lead(state.store.as_ref(), lead, &author, &change).await;
    after(state, operator, lead, outcome.map(|_| None)).await
}

/// `POST /app/leads/{ref}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let lead = lead_of(&state, &operator, &record_ref).await?;
    apply(&state, &operator, &lead, LeadChange::Note(form.text.trim().to_owned())).await
}

/// `POST /app/leads/{ref}/status`.
pub async fn change_status(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let lead = lead_of(&state, &operator, &record_ref).await?;
    match LeadStatus::parse(&form.status) {
        Ok(status) => apply(&state, &operator, &lead, LeadChange::Status(status)).await,
        Err(e) => render_lead(&state, &operator, &lead, Some(e.to_string())).await,
    }
}

/// `POST /app/leads/{ref}/sales`.
pub async fn record_sale(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SaleForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let lead = lead_of(&state, &operator, &record_ref).await?;
    let request = match sale_request(&form) {
        Ok(request) => request,
        Err(reason) => return render_lead(&state, &operator, &lead, Some(reason)).await,
    };
    match new_sale(state.store.as_ref(), &lead, &request).await {
        Ok(sale) => apply(&state, &operator, &lead, LeadChange::Sale(sale)).await,
        Err(refused) => after(&state, &operator, &lead, Err(refused)).await,
    }
}

/// The form as a sale request: the same rules and the same words when refused as the API's.
fn sale_request(form: &SaleForm) -> Result<SaleRequest, String> {
    let text = |t: &str| (!t.trim().is_empty()).then(|| t.to_owned());
    let cost = match (text(&form.cost), form.cost_from_calls.is_some()) {
        (Some(cost), _) => Cost::Given(cost),
        (None, true) => Cost::FromCalls,
        (None, false) => Cost::None,
    };
    let (call, sale_form) = match form.sale_for.trim().split_once(':') {
        None if form.sale_for.trim().is_empty() => (None, None),
        Some(("call", r)) => (
            Some(r.parse().map_err(|_| format!("call {r} is not a call of this lead"))?),
            None,
        ),
        Some(("form", m)) => (None, Some(MessageId::parse(m).map_err(|e| e.to_string())?)),
        _ => return Err(format!("'{}' is not one of this lead's calls or forms", form.sale_for)),
    };
    Ok(SaleRequest {
        revenue: form.revenue.clone(),
        cost,
        profit: text(&form.profit),
        currency: None,
        call,
        form: sale_form,
    })
}

/// A conversion mark's form: `record` is `call:REF` or `submission:MESSAGE_ID`.
#[derive(Deserialize)]
pub struct ConversionForm {
    csrf: String,
    record: String,
    #[serde(default)]
    name: String,
}

/// `POST /app/leads/{ref}/conversions`: marks one of the lead's calls or forms as a
/// conversion for the ad platforms' offline imports (its value comes from the lead's sales).
pub async fn mark_conversion(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ConversionForm>,
) -> Result<Response, ApiError> {
    operator.check_post(&state, &headers, &form.csrf)?;
    let lead = lead_of(&state, &operator, &record_ref).await?;
    let author = Author::user(&operator.user.email);
    let record = match form.record.split_once(':') {
        Some(("call", r)) => r.parse().map(|record_ref| ConversionRecord::Call { record_ref }).ok(),
        Some(("submission", m)) => MessageId::parse(m)
            .ok()
            .map(|message_id| ConversionRecord::Submission { message_id }),
        _ => None,
    };
    let Some(record) = record else {
        return render_lead(&state, &operator, &lead, Some("that record cannot be marked".into())).await;
    };
    let input = MarkInput {
        name: Some(form.name.trim()).filter(|n| !n.is_empty()),
        ..MarkInput::default()
    };
    // Only the lead's own records: a ref or message id of another lead is not found.
    let marked = conversions::mark_on_lead(state.store.as_ref(), &lead, &record, &input, &author).await;
    let notice = marked.map(|marked| {
        let what = match &record {
            ConversionRecord::Call { record_ref } => format!("Call {record_ref}"),
            ConversionRecord::Submission { .. } => "The form".to_owned(),
        };
        Some(format!(
            "{what} is marked as the ad conversion \"{}\".",
            marked.name.as_str()
        ))
    });
    after(&state, &operator, &lead, notice).await
}

/// `GET /app/attachments/{name}`: a file of a submission of the operator's business.
pub async fn attachment(State(state): State<AppState>, operator: Operator, Path(name): Path<String>) -> Response {
    crate::http::attachments::download(&state, operator.business, &name).await
}

/// `GET /app/`: Activity (the first section of the application).
pub async fn home(_operator: Operator) -> Redirect {
    Redirect::to("/app/activity")
}

/// `GET /app/leads/{ref}/export`: everything Leadline keeps on the lead's person, as one ZIP
/// (owners only: it answers a data subject's request).
pub async fn export_person(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(record_ref): Path<String>,
) -> Result<Response, ApiError> {
    let record_ref: u64 = record_ref.parse().map_err(|_| ApiError::NotFound)?;
    let lead = leads::find_lead(state.store.as_ref(), owner.business, record_ref).await?;
    crate::http::leads::person_zip_response(&state, owner.business, &lead).await
}
