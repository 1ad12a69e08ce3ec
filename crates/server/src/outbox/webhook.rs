//! PLACEHOLDER (issue 6): the webhook adapter is being written; it refuses every delivery until then.

use super::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;

/// The webhook adapter.
pub struct Webhook;

#[async_trait]
impl Adapter for Webhook {
    async fn deliver(&self, _ctx: &Context<'_>) -> Result<Sent, Failure> {
        Err(Failure::Retry("the webhook adapter is not built yet".into()))
    }
}
