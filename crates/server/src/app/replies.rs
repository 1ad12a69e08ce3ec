//! A command from an operator's reply, checked and recorded: the sender must be an operator
//! of the business, the record must exist; then the note or sale is recorded with the sender
//! as its author, and a short confirmation is answered. Anything refused changes nothing.

use super::error::AppError;
use super::leads;
use super::sales::{Cost, SaleRequest, new_sale};
use crate::app::AppState;
use leadline_core::E164;
use leadline_core::call::Call;
use leadline_core::ids::BusinessId;
use leadline_core::lead::{Author, Lead, LeadChange};
use leadline_core::money::format_minor;
use leadline_core::reply::{Command, SaleTarget};
use leadline_core::site::Currency;
use leadline_core::store::StoreError;

/// Who sent a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// An SMS from this number; `like` is the tracking number it was sent to (national
    /// numbers in the text are read in its country).
    Phone { number: E164, like: E164 },
    /// An e-mail from this address.
    Email(String),
}

impl Sender {
    /// The author recorded on the change: `sms:+12025550111`, `email:ann@example.com`.
    fn author(&self) -> Author {
        match self {
            Self::Phone { number, .. } => Author::from_stored(&format!("sms:{number}")),
            Self::Email(address) => Author::from_stored(&format!("email:{}", address.to_lowercase())),
        }
    }
}

/// Why a reply changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The sender is not an operator of the business.
    NotOperator,
    /// No such record (or another business's).
    Unknown,
    /// The text could not be read, or the change breaks a rule.
    Invalid,
    /// Leadline failed (the database): try again.
    Internal,
    /// The business requires SPF/DKIM/DMARC and the message did not pass.
    Unauthenticated,
}

/// A reply that changed nothing, with the words to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub reason: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }

    /// Leadline failed: logged, and the sender asked to try again.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %error, "an operator's reply could not be recorded");
        Self::new(RefusalKind::Internal, "Could not record that, try again.")
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::new(RefusalKind::Unknown, "No such record."),
            StoreError::Invalid(invalid) => Self::new(RefusalKind::Invalid, invalid.reason),
            StoreError::Conflict(why) => Self::new(RefusalKind::Invalid, why),
            other => Self::internal(&other),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => {
                Self::new(RefusalKind::Invalid, why)
            }
            AppError::NotFound => Self::new(RefusalKind::Unknown, "No such record."),
            AppError::Unavailable(why) => Self::internal(&why),
            AppError::Internal(cause) => Self::internal(&cause),
        }
    }
}

/// How many of the business's recent calls a `[PHONE]` sale looks through.
const PHONE_SEARCH_CALLS: u32 = 1000;

/// Checks `sender`, records `command` on the business's record, and answers the
/// confirmation to send back.
pub async fn apply(
    state: &AppState,
    business: BusinessId,
    sender: &Sender,
    command: Command,
) -> Result<String, Refusal> {
    check_operator(state, business, sender).await?;
    let author = sender.author();
    match command {
        Command::Note { record_ref, text } => {
            let lead = find(state, business, record_ref).await?;
            leads::change_lead(state.store.as_ref(), &lead, &author, &LeadChange::Note(text)).await?;
            Ok(format!("Note added to {record_ref}."))
        }
        Command::Sale {
            target,
            revenue,
            cost,
            profit,
        } => {
            let (lead, call) = match target {
                SaleTarget::Ref(record_ref) => match state.store.call_by_ref(business, record_ref).await {
                    Ok(call) => (find(state, business, record_ref).await?, Some(call)),
                    Err(StoreError::NotFound) => (find(state, business, record_ref).await?, None),
                    Err(e) => return Err(e.into()),
                },
                SaleTarget::Phone(phone) => {
                    let call = call_from(state, business, sender, &phone).await?;
                    (find(state, business, call.record_ref).await?, Some(call))
                }
            };
            let cost = cost.map_or(Cost::FromCallsIfRated, Cost::Given);
            let request = SaleRequest {
                revenue,
                cost,
                profit,
                currency: None,
                call: call.as_ref().map(|c| c.record_ref),
                form: None,
            };
            let sale = new_sale(state.store.as_ref(), &lead, &request).await?;
            let change = LeadChange::Sale(sale.clone());
            leads::change_lead(state.store.as_ref(), &lead, &author, &change).await?;
            let digits = Currency::parse(&sale.currency).map(|c| c.minor_digits()).unwrap_or(2);
            let amount = group_thousands(&format_minor(sale.revenue_minor, digits));
            let on = match &call {
                Some(call) => format!("call {}", call.record_ref),
                None => format!("{}", lead.record_ref),
            };
            Ok(format!("Sale of {amount} {} recorded on {on}.", sale.currency))
        }
    }
}

/// `1000.00` → `1,000.00`.
fn group_thousands(amount: &str) -> String {
    let (sign, rest) = amount.strip_prefix('-').map_or(("", amount), |r| ("-", r));
    let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The record with this ref, or a refusal that names it.
async fn find(state: &AppState, business: BusinessId, record_ref: u64) -> Result<Lead, Refusal> {
    match state.store.lead(business, record_ref).await {
        Ok(lead) => Ok(lead),
        Err(StoreError::NotFound) => Err(Refusal::new(
            RefusalKind::Unknown,
            format!("No record {record_ref}: nothing was changed."),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The sender must be one of the business's operators: the number of a destination that is
/// not disabled and, when the destination is a user's, whose user is still a member (a
/// removed member's phone changes nothing); or a member's e-mail (compared
/// case-insensitively).
async fn check_operator(state: &AppState, business: BusinessId, sender: &Sender) -> Result<(), Refusal> {
    let known = match sender {
        Sender::Phone { number, .. } => {
            let destination = state
                .store
                .list_destinations(business)
                .await?
                .into_iter()
                .find(|d| !d.disabled && &d.number == number);
            match destination {
                None => false,
                Some(d) => match d.user_id {
                    None => true,
                    Some(user) => state.store.list_users(business).await?.iter().any(|u| u.id == user),
                },
            }
        }
        Sender::Email(address) => state
            .store
            .list_users(business)
            .await?
            .iter()
            .any(|u| u.email.as_str().eq_ignore_ascii_case(address.trim())),
    };
    if known {
        Ok(())
    } else {
        Err(Refusal::new(
            RefusalKind::NotOperator,
            "You are not an operator of this business: nothing was changed.",
        ))
    }
}

/// The newest call of the business from the number the operator wrote.
async fn call_from(state: &AppState, business: BusinessId, sender: &Sender, phone: &str) -> Result<Call, Refusal> {
    let calls = state.store.recent_calls(business, PHONE_SEARCH_CALLS).await?;
    let bad = |why: String| Refusal::new(RefusalKind::Invalid, why);
    let wanted = match sender {
        Sender::Phone { like, .. } => Some(E164::parse_like(phone, like).map_err(|e| bad(e.reason))?),
        Sender::Email(_) => E164::parse(phone).ok(),
    };
    let found = calls.into_iter().find(|call| match &wanted {
        Some(number) => call.caller == number.as_str(),
        // No country to read a national number in: read it in each caller's own.
        None => E164::parse(&call.caller)
            .and_then(|caller| E164::parse_like(phone, &caller))
            .is_ok_and(|number| number.as_str() == call.caller),
    });
    found.ok_or_else(|| {
        Refusal::new(
            RefusalKind::Unknown,
            format!("No call from {}: nothing was changed.", phone.trim()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::group_thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands("1000.00"), "1,000.00");
        assert_eq!(group_thousands("999.5"), "999.5");
        assert_eq!(group_thousands("-1234567"), "-1,234,567");
    }
}
