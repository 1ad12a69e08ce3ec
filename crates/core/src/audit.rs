//! The audit log: who changed what in a business, when, and from which address. Every change a
//! user, an API key, an operator's reply or an integration makes is one [`AuditEntry`], written
//! by the use case that made the change; owners read them newest first, and the retention sweep
//! prunes them past the business's audit period.

use crate::lead::Author;
use crate::store::StoreResult;
use crate::{BusinessId, Invalid};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;
use std::net::IpAddr;

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)+) => {
        /// What changed: one variant per kind of change, each with a stable wire name
        /// (`thing.what_happened`) used in storage, the API and the page's filter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)+
        }

        impl AuditAction {
            /// Every action, in the order the page's filter lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }
    };
}

actions! {
    /// A lead's contact or custom fields.
    LeadFieldsChanged => "lead.fields_changed",
    /// A lead's status.
    LeadStatusChanged => "lead.status_changed",
    /// Tags added to or removed from a lead.
    LeadTagsChanged => "lead.tags_changed",
    /// A note on a lead.
    LeadNoteAdded => "lead.note_added",
    /// A sale recorded on a lead.
    LeadSaleRecorded => "lead.sale_recorded",
    /// A custom field defined for the business's leads.
    FieldDefined => "field.defined",
    /// A call or form marked as a conversion.
    ConversionMarked => "conversion.marked",
    /// A conversion mark taken back.
    ConversionUnmarked => "conversion.unmarked",
    /// A site added.
    SiteAdded => "site.added",
    /// A site's name, domains, zone, currency or settings.
    SiteUpdated => "site.updated",
    /// A site disabled.
    SiteDisabled => "site.disabled",
    /// A site enabled again.
    SiteEnabled => "site.enabled",
    /// A site removed.
    SiteRemoved => "site.removed",
    /// How a site's calls are handled (greeting, recording, voicemail…).
    CallHandlingChanged => "site.call_handling_changed",
    /// A tracking number added.
    NumberAdded => "number.added",
    /// A tracking number changed.
    NumberUpdated => "number.updated",
    /// A tracking number removed.
    NumberRemoved => "number.removed",
    /// A number bought at the provider.
    NumberBought => "number.bought",
    /// A number the provider account holds attached.
    NumberAttached => "number.attached",
    /// The provider account connected or replaced.
    ProviderConnected => "provider.connected",
    /// A destination added.
    DestinationAdded => "destination.added",
    /// A destination changed.
    DestinationUpdated => "destination.updated",
    /// A destination disabled.
    DestinationDisabled => "destination.disabled",
    /// A destination enabled again.
    DestinationEnabled => "destination.enabled",
    /// A destination removed.
    DestinationRemoved => "destination.removed",
    /// A routing rule added.
    RoutingRuleAdded => "routing_rule.added",
    /// A routing rule changed.
    RoutingRuleUpdated => "routing_rule.updated",
    /// A routing rule moved up or down.
    RoutingRuleMoved => "routing_rule.moved",
    /// A routing rule removed.
    RoutingRuleRemoved => "routing_rule.removed",
    /// An integration added.
    IntegrationAdded => "integration.added",
    /// An integration's settings changed.
    IntegrationUpdated => "integration.updated",
    /// An integration enabled.
    IntegrationEnabled => "integration.enabled",
    /// An integration disabled.
    IntegrationDisabled => "integration.disabled",
    /// An integration removed.
    IntegrationRemoved => "integration.removed",
    /// A dead delivery sent again.
    DeliveryRetried => "delivery.retried",
    /// An API key issued.
    ApiKeyCreated => "api_key.created",
    /// An API key revoked.
    ApiKeyRevoked => "api_key.revoked",
    /// A person invited.
    UserInvited => "user.invited",
    /// An invited person made their login and joined.
    UserJoined => "user.joined",
    /// A member's role changed.
    UserRoleChanged => "user.role_changed",
    /// A member removed from the business.
    UserRemoved => "user.removed",
    /// A member's name or e-mail changed.
    UserUpdated => "user.updated",
    /// A user added with a password (`leadline user add`), not through an invitation.
    UserAdded => "user.added",
    /// Where the business's form files are stored (a directory, a bucket, the default).
    StorageChanged => "storage.changed",
    /// The retention periods.
    RetentionChanged => "retention.changed",
    /// A lead's person erased (the detail says how many outside systems were asked, never
    /// what was erased).
    LeadErased => "lead.erased",
    /// Whether e-mailed replies that fail SPF/DKIM/DMARC are refused.
    SenderAuthChanged => "replies.sender_auth_changed",
    /// A number blocked: its calls are answered before anyone is rung, and flagged spam.
    NumberBlocked => "spam.number_blocked",
    /// A blocked number taken off the list.
    NumberUnblocked => "spam.number_unblocked",
    /// The uploaded list of known spam numbers replaced (the detail says how many).
    SpamListReplaced => "spam.list_replaced",
    /// What a blocked caller gets, and the repeated-calls rule.
    SpamSettingsChanged => "spam.settings_changed",
    /// A call flagged spam by a person.
    CallMarkedSpam => "call.marked_spam",
    /// A call a person said is not spam.
    CallClearedSpam => "call.cleared_spam",
    /// An offline source added.
    SourceAdded => "source.added",
    /// An offline source changed.
    SourceUpdated => "source.updated",
    /// An offline source removed.
    SourceRemoved => "source.removed",
    /// A master ad added.
    AdAdded => "ad.added",
    /// A master ad changed.
    AdUpdated => "ad.updated",
    /// A master ad moved in the order.
    AdMoved => "ad.moved",
    /// A master ad removed.
    AdRemoved => "ad.removed",
    /// A master phrase added.
    PhraseAdded => "phrase.added",
    /// A master phrase changed.
    PhraseUpdated => "phrase.updated",
    /// A master phrase removed.
    PhraseRemoved => "phrase.removed",
    /// The business's speech-to-text service set, changed or removed.
    TranscriptionChanged => "transcription.changed",
    /// A rule on what was said added.
    SpeechRuleAdded => "speech_rule.added",
    /// A rule on what was said removed.
    SpeechRuleRemoved => "speech_rule.removed",
    /// The rules on what was said applied again to past transcripts.
    SpeechRulesReapplied => "speech_rule.reapplied",
}

