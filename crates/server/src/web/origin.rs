//! The middleware that lets the audit log know the client's address: the address the
//! admission layer worked out ([`ClientIp`], the TCP peer or the trusted proxy's header) is
//! set for the request's task, where `app::audit::record` reads it. Applied to the routes where
//! people and programs change things (the pages and the business APIs), not to the visit and
//! webhook paths, which record no audit entries.

use crate::app::audit;
use crate::web::client::ClientIp;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Runs the request with its client's address known to the audit recorder.
pub async fn remember_client(request: Request, next: Next) -> Response {
    match request.extensions().get::<ClientIp>().copied() {
        Some(ClientIp(address)) => audit::within_request(address, next.run(request)).await,
        None => next.run(request).await,
    }
}
