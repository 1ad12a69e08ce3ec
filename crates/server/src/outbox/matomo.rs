//! PLACEHOLDER (issue 6): the matomo adapter is being written; it refuses every delivery until then.

use super::{Adapter, Context, Failure, Sent};
use async_trait::async_trait;

/// The matomo adapter.
pub struct Matomo;

#[async_trait]
impl Adapter for Matomo {
    async fn deliver(&self, _ctx: &Context<'_>) -> Result<Sent, Failure> {
        Err(Failure::Retry("the matomo adapter is not built yet".into()))
    }
}