impl AuditAction {
    /// The action with this wire name.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| Invalid::new("action", format!("'{text}' is not an audit action")))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest subject or detail kept, in characters: an entry says what changed, it does not
/// copy the record.
pub const MAX_TEXT_CHARS: usize = 300;

/// Cuts `text` to [`MAX_TEXT_CHARS`] and replaces control characters (a line break in a name
/// must not forge a second line on the page or in a log).
fn bounded(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT_CHARS)
        .collect();
    if text.chars().count() > MAX_TEXT_CHARS {
        out.pop();
        out.push('…');
    }
    out
}

/// What an entry is about: a kind and an id, such as `lead 1042` or `site 3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSubject(String);

impl AuditSubject {
    /// The record of `kind` with this id (a lead by its record ref, the rest by their id).
    pub fn of(kind: &str, id: impl fmt::Display) -> Self {
        Self(bounded(&format!("{kind} {id}")))
    }

    /// The business itself (its retention, its provider account).
    pub fn business() -> Self {
        Self("business".into())
    }

    /// Reads a stored subject.
    pub fn from_stored(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The stored and wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short description of the change, with no secret and no more personal data than needed:
/// a name or a status, never a key, a token, a password or a note's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditDetail(String);

impl AuditDetail {
    /// The detail, cut to [`MAX_TEXT_CHARS`].
    pub fn new(text: impl AsRef<str>) -> Self {
        Self(bounded(text.as_ref()))
    }

    /// No detail.
    pub fn none() -> Self {
        Self::default()
    }

    /// The stored and wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One change, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The entry's id; newer entries have larger ids (the cursor of the list).
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who made the change.
    pub actor: Author,
    /// The client's address, for a change made over HTTP; none for a reply by SMS or e-mail,
    /// an integration's pull or the command line.
    pub address: Option<IpAddr>,
    pub action: AuditAction,
    pub subject: AuditSubject,
    pub detail: AuditDetail,
}

/// A change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Author,
    pub address: Option<IpAddr>,
    pub action: AuditAction,
    pub subject: AuditSubject,
    pub detail: AuditDetail,
}

/// The most entries one page lists.
pub const MAX_PAGE: u32 = 200;

/// Which entries to list: newest first, before a cursor, optionally of one action or actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries with an id below this (the `next` of the page before).
    pub before: Option<i64>,
    /// At most this many (1..=[`MAX_PAGE`]).
    pub limit: u32,
    pub action: Option<AuditAction>,
    /// Only this actor's entries (exactly as stored, e.g. `user:ann@example.com`).
    pub actor: Option<String>,
}

impl AuditQuery {
    /// The newest `limit` entries (cut to 1..=[`MAX_PAGE`]).
    pub fn newest(limit: u32) -> Self {
        Self {
            before: None,
            limit: limit.clamp(1, MAX_PAGE),
            action: None,
            actor: None,
        }
    }
}

/// One page of entries, newest first, and the cursor of the next (older) page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<i64>,
}

/// Where the audit log is kept. Entries are only appended and, past their period, pruned by
/// the retention sweep (`RetentionStore::prune` with `Pruned::Audit`).
#[async_trait]
pub trait AuditStore {
    /// Appends an entry to the business's log; `NotFound` for an unknown business.
    async fn append_audit(&self, business: BusinessId, entry: &NewAuditEntry) -> StoreResult<()>;
    /// The business's entries matching `query`, newest first; never another business's.
    async fn audit_log(&self, business: BusinessId, query: &AuditQuery) -> StoreResult<AuditPage>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_wire_name_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()).unwrap(), *action);
            assert!(names.insert(action.as_str()), "{action} twice");
            let (thing, what) = action.as_str().split_once('.').expect("thing.what");
            assert!(!thing.is_empty() && !what.is_empty());
        }
        assert_eq!(AuditAction::parse("lead.deleted").unwrap_err().what, "action");
    }

    #[test]
    fn a_detail_is_cut_short_and_loses_its_line_breaks() {
        let detail = AuditDetail::new(format!("name\nforged line {}", "x".repeat(400)));
        assert_eq!(detail.as_str().chars().count(), MAX_TEXT_CHARS);
        assert!(detail.as_str().ends_with('…'));
        assert!(!detail.as_str().contains('\n'));
        assert_eq!(AuditDetail::new("short").as_str(), "short");
        assert_eq!(AuditSubject::of("lead", 1042).as_str(), "lead 1042");
    }

    #[test]
    fn a_query_keeps_its_limit_within_a_page() {
        assert_eq!(AuditQuery::newest(0).limit, 1);
        assert_eq!(AuditQuery::newest(10_000).limit, MAX_PAGE);
    }
}
