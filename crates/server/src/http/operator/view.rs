//! What an operator sees of a lead: its details and one timeline of visits (with their
//! pages), calls, submissions (with download links) and activities, oldest first.

use crate::app::AppState;
use crate::web::error::ApiError;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use leadline_core::call::Call;
use leadline_core::form::Submission;
use leadline_core::lead::{Activity, Lead};
use leadline_core::money::{format_minor, minor_digits};
use leadline_core::provider::WebLink;
use leadline_core::spam::SpamMark;
use leadline_core::store::Store;
use leadline_core::tenant::Site;

/// A page rendered from its template, or a 500 when rendering fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(e.into()).into_response(),
    }
}

/// One entry of the timeline.
pub struct Entry {
    /// The entry's `id` in the page, for links to it (`call-1042`, `form-m_…`, `activity-7`).
    pub anchor: String,
    pub at: DateTime<Utc>,
    /// `visit`, `call`, `submission` or the activity's kind.
    pub kind: &'static str,
    pub title: String,
    pub lines: Vec<String>,
    /// (label, href) pairs, e.g. attachments and recordings.
    pub links: Vec<(String, String)>,
    /// For calls and submissions: the record to mark as an ad conversion
    /// (`call:1042` or `submission:m_…`).
    pub conversion: Option<String>,
    /// For calls: the ref and whether the call is flagged spam (the *Spam* / *Not spam* form).
    pub spam: Option<(u64, bool)>,
    /// For a recorded call: the player's source (the signed link).
    pub player: Option<String>,
    /// For a transcribed call: its transcript.
    pub transcript: Option<super::transcript_view::TranscriptView>,
}

impl Entry {
    /// The time, as shown: in the zone of the lead's site.
    pub fn when(&self, site: Option<&Site>) -> String {
        super::shell::local_time(self.at, site)
    }
}

/// The whole timeline of a lead.
pub async fn timeline(state: &AppState, lead: &Lead) -> Result<Vec<Entry>, ApiError> {
    let store: &dyn Store = state.store.as_ref();
    let (business, id) = (lead.business_id, lead.id);
    let mut entries = Vec::new();
    for (n, visit) in store.lead_visits(business, id, 50).await?.into_iter().enumerate() {
        let pages = store.visit_pages(visit.site_id, &visit.public_id).await?;
        let a = &visit.attribution;
        let mut lines = vec![format!("Landed on {}", visit.landing_url)];
        lines.extend(a.term.as_ref().map(|t| format!("Keyword: {t}")));
        lines.extend(a.campaign.as_ref().map(|c| format!("Campaign: {c}")));
        lines.extend(pages.iter().skip(1).map(|p| format!("Then {}", p.url)));
        entries.push(Entry {
            anchor: format!("visit-{}", n + 1),
            at: visit.started_at,
            kind: "visit",
            title: format!("Visit from {} / {}", a.source, a.medium),
            lines,
            links: Vec::new(),
            conversion: None,
            spam: None,
            player: None,
            transcript: None,
        });
    }
    for call in store.lead_calls(business, id).await? {
        let mut entry = call_entry(state, &call);
        entry.player = entry.links.first().map(|(_, href)| href.clone());
        entry.transcript = super::transcript_view::of_call(store, business, call.record_ref).await?;
        entries.push(entry);
    }
    for submission in store.lead_submissions(business, id).await? {
        entries.push(submission_entry(&submission));
    }
    entries.extend(store.lead_activities(business, id).await?.iter().map(activity_entry));
    entries.sort_by_key(|e| e.at);
    link_sales_to_their_records(&mut entries);
    Ok(entries)
}

/// Gives each call and form a link to the sales recorded for it (each sale already links to
/// its call or form).
fn link_sales_to_their_records(entries: &mut [Entry]) {
    let sales: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.kind == "sale")
        .filter_map(|e| {
            let target = e.links.iter().find(|(_, href)| href.starts_with('#'))?;
            Some((target.1.clone(), e.anchor.clone()))
        })
        .collect();
    for (target, sale) in sales {
        if let Some(entry) = entries.iter_mut().find(|e| format!("#{}", e.anchor) == target) {
            entry
                .links
                .push(("Sale recorded for it".to_owned(), format!("#{sale}")));
        }
    }
}

/// The lead's calls and forms, for the sale's "for" choice and the links to them: (value,
/// label, anchor).
pub fn records(entries: &[Entry], site: Option<&Site>) -> Vec<(String, String, String)> {
    entries
        .iter()
        .filter_map(|e| {
            let value = match e.conversion.as_deref()?.split_once(':')? {
                ("call", r) => format!("call:{r}"),
                ("submission", m) => format!("form:{m}"),
                _ => return None,
            };
            let what = if e.kind == "call" {
                e.title.clone()
            } else {
                "Form".to_owned()
            };
            Some((value, format!("{what} · {}", e.when(site)), e.anchor.clone()))
        })
        .collect()
}

