//! Offline conversions for ad platforms: the operator marks which calls and form submissions
//! qualify (a name such as "Phone Call" and an optional value), and exports list them with
//! the click id, caller and times an ad platform's import needs. A record nobody marked is
//! left out unless asked for, so failed connections and sales calls are not counted.

use crate::ad_upload::{AdFacts, AdTarget, Uploaded};
use crate::channel::ClickIds;
use crate::form::MessageId;
use crate::lead::Author;
use crate::outbox::IntegrationId;
use crate::site::{Currency, Timezone};
use crate::store::StoreResult;
use crate::{BusinessId, Invalid, SiteId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The conversion name a marked call gets unless the operator gives one (the offline
/// conversion the patent's embodiment creates in the advertising account).
pub const DEFAULT_CALL_NAME: &str = "Phone Call";
/// The conversion name a marked submission gets unless the operator gives one.
pub const DEFAULT_FORM_NAME: &str = "Form";
/// The longest conversion name, in characters (Google Ads' limit for a conversion action).
pub const MAX_NAME_CHARS: usize = 100;

/// The name of a conversion action as the ad platform knows it: trimmed, 1 to
/// [`MAX_NAME_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConversionName(String);

impl ConversionName {
    /// Parses a name as an operator typed it.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        if text.is_empty() {
            return Err(Invalid::new("conversion name", "is empty"));
        }
        if text.chars().count() > MAX_NAME_CHARS {
            return Err(Invalid::new(
                "conversion name",
                format!("longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid::new("conversion name", "contains control characters"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The default name of a marked record of this kind.
    pub fn default_for(record: &ConversionRecord) -> Self {
        match record {
            ConversionRecord::Call { .. } => Self(DEFAULT_CALL_NAME.to_owned()),
            ConversionRecord::Submission { .. } => Self(DEFAULT_FORM_NAME.to_owned()),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Money a conversion is worth, in minor units of its currency (never negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversionValue {
    pub minor: i64,
    pub currency: Currency,
}

impl ConversionValue {
    /// A value; `Invalid` when negative.
    pub fn new(minor: i64, currency: Currency) -> Result<Self, Invalid> {
        if minor < 0 {
            return Err(Invalid::new("conversion value", "cannot be negative"));
        }
        Ok(Self { minor, currency })
    }
}

/// Which record a conversion is: a call (by record ref) or a submission (by message id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversionRecord {
    Call { record_ref: u64 },
    Submission { message_id: MessageId },
}

/// What an operator marks: the conversion's name and, optionally, its value. Without a
/// value, exports take it from the lead's sales when they run (see [`default_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionMark {
    pub name: ConversionName,
    pub value: Option<ConversionValue>,
}

/// A mark as stored, with who made it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub record: ConversionRecord,
    pub name: ConversionName,
    /// The value the operator gave; `None` means "from the lead's sales".
    pub value: Option<ConversionValue>,
    pub marked_by: Author,
    pub marked_at: DateTime<Utc>,
}

/// What an export lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionKind {
    /// Calls and submissions whose visit had an ad click id (gclid, gbraid, wbraid, msclkid).
    Click,
    /// Calls, by caller number and call start (Google Ads call conversions).
    Call,
}

/// Which rows an export asks for. Times bound the conversion time: `from` included, `to`
/// excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionQuery {
    pub business: BusinessId,
    /// One site, or every site of the business.
    pub site: Option<SiteId>,
    pub kind: ConversionKind,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Also list records nobody marked (with a click id for [`ConversionKind::Click`]),
    /// under the default name and without a value.
    pub include_unmarked: bool,
}

/// One record an export may list, oldest conversion first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRow {
    pub record: ConversionRecord,
    pub site_id: SiteId,
    /// The site's zone, which conversion times are written in.
    pub timezone: Timezone,
    /// The click ids of the record's visit (a submission's own, where its visit is unknown).
    pub click_ids: ClickIds,
    /// The caller's number as the provider sent it (calls only).
    pub caller: Option<String>,
    /// When the call started (calls only).
    pub call_started_at: Option<DateTime<Utc>>,
    /// When the conversion happened: a call's end (its start while it is live), a
    /// submission's arrival.
    pub conversion_time: DateTime<Utc>,
    pub name: ConversionName,
    pub value: Option<ConversionValue>,
    /// Whether an operator marked the record.
    pub marked: bool,
}

/// The value of a mark made without one, from revenue sums per currency: the sums of the
/// sales tied to the call, else the lead's totals. From either list the site's currency is
/// taken, else the only currency there is; sums of zero count as no sale.
pub fn default_value(
    tied_to_call: &[(Currency, i64)],
    lead_totals: &[(Currency, i64)],
    site_currency: Currency,
) -> Option<ConversionValue> {
    pick(tied_to_call, site_currency).or_else(|| pick(lead_totals, site_currency))
}

fn pick(sums: &[(Currency, i64)], site_currency: Currency) -> Option<ConversionValue> {
    let sums: Vec<&(Currency, i64)> = sums.iter().filter(|(_, minor)| *minor > 0).collect();
    let chosen = match sums.iter().find(|(currency, _)| *currency == site_currency) {
        Some(in_site_currency) => *in_site_currency,
        None if sums.len() == 1 => sums[0],
        None => return None,
    };
    Some(ConversionValue {
        minor: chosen.1,
        currency: chosen.0,
    })
}

/// Conversion marks and the rows of ad platform exports. Every lookup is scoped to a
/// business: another business's call or submission is `NotFound`, exactly like a missing one.
#[async_trait]
pub trait ConversionStore {
    /// Marks the business's call with this record ref as a conversion, replacing any earlier
    /// mark of it.
    async fn mark_call_conversion(
        &self,
        business: BusinessId,
        record_ref: u64,
        mark: &ConversionMark,
        author: &Author,
    ) -> StoreResult<Conversion>;
    /// Marks the business's submission with this message id, replacing any earlier mark.
    async fn mark_submission_conversion(
        &self,
        business: BusinessId,
        message: &MessageId,
        mark: &ConversionMark,
        author: &Author,
    ) -> StoreResult<Conversion>;
    /// Removes the call's mark; `false` when it had none. `NotFound` for an unknown call.
    async fn unmark_call_conversion(&self, business: BusinessId, record_ref: u64, author: &Author)
    -> StoreResult<bool>;
    /// Removes the submission's mark; `false` when it had none. `NotFound` for an unknown
    /// submission.
    async fn unmark_submission_conversion(
        &self,
        business: BusinessId,
        message: &MessageId,
        author: &Author,
    ) -> StoreResult<bool>;
    /// The rows of an export, oldest conversion first. Marked records come with the mark's
    /// name and value (or the value from the lead's sales, see [`default_value`]); with
    /// `include_unmarked`, records nobody marked come with the default name and no value.
    /// `NotFound` when `site` is another business's.
    async fn conversion_rows(&self, query: &ConversionQuery) -> StoreResult<Vec<ConversionRow>>;
    /// The record `target` names, as an ad integration reads it: marked or not, with a value
    /// from the lead's sales when no mark gives one. `None` when the business has no such
    /// record (a lead without calls or forms).
    async fn ad_facts(&self, business: BusinessId, target: &AdTarget) -> StoreResult<Option<AdFacts>>;
    /// What `integration` last sent for the record with `order_id`.
    async fn ad_upload(&self, integration: IntegrationId, order_id: &str) -> StoreResult<Option<Uploaded>>;
    /// Records what `integration` (of `business`) just sent, restated or retracted.
    async fn record_ad_upload(
        &self,
        business: BusinessId,
        integration: IntegrationId,
        uploaded: &Uploaded,
    ) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(ConversionName::parse("  Phone Call ").unwrap().as_str(), "Phone Call");
        assert!(ConversionName::parse("   ").is_err());
        assert!(ConversionName::parse("a\nb").is_err());
        assert!(ConversionName::parse(&"x".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(ConversionName::parse(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(ConversionName::parse("Quote, signed \"deluxe\"").is_ok());
    }

    #[test]
    fn calls_and_forms_have_their_default_names() {
        let call = ConversionRecord::Call { record_ref: 1000 };
        let form = ConversionRecord::Submission {
            message_id: MessageId::generate(),
        };
        assert_eq!(ConversionName::default_for(&call).as_str(), "Phone Call");
        assert_eq!(ConversionName::default_for(&form).as_str(), "Form");
    }

    #[test]
    fn negative_values_are_refused() {
        assert!(ConversionValue::new(-1, cur("USD")).is_err());
        assert_eq!(ConversionValue::new(0, cur("USD")).unwrap().minor, 0);
    }

    #[test]
    fn the_default_value_prefers_the_call_sales_then_the_lead_in_the_site_currency() {
        let usd = cur("USD");
        let eur = cur("EUR");
        let value = |v: Option<ConversionValue>| v.map(|v| (v.minor, v.currency.code()));
        // Sales tied to the call win over the lead's totals.
        assert_eq!(
            value(default_value(&[(usd, 500)], &[(usd, 9_000)], usd)),
            Some((500, "USD"))
        );
        // No sale tied to the call: the lead's totals, in the site's currency.
        assert_eq!(
            value(default_value(&[], &[(eur, 700), (usd, 9_000)], usd)),
            Some((9_000, "USD"))
        );
        // One other currency is taken as it is.
        assert_eq!(value(default_value(&[], &[(eur, 700)], usd)), Some((700, "EUR")));
        // Several other currencies cannot be told apart: no value.
        let jpy = cur("JPY");
        assert_eq!(value(default_value(&[], &[(eur, 700), (jpy, 100)], usd)), None);
        // Nothing sold, or only sums of zero: no value.
        assert_eq!(value(default_value(&[], &[], usd)), None);
        assert_eq!(value(default_value(&[(usd, 0)], &[(usd, 0)], usd)), None);
    }
}
