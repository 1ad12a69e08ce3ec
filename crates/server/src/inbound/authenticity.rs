//! Whether a business takes an e-mailed reply that has to prove where it came from: when the
//! business turned on "Refuse e-mailed replies that fail SPF/DKIM/DMARC", the message must
//! pass DMARC (`leadline_core::sender_auth::decide`). The checks run only once the business
//! is known and asks for them, so mail for other businesses costs no DNS.

use crate::app::AppState;
use crate::app::replies::{Refusal, RefusalKind};
use crate::sender_auth::Envelope;
use leadline_core::BusinessId;
use leadline_core::sender_auth::{Decision, Verdict, decide};

/// What shows who sent a message, as it arrived.
pub enum Evidence<'a> {
    /// Received by Leadline's own SMTP listener: checked here, against DNS, when asked.
    Smtp {
        /// The message as received (DKIM signs these bytes).
        raw: &'a [u8],
        /// The client's address, HELO name and MAIL FROM.
        envelope: &'a Envelope,
    },
    /// Received and checked by a provider (SendGrid, Mailgun), as it reported.
    Reported(Verdict),
}

/// `Ok` when `business` takes a reply from `from` with this evidence; otherwise the refusal
/// (nothing is changed). The verdict is logged, never the message.
pub async fn check(state: &AppState, business: BusinessId, from: &str, evidence: &Evidence<'_>) -> Result<(), Refusal> {
    let required = state
        .store
        .sender_auth_required(business)
        .await
        .map_err(|e| Refusal::internal(&e))?;
    if !required {
        return Ok(());
    }
    let domain = from.rsplit_once('@').map_or("", |(_, domain)| domain);
    let (verdict, channel) = match evidence {
        Evidence::Smtp { raw, envelope } => (state.inbound.sender_auth.verify(raw, envelope, domain).await, "smtp"),
        Evidence::Reported(verdict) => (*verdict, "provider"),
    };
    let decision = decide(required, verdict);
    tracing::info!(
        business = business.0,
        channel,
        domain,
        spf = verdict.spf.label(),
        dkim = verdict.dkim.label(),
        dmarc = verdict.dmarc.label(),
        accepted = decision == Decision::Accept,
        "sender authentication of an e-mailed reply"
    );
    match decision {
        Decision::Accept => Ok(()),
        Decision::Refuse(why) => Err(Refusal::new(
            RefusalKind::Unauthenticated,
            format!(
                "This business takes e-mailed replies only when they pass SPF/DKIM/DMARC: {}. Nothing was changed.",
                why.reason()
            ),
        )),
    }
}
