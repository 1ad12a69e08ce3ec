//! A site's post-call prompt (a text or an e-mail to the operator who answered, asking for
//! notes) is an integration scoped to the site: setting it by a channel keeps an enabled one
//! of that channel, disables the others and adds one when none is left. Configurations are
//! never edited in place, so pending deliveries keep the one they were written for.

use super::set_enabled;
use crate::app::{AppResult, audit};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::outbox::{IntegrationConfig, IntegrationId, NewIntegration, PromptChannel};
use leadline_core::store::Store;
use leadline_core::tenant::Site;

/// What [`set_post_call_prompt`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PromptChange {
    /// The prompts turned off, with the channel each sent by.
    pub turned_off: Vec<(IntegrationId, PromptChannel)>,
    /// An enabled prompt by the wanted channel was there already.
    pub kept: bool,
    /// The prompt added.
    pub added: Option<IntegrationId>,
}

/// Makes `site`'s post-call prompt send by `channel`, or turns it off (`None`), as `author`.
pub async fn set_post_call_prompt(
    store: &dyn Store,
    site: &Site,
    channel: Option<PromptChannel>,
    author: &Author,
) -> AppResult<PromptChange> {
    let mut change = PromptChange::default();
    for integration in store.integrations(site.business_id).await? {
        let IntegrationConfig::OperatorPrompt { channel: current } = integration.config else {
            continue;
        };
        if integration.site_id != Some(site.id) || !integration.enabled {
            continue;
        }
        if Some(current) == channel && !change.kept {
            change.kept = true;
            continue;
        }
        set_enabled(store, site.business_id, integration.id, false, author).await?;
        change.turned_off.push((integration.id, current));
    }
    if let Some(channel) = channel.filter(|_| !change.kept) {
        let new = NewIntegration {
            business_id: site.business_id,
            site_id: Some(site.id),
            name: format!("Post-call prompt ({})", channel.as_str()),
            config: IntegrationConfig::OperatorPrompt { channel },
        };
        let added = store.add_integration(&new).await?;
        let subject = AuditSubject::of("integration", added.id);
        let detail = AuditDetail::new(format!("operator_prompt {}", added.name));
        audit::record(
            store,
            site.business_id,
            author,
            AuditAction::IntegrationAdded,
            subject,
            detail,
        )
        .await;
        change.added = Some(added.id);
    }
    Ok(change)
}
