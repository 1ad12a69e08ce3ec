//! PLACEHOLDER (issue 6): the salesforce adapter is being written; it refuses every delivery until then.

use super::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;

/// The salesforce adapter.
pub struct Salesforce;

#[async_trait]
impl Adapter for Salesforce {
    async fn deliver(&self, _ctx: &Context<'_>) -> Result<Sent, Failure> {
        Err(Failure::Retry("the salesforce adapter is not built yet".into()))
    }
}
