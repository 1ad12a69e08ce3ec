//! The audit log's recorder: each use case that changes something calls [`record`] once the
//! change has succeeded, with its author and what changed; the client's address comes from the
//! request the change was made in.
//!
//! Why a task-local rather than an `Actor { author, address }` argument: the address is known
//! only to the HTTP layer, and threading it through every use case (and every surface that has
//! none: replies by SMS or e-mail, the CRM pull, the command line) would change every
//! signature for a value only the recorder reads. One middleware on the page and API routes
//! ([`within_request`]) sets it for the request's task; anything outside a request records no
//! address. The author stays an explicit argument: who made a change is part of the change.
//!
//! Why a failed audit write does not fail the change: the change is committed when the
//! recorder runs, so failing the request would tell the user that something that happened did
//! not, and invite them to do it twice. The failure is logged as a warning instead, with the
//! action and subject (never the detail), and counted by the logs' alerting like any warning.

use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject, NewAuditEntry};
use leadline_core::lead::Author;
use leadline_core::store::Store;
use std::net::IpAddr;

tokio::task_local! {
    /// The client's address of the request being served.
    static CLIENT: IpAddr;
}

/// Runs `work` (a request's handling) with `address` as the address its changes are recorded
/// from.
pub async fn within_request<F: Future>(address: IpAddr, work: F) -> F::Output {
    CLIENT.scope(address, work).await
}

/// The address of the request being served, if the caller is serving one.
pub fn client_address() -> Option<IpAddr> {
    CLIENT.try_with(|address| *address).ok()
}

/// Records that `author` made a change of `action` to `subject` in `business`. Called after
/// the change succeeded; a failure to write the entry is logged and does not undo the change.
pub async fn record(
    store: &dyn Store,
    business: BusinessId,
    author: &Author,
    action: AuditAction,
    subject: AuditSubject,
    detail: AuditDetail,
) {
    let entry = NewAuditEntry {
        at: leadline_core::clock::now(),
        actor: author.clone(),
        address: client_address(),
        action,
        subject,
        detail,
    };
    if let Err(e) = store.append_audit(business, &entry).await {
        tracing::warn!(
            business = business.0,
            action = action.as_str(),
            subject = entry.subject.as_str(),
            error = %e,
            "a change was made but its audit entry could not be written"
        );
    }
}
