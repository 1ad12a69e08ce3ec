//! PLACEHOLDER (issue 6): the hubspot adapter is being written; it refuses every delivery until then.

use super::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;

/// The hubspot adapter.
pub struct Hubspot;

#[async_trait]
impl Adapter for Hubspot {
    async fn deliver(&self, _ctx: &Context<'_>) -> Result<Sent, Failure> {
        Err(Failure::Retry("the hubspot adapter is not built yet".into()))
    }
}
