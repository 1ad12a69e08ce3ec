//! The operator's pages in the browser: login, and a lead with its timeline where notes,
//! status changes and sales are recorded. Server-rendered with escaping templates.

mod access;
mod activity;
mod edit;
mod erase;
mod erasure_view;
mod headers;
mod lead_form;
mod leads;
mod live;
mod login;
mod pages;
mod push;
mod recordings;
pub(crate) mod reports;
mod session;
mod settings;
mod shell;
mod spam;
mod transcript_view;
mod view;

use crate::app::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The operator routes, under `/app/`.
pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/app/login", get(login::show_login).post(login::log_in))
        .route("/app/logout", post(session::log_out))
        .route("/app/business", post(access::switch_business))
        .route(
            "/app/invitations/{token}",
            get(access::show_invitation).post(access::accept_invitation),
        )
        .route("/app/password/forgot", get(access::show_forgot).post(access::forgot))
        .route(
            "/app/password/reset/{token}",
            get(access::show_reset).post(access::reset),
        )
        .route("/app", get(pages::home))
        .route("/app/", get(pages::home))
        .route("/app/activity", get(activity::list))
        .route("/app/activity.csv", get(activity::download))
        .route("/app/live", get(live::feed))
        .route("/app/calls/{record_ref}/recording", get(recordings::play))
        .route("/app/calls/{record_ref}/spam", post(spam::mark_call))
        .route("/app/leads", get(leads::list))
        .route("/app/leads.csv", get(leads::download))
        .route("/app/leads/{record_ref}", get(pages::show_lead))
        .route("/app/leads/{record_ref}/notes", post(pages::add_note))
        .route("/app/leads/{record_ref}/export", get(pages::export_person))
        .route("/app/leads/{record_ref}/erase", post(erase::erase_person))
        .route("/app/leads/{record_ref}/status", post(pages::change_status))
        .route("/app/leads/{record_ref}/contact", post(edit::change_contact))
        .route("/app/leads/{record_ref}/custom", post(edit::change_custom))
        .route("/app/leads/{record_ref}/tags", post(edit::change_tags))
        .route("/app/leads/{record_ref}/sales", post(pages::record_sale))
        .route("/app/leads/{record_ref}/conversions", post(pages::mark_conversion))
        .route("/app/attachments/{name}", get(pages::attachment))
        .route("/app/reports", get(reports::page))
        .route("/app/reports.csv", get(reports::download))
        .route("/app/reports/heatmap", get(reports::heatmap::page))
        .route("/app/assets/app.css", get(headers::stylesheet))
        .route("/app/assets/live.js", get(headers::live_script))
        .route("/app/assets/push.js", get(push::page_script))
        .route("/app/push/worker.js", get(push::worker_script))
        .route("/app/push/subscriptions", post(push::subscribe))
        .route("/app/push/unsubscribe", post(push::unsubscribe))
        .merge(settings::router());
    headers::protect(pages)
}