fn call_entry(state: &AppState, call: &Call) -> Entry {
    let confidence = call
        .origin
        .confidence
        .map(|c| format!(" ({c}% likely)"))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "From {} · matched by {}{confidence}",
        call.caller,
        call.origin.matched_by.as_str()
    )];
    lines.extend(call.outcome.map(|o| format!("Outcome: {}", o.as_str())));
    lines.extend(match (&call.answered_by_name, &call.answered_by) {
        (Some(name), Some(number)) => Some(format!("Answered by {name} ({number})")),
        (None, Some(number)) => Some(format!("Answered by {number}")),
        _ => None,
    });
    lines.extend(call.duration_seconds.map(|d| format!("Talked {d} s")));
    lines.extend(SpamMark::reason(call.spam).map(|r| format!("Spam: {}", r.label())));
    Entry {
        anchor: format!("call-{}", call.record_ref),
        at: call.started_at,
        kind: "call",
        title: format!("Call {}", call.record_ref),
        lines,
        // Played through Leadline, never from the provider's URL; a stored link is offered only
        // if it is still an http(s) link (rows written before links were checked could hold
        // any scheme).
        links: call
            .recording_url
            .iter()
            .filter(|url| WebLink::parse(url).is_ok())
            .map(|_| {
                let link = super::activity::row::recording_link(state, call.business_id, call.record_ref);
                ("Recording".to_owned(), link)
            })
            .collect(),
        conversion: Some(format!("call:{}", call.record_ref)),
        spam: Some((call.record_ref, SpamMark::is_spam(call.spam))),
        player: None,
        transcript: None,
    }
}

fn submission_entry(submission: &Submission) -> Entry {
    Entry {
        anchor: format!("form-{}", submission.message_id.as_str()),
        at: submission.created_at,
        kind: "submission",
        title: "Form submitted".to_owned(),
        lines: submission
            .fields
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect(),
        links: submission
            .attachments
            .iter()
            .map(|a| {
                (
                    a.original_name.clone(),
                    format!("/app/attachments/{}", a.stored_name.as_str()),
                )
            })
            .collect(),
        conversion: Some(format!("submission:{}", submission.message_id.as_str())),
        spam: None,
        player: None,
        transcript: None,
    }
}

fn activity_entry(activity: &Activity) -> Entry {
    let detail = &activity.detail;
    let text = |key: &str| detail.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let (title, lines) = match activity.kind.as_str() {
        "note" => ("Note".to_owned(), vec![text("text")]),
        "status" => (format!("Status {} → {}", text("from"), text("to")), vec![]),
        "sale" => ("Sale".to_owned(), vec![sale_line(detail)]),
        other => (format!("Changed {other}"), vec![detail.to_string()]),
    };
    let mut links = Vec::new();
    if activity.kind.as_str() == "sale" {
        if let Some(call) = detail.get("call_ref").and_then(|v| v.as_u64()) {
            links.push((format!("For call {call}"), format!("#call-{call}")));
        }
        if let Some(form) = detail.get("form").and_then(|v| v.as_str()) {
            links.push(("For the form".to_owned(), format!("#form-{form}")));
        }
    }
    Entry {
        anchor: format!("activity-{}", activity.id),
        at: activity.at,
        kind: activity.kind.as_str(),
        title: format!("{title} · by {}", activity.author.as_str()),
        lines,
        links,
        conversion: None,
        spam: None,
        player: None,
        transcript: None,
    }
}

fn sale_line(detail: &serde_json::Value) -> String {
    let currency = detail["currency"].as_str().unwrap_or("USD");
    let digits = minor_digits(currency);
    let amount = |key: &str| format_minor(detail[key].as_i64().unwrap_or(0), digits);
    format!(
        "Revenue {} · cost {} · profit {} {currency}",
        amount("revenue_minor"),
        amount("cost_minor"),
        amount("profit_minor")
    )
}

/// The lead's money, one line per currency.
/// The lead's revenue in each currency, for a list ("120.00 USD"); empty without sales.
pub fn revenue(lead: &Lead) -> String {
    lead.totals
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                format_minor(t.revenue_minor, minor_digits(&t.currency)),
                t.currency
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lead's revenue, cost and profit in each currency, spelled out.
pub fn totals(lead: &Lead) -> Vec<String> {
    lead.totals
        .iter()
        .map(|t| {
            let digits = minor_digits(&t.currency);
            format!(
                "Revenue {} · cost {} · profit {} {}",
                format_minor(t.revenue_minor, digits),
                format_minor(t.cost_minor, digits),
                format_minor(t.profit_minor, digits),
                t.currency
            )
        })
        .collect()
}
