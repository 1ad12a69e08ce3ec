//! Marking a call or a submission as an ad conversion, as the API, the operator's page and
//! the command line ask for it: a name (else the default), a value as people write it, in a
//! currency (else the site's). Each mark and unmark is also an activity on the record's lead.

use super::audit;
use super::error::{AppError, AppResult};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::conversion::{Conversion, ConversionMark, ConversionName, ConversionRecord, ConversionValue};
use leadline_core::lead::Author;
use leadline_core::lead::Lead;
use leadline_core::money::parse_amount;
use leadline_core::site::Currency;
use leadline_core::store::Store;
use leadline_core::{BusinessId, Invalid, LeadId, SiteId};

/// A mark as asked for; every part optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkInput<'a> {
    pub name: Option<&'a str>,
    /// An amount as people write it ("1,200.50").
    pub value: Option<&'a str>,
    pub currency: Option<&'a str>,
}

/// The mark `input` asks for on `record`, whose site's currency is the default one.
pub fn parse_mark(
    input: &MarkInput<'_>,
    record: &ConversionRecord,
    site_currency: Currency,
) -> Result<ConversionMark, Invalid> {
    let name = match input.name {
        Some(name) => ConversionName::parse(name)?,
        None => ConversionName::default_for(record),
    };
    let value = match (input.value.map(str::trim).filter(|v| !v.is_empty()), input.currency) {
        (None, None) => None,
        (None, Some(_)) => return Err(Invalid::new("currency", "is given without a value")),
        (Some(amount), currency) => {
            let currency = match currency {
                Some(code) => Currency::parse(code)?,
                None => site_currency,
            };
            let minor = parse_amount("conversion value", amount, currency)?;
            Some(ConversionValue::new(minor, currency)?)
        }
    };
    Ok(ConversionMark { name, value })
}

/// The site and the lead of the business's `record`.
async fn owner(store: &dyn Store, business: BusinessId, record: &ConversionRecord) -> AppResult<(SiteId, LeadId)> {
    Ok(match record {
        ConversionRecord::Call { record_ref } => {
            let call = store.call_by_ref(business, *record_ref).await?;
            (call.site_id, LeadId(call.lead_id))
        }
        ConversionRecord::Submission { message_id } => {
            let submission = store.submission(business, message_id).await?;
            (submission.site_id, submission.lead_id)
        }
    })
}

/// Marks the business's `record` as `author` asked; replaces any earlier mark.
pub async fn mark(
    store: &dyn Store,
    business: BusinessId,
    record: &ConversionRecord,
    input: &MarkInput<'_>,
    author: &Author,
) -> AppResult<Conversion> {
    let (site, _) = owner(store, business, record).await?;
    mark_at(store, business, site, record, input, author).await
}

/// Marks `record` as `mark` asks when it is one of `lead`'s own calls or forms (an operator on
/// the lead's page); a record of another lead is not found.
pub async fn mark_on_lead(
    store: &dyn Store,
    lead: &Lead,
    record: &ConversionRecord,
    input: &MarkInput<'_>,
    author: &Author,
) -> AppResult<Conversion> {
    let (site, owner) = owner(store, lead.business_id, record).await?;
    if owner != lead.id {
        return Err(AppError::NotFound);
    }
    mark_at(store, lead.business_id, site, record, input, author).await
}

/// Marks `record`, of `site`, in that site's currency unless the input names one.
async fn mark_at(
    store: &dyn Store,
    business: BusinessId,
    site: SiteId,
    record: &ConversionRecord,
    input: &MarkInput<'_>,
    author: &Author,
) -> AppResult<Conversion> {
    let currency = store.site(business, site).await?.currency;
    let mark = parse_mark(input, record, currency)?;
    let marked = match record {
        ConversionRecord::Call { record_ref } => {
            store.mark_call_conversion(business, *record_ref, &mark, author).await?
        }
        ConversionRecord::Submission { message_id } => {
            store
                .mark_submission_conversion(business, message_id, &mark, author)
                .await?
        }
    };
    let detail = AuditDetail::new(mark.name.as_str());
    audit::record(
        store,
        business,
        author,
        AuditAction::ConversionMarked,
        subject(record),
        detail,
    )
    .await;
    Ok(marked)
}

/// The record a mark is on, as the audit log names it.
fn subject(record: &ConversionRecord) -> AuditSubject {
    match record {
        ConversionRecord::Call { record_ref } => AuditSubject::of("call", record_ref),
        ConversionRecord::Submission { message_id } => AuditSubject::of("form", message_id.as_str()),
    }
}

/// Removes the mark of the business's `record` as `author`; `false` when it had none.
pub async fn unmark(
    store: &dyn Store,
    business: BusinessId,
    record: &ConversionRecord,
    author: &Author,
) -> AppResult<bool> {
    let unmarked = match record {
        ConversionRecord::Call { record_ref } => store.unmark_call_conversion(business, *record_ref, author).await?,
        ConversionRecord::Submission { message_id } => {
            store.unmark_submission_conversion(business, message_id, author).await?
        }
    };
    if unmarked {
        let action = AuditAction::ConversionUnmarked;
        audit::record(store, business, author, action, subject(record), AuditDetail::none()).await;
    }
    Ok(unmarked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_takes_defaults_and_checks_what_is_given() {
        let usd = Currency::parse("USD").unwrap();
        let call = ConversionRecord::Call { record_ref: 1000 };
        let mark = parse_mark(&MarkInput::default(), &call, usd).unwrap();
        assert_eq!((mark.name.as_str(), mark.value), ("Phone Call", None));
        let amount = "1,200.50";
        let input = MarkInput {
            name: Some("Booked"),
            value: Some(amount),
            currency: None,
        };
        let mark = parse_mark(&input, &call, usd).unwrap();
        assert_eq!(mark.name.as_str(), "Booked");
        assert_eq!(mark.value, Some(ConversionValue::new(120_050, usd).unwrap()));
        let yen = "15000";
        let input = MarkInput {
            value: Some(yen),
            currency: Some("jpy"),
            ..MarkInput::default()
        };
        assert_eq!(
            parse_mark(&input, &call, usd).unwrap().value.unwrap().currency.code(),
            "JPY"
        );
        let input = MarkInput {
            value: Some(" "),
            ..MarkInput::default()
        };
        assert_eq!(parse_mark(&input, &call, usd).unwrap().value, None);

        let (negative, precise) = ("-5", "1.005");
        for (input, says) in [
            (
                MarkInput {
                    currency: Some("USD"),
                    ..MarkInput::default()
                },
                "without a value",
            ),
            (
                MarkInput {
                    value: Some(negative),
                    ..MarkInput::default()
                },
                "negative",
            ),
            (
                MarkInput {
                    value: Some(precise),
                    ..MarkInput::default()
                },
                "more decimals",
            ),
            (
                MarkInput {
                    name: Some(" "),
                    ..MarkInput::default()
                },
                "empty",
            ),
            (
                MarkInput {
                    value: Some(yen),
                    currency: Some("XYZ1"),
                    ..MarkInput::default()
                },
                "ISO 4217",
            ),
        ] {
            let err = parse_mark(&input, &call, usd).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
