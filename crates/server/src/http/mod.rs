//! The browser and API surfaces: the snippet and visit API, forms, the leads API, exports,
//! the operator's pages, attachments, sources, the demo and the ops endpoints. Each module
//! exports its routes; [`router`] merges them. The layers and the server loop are applied once,
//! in [`crate::launch`], to these routes and to the provider and reply webhooks alike.

pub mod adgroup;
pub mod attachments;
pub mod audit;
pub mod demo;
pub mod exports;
pub mod forms;
pub mod leads;
pub mod operator;
pub mod ops;
pub mod reports;
pub mod snippet;
pub mod sources;
pub mod visits;

use crate::app::AppState;
use axum::Router;

/// Every route of the browser and API surfaces (form posts excepted: they take larger bodies,
/// see [`forms::router`]).
pub fn router() -> Router<AppState> {
    // Where people and programs change things, the audit log learns the client's address;
    // the visit and snippet paths, which record no audit entries, stay without the layer.
    let audited = Router::new()
        .merge(operator::router())
        .merge(leads::router())
        .merge(exports::router())
        .merge(adgroup::router())
        .merge(audit::router())
        .layer(axum::middleware::from_fn(crate::web::origin::remember_client));
    Router::new()
        .merge(ops::router())
        .merge(snippet::router())
        .merge(visits::router())
        .merge(demo::router())
        .merge(sources::router())
        .merge(reports::router())
        .merge(attachments::router())
        .merge(audited)
}
