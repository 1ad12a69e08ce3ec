//! PLACEHOLDER (issue 6): the ga4 adapter is being written; it refuses every delivery until then.

use super::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;

/// The ga4 adapter.
pub struct Ga4;

#[async_trait]
impl Adapter for Ga4 {
    async fn deliver(&self, _ctx: &Context<'_>) -> Result<Sent, Failure> {
        Err(Failure::Retry("the ga4 adapter is not built yet".into()))
    }
}
